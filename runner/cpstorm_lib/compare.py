# SPDX-License-Identifier: MIT
"""`run --compare FILE`: the verdicts of this run against a reference
run's records (results/reference-*.jsonl), so a verdict that changed, a
strategy that started losing a race or a libc that stopped, is flagged
instead of hiding in a table that looks the same at a glance."""

from . import results

LABEL = {"pass": "PASS", "fail": "FAIL", "error": "ERROR", "skip": "SKIP",
         "timeout": "TIMEOUT"}


def load(path):
    """{(case, backend): verdict} of the reference; UserError when the file
    is missing or holds no records.  A pair recorded more than once (a
    soak) keeps its worst verdict."""
    ref = {}
    for key, counts in results.load([path]).grid().items():
        ref[key] = results.worst(counts)
    return ref


def changes(cells, reference):
    """[(case, backend, was, now)] in run order, for cells the reference
    also has."""
    return [(c.case, c.backend, reference[c.case, c.backend], c.verdict)
            for c in cells if (c.case, c.backend) in reference and
            reference[c.case, c.backend] != c.verdict]


def section(cells, reference, path):
    """Lines for the output; the first says how many verdicts changed."""
    found = changes(cells, reference)
    new = sum((c.case, c.backend) not in reference for c in cells)
    head = (f"Compared with {path}: {len(found)} of "
            f"{len(cells) - new} verdict(s) changed" +
            (f"; {new} cell(s) not in it" if new else ""))
    return [head] + [f"  {case} / {backend}: {LABEL[was]} -> {LABEL[now]}"
                     for case, backend, was, now in found]

# SPDX-License-Identifier: MIT
"""Does the suite do its job?  Over repeated runs of the grid: which cases
caught each flawed strategy and in how many runs, which cells did not give
the same verdict every time, and which verdicts contradict
cases/expected.txt.  The suite's promise: every flawed strategy is caught
on every run, the correct ones never fail, and every libcp cell gets the
verdict the table expects."""

from . import tables
from .report import LABEL


def _flawed(backends):
    return [b for b in backends if b in tables.flawed_backends()]


def section(rounds, backends):
    """Lines for people; rounds is a list of cell lists, one per run."""
    n = len(rounds)
    lines = [f"detection power over {n} run(s) of the grid:"]
    for b in _flawed(backends):
        caught = sum(1 for cells in rounds
                     if any(c.backend == b and c.verdict == "fail"
                            for c in cells))
        by_case = {}
        for cells in rounds:
            for c in cells:
                if c.backend == b and c.verdict == "fail":
                    by_case[c.case] = by_case.get(c.case, 0) + 1
        what = ", ".join(f"{case} {k}/{n}" for case, k in
                         sorted(by_case.items())) or "no case"
        lines.append(f"  {b:<13} caught in {caught}/{n} runs: {what}")
    for b in [b for b in backends if b in tables.correct_backends()]:
        failed = sum(1 for cells in rounds for c in cells
                     if c.backend == b and c.verdict != "pass")
        lines.append(f"  {b:<13} (correct) non-pass cells in all runs: "
                     f"{failed}")
    unstable = unstable_cells(rounds)
    if unstable:
        lines.append("  verdicts that changed between runs: " + ", ".join(
            f"{case}/{b} ({'/'.join(sorted(v))})"
            for (case, b), v in sorted(unstable.items())))
    elif n > 1:
        lines.append("  every cell gave the same verdict in every run")
    return lines


def unstable_cells(rounds):
    seen = {}
    for cells in rounds:
        for c in cells:
            seen.setdefault((c.case, c.backend), set()).add(c.verdict)
    return {k: v for k, v in seen.items() if len(v) > 1}


def missed(rounds, backends):
    """Flawed backends that some run did not catch (for --strict)."""
    return [b for b in _flawed(backends)
            if any(not any(c.backend == b and c.verdict == "fail"
                           for c in cells) for cells in rounds)]


def unexpected(cells):
    """The cells whose verdict contradicts cases/expected.txt."""
    exp = tables.expected()
    return [c for c in cells if exp.unexpected(c.case, c.backend, c.verdict)]


def expectations(cells):
    """Lines for people: how the libcp cells compare with the table."""
    exp = tables.expected()
    judged = [c for c in cells if exp.verdict(c.case, c.backend) in
              ("pass", "fail")]
    if not judged:
        return []
    odd = unexpected(judged)
    head = (f"Expected verdicts ({tables.EXPECTED_TABLE}): "
            f"{len(judged) - len(odd)} of {len(judged)} libcp cells as "
            "expected")
    lines = [head]
    for c in odd:
        want = exp.verdict(c.case, c.backend)
        why = exp.reason(c.case, c.backend)
        lines.append(f"  {c.case} / {c.backend}: {LABEL[c.verdict]}, "
                     f"expected {LABEL[want]}" + (f" ({why})" if why else "")
                     + (": the case did not force its race"
                        if want == "fail" and c.verdict == "pass" else ""))
    return lines


def not_passed(cells, backends):
    """Cells of the correct strategies that did not pass (--strict)."""
    correct = set(tables.correct_backends()) & set(backends)
    return [c for c in cells if c.backend in correct and
            c.verdict != "pass"]

# SPDX-License-Identifier: MIT
"""What `run` shows: the verdict table, the details of every cell that did
not pass, the storm figures, and the JSON Lines file; and `report`, which
turns result files into report.md and report.html (results, page, svg)."""

import json
import os
import shlex

from . import page, results, storm
from .errors import UserError

LABEL = {"pass": "PASS", "fail": "FAIL", "error": "ERROR", "skip": "SKIP",
         "timeout": "TIMEOUT"}
NOT_RUN = "-"


def progress(index, total, cell):
    return (f"[{index:>2}/{total}] {cell.case} on {cell.backend}: "
            f"{LABEL[cell.verdict]} ({cell.duration_s:.1f} s)")


def table(cells, rows, backends):
    """Rows = cases (+ "storm"), columns = backends."""
    by_key = {(c.case, c.backend): c for c in cells}
    head = ["case"] + list(backends)
    body = [[row] + [LABEL[by_key[row, b].verdict] if (row, b) in by_key
                     else NOT_RUN for b in backends] for row in rows]
    widths = [max(len(r[i]) for r in [head] + body) for i in range(len(head))]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    return "\n".join(fmt.format(*r).rstrip() for r in [head] + body)


def details(cells, rows, backends):
    """Every cell that did not pass, in table order."""
    order = sorted((c for c in cells if c.verdict != "pass"),
                   key=lambda c: (rows.index(c.case),
                                  backends.index(c.backend)))
    lines = [f"  {c.case} / {c.backend}: {LABEL[c.verdict]}: {c.detail}"
             for c in order]
    return ["Details"] + (lines or ["  every cell passed"])


def storm_figures(cells, seed, duration_s, threads):
    storms = [c for c in cells if c.case == "storm"]
    if not storms:
        return []
    lines = [f"Storm (seed {seed}, {duration_s:g} s, {threads} threads)"]
    width = max(len(c.backend) for c in storms)
    for c in storms:
        text = storm.figures(c.metrics) if c.metrics else c.detail
        lines.append(f"  {c.backend:<{width}}  {LABEL[c.verdict]:<7}  "
                     f"{text}")
    return lines


def check_writable(path):
    """Fail before the build, not after it, on a --json path that cannot
    be written (without truncating an existing file yet)."""
    if path is None:
        return
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path) or not os.path.isdir(folder) or \
            not os.access(folder, os.W_OK):
        raise UserError(f"cannot write --json {path}: not a file in a "
                        "writable directory; pick a writable path")


def _relative(argv):
    """The program path relative to the working directory when it lies
    below it, so records from different checkouts compare equal."""
    if not argv:
        return argv
    rel = os.path.relpath(argv[0])
    return [argv[0] if rel.startswith("..") else rel] + list(argv[1:])


def cell_record(cell, context):
    """A cell as `run --json` and `soak` write it: the verdict, what the
    program said and how to run it again, then the context (provenance;
    soak: seed and round), then what the cell says of itself (a storm's
    seed; the kernel of a cell run elsewhere)."""
    rec = {"kind": "cell", "backend": cell.backend, "case": cell.case,
           "verdict": cell.verdict, "detail": cell.detail,
           "metrics": cell.metrics, "duration_s": round(cell.duration_s, 3),
           "exit_status": cell.status,
           "command": shlex.join(_relative(cell.command))}
    rec.update(context)
    rec.update(cell.extra)
    return rec


class JsonLines:
    """One record per cell, written as each cell finishes (a killed run
    keeps what it had); each carries the run's provenance (context)."""

    def __init__(self, path, context=None):
        self.file, self.context = None, context or {}
        if path is None:
            return
        try:
            self.file = open(path, "w")
        except OSError as e:
            raise UserError(f"cannot write --json {path}: {e.strerror}; "
                            "pick a writable path")

    def write(self, cell):
        if not self.file:
            return
        self.file.write(json.dumps(cell_record(cell, self.context)) + "\n")
        self.file.flush()

    def close(self):
        if self.file:
            self.file.close()


def _save(path, text):
    """Whole or not at all: a reader never sees half a report."""
    tmp = f"{path}.tmp{os.getpid()}"
    try:
        with open(tmp, "w") as f:
            f.write(text)
        os.replace(tmp, path)
    except OSError as e:
        raise UserError(f"cannot write {path}: {e.strerror}; pick a "
                        "writable --out folder")


def command(args, say):
    """`cpstorm report FILE...`: report.md and report.html in --out."""
    res = results.load(args.files)
    try:
        os.makedirs(args.out, exist_ok=True)
    except OSError as e:
        raise UserError(f"cannot create --out {args.out}: "
                        f"{e.strerror or e}; pick a writable folder")
    md_path = os.path.join(args.out, "report.md")
    html_path = os.path.join(args.out, "report.html")
    _save(md_path, page.markdown(res, args.title))
    _save(html_path, page.html(res, args.title))
    say(f"cpstorm: {len(res.cells)} cells, {len(res.samples)} samples -> "
        f"{md_path}, {html_path}")
    return 0

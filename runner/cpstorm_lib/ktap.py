# SPDX-License-Identifier: MIT
"""KTAP version 1 (Documentation/dev-tools/ktap.rst in the kernel) on
stdout, for KernelCI/LAVA: one top-level test per backend, its cases and
storm as nested subtests.

A parent's subtests must be contiguous, but `run` finishes every backend's
cases before any storm, so a backend's block is printed once all of its
cells are in (and blocks keep backend order).  Each result line is preceded
by a '# ' diagnostic line with the cell's detail; the description carries
no '#' (the spec reserves it for the directive)."""

import re
import sys

INDENT = "  "


def _line(text):
    """One line of printable text (a detail may hold newlines or control
    bytes from a case's output)."""
    return " ".join("".join(ch if ch.isprintable() else " "
                            for ch in str(text)).split())


def _name(text):
    return _line(text).replace("#", "_")


def result_line(number, cell):
    """The subtest line of one cell: ok / not ok with its directive."""
    name = _name(cell.case)
    if cell.verdict == "pass":
        return f"ok {number} {name}"
    if cell.verdict == "skip":
        return f"ok {number} {name} # SKIP {_line(cell.detail)}"
    if cell.verdict == "timeout":
        return f"not ok {number} {name} # TIMEOUT {cell.duration_s:.0f} s"
    if cell.verdict == "error":
        return f"not ok {number} {name} # ERROR {_line(cell.detail)}"
    return f"not ok {number} {name}"


def parent_line(number, backend, cells):
    """A backend fails when any of its cells did not pass or skip; it is
    skipped when every cell was."""
    name = _name(backend)
    if cells and all(c.verdict == "skip" for c in cells):
        return f"ok {number} {name} # SKIP every cell skipped"
    bad = [c for c in cells if c.verdict not in ("pass", "skip")]
    return f"{'not ok' if bad else 'ok'} {number} {name}"


def block(number, backend, cells):
    """Lines of one backend: nested version, plan, results, then its own
    result line."""
    lines = [INDENT + "KTAP version 1", INDENT + f"1..{len(cells)}"]
    for i, cell in enumerate(cells, 1):
        lines.append(INDENT + f"# {_name(cell.case)}: "
                     f"{cell.verdict.upper()}: {_line(cell.detail)}")
        lines.append(INDENT + result_line(i, cell))
    return lines + [parent_line(number, backend, cells)]


class Stream:
    """Prints the header at once and each backend's block as soon as its
    `rows` are all in.  `rows` are the case names in table order."""

    def __init__(self, backends, rows, out=sys.stdout):
        self.backends, self.rows, self.out = list(backends), list(rows), out
        self.cells, self.printed = {}, 0
        self._print(["KTAP version 1", f"1..{len(self.backends)}"])

    def _print(self, lines):
        self.out.write("".join(line + "\n" for line in lines))
        self.out.flush()

    def write(self, cell):
        self.cells[cell.case, cell.backend] = cell
        while self.printed < len(self.backends):
            backend = self.backends[self.printed]
            if any((r, backend) not in self.cells for r in self.rows):
                return
            self.printed += 1
            self._print(block(self.printed, backend,
                              [self.cells[r, backend] for r in self.rows]))

    def diagnostics(self, text):
        """Free text (the human table) as top-level diagnostic lines."""
        self._print(["# " + line if line.strip() else "#"
                     for line in text.splitlines()])

    def close(self):
        pass


# LAVA's test shell records results with lava-test-case; its names take
# letters, digits and ._- only.  ERROR says the harness broke, not the
# backend, so it is "unknown" there rather than a fail.
RESULT = re.compile(r"(?P<indent> *)(?P<ok>ok|not ok) [0-9]+ (?P<name>[^#]*?)"
                    r"(?: # (?P<directive>[A-Z]+)?.*)?")


def _lava_name(text):
    return "".join(c if c.isalnum() or c in "._-" else "_" for c in text)


def lava_result(ok, directive):
    if directive == "SKIP":
        return "skip"
    if directive == "ERROR":
        return "unknown"
    return "pass" if ok else "fail"


def lava_cases(text):
    """[(name, result)] of the nested results of a --ktap stream, named
    <backend>.<case> after the parent's result line."""
    out, pending = [], []
    for line in text.splitlines():
        m = RESULT.fullmatch(line)
        if not m:
            continue
        if m["indent"]:
            pending.append((m["name"], lava_result(m["ok"] == "ok",
                                                   m["directive"])))
            continue
        out += [(f"{_lava_name(m['name'])}.{_lava_name(case)}", result)
                for case, result in pending]
        pending = []
    return out


if __name__ == "__main__":
    # python3 runner/cpstorm_lib/ktap.py --lava FILE: lava-test-case
    # commands for a LAVA test shell (see docs/soak.md).
    if len(sys.argv) != 3 or sys.argv[1] != "--lava":
        sys.exit("usage: ktap.py --lava FILE (a file written by run --ktap)")
    try:
        with open(sys.argv[2]) as f:
            cases = lava_cases(f.read())
    except OSError as e:
        sys.exit(f"ktap.py: cannot read {sys.argv[2]}: {e.strerror}")
    for name, result in cases:
        print(f"lava-test-case {name} --result {result}")

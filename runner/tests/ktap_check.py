# SPDX-License-Identifier: MIT
"""A strict reader of KTAP version 1 (Documentation/dev-tools/ktap.rst):
version line, optional plan, result lines numbered from 1, nested blocks
indented by two spaces and closed by their parent's result line.  Raises
ValueError naming the line that breaks the format; returns the tree."""

import re

RESULT = re.compile(r"(ok|not ok) ([0-9]+)(?: ([^#]*?))?(?: # ?(.*))?")
PLAN = re.compile(r"1\.\.([0-9]+)")
DIRECTIVES = ("SKIP", "TODO", "XFAIL", "TIMEOUT", "ERROR")
NOT_OK_ONLY = ("TIMEOUT", "ERROR")


def _directive(rest):
    word = (rest or "").split(" ", 1)[0]
    return word if word in DIRECTIVES else None


def _block(lines, pos, depth):
    """Parse one KTAP block starting at lines[pos] (its version line);
    returns (tests, next position)."""
    pad = "  " * depth
    if pos >= len(lines) or lines[pos] != pad + "KTAP version 1":
        raise ValueError(f"line {pos + 1}: expected '{pad}KTAP version 1'")
    pos += 1
    plan = None
    if pos < len(lines) and PLAN.fullmatch(lines[pos][len(pad):]) and \
            lines[pos].startswith(pad):
        plan = int(PLAN.fullmatch(lines[pos][len(pad):])[1])
        pos += 1
    tests, pending = [], None
    while pos < len(lines):
        line = lines[pos]
        if line == pad + "  KTAP version 1":
            if pending is not None:
                raise ValueError(f"line {pos + 1}: two subtest blocks "
                                 "without a result line between them")
            pending, pos = _block(lines, pos, depth + 1)
            continue
        if not line.startswith(pad) or line[len(pad):].startswith(" "):
            break                       # the parent's level (or deeper junk)
        body = line[len(pad):]
        if body.startswith("#"):
            if body != "#" and not body.startswith("# "):
                raise ValueError(f"line {pos + 1}: diagnostic without '# '")
            pos += 1
            continue
        m = RESULT.fullmatch(body)
        if not m:
            raise ValueError(f"line {pos + 1}: not a KTAP line: {line!r}")
        number, ok = int(m[2]), m[1] == "ok"
        if number != len(tests) + 1:
            raise ValueError(f"line {pos + 1}: test number {number}, "
                             f"expected {len(tests) + 1}")
        directive = _directive(m[4])
        if directive in NOT_OK_ONLY and ok:
            raise ValueError(f"line {pos + 1}: {directive} needs 'not ok'")
        if pending is not None:
            failed = [t for t in pending if not t["ok"] and
                      t["directive"] != "SKIP"]
            if failed and ok:
                raise ValueError(f"line {pos + 1}: parent ok but subtest "
                                 f"{failed[0]['name']} failed")
        tests.append({"ok": ok, "name": m[3] or "", "directive": directive,
                      "data": m[4], "subtests": pending or []})
        pending = None
        pos += 1
    if pending is not None:
        raise ValueError(f"line {pos + 1}: subtest block without a result")
    if plan is not None and plan != len(tests):
        raise ValueError(f"plan 1..{plan} but {len(tests)} results at "
                         f"depth {depth}")
    return tests, pos


def parse(text):
    lines = text.splitlines()
    tests, pos = _block(lines, 0, 0)
    if pos != len(lines):
        raise ValueError(f"line {pos + 1}: trailing text {lines[pos]!r}")
    return tests

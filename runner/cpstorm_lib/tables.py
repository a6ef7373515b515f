# SPDX-License-Identifier: MIT
"""The project's two tables, as the runner reads them: libcp's strategies
(lib/strategies.h: name, correct or flawed, how its handler decides, how it
retries, what it does) and the verdict
each case must get per strategy, with the reasons (cases/expected.txt).
CMake reads the same files at configure time (cmake/tables.cmake); the C
code includes lib/strategies.h.  Nothing here repeats either list."""

import functools
import os
import re
from dataclasses import dataclass, field

from .errors import UserError

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.realpath(__file__))))
STRATEGY_TABLE = os.path.join("lib", "strategies.h")
EXPECTED_TABLE = os.path.join("cases", "expected.txt")
LINE = re.compile(r'CP_STRATEGY\((\w+),\s*(correct|flawed),\s*'
                  r'(window|pcsyscall|async),\s*(reraise|timer|none),\s*'
                  r'"([^"]*)"\)')
VERDICTS = ("pass", "fail", "any")
LIBC = "libc"
# The libc backend's own programs with the drop-in library (dropin/)
# preloaded (libcrun.py runs them); judged by the grid's column PRELOAD_COLUMN
# like a correct strategy (pass where it has no column).
PRELOAD = "cp-preload"
PRELOAD_COLUMN = "preload"


@dataclass(frozen=True)
class Strategy:
    name: str
    correct: bool
    decide: str         # window, pcsyscall or async
    retry: str          # reraise, timer or none
    text: str

    @property
    def backend(self):
        return "cp:" + self.name


@dataclass
class Expected:
    """The grid of cases/expected.txt: rows[case][strategy] = pass, fail
    or any; why[(case, strategy)] and why[case] (the whole row) = the
    reason."""
    columns: list
    rows: dict = field(default_factory=dict)
    why: dict = field(default_factory=dict)

    def verdict(self, case, backend):
        """What `backend` must get on `case`, or None when nothing is
        expected (libc, another C library, the storm, an unknown case)."""
        if case not in self.rows or not _column(backend):
            return None
        return self.rows[case].get(_column(backend))

    def reason(self, case, backend):
        return self.why.get((case, _column(backend)), self.why.get(case, ""))

    def unexpected(self, case, backend, verdict):
        """True when a verdict contradicts the table (any expects
        nothing)."""
        want = self.verdict(case, backend)
        return want in ("pass", "fail") and verdict != want


def _column(backend):
    """The grid's column of a backend, or None (libc, other C libraries)."""
    if backend == PRELOAD:
        return PRELOAD_COLUMN
    return backend[3:] if backend.startswith("cp:") else None


def _where(path, number):
    return f"{os.path.relpath(path, REPO)}:{number}"


@functools.lru_cache(maxsize=None)
def strategies(repo=REPO):
    """Every strategy, the default first."""
    path = os.path.join(repo, STRATEGY_TABLE)
    out = []
    for n, line in _lines(path):
        if not line.startswith("CP_STRATEGY("):
            continue
        m = LINE.fullmatch(line.strip())
        if not m:
            raise UserError(f"{_where(path, n)}: not CP_STRATEGY(name, "
                            "correct|flawed, window|pcsyscall|async, "
                            "reraise|timer|none, \"text\")")
        if any(s.name == m[1] for s in out):
            raise UserError(f"{_where(path, n)}: strategy {m[1]} twice")
        out.append(Strategy(m[1], m[2] == "correct", m[3], m[4], m[5]))
    if not out:
        raise UserError(f"{path} names no strategy")
    return tuple(out)


def backends(repo=REPO):
    """{backend name: what it is}: every libcp strategy, then libc and
    cp-preload."""
    out = {s.backend: ("libcp, " + ("correct" if s.correct else
                                    "flawed on purpose") + ": " + s.text)
           for s in strategies(repo)}
    out[LIBC] = "the system C library's pthread_cancel and its " \
        "cancellation points"
    out[PRELOAD] = "the libc backend's own programs with libcp-dropin.so " \
        "preloaded: the new approach under the same machine code"
    return out


def default_backend(repo=REPO):
    return strategies(repo)[0].backend


def correct_backends(repo=REPO):
    return tuple(s.backend for s in strategies(repo) if s.correct)


def flawed_backends(repo=REPO):
    return tuple(s.backend for s in strategies(repo) if not s.correct)


def _lines(path):
    try:
        with open(path) as f:
            return list(enumerate(f.read().splitlines(), 1))
    except OSError as e:
        raise UserError(f"cannot read {path}: {e.strerror}")


def _grid_row(exp, names, cells, where):
    case = cells[0]
    if len(cells) != len(exp.columns) + 1:
        raise UserError(f"{where}: row {case} has {len(cells) - 1} "
                        f"verdicts for {len(exp.columns)} columns")
    if case in exp.rows:
        raise UserError(f"{where}: case {case} has two rows")
    row = {}
    for column, v in zip(exp.columns, cells[1:]):
        if v.lower() not in VERDICTS:
            raise UserError(f"{where}: {case}/{column} is '{v}', not "
                            "pass, FAIL or any")
        row[column] = v.lower()
    for s in names:     # the strategies the grid has no column for
        row.setdefault(s.name, "pass" if s.correct else "any")
    row.setdefault(PRELOAD_COLUMN, "pass")
    exp.rows[case] = row


def _why(exp, key, text, where):
    """case/strategy[,strategy] (or case alone: the row) -> text."""
    case, _, listed = key.partition("/")
    if case not in exp.rows:
        raise UserError(f"{where}: a reason for '{case}', which has no row")
    keys = [(case, s) for s in listed.split(",")] if listed else [case]
    for k in keys:
        if listed and k[1] not in exp.rows[case]:
            raise UserError(f"{where}: a reason for {case}/{k[1]}: no such "
                            "strategy")
        if k in exp.why:
            raise UserError(f"{where}: {key} has a reason already")
        exp.why[k] = text


def _parse(path, names):
    """(Expected with its grid, [(key, text, where)] of the reasons)."""
    exp, reasons, in_why = None, [], False
    for n, line in _lines(path):
        where = _where(path, n)
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        cells = line.split()
        if in_why and line[0] in " \t":
            if not reasons:
                raise UserError(f"{where}: continues nothing")
            key, text, first = reasons[-1]
            reasons[-1] = (key, f"{text} {line.strip()}", first)
        elif in_why:
            reasons.append((cells[0], " ".join(cells[1:]), where))
        elif line.strip() == "why":
            in_why = True
        elif cells[0] == "case":
            unknown = [c for c in cells[1:] if c not in
                       [s.name for s in names] + [PRELOAD_COLUMN]]
            if unknown:
                raise UserError(f"{where}: column {unknown[0]} is not a "
                                "strategy of lib/strategies.h or "
                                f"{PRELOAD_COLUMN}")
            exp = Expected(cells[1:])
        elif exp is None:
            raise UserError(f"{where}: a row before the 'case ...' header")
        else:
            _grid_row(exp, names, cells, where)
    if exp is None:
        raise UserError(f"{path} has no 'case ...' header line")
    return exp, reasons


@functools.lru_cache(maxsize=None)
def expected(repo=REPO):
    """Read and check cases/expected.txt: the grid, then its reasons;
    every FAIL and any in a column needs one."""
    path = os.path.join(repo, EXPECTED_TABLE)
    exp, reasons = _parse(path, strategies(repo))
    for key, text, where in reasons:
        _why(exp, key, text, where)
    for case, row in exp.rows.items():
        for s, v in row.items():
            backend = PRELOAD if s == PRELOAD_COLUMN else "cp:" + s
            if v != "pass" and s in exp.columns and \
                    not exp.reason(case, backend):
                raise UserError(f"{_where(path, 1)}: {case}/{s} expects "
                                f"{v.upper()} without a reason under 'why'")
    return exp


def case_sources(repo=REPO):
    """The case names cases/ has a source for (<name>.c or .cc)."""
    folder = os.path.join(repo, "cases")
    return sorted(os.path.splitext(f)[0] for f in os.listdir(folder)
                  if f.endswith((".c", ".cc")))

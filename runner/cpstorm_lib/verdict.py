# SPDX-License-Identifier: MIT
"""A case's result: its verdict line (support/verdict.h) checked against
its exit status.  Anything that does not add up is an "error" cell that
says why, never a guess."""

import re
from dataclasses import dataclass, field

from . import proc

# verdict -> the exit status support/verdict.h pairs with it.
EXIT_STATUS = {"pass": 0, "fail": 1, "error": 2, "skip": 77}

# verdict=<v> case=<name> backend=<name> [key=value ...] detail=<text>
LINE = re.compile(r"verdict=(?P<verdict>\S+) case=(?P<case>\S+) "
                  r"backend=(?P<backend>\S+) (?P<metrics>.*?)"
                  r"detail=(?P<detail>.*)")
METRIC = re.compile(r"([A-Za-z_][\w.-]*)=(\S*)")


@dataclass
class Cell:
    case: str
    backend: str
    verdict: str            # pass, fail, error, skip, timeout
    detail: str
    metrics: dict = field(default_factory=dict)
    duration_s: float = 0.0
    status: int = None      # exit status of the program, None if not run
    command: list = field(default_factory=list)
    extra: dict = field(default_factory=dict)


def _number(text):
    for conv in (int, float):
        try:
            return conv(text)
        except ValueError:
            pass
    return text


def parse_line(line):
    """(verdict, case, backend, metrics, detail) or None if garbled."""
    m = LINE.fullmatch(line.strip())
    if not m or m["verdict"] not in EXIT_STATUS:
        return None
    metrics = {}
    for token in m["metrics"].split():
        km = METRIC.fullmatch(token)
        if not km:
            return None
        metrics[km[1]] = _number(km[2])
    return m["verdict"], m["case"], m["backend"], metrics, m["detail"]


def _last_line(text):
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else ""


def judge(case, backend, outcome, timeout_s):
    """Turn a case's outcome into (verdict, detail, metrics)."""
    if outcome.timed_out:
        return ("timeout", f"no verdict within {timeout_s:g} s; process "
                f"group killed; output: {proc.tail(outcome)}", {})
    if outcome.status < 0:
        return ("error", f"{proc.describe_status(outcome.status)}; output: "
                f"{proc.tail(outcome)}", {})
    parsed = parse_line(_last_line(outcome.stdout))
    if parsed is None:
        return ("error", f"no verdict line last on stdout "
                f"({proc.describe_status(outcome.status)}); output: "
                f"{proc.tail(outcome)}", {})
    verdict, got_case, got_backend, metrics, detail = parsed
    if (got_case, got_backend) != (case, backend):
        return ("error", f"verdict line is for case={got_case} "
                f"backend={got_backend}, expected case={case} "
                f"backend={backend}: {detail}", metrics)
    if outcome.status != EXIT_STATUS[verdict]:
        return ("error", f"exit status {outcome.status} disagrees with "
                f"verdict={verdict} (which exits "
                f"{EXIT_STATUS[verdict]}): {detail}", metrics)
    return verdict, detail, metrics


def run_case(case, binary, backend, timeout_s, env):
    argv = [binary, "--backend", backend]
    try:
        outcome = proc.run(argv, timeout_s, env)
    except OSError as e:
        return Cell(case, backend, "error", f"cannot start {binary}: "
                    f"{e.strerror}", command=argv)
    verdict, detail, metrics = judge(case, backend, outcome, timeout_s)
    return Cell(case, backend, verdict, detail, metrics,
                outcome.duration_s, outcome.status, argv)

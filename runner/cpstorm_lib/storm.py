# SPDX-License-Identifier: MIT
"""The storm: build/stress/cpstorm-storm for one backend, judged from its
exit status and the JSON record it prints last on stdout."""

import json
import re

from . import proc
from .verdict import Cell

REQUIRED = ("backend", "seed", "cancellations", "per_second", "leaked_fds",
            "lost")
# The storm exits 1 for the outcomes its record lists under "failed"
# (stress/account/outcomes.c: one table) and 0 without any.  A record
# from before that list failed for these (a missing key counts as 0).
FAILING = ("leaked_fds", "lost", "inside_handler", "spurious_eintr",
           "memory_growing")
# Other counters worth a word in the figures when non-zero.
NOTED = (("not_cancelled", "not cancelled"), ("stuck", "stuck"),
         ("recovered", "recovered"),
         ("inside_handler", "acted inside a signal handler"),
         ("spurious_eintr", "spurious EINTR"),
         ("mask_violations", "signal mask violations"),
         ("timers_leaked", "POSIX timers left"),
         ("signals_queued", "signals left pending"),
         ("cleanup_eintr", "EINTR in cleanup handlers"),
         ("children_lost", "threads created mid-op lost"))


def failing(rec):
    """The outcomes that failed the storm of this record."""
    if isinstance(rec.get("failed"), list):
        return rec["failed"]
    return [k for k in FAILING if rec.get(k)]
EXAMPLE = re.compile(r"^storm: leaked fds: .*\(e\.g\. (.*)\)$", re.M)


def timeout_for(duration_s):
    """The stop phase joins every thread and gives each stuck one 5 s, so
    a run may outlast --duration; this bounds it without cutting a slow
    stop short."""
    return 2 * duration_s + 120


def _record(stdout):
    lines = [line for line in stdout.splitlines() if line.strip()]
    try:
        rec = json.loads(lines[-1])
    except (IndexError, ValueError):
        return None
    if not isinstance(rec, dict) or any(k not in rec for k in REQUIRED):
        return None
    return rec


def figures(rec):
    """One line of numbers for people."""
    text = (f"{rec['cancellations']} cancellations "
            f"({rec['per_second']:.0f}/s), {rec['leaked_fds']} leaked fds, "
            f"{rec['lost']} lost")
    for key, words in NOTED:
        if rec.get(key):
            text += f", {rec[key]} {words}"
    if rec.get("memory_growing"):
        mem = rec.get("memory", {}).get("rss_kib", {})
        text += (f", memory growing after warm-up (RSS "
                 f"{mem.get('slope_per_s', 0):+.0f} KiB/s)")
    if rec.get("fd_table_full"):
        text += (f"; fd table full ({rec['fd_table_full']} EMFILE): the leak "
                 "count is a lower bound")
    return text


def _leak_detail(rec, stdout):
    by_op = [f"{op} {v['leaked']}" for op, v in rec.get("ops", {}).items()
             if isinstance(v, dict) and v.get("leaked")]
    if rec.get("leaked_unattributed"):
        by_op.append(f"unattributed {rec['leaked_unattributed']}")
    text = ""
    if by_op:
        text += "; leaks by op: " + ", ".join(by_op)
    m = EXAMPLE.search(stdout)
    if m:
        text += f" (e.g. {m[1]})"
    return text


def judge(backend, outcome, timeout_s):
    """(verdict, detail, record or {})."""
    if outcome.timed_out:
        return ("timeout", f"storm not finished within {timeout_s:g} s; "
                f"process group killed; output: {proc.tail(outcome)}", {})
    if outcome.status < 0 or outcome.status not in (0, 1):
        return ("error", f"storm ended abnormally "
                f"({proc.describe_status(outcome.status)}): "
                f"{proc.tail(outcome)}", {})
    rec = _record(outcome.stdout)
    if rec is None and outcome.status == 1:
        # The storm gives up without a record only when a thread stayed
        # blocked even after its call was unblocked: a hang, so a failure.
        return ("fail", f"storm failed without a record: "
                f"{proc.tail(outcome)}", {})
    if rec is None:
        return ("error", "no JSON record last on stdout "
                f"({proc.describe_status(outcome.status)}): "
                f"{proc.tail(outcome)}", {})
    if rec["backend"] != backend:
        return ("error", f"record is for backend {rec['backend']}, "
                f"expected {backend}", rec)
    failed = bool(failing(rec))
    if (outcome.status == 0 and failed) or (outcome.status == 1 and not
                                            (failed or rec.get("stuck"))):
        return ("error", f"exit status {outcome.status} disagrees with the "
                f"record: {figures(rec)}", rec)
    if outcome.status == 0:
        return "pass", figures(rec), rec
    return "fail", figures(rec) + _leak_detail(rec, outcome.stdout), rec


def run_storm(binary, backend, duration_s, threads, seed, env):
    argv = [binary, "--backend", backend, "--duration", f"{duration_s:g}",
            "--threads", str(threads), "--seed", str(seed)]
    timeout_s = timeout_for(duration_s)
    try:
        outcome = proc.run(argv, timeout_s, env)
    except OSError as e:
        return Cell("storm", backend, "error", f"cannot start {binary}: "
                    f"{e.strerror}", command=argv, extra={"seed": seed})
    verdict, detail, rec = judge(backend, outcome, timeout_s)
    return Cell("storm", backend, verdict, detail, rec, outcome.duration_s,
                outcome.status, argv, {"seed": seed})

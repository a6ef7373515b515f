# SPDX-License-Identifier: MIT
"""Run one program in its own process group, bounded by a timeout.

Each case or storm gets a new session (hence its own process group), so a
timeout kills everything it started, helpers and stuck threads included,
and a crash cannot take the runner's terminal signals with it."""

import os
import signal
import subprocess
import time
from dataclasses import dataclass

# After killing the group, how long to wait for the pipes to drain.  Only a
# process that left the group (setsid) could hold them open longer.
DRAIN_S = 5


@dataclass
class Outcome:
    status: int          # exit status; -N when killed by signal N
    stdout: str
    stderr: str
    timed_out: bool
    duration_s: float


def _kill_group(pgid):
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _decode(data):
    return (data or b"").decode("utf-8", errors="replace")


def run(argv, timeout_s, env=None):
    """Run argv with stdout/stderr captured; never raises on the child's
    behaviour (only OSError when argv cannot be started)."""
    start = time.monotonic()
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         start_new_session=True, env=env)
    timed_out = False
    # A normal exit is not followed by a group kill: once the leader is
    # reaped its pid (and so the group id) may already belong to someone else.
    try:
        out, err = p.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        timed_out = True
        _kill_group(p.pid)
        try:
            out, err = p.communicate(timeout=DRAIN_S)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
            out, err = b"", b"(output lost: a process outside the group " \
                b"kept the pipes open)"
    except BaseException:
        # Ctrl-C: the child is in another session and did not get SIGINT.
        if p.returncode is None:
            _kill_group(p.pid)
            p.wait()
        raise
    return Outcome(p.returncode, _decode(out), _decode(err), timed_out,
                   time.monotonic() - start)


def tail(outcome, lines=3, width=400):
    """The last few non-empty output lines, joined, for a detail."""
    text = [line.strip() for line in
            (outcome.stdout + "\n" + outcome.stderr).splitlines()
            if line.strip()]
    joined = " | ".join(text[-lines:]) or "(no output)"
    if len(joined) > width:
        joined = "..." + joined[-width:]
    return joined


def describe_status(status):
    if status < 0:
        try:
            return "killed by " + signal.Signals(-status).name
        except ValueError:
            return f"killed by signal {-status}"
    return f"exit status {status}"

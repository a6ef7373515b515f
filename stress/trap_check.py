#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""trap_check.py STORM [ARGS...] - the window-trap op outlives a full
descriptor table.

The window-trap op opens hardware breakpoints (perf_event_open) on libcp's
window, so it needs descriptors.  Under --pressure fds an open can fail
with EMFILE: that is a resource outcome of the op, like any other op's,
and the trap must be armed again once the window has passed.  Only a
refusal that lasts (no breakpoints on this machine, perf_event_paranoid,
another arch) may switch the op off for the rest of the run, and then the
record says why (window_trap.refused).

Runs the storm (STORM, with the cross build's emulator in front when
there is one, then ARGS: --ops window-trap --pressure fds), and checks
that fds windows ran, that some trap was refused for lack of descriptors
(counted as the op's resource failures), and that the trap was not
switched off.  Exit 0 pass, 1 fail, 2 the run proved nothing (no window
met a trap), 77 the trap is refused here for good (the reason printed)."""

import json
import subprocess
import sys

TRANSIENT = ("Too many open files", "Too many open files in system",
             "Cannot allocate memory")


def main(argv):
    out = subprocess.run(argv, capture_output=True, text=True)
    lines = [line for line in out.stdout.splitlines() if line.strip()]
    try:
        rec = json.loads(lines[-1])
    except (IndexError, ValueError):
        print(f"trap_check: no JSON record (exit {out.returncode}): "
              f"{out.stderr[-500:]}")
        return 2
    trap = rec.get("coverage", {}).get("window_trap", {})
    refused = trap.get("refused")
    failed = rec.get("ops", {}).get("window-trap", {}).get(
        "resource_failed", 0)
    if refused and refused not in TRANSIENT:
        print(f"trap_check: SKIP: breakpoints refused here: {refused}")
        return 77
    if refused:
        print(f"trap_check: FAIL: the window trap was switched off for the "
              f"rest of the run by a passing shortage ({refused}); armed "
              f"{trap.get('armed')} times, {failed} refused for resources")
        return 1
    if not rec.get("pressure", {}).get("fds_s"):
        print("trap_check: no fds window ran: the run proved nothing")
        return 2
    if not failed:
        print("trap_check: no trap met an fds window (0 resource failures "
              "of window-trap): the run proved nothing; lengthen it")
        return 2
    print(f"trap_check: PASS: {failed} traps refused for lack of "
          f"descriptors, armed {trap.get('armed')} times, never switched "
          f"off")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

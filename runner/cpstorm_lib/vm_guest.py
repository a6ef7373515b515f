# SPDX-License-Identifier: MIT
"""The guest's side of a VM run (runner/cpstorm_lib/vm.py): started by the
initramfs's init inside the chroot of the guest's root, it runs the job
the host wrote (ctest, or `runner/cpstorm run`), copies its stdout to the
console and to a file in the shared build directory, checks the kernel log
around it, and leaves its result beside the job.

    python3 -B vm_guest.py JOB.json

JOB: {"steps": [{"argv", "cwd", "stdout", "quiet"}, ...], "env", "result",
"kernel_check"}.  The result: {"steps": [exit status of each], "kernel"
(uname -r), "machine", "kernel_log" (splat lines)}.  Exit status: the
first step's (ctest, or the run; later steps are measurements the host
reads), or 1 when the kernel splatted while it passed (the splat lines
are printed)."""

import json
import os
import subprocess
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))))

from cpstorm_lib import kmsg  # noqa: E402


def _tee(argv, cwd, env, path, quiet):
    """Run argv; its stdout goes to the console and to path as it comes
    (quiet: stdout and stderr to path only)."""
    with open(path, "wb") as copy:
        proc = subprocess.Popen(argv, cwd=cwd, env=env,
                                stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT if quiet else None)
        for chunk in iter(lambda: proc.stdout.read1(65536), b""):
            copy.write(chunk)
            if not quiet:
                sys.stdout.buffer.write(chunk)
                sys.stdout.buffer.flush()
        return proc.wait()


def _steps(job, env):
    statuses = []
    for step in job["steps"]:
        try:
            statuses.append(_tee(step["argv"], step["cwd"], env,
                                 step["stdout"], step.get("quiet")))
        except OSError as e:
            print(f"cpstorm-guest: cannot run {step['argv'][0]}: "
                  f"{e.strerror}", flush=True)
            statuses.append(127)
    return statuses


def main(job_path):
    with open(job_path) as f:
        job = json.load(f)
    env = dict(job["env"])
    found = []
    if job.get("kernel_check"):
        try:
            statuses, records = kmsg.bracket(lambda: _steps(job, env),
                                             "cpstorm-vm")
            found = kmsg.splats(records)
        except kmsg.KmsgError as e:
            print(f"cpstorm-guest: kernel check off: {e}", flush=True)
            statuses = e.result if e.ran else _steps(job, env)
    else:
        statuses = _steps(job, env)
    for line in found:
        print(f"cpstorm-guest: kernel: {line}", flush=True)
    status = statuses[0] if statuses else 0
    if found and status == 0:
        status = 1
    uname = os.uname()
    result = {"steps": statuses, "kernel": uname.release,
              "machine": uname.machine, "kernel_log": found[:50]}
    with open(job["result"] + ".tmp", "w") as f:
        json.dump(result, f)
    os.replace(job["result"] + ".tmp", job["result"])
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))

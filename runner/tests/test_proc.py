# SPDX-License-Identifier: MIT
"""proc.run: a program that outlives --timeout is killed with everything
it started (its own process group), and the runner is told."""

import os
import time
import unittest

import support  # noqa: F401  (import path)
from cpstorm_lib import proc


def gone(pid):
    """No such process, or only its zombie is left (reparented, about to
    be reaped).  The helper may be reaped between the open and the read of
    its stat file: the read then fails with ESRCH (ProcessLookupError),
    which means gone as much as a missing file does."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except (FileNotFoundError, ProcessLookupError):
        return True


class Run(unittest.TestCase):
    def test_timeout_kills_the_group(self):
        start = time.monotonic()
        out = proc.run(["sh", "-c", "sleep 60 & echo $!; wait"], 1.0)
        self.assertTrue(out.timed_out)
        self.assertLess(time.monotonic() - start, 10)
        helper = int(out.stdout.split()[0])
        deadline = time.monotonic() + 5
        while not gone(helper) and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertTrue(gone(helper), f"helper {helper} survived")

    def test_normal_exit(self):
        out = proc.run(["sh", "-c", "echo hi; exit 3"], 10)
        self.assertEqual((out.status, out.stdout, out.timed_out),
                         (3, "hi\n", False))
        self.assertEqual(proc.describe_status(-9), "killed by SIGKILL")

    def test_own_session(self):
        out = proc.run(["sh", "-c", "cut -d' ' -f6 /proc/$$/stat; echo $$"],
                       10)
        sid, pid = out.stdout.split()
        self.assertEqual(sid, pid)
        self.assertNotEqual(int(sid), os.getsid(0))


if __name__ == "__main__":
    unittest.main()

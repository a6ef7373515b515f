# SPDX-License-Identifier: MIT
"""Kernel health: the /dev/kmsg reader finds splats between a cell's
markers, ignores user-space lines and lines outside the window, and turns
a passing cell into a failing one that quotes the kernel."""

import os
import unittest

from support import cell
from cpstorm_lib import kmsg

BEGIN, END = "cpstorm[9.1] begin", "cpstorm[9.1] end"


def rec(prio, seq, text, extra=""):
    return f"{prio},{seq},{seq * 1000},-;{text}\n{extra}"


LOG = [
    rec(4, 1, "WARNING: CPU: 0 PID: 1 at kernel/old.c:1 before the cell"),
    rec(12, 2, BEGIN),
    rec(6, 3, "eth0: link up"),
    rec(12, 4, "WARNING: written by a user-space program"),
    rec(4, 5, "------------[ cut here ]------------"),
    rec(4, 6, "WARNING: CPU: 1 PID: 77 at kernel/signal.c:123 "
        "complete_signal+0x1/0x2", " SUBSYSTEM=cpu\n DEVICE=+cpu:1\n"),
    rec(4, 7, "Modules linked in: loop"),
    rec(0, 8, "general protection fault, probably for non-canonical "
        "address 0xdead"),
    rec(4, 9, "======================================================"),
    rec(4, 10, "WARNING: possible circular locking dependency detected"),
    rec(12, 11, END + " storm on libc"),
    rec(1, 12, "BUG: unable to handle page fault after the cell"),
]


class Parser(unittest.TestCase):
    def test_record(self):
        self.assertEqual(kmsg.parse_record(rec(4, 1, "x", " A=b\n")),
                         (0, "x"))
        self.assertEqual(kmsg.parse_record(rec(14, 1, "y"))[0], 1)
        self.assertIsNone(kmsg.parse_record("garbage without a header"))

    def test_window_and_splats(self):
        found = kmsg.splats(kmsg.window(LOG, BEGIN, END))
        self.assertEqual(len(found), 3)
        self.assertTrue(found[0].startswith("WARNING: CPU: 1 PID: 77"))
        self.assertIn("general protection", found[1])
        self.assertIn("circular locking", found[2])

    def test_quiet_kernel(self):
        quiet = [rec(12, 1, BEGIN), rec(6, 2, "usb 1-1: new device"),
                 rec(12, 3, "user: BUG: Oops lockdep"), rec(12, 4, END)]
        self.assertEqual(kmsg.splats(kmsg.window(quiet, BEGIN, END)), [])

    def test_overwritten_begin_keeps_what_was_read(self):
        flood = [rec(4, 9, "WARNING: CPU: 0 PID: 3 at mm/x.c:1"),
                 rec(12, 10, END)]
        self.assertEqual(len(kmsg.splats(kmsg.window(flood, BEGIN, END))), 1)

    def test_missing_end_reads_to_the_last_record(self):
        cut = [rec(12, 1, BEGIN), rec(4, 2, "Oops: 0000 [#1] SMP")]
        self.assertEqual(kmsg.splats(kmsg.window(cut, BEGIN, END)),
                         ["Oops: 0000 [#1] SMP"])


class Judge(unittest.TestCase):
    def test_pass_becomes_fail(self):
        c = cell("storm", "libc", "pass", "100 cancellations")
        kmsg.judge(c, ["BUG: kernel NULL pointer dereference", "RIP: x"])
        self.assertEqual(c.verdict, "fail")
        self.assertEqual(c.detail, "kernel: BUG: kernel NULL pointer "
                         "dereference")
        self.assertEqual(c.extra["kernel_log"][1], "RIP: x")

    def test_own_verdict_kept_in_detail(self):
        c = cell("leak-after-return", "libc", "fail", "leaked 1 fd")
        kmsg.judge(c, ["WARNING: at x"])
        self.assertEqual(c.detail, "kernel: WARNING: at x (case said "
                         "fail: leaked 1 fd)")


class Live(unittest.TestCase):
    """Against the real /dev/kmsg when root: the markers bracket what was
    logged during the job, and a user-space "WARNING:" does not fail it."""

    def test_markers_bracket_the_job(self):
        watch = kmsg.Watch()
        if not watch.enabled:
            self.skipTest(f"kernel check off: {watch.why}")

        def job():
            fd = os.open(kmsg.KMSG, os.O_WRONLY)
            os.write(fd, b"cpstorm-test: WARNING: not from the kernel\n")
            os.close(fd)
            return cell("storm", "libc", "pass", "fine")

        c = watch.run(job)
        self.assertEqual((c.verdict, c.detail), ("pass", "fine"))
        self.assertIn((1, "cpstorm-test: WARNING: not from the kernel"),
                      watch.last)

    def test_off_says_why(self):
        watch = kmsg.Watch(wanted=False)
        self.assertFalse(watch.enabled)
        self.assertIn("--no-kernel-check", watch.why)
        self.assertEqual(watch.run(lambda: "cell"), "cell")


if __name__ == "__main__":
    unittest.main()

# SPDX-License-Identifier: MIT
"""soak: its inputs (durations, seed ranges) give one-line errors, its
records are whole JSON lines on disk as soon as written, its summary
adds up, and the /proc sampler sees a child it did not start itself."""

import json
import os
import subprocess
import sys
import tempfile
import unittest

from support import RUNNER, cell
from cpstorm_lib import cli, report, sampler, soak
from cpstorm_lib.errors import UserError

DEFAULTS = {"repo": RUNNER, "backends": "cp:reraise", "backend_help": {},
            "aliases": {}, "timeout": 60, "storm_duration": 5,
            "storm_threads": 1000}


def parse(*argv):
    return cli.parse_args(["soak", *argv], DEFAULTS)


class Inputs(unittest.TestCase):
    def test_durations(self):
        for text, seconds in (("30s", 30), ("10m", 600), ("8h", 28800),
                              ("1h30m", 5400), ("90", 90), ("2d", 172800),
                              ("1.5s", 1.5)):
            args = parse("--duration", text, "--seed-range", "0:9")
            self.assertEqual(args.duration, seconds, text)

    def test_bad_input_is_one_line(self):
        for argv in (["--duration", "8x", "--seed-range", "0:9"],
                     ["--duration", "0s", "--seed-range", "0:9"],
                     ["--duration", "", "--seed-range", "0:9"],
                     ["--duration", "h", "--seed-range", "0:9"],
                     ["--duration", "31d", "--seed-range", "0:9"],
                     ["--duration", "1h", "--seed-range", "9:0"],
                     ["--duration", "1h", "--seed-range", "0-9"],
                     ["--duration", "1h", "--seed-range", "-1:3"],
                     ["--duration", "1h"]):
            with self.assertRaises(UserError, msg=argv) as e:
                parse(*argv)
            self.assertNotIn("\n", str(e.exception))

    def test_seed_range_includes_both_ends(self):
        self.assertEqual(parse("--duration", "1m", "--seed-range",
                               "5:5").seed_range, (5, 5))

    def test_cli_says_one_line_and_exits_2(self):
        r = subprocess.run([sys.executable, os.path.join(RUNNER, "cpstorm"),
                            "soak", "--duration", "8 hours", "--seed-range",
                            "1:2"], capture_output=True, text=True)
        self.assertEqual(r.returncode, 2)
        self.assertEqual(len(r.stderr.splitlines()), 1, r.stderr)
        self.assertNotIn("Traceback", r.stderr)


class Records(unittest.TestCase):
    def test_each_record_is_on_disk_whole(self):
        with tempfile.TemporaryDirectory() as tmp:
            out = soak.Records(tmp)
            for i in range(3):
                out.write({"kind": "cell", "i": i})
                # read back through another fd before closing: nothing is
                # left in a user-space buffer
                with open(out.path) as f:
                    lines = f.read().splitlines()
                self.assertEqual(json.loads(lines[-1])["i"], i)
            out.close()
            again = soak.Records(tmp)       # a second soak appends
            again.write({"kind": "cell", "i": 3})
            again.close()
            with open(out.path) as f:
                self.assertEqual(len(f.read().splitlines()), 4)

    def test_unwritable_out_is_a_user_error(self):
        with self.assertRaises(UserError):
            soak.check_out("/proc/no-such-dir/soak")


class Summary(unittest.TestCase):
    def test_tally(self):
        t = soak.Tally()
        storm = cell("storm", "libc", "fail", "leaked", seed=3)
        storm.metrics = {"cancellations": 2000, "leaked_fds": 10, "lost": 1,
                         "inside_handler": 2}
        for c in (storm, storm,
                  cell("leak-after-return", "cp:reraise", "pass"),
                  cell("leak-after-return", "cp:async", "fail"),
                  cell("leak-after-return", "cp:async", "pass"),
                  cell("storm", "cp:timer", "fail")):
            t.cell(report.cell_record(c, {"seed": 3, "round": 1}))
        t.sample({"processes": [
            {"program": "cpstorm-storm", "backend": "libc",
             "vm_rss_kb": 20480, "threads": 1005, "fds": 40},
            {"program": "cpstorm-storm", "backend": "libc",
             "vm_rss_kb": 10240, "threads": 12, "fds": 400}]})
        text = soak.summary(t, ["cp:reraise", "libc"], "Soak done")
        row = next(line for line in text.splitlines()
                   if line.startswith("libc"))
        self.assertEqual(row.split(), ["libc", "2", "4000", "20", "5000",
                                       "2", "4", "20", "MB", "1005", "400"])
        self.assertIn("storm / libc: FAIL 2; seed 3: leaked", text)
        # --strict: libc's failures are findings; cp:async passing a case
        # it must fail and a correct strategy's failed storm are not.
        self.assertEqual(soak.strict_count(t), 2)


class Sampler(unittest.TestCase):
    def test_sees_a_child(self):
        child = subprocess.Popen([sys.executable, "-c",
                                  "import time; time.sleep(30)"])
        try:
            rec = sampler.sample(os.getpid())
        finally:
            child.kill()
            child.wait()
        mine = [p for p in rec["processes"] if p["pid"] == child.pid]
        self.assertEqual(len(mine), 1)
        self.assertGreater(mine[0]["vm_rss_kb"], 0)
        self.assertGreaterEqual(mine[0]["threads"], 1)
        self.assertGreater(rec["system"]["memavailable_kb"], 0)


class Labels(unittest.TestCase):
    """A storm run under another libc says --backend libc; the sample
    must carry the column's name (glibc-2.41), not "libc"."""

    class Launch:
        def __init__(self, prefix, storm, cases):
            self.prefix, self.storm, self.cases = prefix, storm, cases

    def test_launch_labeler(self):
        label = sampler.launch_labeler({
            "glibc-2.41": self.Launch(["/c/ld-2.41.so", "--library-path",
                                       "/c/2.41"], "/b/stress/cpstorm-storm",
                                      {"x": "/b/cases/case-x"}),
            "musl-1.2.5": self.Launch([], "/b-musl/stress/cpstorm-storm",
                                      {})})
        self.assertEqual(label(["/c/ld-2.41.so", "--library-path", "/c/2.41",
                                "/b/stress/cpstorm-storm", "--backend",
                                "libc"]), "glibc-2.41")
        self.assertEqual(label(["/b-musl/stress/cpstorm-storm", "--backend",
                                "libc"]), "musl-1.2.5")
        self.assertIsNone(label(["/b/stress/cpstorm-storm", "--backend",
                                 "libc"]))


if __name__ == "__main__":
    unittest.main()

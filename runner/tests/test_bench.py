# SPDX-License-Identifier: MIT
"""bench's storm section: the storm's run-phase rate beside the bare
create/cancel/join ceiling of the same settings, their ratio, and on each
side the cancellations per CPU-second and the share of the CPUs kept busy,
which tell a storm that does more work per cancellation from one that
waits.  Figures are checked for consistency with the records they came
from, never against a speed: speed targets live in benchmarks."""

import os
import unittest

from support import RUNNER  # noqa: F401  (puts cpstorm_lib on the path)
from cpstorm_lib import bench

BUILD = os.environ.get("CPSTORM_BUILD_DIR")


def storm_row(**extra):
    row = {"section": "storm", "backend": "cp:reraise", "threads": 1000,
           "verdict": "pass", "cancellations": 40000, "per_second": 8000.0,
           "cancellers": 4, "bare_per_second": 32000.0,
           "ratio_to_bare": 0.25, "per_cpu_second": 5600.0,
           "cpu_busy": 0.71, "bare_per_cpu_second": 21000.0,
           "bare_cpu_busy": 0.84, "rss_kib_per_thread": 21.5,
           "leaked_fds": 0, "duration_s": 5}
    row.update(extra)
    return row


class Table(unittest.TestCase):
    def test_storm_row_shows_work_and_waiting_on_both_sides(self):
        text = bench.tables([storm_row()])
        line = next(l for l in text.splitlines() if "cp:reraise" in l)
        self.assertEqual(line.split()[:12],
                         ["cp:reraise", "1000", "4", "8000", "32000",
                          "0.25", "5600", "21000", "71%", "84%", "21.5",
                          "0"])
        self.assertIn("per CPU-second", text)

    def test_missing_ceiling_is_a_dash_not_a_crash(self):
        row = storm_row(bare_per_second=None, ratio_to_bare=None,
                        bare_per_cpu_second=None, bare_cpu_busy=None)
        line = next(l for l in bench.tables([row]).splitlines()
                    if "cp:reraise" in l)
        self.assertEqual(line.split()[3:10],
                         ["8000", "-", "-", "5600", "-", "71%", "-"])


@unittest.skipUnless(BUILD and os.path.exists(
    os.path.join(BUILD or "", "stress", "cpstorm-storm")),
    "needs CPSTORM_BUILD_DIR with stress/cpstorm-storm (run under ctest)")
class Measured(unittest.TestCase):
    def test_row_agrees_with_its_records(self):
        said = []
        rows = bench.storm_scale(BUILD, ["cp:reraise"], [50], 0.5, 7,
                                 dict(os.environ), said.append)
        self.assertEqual(len(rows), 1, said)
        r = rows[0]
        for key in ("per_second", "bare_per_second", "per_cpu_second",
                    "bare_per_cpu_second", "cpu_busy", "bare_cpu_busy"):
            self.assertIsNotNone(r[key], f"{key} missing: {r}")
            self.assertGreater(r[key], 0, f"{key}: {r}")
        self.assertAlmostEqual(r["ratio_to_bare"],
                               r["per_second"] / r["bare_per_second"])
        # CPU time over wall time and CPUs: a share, whatever the load.
        for key in ("cpu_busy", "bare_cpu_busy"):
            self.assertLessEqual(r[key], 1.05, f"{key}: {r}")
        # Rate = rate per CPU-second x CPU-seconds per second.
        cpus = os.cpu_count()
        self.assertAlmostEqual(
            r["per_cpu_second"] * r["cpu_busy"] * cpus / r["per_second"],
            1, delta=0.05, msg=r)


if __name__ == "__main__":
    unittest.main()

# SPDX-License-Identifier: MIT
"""The two tables (lib/strategies.h, cases/expected.txt): the runner's
reader accepts the committed ones and refuses a broken one with a line
that says where; and every other reader agrees with it: the case binaries
offer exactly the table's backends, and ctest runs every case cell with
the verdict the table expects (both checked on a real build)."""

import json
import os
import shutil
import subprocess
import tempfile
import unittest

from support import RUNNER
from cpstorm_lib import tables
from cpstorm_lib.errors import UserError

REPO = os.path.dirname(RUNNER)
BUILD = os.environ.get("CPSTORM_BUILD_DIR")


class Committed(unittest.TestCase):
    def test_every_case_has_one_row(self):
        self.assertEqual(sorted(tables.expected(REPO).rows),
                         tables.case_sources(REPO))

    def test_correct_strategies_pass_everything(self):
        exp = tables.expected(REPO)
        for s in tables.correct_backends(REPO):
            self.assertEqual({exp.verdict(c, s) for c in exp.rows}, {"pass"})

    def test_every_flawed_strategy_is_caught_by_a_case(self):
        exp = tables.expected(REPO)
        for s in tables.flawed_backends(REPO):
            self.assertIn("fail", {exp.verdict(c, s) for c in exp.rows},
                          f"{s} is flawed, but {tables.EXPECTED_TABLE} "
                          "expects no case to catch it: give it a column")

    def test_nothing_expected_of_libc(self):
        exp = tables.expected(REPO)
        self.assertIsNone(exp.verdict("pc-sweep", "libc"))
        self.assertIsNone(exp.verdict("storm", "cp:async"))
        self.assertFalse(exp.unexpected("pc-sweep", "libc", "fail"))


class Broken(unittest.TestCase):
    """A copy of the tables, edited; the reader must say what is wrong."""

    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.repo = self.dir.name
        for rel in (tables.STRATEGY_TABLE, tables.EXPECTED_TABLE):
            os.makedirs(os.path.join(self.repo, os.path.dirname(rel)),
                        exist_ok=True)
            shutil.copy(os.path.join(REPO, rel), os.path.join(self.repo, rel))
        tables.strategies.cache_clear()
        tables.expected.cache_clear()

    def tearDown(self):
        self.dir.cleanup()
        tables.strategies.cache_clear()
        tables.expected.cache_clear()

    def edit(self, rel, old, new):
        path = os.path.join(self.repo, rel)
        with open(path) as f:
            text = f.read()
        self.assertIn(old, text)
        with open(path, "w") as f:
            f.write(text.replace(old, new, 1))

    def refused(self, fragment):
        with self.assertRaises(UserError) as e:
            tables.expected(self.repo)
        self.assertIn(fragment, str(e.exception))
        self.assertNotIn("\n", str(e.exception))

    # (edits to cases/expected.txt, what the reader must say)
    REFUSED = (
        ((("eintr-acts               pass     pass   pass     pass   pass",
           "eintr-acts               pass     pass   FAIL     pass   pass "),
          ("eintr-acts               every", "eintr-acts/reraise       every")),
         "eintr-acts/noretry expects FAIL without a reason"),
        ((("pc-sweep                 pass", "pc-sweep                "),),
         "row pc-sweep has 5 verdicts for 6 columns"),
        ((("  pcsyscall  preload\n", "  pcsyscal  preload\n"),),
         "column pcsyscal is not a strategy"),
        ((("io-uring-wait/preload", "io-uring-wait/prelaod"),),
         "a reason for io-uring-wait/prelaod: no such strategy"),
        ((("\nsigsys-trap/noretry", "\nsigsys-trip/noretry"),),
         "a reason for 'sigsys-trip', which has no row"),
        ((("sigsys-trap              pass", "sigsys-trap              PASSS"),),
         "sigsys-trap/reraise is 'PASSS'"),
    )

    def test_a_broken_grid_is_refused_with_where(self):
        for edits, message in self.REFUSED:
            with self.subTest(message):
                self.setUp()
                for old, new in edits:
                    self.edit(tables.EXPECTED_TABLE, old, new)
                self.refused(message)
                self.tearDown()

    def test_a_new_strategy_is_one_line(self):
        """No column yet: a correct one must pass every case, a flawed one
        is not judged (cmake warns about it)."""
        self.edit(tables.STRATEGY_TABLE, "CP_STRATEGY(timer,",
                  "CP_STRATEGY(good, correct, window, reraise, \"x\")\n"
                  "CP_STRATEGY(bad, flawed, pcsyscall, timer, \"y\")\n"
                  "CP_STRATEGY(timer,")
        exp = tables.expected(self.repo)
        self.assertEqual(exp.verdict("pc-sweep", "cp:good"), "pass")
        self.assertEqual(exp.verdict("pc-sweep", "cp:bad"), "any")
        self.assertIn("cp:bad", tables.flawed_backends(self.repo))

    def test_a_strategy_line_in_another_shape(self):
        self.edit(tables.STRATEGY_TABLE, "CP_STRATEGY(timer,     correct,",
                  "CP_STRATEGY(timer,     maybe,")
        with self.assertRaises(UserError) as e:
            tables.strategies(self.repo)
        self.assertIn("lib/strategies.h", str(e.exception))


class Readers(unittest.TestCase):
    """The C and CMake readers of a real build agree with this one.  Each
    case test's command is ctest's own, so a cross build's emulator
    prefix (cmake/toolchains/) comes with it."""

    def setUp(self):
        if not BUILD or not os.path.isdir(os.path.join(BUILD, "cases")):
            self.skipTest("CPSTORM_BUILD_DIR (a built tree) not given; "
                          "ctest sets it")
        out = subprocess.run(["ctest", "--show-only=json-v1", "-L", "case"],
                             cwd=BUILD, capture_output=True, text=True,
                             timeout=60, check=True).stdout
        self.commands = [t["command"] for t in json.loads(out)["tests"]]

    @staticmethod
    def program(argv):
        """The index of the case binary in a test's command."""
        return next(i for i, a in enumerate(argv)
                    if os.path.basename(a).startswith("case-"))

    def test_binaries_offer_the_table(self):
        argv = self.commands[0]
        cut = self.program(argv) + 1
        out = subprocess.run(argv[:cut] + ["--help"], capture_output=True,
                             text=True, timeout=60).stdout
        line = next(x for x in out.splitlines() if x.startswith("backends:"))
        self.assertEqual(sorted(line.split()[1:] + [tables.PRELOAD]),
                         sorted(tables.backends(REPO)))

    def test_ctest_expects_what_the_table_says(self):
        seen = {}
        for argv in self.commands:
            case = os.path.basename(argv[self.program(argv)])[len("case-"):]
            backend = argv[argv.index("--backend") + 1]
            if any(a.startswith("LD_PRELOAD=") for a in argv):
                backend = tables.PRELOAD   # libc's program, the drop-in
            seen[case, backend] = argv[argv.index("--expect") + 1]
        exp = tables.expected(REPO)
        # cp-preload runs where the build has the drop-in and is not a
        # cross build (cases/CMakeLists.txt decides and records it).
        backends = [b for b in tables.backends(REPO)
                    if b != tables.PRELOAD or self.preload_cells()]
        want = {(c, b): exp.verdict(c, b) or "any" for c in exp.rows
                for b in backends}
        self.assertEqual(seen, want)

    def preload_cells(self):
        """CMake's own answer (CP_PRELOAD_CELLS in the cache): a cross
        build leaves the column out even where it runs with no emulator
        (a VM guest), so the runner cannot tell from the commands."""
        with open(os.path.join(BUILD, "CMakeCache.txt")) as f:
            for line in f:
                if line.startswith("CP_PRELOAD_CELLS:"):
                    return line.split("=", 1)[1].strip() == "ON"
        self.fail("CP_PRELOAD_CELLS is not in the build's CMakeCache.txt: "
                  "cases/CMakeLists.txt records it")


if __name__ == "__main__":
    unittest.main()

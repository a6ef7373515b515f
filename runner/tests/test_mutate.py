# SPDX-License-Identifier: MIT
"""cpstorm mutate: the catalogue's reader refuses a broken mutant with a
line that says where; a mutant applies, and undoes, exactly; the plan
runner stops at the first kill and bounds a hang; the scratch copy keeps
unchanged files as they are; the score counts what it should; bad input
is one line and exit 2."""

import os
import subprocess
import sys
import tempfile
import time
import unittest

from support import RUNNER
from cpstorm_lib import mutants, mutate
from cpstorm_lib.errors import UserError

REPO = os.path.dirname(RUNNER)
CPSTORM = os.path.join(RUNNER, "cpstorm")

GOOD = """# SPDX-License-Identifier: MIT
what: the first line
  and its continuation
origin: review
file: lib/a.c
<<<<
\tint x = 1;
====
\tint x = 2;
>>>>
<<<<
drop me
====
>>>>
"""


class Catalogue(unittest.TestCase):
    def test_committed_catalogue(self):
        cat = mutants.load(os.path.join(REPO, mutate.CATALOGUE))
        self.assertGreaterEqual(len(cat), 25)
        for m in cat:
            self.assertTrue(m.what.endswith("."), f"{m.name}: what ends "
                            "with a full stop (one sentence or more)")
            self.assertTrue(all(e.path.startswith(("lib/", "arch/"))
                                for e in m.edits), m.name)

    def test_parse(self):
        m = mutants.parse(GOOD, "x", "x.mutant")
        self.assertEqual(m.what, "the first line and its continuation")
        self.assertEqual(m.origin, "review")
        self.assertEqual([(e.path, e.find, e.replace) for e in m.edits],
                         [("lib/a.c", "\tint x = 1;\n", "\tint x = 2;\n"),
                          ("lib/a.c", "drop me\n", "")])

    def assertRefused(self, text, where, words):
        with self.assertRaises(UserError) as e:
            mutants.parse(text, "x", "x.mutant")
        msg = str(e.exception)
        self.assertTrue(msg.startswith(f"x.mutant:{where}: "), msg)
        self.assertIn(words, msg)
        self.assertNotIn("\n", msg)

    def test_broken(self):
        self.assertRefused("file: a.c\n<<<<\na\n====\nb\n>>>>\n", 1,
                           "no 'what:'")
        self.assertRefused("what: w.\n", 1, "no edit")
        self.assertRefused("what: w.\n<<<<\na\n====\nb\n>>>>\n", 2,
                           "before any 'file:'")
        self.assertRefused("what: w.\nfile: a.c\n<<<<\na\n====\nb\n", 3,
                           "not closed")
        self.assertRefused("what: w.\nfile: a.c\n<<<<\n====\nb\n>>>>\n", 3,
                           "finds nothing")
        self.assertRefused("what: w.\nfile: a.c\n<<<<\na\n====\na\n>>>>\n",
                           3, "with itself")
        self.assertRefused("what: w.\nwhy: x\n", 2, "expected one of")
        self.assertRefused("what: w.\nwhat: v.\n", 2, "given twice")
        self.assertRefused("what: w.\nfile: ../etc/passwd\n", 2,
                           "inside the source tree")
        self.assertRefused("what: w.\nfile: a.c\n<<<<\na\n>>>>\n", 5,
                           "unexpected '>>>>'")

    def test_unknown_name(self):
        with self.assertRaises(UserError) as e:
            mutants.load(os.path.join(REPO, mutate.CATALOGUE), "nosuch")
        self.assertIn("unknown mutant 'nosuch' (choose from: ",
                      str(e.exception))


class Apply(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.root = self.dir.name
        os.makedirs(os.path.join(self.root, "lib"))
        self.path = os.path.join(self.root, "lib", "a.c")
        self.text = "int f(void)\n{\n\tint x = 1;\ndrop me\n}\n"
        with open(self.path, "w") as f:
            f.write(self.text)
        self.m = mutants.parse(GOOD, "x", "x.mutant")

    def tearDown(self):
        self.dir.cleanup()

    def read(self):
        with open(self.path) as f:
            return f.read()

    def test_apply_and_undo(self):
        self.assertEqual(mutants.problems(self.m, self.root), [])
        saved = mutants.apply(self.m, self.root)
        self.assertEqual(self.read(), "int f(void)\n{\n\tint x = 2;\n}\n")
        mutants.undo(saved, self.root)
        self.assertEqual(self.read(), self.text)

    def test_text_gone_or_twice(self):
        for text, n in (("int f(void) {}\n", 0),
                        (self.text + "\tint x = 1;\n", 2)):
            with open(self.path, "w") as f:
                f.write(text)
            why = mutants.problems(self.m, self.root)
            self.assertTrue(any(f"occurs {n} times" in w for w in why), why)
            with self.assertRaises(UserError):
                mutants.apply(self.m, self.root)
            self.assertEqual(self.read(), text, "nothing changed")


def job(name, script, timeout_s=30, skip=-1):
    return mutate.Job(name, ["sh", "-c", script], dict(os.environ),
                      os.getcwd(), timeout_s, skip)


class Plan(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()

    def tearDown(self):
        self.dir.cleanup()

    def test_stops_at_first_kill(self):
        jobs = [job("ok", "exit 0"), job("bad", "echo broken; exit 1"),
                job("never", "exit 0")]
        outs = mutate.run_plan(jobs, self.dir.name, 1, True,
                               lambda j: j.timeout_s)
        self.assertEqual([(o.name, o.status) for o in outs],
                         [("ok", "pass"), ("bad", "fail")])
        self.assertIn("broken", outs[1].tail)

    def test_kill_ends_the_others(self):
        start = time.monotonic()
        outs = mutate.run_plan([job("slow", "sleep 30"), job("bad", "exit 3")],
                               self.dir.name, 2, True, lambda j: j.timeout_s)
        self.assertEqual([o.name for o in outs], ["bad"])
        self.assertLess(time.monotonic() - start, 10)

    def test_hang_skip_and_crash(self):
        outs = mutate.run_plan([job("hang", "sleep 30"),
                                job("skip", "exit 77", skip=77),
                                job("crash", "kill -SEGV $$")],
                               self.dir.name, 3, False, lambda j: 0.5)
        got = {o.name: o.status for o in outs}
        self.assertEqual(got, {"hang": "timeout", "skip": "skip",
                               "crash": "crash"})
        self.assertFalse([o for o in outs if o.name == "skip"][0].kills)


class Targets(unittest.TestCase):
    """The plan builds each test's program, and nothing named after an
    interpreter: `cmake --build --target python3` fails, and every
    mutant would then be NO-BUILD."""

    def test_programs_of_the_build_only(self):
        build = "/b"
        jobs = [mutate.Job("unit.cancel", ["/b/lib/tests/cp-unit", "cancel"],
                           {}, build, 60),
                mutate.Job("unit.unwind-tables",
                           ["/usr/bin/python3", "-B", "/src/unwind.py",
                            "/b/lib/x.o"], {}, build, 60),
                mutate.Job("case.pc-sweep.cp:reraise",
                           ["/b/cases/case-pc-sweep", "--backend", "cp"],
                           {}, build, 60)]
        self.assertEqual(mutate.build_targets(jobs, build),
                         ["case-pc-sweep", "cp-unit", "cp"])


class Scratch(unittest.TestCase):
    def test_sync_keeps_unchanged_files(self):
        with tempfile.TemporaryDirectory() as src, \
                tempfile.TemporaryDirectory() as dst:
            for name, text in (("a.c", "a"), ("b.c", "b")):
                with open(os.path.join(src, name), "w") as f:
                    f.write(text)
            self.assertEqual(mutate.sync(src, dst), 2)
            old = os.stat(os.path.join(dst, "a.c")).st_mtime_ns
            with open(os.path.join(src, "b.c"), "w") as f:
                f.write("B")
            os.remove(os.path.join(src, "a.c"))
            with open(os.path.join(src, "c.c"), "w") as f:
                f.write("c")
            self.assertEqual(mutate.sync(src, dst), 2)
            self.assertEqual(sorted(os.listdir(dst)), ["b.c", "c.c"])
            with open(os.path.join(src, "c.c"), "w") as f:
                f.write("c")
            os.utime(os.path.join(src, "c.c"))
            before = os.stat(os.path.join(dst, "c.c")).st_mtime_ns
            self.assertEqual(mutate.sync(src, dst), 0)
            self.assertEqual(os.stat(os.path.join(dst, "c.c")).st_mtime_ns,
                             before)
            self.assertTrue(old)


class Score(unittest.TestCase):
    def result(self, name, status, killed_by="", runs=1, kills=0):
        m = mutants.Mutant(name, f"{name} breaks it.")
        return mutate.Result(m, status, killed_by, runs=runs, kills=kills,
                             killers={killed_by: kills} if killed_by else {})

    def test_score_and_summary(self):
        rs = [self.result("a", "killed", "unit.mask", 3, 3),
              self.result("b", "killed", "storm.cp:reraise", 3, 2),
              self.result("c", "survived", runs=3),
              self.result("d", "no-build", runs=0),
              self.result("e", "equivalent", runs=0)]
        self.assertEqual(mutate.score(rs), (2, 4))
        text = mutate.summary(rs, 75.0, 2, 3)
        self.assertIn("mutation score: 2 of 4 killed (50%); 1 equivalent, "
                      "not scored; 75.0 s on 2 CPUs", text)
        self.assertIn("SURVIVED: c: c breaks it.", text)
        self.assertIn("NO-BUILD: d", text)
        self.assertIn("statistical: b killed in 2 of 3 runs", text)
        self.assertRegex(text, r"(?m)^a\s+unit\.mask\s+3/3\s")


class Command(unittest.TestCase):
    def cpstorm(self, *args):
        return subprocess.run([sys.executable, "-B", CPSTORM, "mutate",
                               *args], capture_output=True, text=True,
                              timeout=120)

    def test_bad_input_is_one_line(self):
        for args, words in ((["--mutants", "nosuch"], "unknown mutant"),
                            (["--repeat", "0"], "repeat"),
                            (["--storm-threads", "x"], "threads")):
            r = self.cpstorm(*args)
            self.assertEqual(r.returncode, 2, r.stderr)
            self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)
            self.assertIn(words, r.stderr)

    def test_check_and_list(self):
        r = self.cpstorm("--check")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertRegex(r.stdout, r"(\d+) of \1 mutants apply")
        r = self.cpstorm("--list", "--mutants", "window-end-late")
        self.assertEqual(r.returncode, 0)
        self.assertTrue(r.stdout.startswith("window-end-late: The window"))


if __name__ == "__main__":
    unittest.main()

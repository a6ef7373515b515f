# SPDX-License-Identifier: MIT
"""Libc backends and bisect: version names from Debian versions, the
catalog from apt's answers, self-contained unpacked trees (nothing left
half-written), build-tree launches, and bisect's search with unanimous,
flaky and unchanged probes."""

import argparse
import contextlib
import io
import os
import shutil
import subprocess
import tempfile
import unittest

from support import cell
from cpstorm_lib import archive, bisect, libcrun, libcs
from cpstorm_lib.errors import UserError


class FakeApt:
    """apt-cache madison's answers: (debian version, suite), newest first."""
    VERSIONS = {
        "libc6": [("2.44-3", "experimental"), ("2.43-7", "forky"),
                  ("2.43-7", "sid"), ("2.41-12+deb13u5", "trixie"),
                  ("2.36-9+deb12u14", "bookworm"),
                  ("2.31-13+deb11u11", "bullseye")],
        "musl": [("1.2.6-2", "sid"), ("1.2.6-1", "forky"),
                 ("1.2.5-3.1~deb13u1", "trixie")],
    }

    def versions(self, package):
        return self.VERSIONS[package]


class Names(unittest.TestCase):
    def test_upstream(self):
        for debian, up in [("2.41-12+deb13u5", "2.41"), ("2.44-3", "2.44"),
                           ("1.2.5-3.1~deb13u1", "1.2.5"),
                           ("1:2.3-4", "2.3"), ("2.44", "2.44")]:
            self.assertEqual(libcs.upstream(debian), up)

    def test_order_is_numeric(self):
        self.assertEqual(sorted(["2.10", "2.9", "2.36"],
                                key=libcs.version_key),
                         ["2.9", "2.10", "2.36"])

    def test_names(self):
        for name in ("glibc-2.41", "musl-1.2.5", "glibc-build:/x/y"):
            self.assertTrue(libcs.is_name(name), name)
        for name in ("glibc-", "cp:reraise", "libc", "musl-x",
                     "glibc-2.41;rm", "uclibc-1.0"):
            self.assertFalse(libcs.is_name(name), name)

    def test_catalog(self):
        got = [(v.name, v.debian, v.suites) for v in
               libcs.catalog(FakeApt())]
        self.assertEqual(got, [
            ("glibc-2.31", "2.31-13+deb11u11", ["bullseye"]),
            ("glibc-2.36", "2.36-9+deb12u14", ["bookworm"]),
            ("glibc-2.41", "2.41-12+deb13u5", ["trixie"]),
            ("glibc-2.43", "2.43-7", ["forky", "sid"]),
            ("glibc-2.44", "2.44-3", ["experimental"]),
            # the newest Debian revision names the upstream version
            ("musl-1.2.5", "1.2.5-3.1~deb13u1", ["trixie"]),
            ("musl-1.2.6", "1.2.6-2", ["sid"])])

    def test_lookup_missing_says_what_exists(self):
        with self.assertRaises(UserError) as e:
            libcs.lookup(FakeApt(), "glibc-2.99")
        self.assertIn("glibc-2.31, glibc-2.36", str(e.exception))
        self.assertIn("not in Debian's archive", str(e.exception))


@unittest.skipUnless(shutil.which("dpkg-deb"), "needs dpkg-deb")
class Unpack(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.tmp)

    def deb(self):
        root = os.path.join(self.tmp, "pkg")
        os.makedirs(os.path.join(root, "DEBIAN"))
        os.makedirs(os.path.join(root, "lib/x86_64-linux-gnu"))
        os.makedirs(os.path.join(root, "lib64"))
        with open(os.path.join(root, "DEBIAN/control"), "w") as f:
            f.write("Package: t\nVersion: 1\nArchitecture: all\n"
                    "Maintainer: t <t@t>\nDescription: t\n")
        with open(os.path.join(root, "lib/x86_64-linux-gnu/ld.so"), "w"):
            pass
        os.symlink("/lib/x86_64-linux-gnu/ld.so",
                   os.path.join(root, "lib64/ld.so"))
        out = os.path.join(self.tmp, "t.deb")
        subprocess.run(["dpkg-deb", "-b", root, out], check=True,
                       capture_output=True)
        return out

    def test_absolute_links_stay_inside(self):
        dest = os.path.join(self.tmp, "cache", "glibc-9.9")
        archive.extract([self.deb()], dest, "meta.json", {"k": 1})
        link = os.path.join(dest, "lib64/ld.so")
        self.assertFalse(os.readlink(link).startswith("/"))
        self.assertEqual(os.path.realpath(link), os.path.realpath(
            os.path.join(dest, "lib/x86_64-linux-gnu/ld.so")))
        self.assertTrue(os.path.exists(os.path.join(dest, "meta.json")))

    def test_failure_leaves_nothing(self):
        bad = os.path.join(self.tmp, "bad.deb")
        with open(bad, "w") as f:
            f.write("not a deb")
        dest = os.path.join(self.tmp, "cache", "glibc-9.9")
        with self.assertRaises(UserError):
            archive.extract([self.deb(), bad], dest, "meta.json", {})
        self.assertEqual(os.listdir(os.path.dirname(dest)), [])


class BuildTree(unittest.TestCase):
    def test_library_path_from_testrun(self):
        with tempfile.TemporaryDirectory() as tree:
            os.makedirs(os.path.join(tree, "elf"))
            loader = os.path.join(tree, "elf", libcs.LOADER)
            with open(loader, "w"):
                pass
            os.chmod(loader, 0o755)
            with open(os.path.join(tree, "testrun.sh"), "w") as f:
                f.write('#!/bin/bash\nbuilddir=`dirname "$0"`\nexec '
                        '"${builddir}"/elf/ld-linux-x86-64.so.2 '
                        '--library-path "${builddir}":"${builddir}"/math:'
                        '"${builddir}"/nptl ${1+"$@"}\n')
            launch = libcrun._from_tree("glibc-build:" + tree, tree,
                                        {"c": "/b/case-c"}, "/b/storm")
            self.assertEqual(launch.prefix[:2], [loader, "--library-path"])
            self.assertTrue(launch.prefix[2].startswith(
                f"{tree}:{tree}/math:{tree}/nptl:"))

    def test_not_a_tree(self):
        with tempfile.TemporaryDirectory() as tree:
            with self.assertRaises(UserError) as e:
                libcrun._from_tree("glibc-build:" + tree, tree, {}, None)
            self.assertIn("testrun.sh", str(e.exception))


class Bisect(unittest.TestCase):
    """bisect over build trees named v0..vN, the case's verdicts faked."""

    def run_bisect(self, verdicts, repeat=3, **given):
        names = [f"v{i}" for i in range(len(verdicts))]
        runs = {n: iter(v if isinstance(v, list) else [v] * repeat)
                for n, v in zip(names, verdicts)}
        probed = []

        def prepare(name, *a, **k):
            return libcs.Launch(name, [], {}, None)

        def run_case(launch, case, timeout, env):
            tree = launch.name[len(libcs.BUILD_TREE):]
            probed.append(tree)
            return cell(case, launch.name, next(runs[tree]))
        args = argparse.Namespace(case="c", family="glibc", trees=",".join(
            names), good=given.get("good"), bad=given.get("bad"),
            repeat=repeat, timeout=5, build_dir="/b")
        saved = libcrun.prepare, libcrun.run_case
        libcrun.prepare, libcrun.run_case = prepare, run_case
        out = io.StringIO()
        try:
            with contextlib.redirect_stdout(out):
                status = bisect.command(args, "/repo", {"c": "/b/case-c"},
                                        {}, lambda text: None)
        finally:
            libcrun.prepare, libcrun.run_case = saved
        return status, out.getvalue(), probed

    def test_finds_the_adjacent_pair(self):
        status, out, probed = self.run_bisect(
            ["fail", "fail", "fail", "pass", "pass", "pass", "pass"])
        self.assertEqual(status, 0)
        self.assertIn("changes between glibc-build:v2 (FAIL) and "
                      "glibc-build:v3 (PASS)", out)
        self.assertIn("runner/cpstorm run --no-storm --cases c --backends "
                      "glibc-build:v2,glibc-build:v3", out)
        # every probe ran --repeat times, and not every version was probed
        self.assertTrue(all(probed.count(v) == 3 for v in set(probed)))
        self.assertLess(len(set(probed)), 7)

    def test_flaky_probe_is_no_conclusion(self):
        status, out, _ = self.run_bisect(
            ["fail", "fail", "fail", ["pass", "fail", "pass"], "pass"])
        self.assertEqual(status, 1)
        self.assertIn("glibc-build:v3 is flaky", out)
        self.assertNotIn("changes between", out)

    def test_no_change(self):
        status, out, _ = self.run_bisect(["fail", "fail", "fail"])
        self.assertEqual(status, 1)
        self.assertIn("no change", out)

    def test_good_must_precede_bad(self):
        with self.assertRaises(UserError):
            self.run_bisect(["fail", "pass"], good="glibc-build:v1",
                            bad="glibc-build:v0")


if __name__ == "__main__":
    unittest.main()

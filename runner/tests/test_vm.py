# SPDX-License-Identifier: MIT
"""VM runs without booting one: the initramfs archive reads back, Debian
kernels are named and ordered from apt's answers (the stable release's
is the default), modules load dependencies first and skip built-in ones,
an EFI zboot image is unpacked, a silent guest is killed with its last
console lines, ctest's JUnit counts, several kernels' records become
columns grouped by kernel, and --vm options fail in one line."""

import contextlib
import gzip
import io
import json
import os
import struct
import subprocess
import tempfile
import unittest

from support import RUNNER, cell
from cpstorm_lib import kernels, results, vm, vmrun, vmtest
from cpstorm_lib.cli import parse_args
from cpstorm_lib.errors import UserError


def read_cpio(data):
    """{name: (mode, data, (rdevmajor, rdevminor))} of a newc archive."""
    out, pos = {}, 0
    while True:
        head = data[pos:pos + 110]
        assert head[:6] == b"070701", head[:6]
        f = [int(head[6 + 8 * i:14 + 8 * i], 16) for i in range(13)]
        namesize, filesize = f[11], f[6]
        name = data[pos + 110:pos + 110 + namesize - 1].decode()
        pos += 110 + namesize
        pos += -pos % 4
        body = data[pos:pos + filesize]
        pos += filesize
        pos += -pos % 4
        if name == "TRAILER!!!":
            return out
        out[name] = (f[1], body, (f[9], f[10]))


class Initramfs(unittest.TestCase):
    def test_archive_reads_back(self):
        with tempfile.TemporaryDirectory() as d:
            busybox = os.path.join(d, "busybox")
            with open(busybox, "wb") as f:
                f.write(b"\x7fELF-busybox")
            path = os.path.join(d, "initrd")
            vm.write_initramfs(path, busybox, [("9p.ko", b"module")],
                               "CP_JOB='/j'\n")
            with open(path, "rb") as f:
                got = read_cpio(f.read())
        self.assertEqual(got["bin/busybox"][1], b"\x7fELF-busybox")
        self.assertEqual(got["modules/9p.ko"][1], b"module")
        self.assertEqual(got["cpstorm.conf"][1], b"CP_JOB='/j'\n")
        self.assertTrue(got["init"][1].startswith(b"#!/bin/busybox sh"))
        self.assertEqual(got["init"][0] & 0o777, 0o755)
        mode, _, rdev = got["dev/console"]
        self.assertEqual((mode & 0o170000, rdev), (0o020000, (5, 1)))


class FakeApt:
    arch = "amd64"
    VERSIONS = [("7.3~rc7-1~exp1", "experimental"), ("7.2.13-1", "sid"),
                ("7.2.12-1", "forky"), ("6.12.117-1", "trixie"),
                ("6.1.176-1", "bookworm"), ("5.10.223-1", "bullseye")]

    def versions(self, package):
        assert package == "linux-image-amd64", package
        return self.VERSIONS

    def suite_roles(self):
        return {"bullseye": "oldoldstable", "bookworm": "oldstable",
                "trixie": "stable", "forky": "testing", "sid": "unstable"}

    def record(self, package, version):
        return {"Depends": {
            "linux-image-amd64": "linux-image-7.2.13+deb14-amd64 (= 7.2.13-1)",
            "linux-image-7.2.13+deb14-amd64":
                "dracut | initramfs-tools, linux-binary-7.2.13+deb14-amd64 "
                "(= 7.2.13-1), linux-modules-7.2.13+deb14-amd64 (= 7.2.13-1)",
        }.get(package, "")}


class Kernels(unittest.TestCase):
    def test_series_newest_first_per_name_oldest_series_first(self):
        offers = kernels.catalog(FakeApt())
        self.assertEqual([o.name for o in offers],
                         ["deb-5.10", "deb-6.1", "deb-6.12", "deb-7.2",
                          "deb-7.3"])
        self.assertEqual(offers[3].debian, "7.2.13-1")
        self.assertEqual(offers[3].suite, "sid")

    def test_default_is_stable(self):
        apt = FakeApt()
        self.assertEqual(kernels.default_name(apt, kernels.catalog(apt)),
                         "deb-6.12")

    def test_pinned_packages_followed(self):
        offer = kernels.Offer("deb-7.2", "7.2.13-1", "sid",
                              "linux-image-amd64")
        self.assertEqual(sorted(p for p, _ in kernels._packages(
            FakeApt(), offer)), ["linux-binary-7.2.13+deb14-amd64",
                                 "linux-image-7.2.13+deb14-amd64",
                                 "linux-modules-7.2.13+deb14-amd64"])

    def test_missing_image_path_is_one_line(self):
        with self.assertRaises(UserError) as e:
            kernels.resolve("/nonexistent/bzImage", "amd64", print)
        self.assertIn("no such image file", str(e.exception))

    def test_zboot_payload_unpacked(self):
        payload = gzip.compress(b"RAW-IMAGE")
        head = bytearray(64)
        head[4:8] = b"zimg"
        struct.pack_into("<II", head, 8, 64, len(payload))
        head[24:28] = b"gzip"
        with tempfile.TemporaryDirectory() as d:
            image = os.path.join(d, "vmlinuz")
            with open(image, "wb") as f:
                f.write(bytes(head) + payload)
            out = kernels.bootable(image, d)
            with open(out, "rb") as f:
                self.assertEqual(f.read(), b"RAW-IMAGE")


def module(depends):
    return b"\x7fELF...\0license=GPL\0depends=" + depends.encode() + b"\0"


class Modules(unittest.TestCase):
    def test_dependencies_first_builtin_skipped(self):
        with tempfile.TemporaryDirectory() as mods:
            files = {"kernel/fs/9p/9p.ko.xz": "9pnet,netfs",
                     "kernel/net/9p/9pnet.ko.xz": "",
                     "kernel/net/9p/9pnet_virtio.ko.xz": "9pnet,virtio_ring",
                     "kernel/fs/netfs/netfs.ko.xz": "",
                     "kernel/drivers/virtio/virtio_ring.ko.xz": ""}
            import lzma
            for rel, deps in files.items():
                os.makedirs(os.path.join(mods, os.path.dirname(rel)),
                            exist_ok=True)
                with open(os.path.join(mods, rel), "wb") as f:
                    f.write(lzma.compress(module(deps)))
            with open(os.path.join(mods, "modules.builtin"), "w") as f:
                f.write("kernel/drivers/virtio/virtio_ring.ko\n")
            order = [n for n, _ in kernels.load_order(
                mods, ["9pnet_virtio", "9p", "overlay"])]
        self.assertEqual(order, ["9pnet.ko", "9pnet_virtio.ko", "netfs.ko",
                                 "9p.ko"])


class Hangs(unittest.TestCase):
    def watch(self, script, **limits):
        saved = {k: getattr(vm, k) for k in limits}
        for k, v in limits.items():
            setattr(vm, k, v)
        try:
            with tempfile.TemporaryDirectory() as d:
                proc = subprocess.Popen(["sh", "-c", script],
                                        stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT)
                console = vm.Console(proc.stdout, os.path.join(d, "log"),
                                     None)
                why = vm._watch(proc, console, 60, vm.BOOT_TIMEOUT_S)
                console.join()
                proc.stdout.close()
                return why, list(console.tail), console.exit_status
        finally:
            for k, v in saved.items():
                setattr(vm, k, v)

    def test_silent_guest_killed_with_its_last_lines(self):
        why, tail, status = self.watch(
            "echo 'cpstorm-guest: started'; echo 'BUG: soft lockup'; "
            "exec sleep 60", SILENCE_TIMEOUT_S=1)
        self.assertIn("no console output for 1 s", why)
        self.assertEqual(tail[-1], "BUG: soft lockup")
        self.assertIsNone(status)

    def test_guest_that_never_starts(self):
        why, _, _ = self.watch("echo booting; exec sleep 60",
                               BOOT_TIMEOUT_S=1)
        self.assertIn("did not start its job within 1 s", why)

    def test_exit_status_read_from_the_console(self):
        why, _, status = self.watch("echo 'cpstorm-guest: started'; "
                                    "echo 'cpstorm-guest: exit=8'")
        self.assertEqual((why, status), (None, 8))


class Results(unittest.TestCase):
    def test_ctest_junit_counts(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "j.xml")
            with open(path, "w") as f:
                f.write('<?xml version="1.0"?><testsuite name="x" '
                        'tests="127" failures="1" disabled="0" skipped="2">'
                        '</testsuite>')
            self.assertEqual(vmtest.ctest_counts(path), (127, 1, 2))
            self.assertIsNone(vmtest.ctest_counts(os.path.join(d, "no")))

    def test_columns_grouped_by_kernel(self):
        recs = [{"case": "pc-sweep", "backend": b, "verdict": "pass",
                 "kernel": k} for k in ("6.1.0-50-amd64", "5.10.0-32-amd64")
                for b in ("libc", "cp:reraise")]
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "r.jsonl")
            with open(path, "w") as f:
                f.write("".join(json.dumps(r) + "\n" for r in recs))
            res = results.load([path])
        self.assertEqual(res.backends, ["6.1.0-50-amd64: libc",
                                        "6.1.0-50-amd64: cp:reraise",
                                        "5.10.0-32-amd64: libc",
                                        "5.10.0-32-amd64: cp:reraise"])


class KernelTable(unittest.TestCase):
    def test_columns_and_differences(self):
        args = type("A", (), {"cases": ["pc-sweep", "io-uring-wait"],
                               "no_storm": True,
                               "backends": ["libc", "cp:reraise"]})
        per_kernel = [
            ("deb-5.10", "5.10.0-32-amd64",
             [cell("pc-sweep", "libc", "fail"),
              cell("pc-sweep", "cp:reraise", "pass"),
              cell("io-uring-wait", "libc", "skip"),
              cell("io-uring-wait", "cp:reraise", "skip")]),
            ("deb-6.1", "6.1.0-50-amd64",
             [cell("pc-sweep", "libc", "fail"),
              cell("pc-sweep", "cp:reraise", "pass"),
              cell("io-uring-wait", "libc", "fail"),
              cell("io-uring-wait", "cp:reraise", "pass")])]
        _, lines = vmrun._merged_table(per_kernel, args)
        head = lines[2].splitlines()[0].split()
        self.assertEqual(head, ["case", "deb-5.10/libc", "deb-5.10/cp:reraise",
                                "deb-6.1/libc", "deb-6.1/cp:reraise"])
        diff = lines[lines.index("Differences between kernels") + 1:]
        self.assertEqual(diff[:2], [
            "  io-uring-wait / libc: deb-5.10 SKIP, deb-6.1 FAIL",
            "  io-uring-wait / cp:reraise: deb-5.10 SKIP, deb-6.1 PASS"])
        self.assertEqual(diff[2], "")


class Options(unittest.TestCase):
    DEFAULTS = {"repo": RUNNER, "backends": "libc", "backend_help": {},
                "aliases": {}, "timeout": 60, "storm_duration": 5,
                "storm_threads": 1000, "strict_backend": "cp:reraise"}

    def fails(self, argv, text):
        with self.assertRaises(UserError) as e, \
                contextlib.redirect_stderr(io.StringIO()):
            parse_args(argv, self.DEFAULTS)
        self.assertIn(text, str(e.exception))
        self.assertEqual(e.exception.status, 2)

    def test_vm_options_need_vm(self):
        self.fails(["test", "--kernel", "deb-6.1"], "go with --vm")
        self.fails(["test", "--arch", "x86_64"], "native build")
        self.fails(["run", "--arch", "i386"], "goes with --vm")
        self.fails(["run", "--vm", "--kernel", "deb-6.1,deb-6.12",
                    "--ktap"], "--ktap takes one kernel")
        self.fails(["test", "--vm", "--vm-timeout", "5"], "--vm-timeout")

    def test_bisect_kernel_options(self):
        self.fails(["bisect", "--case", "x", "--arch", "i386"],
                   "go with --kernels")
        self.fails(["bisect", "--case", "x", "--kernels", "deb-6.1,deb-6.12",
                    "--trees", "/a,/b"], "give one")


if __name__ == "__main__":
    unittest.main()

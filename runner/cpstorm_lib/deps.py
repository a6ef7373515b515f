# SPDX-License-Identifier: MIT
"""Dependencies: find the Debian packages that are missing, install them
as root (apt-get), or tell a non-root user the exact command to run."""

import glob
import os
import shutil
import struct
import subprocess
import sys

from .errors import UserError

APT_LISTS = "/var/lib/apt/lists"


def _has_pkgconfig(module):
    if not shutil.which("pkg-config"):
        return False
    r = subprocess.run(["pkg-config", "--exists", module],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return r.returncode == 0


def _static_elf(path):
    """An ELF executable without a program interpreter (busybox-static's
    busybox, not the dynamic busybox package's)."""
    try:
        with open(path, "rb") as f:
            head = f.read(64)
            if head[:4] != b"\x7fELF":
                return False
            wide = head[4] == 2              # ELFCLASS64
            phoff = struct.unpack_from("<Q" if wide else "<I", head,
                                       32 if wide else 28)[0]
            phentsize, phnum = struct.unpack_from("<HH", head,
                                                  54 if wide else 42)
            f.seek(phoff)
            table = f.read(phentsize * phnum)
    except OSError:
        return False
    return all(struct.unpack_from("<I", table, i * phentsize)[0] != 3
               for i in range(phnum))        # PT_INTERP


# How a dependency is recognised: a program on PATH, a pkg-config module,
# a file (for packages that ship neither), or a static executable.
PROBES = {
    "tool": lambda arg: shutil.which(arg) is not None,
    "pkgconfig": _has_pkgconfig,
    "file": os.path.exists,
    "static": _static_elf,
}


def find_missing(table):
    """Debian packages from `table` ((package, kind, arg), ...) whose probe
    fails, in table order."""
    return [pkg for pkg, kind, arg in table if not PROBES[kind](arg)]


def _apt(args):
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    print("cpstorm: " + " ".join(args), file=sys.stderr, flush=True)
    # apt's chatter goes to stderr so that stdout carries only results.
    return subprocess.run(args, env=env, stdin=subprocess.DEVNULL,
                          stdout=sys.stderr.fileno()).returncode


def _lists_empty():
    return not glob.glob(os.path.join(APT_LISTS, "*_Packages*"))


def _install(missing):
    install = ["apt-get", "install", "-y", *missing]
    # A fresh container has no package lists; otherwise try the lists we
    # have first and refresh them only if that fails (stale mirror).
    if _lists_empty() and _apt(["apt-get", "update"]) != 0:
        raise UserError("apt-get update failed; check the network or "
                        "/etc/apt/sources.list, then retry")
    if _apt(install) == 0:
        return
    if _apt(["apt-get", "update"]) != 0 or _apt(install) != 0:
        raise UserError("apt-get install failed for " + " ".join(missing) +
                        "; see apt's messages above")


def ensure(table):
    """Make sure every package in `table` is present, installing as root."""
    missing = find_missing(table)
    if not missing:
        return
    command = "apt-get install -y " + " ".join(missing)
    if os.geteuid() != 0:
        raise UserError("missing packages: " + ", ".join(missing) +
                        "; install them with: sudo " + command)
    if not shutil.which("apt-get"):
        raise UserError("missing packages: " + ", ".join(missing) +
                        "; this system has no apt-get: install their "
                        "equivalents and retry")
    print("cpstorm: installing missing packages: " + ", ".join(missing),
          file=sys.stderr, flush=True)
    _install(missing)
    still = find_missing(table)
    if still:
        raise UserError("still missing after apt-get install: " +
                        ", ".join(still) + "; install them by hand")


# The arch ports' toolchains (runner/cpstorm test --arch), in the same
# (package, probe kind, probe argument) form.  i386 takes the pieces of
# gcc-multilib that do not conflict with the cross compilers (gcc-multilib
# itself does), and qemu-user for kernels that cannot run i386 binaries.
# The arch's liburing, libseccomp and Check are not installed here: see
# ports.fetch_libs.
_BUILD_TOOLS = (("cmake", "tool", "cmake"), ("make", "tool", "make"),
                ("pkg-config", "tool", "pkg-config"))
_GCC_M32 = "/usr/lib/gcc/x86_64-linux-gnu/12/32"


def _cross(triplet, deb_arch, qemu):
    return _BUILD_TOOLS + (
        (f"gcc-{triplet}", "tool", f"{triplet}-gcc"),
        (f"g++-{triplet}", "tool", f"{triplet}-g++"),
        (f"libc6-dev-{deb_arch}-cross", "file",
         f"/usr/{triplet}/lib/libc.so"),
        ("qemu-user", "tool", qemu))


ARCH_TOOLCHAINS = {
    "i386": _BUILD_TOOLS + (
        ("gcc", "tool", "gcc"), ("g++", "tool", "g++"),
        ("libc6-dev-i386", "file", "/usr/lib32/libc.so"),
        ("lib32gcc-12-dev", "file", f"{_GCC_M32}/libgcc.a"),
        ("lib32stdc++-12-dev", "file", f"{_GCC_M32}/libstdc++.so"),
        ("qemu-user", "tool", "qemu-i386")),
    "aarch64": _cross("aarch64-linux-gnu", "arm64", "qemu-aarch64"),
    "riscv64": _cross("riscv64-linux-gnu", "riscv64", "qemu-riscv64"),
}

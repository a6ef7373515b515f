# SPDX-License-Identifier: MIT
"""The guest's root for a VM of another architecture (aarch64, riscv64):
what runs the job there — python3 (vm_guest.py, the runner, its tests),
ctest (cmake) and a static busybox (init, sh and the small tools the
tests' shell lines use) — with every library they need, resolved by apt
against an empty system and unpacked from Debian's packages with the
runner's private apt state.  Cached in ~/.cache/cpstorm/guestroot/."""

import os
import shutil

from . import archive

PACKAGES = ("python3", "cmake", "busybox-static")
# The tools the tests' shell lines and scripts call, served by busybox
# where no package put a real one (dash, coreutils and grep are not
# pulled in: they are Essential, nobody depends on them).
APPLETS = ("sh", "env", "grep", "egrep", "sed", "awk", "mktemp", "rm", "cat",
           "tail", "head", "basename", "dirname", "test", "[", "mkdir",
           "ls", "cp", "mv", "ln", "sleep", "true", "false", "echo",
           "printf", "wc", "tr", "cut", "sort", "uniq", "find", "xargs",
           "id", "uname", "kill", "ps", "timeout", "readlink", "realpath",
           "chmod", "touch", "date", "expr", "seq", "tee", "od", "cmp",
           "diff", "nproc", "stat", "which", "hostname", "sync", "mount",
           "umount", "dmesg")
MARK = ".cpstorm-guestroot"


def _merge_usr(root):
    """Debian's merged /usr: /bin, /sbin and /lib are links into /usr (a
    bookworm package still unpacks into /lib, a trixie one into /usr/lib;
    the programs' interpreter path is /lib/ld-linux-*)."""
    for name in ("bin", "sbin", "lib"):
        top, usr = os.path.join(root, name), os.path.join(root, "usr", name)
        os.makedirs(usr, exist_ok=True)
        if os.path.islink(top):
            continue
        if os.path.isdir(top):
            for entry in os.listdir(top):
                dest = os.path.join(usr, entry)
                if os.path.isdir(dest) and not os.path.islink(dest):
                    shutil.copytree(os.path.join(top, entry), dest,
                                    symlinks=True, dirs_exist_ok=True)
                elif not os.path.lexists(dest):
                    os.rename(os.path.join(top, entry), dest)
            shutil.rmtree(top)
        os.symlink(os.path.join("usr", name), top)


def _applets(root):
    for name in APPLETS:
        if not any(os.path.lexists(os.path.join(root, d, name))
                   for d in ("usr/bin", "usr/sbin")):
            os.symlink("busybox", os.path.join(root, "usr", "bin", name))


def _finish(root):
    _merge_usr(root)
    _applets(root)
    for d in ("proc", "sys", "dev", "tmp", "run", "var/tmp", "root"):
        os.makedirs(os.path.join(root, d), exist_ok=True)


def path(deb_arch, suite):
    return os.path.join(archive.cache_root(), "guestroot",
                        f"{deb_arch}-{suite}")


def ensure(deb_arch, suite, say):
    """The unpacked root for (arch, suite), assembled on first use."""
    root = path(deb_arch, suite)
    if os.path.exists(os.path.join(root, MARK)):
        return root
    apt = archive.Apt(arch=deb_arch, suites=(suite,))
    apt.ensure_indexes()
    say(f"cpstorm: assembling the {deb_arch} guest's root from Debian "
        f"{suite}: {', '.join(PACKAGES)} and their dependencies")
    debs = apt.download_closure(PACKAGES, suite)
    archive.extract(debs, root, MARK, {"arch": deb_arch, "suite": suite,
                                       "packages": sorted(
                                           os.path.basename(d)
                                           for d in debs)})
    _finish(root)
    return root

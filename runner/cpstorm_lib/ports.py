# SPDX-License-Identifier: MIT
"""The arch ports (runner/cpstorm test --arch): which toolchain file and
build directory each uses, and the arch's own liburing, libseccomp and
Check, unpacked from Debian packages into the build directory.

Why not `dpkg --add-architecture` + `apt-get install libseccomp-dev:arm64`:
Multi-Arch: same packages must have exactly the host's versions, so a host
one point release ahead of (or behind) the mirror, or a mirror half-way
through a sync, makes the install impossible, and a foreign architecture
whose lists fail to download breaks every later `apt-get update` on the
machine.  The runner's private apt state (archive.Apt) downloads the few
.deb files without touching the system, as any user."""

import json
import os
import subprocess
import sys

from . import archive, build, deps, tables
from .errors import UserError

ARCHES = ("i386", "aarch64", "riscv64")

# Debian's name for the arch, and the release that has its libraries:
# riscv64 became a release architecture with Debian 13 (trixie); those
# packages need no glibc symbol newer than 2.27, so they run against
# Debian 12's 2.36 cross sysroot.
DEBIAN = {
    "i386": ("i386", "bookworm", "i386-linux-gnu"),
    "aarch64": ("arm64", "bookworm", "aarch64-linux-gnu"),
    "riscv64": ("riscv64", "trixie", "riscv64-linux-gnu"),
}
# The -dev packages and the runtime libraries they link to.
LIB_PACKAGES = ("liburing-dev", "liburing2", "libseccomp-dev", "libseccomp2",
                "check", "libsubunit-dev", "libsubunit0")
# trixie's liburing headers include <linux/blkdev.h> (Linux >= 6.6), which
# Debian 12's 6.1 cross headers lack.
EXTRA_PACKAGES = {"riscv64": ("linux-libc-dev",)}
# trixie's static libcheck calls glibc 2.38's __isoc23_strtoul (C23
# strtoul, which also parses "0b"); Debian 12's 2.36 sysroot has only
# strtoul, the same for the decimal numbers Check parses.  Renamed in the
# unpacked archives with the cross objcopy.
SYMBOL_RENAMES = {"riscv64": (("__isoc23_strtoul", "strtoul"),)}


def build_dir(repo, arch):
    return os.path.join(repo, f"build-{arch}")


def toolchain_file(repo, arch):
    return os.path.join(repo, "cmake", "toolchains", f"{arch}.cmake")


def _say(text):
    print("cpstorm: " + text, file=sys.stderr, flush=True)


def fetch_libs(arch, build):
    """Unpack the arch's library packages into <build>/cp-deps-root and
    return that path, or None (printing why) when they cannot be had: the
    build then goes on with libcp alone and the suites SKIP.  The .deb
    files come through the runner's private apt state (archive.Apt: signed
    indexes, SHA256 checked), shared with the VM runs' downloads."""
    deb_arch, suite, multiarch = DEBIAN[arch]
    packages = LIB_PACKAGES + EXTRA_PACKAGES.get(arch, ())
    root = os.path.join(build, "cp-deps-root")
    stamp = os.path.join(root, ".cpstorm-unpacked")
    want = f"{suite} {deb_arch} {' '.join(packages)}\n"
    if os.path.exists(stamp) and open(stamp).read() == want:
        return root
    if not deps.PROBES["tool"]("dpkg-deb"):
        _say(f"{arch}: no dpkg-deb: cannot unpack {', '.join(packages)}"
             f" for {deb_arch}; the tests will SKIP")
        return None
    _say(f"{arch}: fetching {', '.join(packages)} ({deb_arch}, Debian "
         f"{suite}) into {root}")
    try:
        apt = archive.Apt(arch=deb_arch, suites=(suite,))
        apt.ensure_indexes()
        debs = [apt.download(p, apt.versions(p)[0][0]) for p in packages]
    except (UserError, IndexError) as e:
        why = str(e) if isinstance(e, UserError) else "not in the archive"
        _say(f"{arch}: cannot fetch the libraries ({why}); the tests will "
             "SKIP")
        return None
    os.makedirs(root, exist_ok=True)
    for deb in debs:
        r = subprocess.run(["dpkg-deb", "-x", deb, root],
                           stdin=subprocess.DEVNULL)
        if r.returncode != 0:
            _say(f"{arch}: cannot unpack {deb}; the tests will SKIP")
            return None
    if not _rename_symbols(arch, os.path.join(root, "usr", "lib", multiarch)):
        return None
    pcdir = os.path.join(root, "usr", "lib", multiarch, "pkgconfig")
    if not os.path.isdir(pcdir):
        _say(f"{arch}: the packages have no {pcdir}; the tests will SKIP")
        return None
    with open(stamp, "w") as f:
        f.write(want)
    return root


def _rename_symbols(arch, libdir):
    renames = SYMBOL_RENAMES.get(arch, ())
    if not renames:
        return True
    objcopy = f"{DEBIAN[arch][2]}-objcopy"
    args = [f"--redefine-sym={old}={new}" for old, new in renames]
    for name in sorted(os.listdir(libdir)):
        if name.endswith(".a"):
            r = subprocess.run([objcopy, *args, os.path.join(libdir, name)],
                               stdin=subprocess.DEVNULL)
            if r.returncode != 0:
                _say(f"{arch}: {objcopy} failed on {name}; the tests will "
                     "SKIP")
                return False
    return True


# How the storm binary runs: natively for i386 when the kernel can (the
# toolchain file makes the same probe), otherwise under qemu-user through
# the same wrapper as ctest (it moves libcp's signal, see qemu-run.sh).
QEMU = {
    "i386": ("qemu-i386",),
    "aarch64": ("qemu-aarch64", "-L", "/usr/aarch64-linux-gnu"),
    "riscv64": ("qemu-riscv64", "-L", "/usr/riscv64-linux-gnu"),
}
STORM_SECONDS = 3
STORM_THREADS = 200     # qemu-user makes thread start and join slow
STORM_SEED = 1
# qemu-user has 32 POSIX timers per process; the timer canceller needs
# --cancellers (4) x --batch of them (stress/CMakeLists.txt does the same).
STORM_EMU_ARGS = ("--batch", "8")


def i386_native():
    try:
        return subprocess.run(["/lib32/ld-linux.so.2", "--version"],
                              stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL).returncode == 0
    except OSError:
        return False


def _emulator(repo, arch):
    if arch == "i386" and i386_native():
        return []
    return ["sh", os.path.join(repo, "cmake", "toolchains", "qemu-run.sh"),
            *QEMU[arch], "--"]


def _storm(repo, arch, bdir):
    """A short storm of libcp's default strategy and libc: one summary
    line each, and whether libcp came out clean (libc's leaks are
    findings)."""
    binary = os.path.join(bdir, "stress", "cpstorm-storm")
    emulator = _emulator(repo, arch)
    lines, clean = [], True
    default = tables.default_backend()
    for backend in (default, "libc"):
        argv = [*emulator, binary, "--backend", backend,
                "--duration", str(STORM_SECONDS), "--threads",
                str(STORM_THREADS), "--seed", str(STORM_SEED), "--expect",
                "any", *(STORM_EMU_ARGS if emulator else ())]
        r = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True,
                           text=True, timeout=600)
        if r.returncode == 77:
            # The emulator wrapper refused (cmake/toolchains/qemu-run.sh):
            # a SKIP with its reason, neither a pass nor a failure.
            why = (r.stdout.strip().splitlines() or ["no reason given"])[-1]
            lines.append(f"storm {backend}: SKIP ({why})")
            continue
        try:
            rec = json.loads(r.stdout.strip().splitlines()[-1])
            if backend == default:
                clean = rec["leaked_fds"] == 0 and rec["lost"] == 0
            lines.append(f"storm {backend}: {rec['cancellations']} "
                         f"cancellations ({rec['per_second']}/s), "
                         f"{rec['leaked_fds']} leaked fds, {rec['lost']} lost"
                         f" (seed {STORM_SEED}, {STORM_SECONDS} s, "
                         f"{STORM_THREADS} threads)")
        except (IndexError, ValueError, KeyError):
            lines.append(f"storm {backend}: ERROR (exit {r.returncode}, no "
                         "JSON record)")
            clean = clean and backend != default
    return lines, clean


def test(repo, args, say):
    """runner/cpstorm test --arch A|all: per arch, install the toolchain,
    fetch the libraries, configure with the toolchain file, build with
    -Werror, ctest, a short storm; then a summary per arch.  Exit status:
    the first failing ctest's; 1 when a build fails or the libcp storm
    leaks or loses a cancellation."""
    arches = list(ARCHES) if args.arch == "all" else [args.arch]
    default_dir = os.path.join(repo, "build")
    status, summary = 0, []
    for arch in arches:
        deps.ensure(deps.ARCH_TOOLCHAINS[arch])
        bdir = (args.build_dir if len(arches) == 1 and
                args.build_dir != default_dir else build_dir(repo, arch))
        os.makedirs(bdir, exist_ok=True)
        root = fetch_libs(arch, bdir)
        opts = [f"-DCMAKE_TOOLCHAIN_FILE={toolchain_file(repo, arch)}",
                "-DCP_WERROR=ON", "-DCP_SANITIZE=" + (args.sanitize or ""),
                f"-DCP_DEPS_ROOT={root or ''}"]
        build.ensure_built(repo, bdir, opts, reconfigure=True,
                           failure_status=1)
        how = ("natively" if not _emulator(repo, arch) else
               f"under {QEMU[arch][0]}")
        argv = ["ctest", "--output-on-failure", "-j2", *args.passthrough]
        say(f"cpstorm: {arch}: " + " ".join(argv) + f"  (in {bdir}, {how})")
        rc = subprocess.run(argv, cwd=bdir).returncode
        status = status or rc
        summary.append(f"{arch} ({how}): ctest " +
                       ("passed" if rc == 0 else f"exit {rc}"))
        if args.no_storm:
            summary.append("  storm: not run (--no-storm)")
            continue
        lines, clean = _storm(repo, arch, bdir)
        summary += ["  " + line for line in lines]
        status = status or (0 if clean else 1)
    print("\n".join(["", "Architectures"] + ["  " + s for s in summary]))
    return status

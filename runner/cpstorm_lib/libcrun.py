# SPDX-License-Identifier: MIT
"""Run the cases and the storm under another C library: resolve a backend
name (glibc-2.41, musl-1.2.5, glibc-build:/path) to a Launch, fetching and
building what it needs, then run cells whose column is that name while the
programs themselves use their `libc` backend."""

import os
import re
import shlex

from . import archive, libcbuild, libcs, proc, storm, tables, verdict
from .errors import UserError
from .libcs import Launch
from .verdict import Cell

PROGRAM_BACKEND = "libc"     # what the harness calls the C library's own
STORM = "cpstorm-storm"
# The drop-in library (dropin/) in a build directory: the one bound to
# the installed libcp, for any program, and the test build's, bound to the
# test libcp the case and storm programs load (one libcp per process), for
# the column that runs the libc backend's own binaries under it.
DROPIN = os.path.join("dropin", "libcp-dropin.so")
DROPIN_TEST = os.path.join("dropin", "libcp-dropin-test.so")
PRELOAD = tables.PRELOAD


def dropin_path(build_dir, name=DROPIN):
    """A drop-in library of a build, or UserError saying why not."""
    path = os.path.join(build_dir, name)
    if not os.path.isfile(path):
        raise UserError(f"{path} is missing: the drop-in library is built "
                        "on 64-bit systems only (dropin/CMakeLists.txt); "
                        "build without --no-build or on such a system")
    return path


def preload_env(build_dir, env):
    """env with the drop-in first in LD_PRELOAD (anything there stays)."""
    env = dict(env)
    env["LD_PRELOAD"] = " ".join(filter(None, [dropin_path(build_dir),
                                               env.get("LD_PRELOAD")]))
    return env


def preload(build_dir, cases):
    """The cp-preload column: each libc-backend program started through
    env(1) with the drop-in preloaded, so a record's command reproduces it
    as it ran."""
    prefix = ["env", "LD_PRELOAD=" + os.path.abspath(
        dropin_path(build_dir, DROPIN_TEST))]
    return Launch(PRELOAD, prefix, dict(cases),
                  os.path.join(build_dir, "stress", STORM),
                  how="the libc backend's programs with libcp-dropin.so "
                  "preloaded")


def build_dir_for(build_dir, name):
    """<build>-<name>, e.g. build-glibc-2.31 beside build."""
    return build_dir.rstrip("/") + "-" + name


def _loader_prefix(root, extra_dirs=()):
    dirs = libcs.library_path(root) + list(extra_dirs)
    return [libcs.loader_in(root), "--library-path", ":".join(dirs)]


def _from_tree(name, path, cases, storm_binary):
    """glibc-build:/path: the tree's own loader and library path (as its
    testrun.sh has them), then the system's for libseccomp and friends."""
    testrun = os.path.join(path, "testrun.sh")
    loader = os.path.join(path, "elf", libcs.LOADER)
    if not os.path.exists(loader):
        loader = os.path.join(path, "elf", "ld.so")
    if not os.path.isfile(testrun) or not os.access(loader, os.X_OK):
        raise UserError(f"{path} is not a built glibc tree (no testrun.sh "
                        f"or elf/{libcs.LOADER}); run make in it first")
    with open(testrun, errors="replace") as f:
        m = re.search(r"--library-path\s+(\S+)", f.read())
    if not m:
        raise UserError(f"{testrun} names no --library-path; is it a glibc "
                        "build tree's testrun.sh?")
    libpath = m[1].replace('"', '').replace("'", '').replace("${builddir}", path)
    libpath = libpath.replace("$builddir", path)
    prefix = [loader, "--library-path",
              ":".join([libpath, *libcs.SYSTEM_LIBDIRS])]
    return Launch(name, prefix, dict(cases), storm_binary,
                  how=f"system build under {loader}")


def tree_version(path):
    """The version a glibc build tree says it is (config.make)."""
    try:
        with open(os.path.join(path, "config.make"), errors="replace") as f:
            m = re.search(r"^version\s*=\s*(\S+)", f.read(), re.M)
    except OSError:
        return None
    return m[1] if m else None


def _built(name, prefix, built, failed, targets, how):
    cases = {t[5:]: p for t, p in built.items() if t.startswith("case-")}
    skipped = {("storm" if t == STORM else t[5:]): why
               for t, why in failed.items()}
    return Launch(name, prefix, cases, built.get(STORM), skipped, how)


def prepare(name, repo, build_dir, cases, say, apt=None, no_build=False):
    """Launch for one libc backend name; fetches and builds on demand
    (no_build: takes an earlier build as it is, and builds only when
    there is none)."""
    storm_binary = os.path.join(build_dir, "stress", STORM)
    if name.startswith(libcs.BUILD_TREE):
        path = os.path.abspath(os.path.expanduser(
            name[len(libcs.BUILD_TREE):]))
        return _from_tree(name, path, cases, storm_binary)
    apt = apt or archive.Apt()
    apt.ensure_indexes()
    version = libcs.lookup(apt, name)
    system = libcs.system_glibc()
    targets = [f"case-{c}" for c in cases] + [STORM]
    if version.family == "glibc" and system and \
            libcs.version_key(version.upstream) >= libcs.version_key(system):
        root = libcs.fetch(apt, version, "runtime", say)
        return Launch(name, _loader_prefix(root, libcs.SYSTEM_LIBDIRS),
                      dict(cases), storm_binary,
                      how=f"glibc {system} build under {version.name}'s "
                      "loader")
    if version.family == "glibc":
        root = libcs.fetch(apt, version, "sysroot", say)
        built, failed = (no_build and libcbuild.prebuilt(
            build_dir_for(build_dir, name), targets)) or \
            libcbuild.sysroot_build(repo, build_dir_for(build_dir, name),
                                    root, targets, say)
        return _built(name, _loader_prefix(root), built, failed, targets,
                      f"built against {version.name}'s libc6-dev, run "
                      "under its loader")
    root = libcs.fetch(apt, version, "runtime", say)
    built, failed = (no_build and libcbuild.prebuilt(
        build_dir_for(build_dir, name), targets)) or \
        libcbuild.musl_build(repo, build_dir, build_dir_for(build_dir, name),
                             root, targets, say)
    return _built(name, [], built, failed, targets,
                  f"linked statically against {version.name}")


def prepare_all(names, repo, build_dir, cases, say, no_build=False):
    apt = archive.Apt()
    launches = {}
    if PRELOAD in names:
        names = [n for n in names if n != PRELOAD]
        launches[PRELOAD] = preload(build_dir, cases)
        say(f"cpstorm: {PRELOAD}: {launches[PRELOAD].how}")
    for name in names:
        launches[name] = prepare(name, repo, build_dir, cases, say, apt,
                                 no_build)
        say(f"cpstorm: {name}: {launches[name].how}")
    return launches


def _not_run(case, launch):
    why = launch.skipped.get(case)
    if why is None:
        why = ("error", f"no {case} program for {launch.name}")
    verdict_, reason = why
    return Cell(case, launch.name, verdict_, reason)


def run_case(launch, case, timeout_s, env):
    binary = launch.cases.get(case)
    if binary is None:
        return _not_run(case, launch)
    argv = launch.prefix + [binary, "--backend", PROGRAM_BACKEND]
    try:
        outcome = proc.run(argv, timeout_s, env)
    except OSError as e:
        return Cell(case, launch.name, "error", f"cannot start {argv[0]}: "
                    f"{e.strerror}", command=argv)
    v, detail, metrics = verdict.judge(case, PROGRAM_BACKEND, outcome,
                                       timeout_s)
    return Cell(case, launch.name, v, detail, metrics, outcome.duration_s,
                outcome.status, argv)


def run_storm(launch, duration_s, threads, seed, env):
    if launch.storm is None:
        cell = _not_run("storm", launch)
        cell.extra = {"seed": seed}
        return cell
    argv = launch.prefix + [launch.storm, "--backend", PROGRAM_BACKEND,
                            "--duration", f"{duration_s:g}", "--threads",
                            str(threads), "--seed", str(seed)]
    timeout_s = storm.timeout_for(duration_s)
    try:
        outcome = proc.run(argv, timeout_s, env)
    except OSError as e:
        return Cell("storm", launch.name, "error", f"cannot start "
                    f"{argv[0]}: {e.strerror}", command=argv,
                    extra={"seed": seed})
    v, detail, rec = storm.judge(PROGRAM_BACKEND, outcome, timeout_s)
    return Cell("storm", launch.name, v, detail, rec, outcome.duration_s,
                outcome.status, argv, {"seed": seed})


def reproducer(cell):
    return shlex.join(cell.command) if cell.command else ""

# SPDX-License-Identifier: MIT
"""`runner/cpstorm test --vm --arch A [--kernel K]`: build for the arch on
the host, then boot a VM of it (vm.py) in which ctest runs natively on the
guest's kernel, followed by a short storm per backend; ctest's output,
JUnit file and the storms' records stay in <build>/vm-<kernel>/.  Exit
status: ctest's in the guest; 1 when the cp:reraise storm leaked or lost,
the kernel splatted, or the guest hung or died (its last console lines
are shown)."""

import json
import os
import xml.etree.ElementTree as ET

from . import build, deps, kernels, ports, vm

STORM_BACKENDS = ("cp:reraise", "libc")


def build_dir_for(repo, arch, args):
    """--build-dir, or build-<arch>/ for a port when it was not given."""
    if arch == "x86_64" or args.build_dir != os.path.join(repo, "build"):
        return args.build_dir
    return ports.build_dir(repo, arch)


def build_for(repo, arch, args, dependencies, werror=True):
    """Configure and build for arch (with -Werror for the tests; a cross
    build's tests run natively in the guest, so no emulator is named);
    returns the build directory."""
    options = ["-DCP_WERROR=ON", "-DCP_SANITIZE=" +
               (getattr(args, "sanitize", None) or "")] if werror else []
    if arch == "x86_64":
        deps.ensure(dependencies)
        build.ensure_built(repo, args.build_dir, options, reconfigure=werror,
                           failure_status=1 if werror else 2)
        return args.build_dir
    deps.ensure(tuple(d for d in deps.ARCH_TOOLCHAINS[arch]
                      if d[0] != "qemu-user"))
    bdir = build_dir_for(repo, arch, args)
    os.makedirs(bdir, exist_ok=True)
    root = ports.fetch_libs(arch, bdir)
    build.ensure_built(repo, bdir, [
        f"-DCMAKE_TOOLCHAIN_FILE={ports.toolchain_file(repo, arch)}",
        f"-DCP_DEPS_ROOT={root or ''}", "-DCP_RUN_IN_VM=ON", *options],
        reconfigure=True, failure_status=1 if werror else 2)
    return bdir


def _steps(bdir, stage, args):
    ctest = vm.Step(["ctest", "--output-on-failure", "-j2", "--output-junit",
                     os.path.join(stage, "ctest-junit.xml"),
                     *args.passthrough], bdir,
                    os.path.join(stage, "ctest-output.txt"))
    if args.no_storm:
        return [ctest]
    storm = os.path.join(bdir, "stress", "cpstorm-storm")
    return [ctest] + [
        vm.Step([storm, "--backend", b, "--duration",
                 str(ports.STORM_SECONDS), "--threads",
                 str(ports.STORM_THREADS), "--seed", str(ports.STORM_SEED),
                 "--expect", "any"], bdir,
                os.path.join(stage, f"storm-{b.replace(':', '-')}.txt"),
                quiet=True)
        for b in STORM_BACKENDS]


def ctest_counts(junit_path):
    """(tests, failed, skipped) from ctest's JUnit file, or None."""
    try:
        suite = ET.parse(junit_path).getroot()
    except (OSError, ET.ParseError):
        return None
    if suite.tag != "testsuite":
        suite = suite.find("testsuite")
    get = lambda k: int(suite.get(k, "0") or 0)   # noqa: E731
    return get("tests"), get("failures"), get("skipped") + get("disabled")


def storm_line(backend, path):
    """The storm's summary from its JSON record, and whether it was clean
    of leaks and lost cancellations."""
    try:
        with open(path) as f:
            rec = json.loads(f.read().strip().splitlines()[-1])
        return (f"storm {backend}: {rec['cancellations']} cancellations "
                f"({rec['per_second']}/s), {rec['leaked_fds']} leaked fds, "
                f"{rec['lost']} lost, {rec['inside_handler']} inside a "
                f"handler (seed {ports.STORM_SEED}, {ports.STORM_SECONDS} s, "
                f"{ports.STORM_THREADS} threads)",
                rec["leaked_fds"] == 0 and rec["lost"] == 0)
    except (OSError, IndexError, ValueError, KeyError):
        return f"storm {backend}: ERROR (no JSON record in {path})", False


def test(repo, args, say):
    arches = list(vm.GUESTS) if args.arch == "all" else [args.arch or
                                                         "x86_64"]
    status, summary = 0, []
    for arch in arches:
        vm.ensure_tools(arch)
        kernel = kernels.resolve(args.kernel, vm.GUESTS[arch].deb_arch, say)
        bdir = build_for(repo, arch, args, args.dependencies)
        stage = vm.stage_dir(bdir, kernel)
        out = vm.run(arch, kernel, repo, bdir, _steps(bdir, stage, args),
                     stage, say, kernel_check=True,
                     timeout_s=args.vm_timeout)
        where = (f"{arch} in a VM ({out.accel.upper()}, {kernel.name}: "
                 f"Linux {out.kernel or '?'}, {kernel.source})")
        if out.status is None:
            summary.append(f"{where}: {out.failure} after "
                           f"{out.wall_s:.0f} s")
            status = status or 1
            continue
        counts = ctest_counts(os.path.join(stage, "ctest-junit.xml"))
        ran = (f"{counts[0]} tests: {counts[0] - counts[1] - counts[2]} "
               f"passed, {counts[1]} failed, {counts[2]} skipped"
               if counts else "no JUnit file")
        summary.append(f"{where}: ctest exit {out.steps[0] if out.steps else '?'} "
                       f"({ran}), {out.wall_s:.0f} s wall; results in {stage}")
        for line in out.kernel_log[:3]:
            summary.append(f"  kernel: {line}")
        status = status or out.status
        for backend, step in zip(STORM_BACKENDS, out.steps[1:]):
            line, clean = storm_line(backend, os.path.join(
                stage, f"storm-{backend.replace(':', '-')}.txt"))
            summary.append("  " + line)
            if backend == "cp:reraise" and not clean:
                status = status or 1
    print("\n".join(["", "Architectures (VM)"] + ["  " + s for s in summary]),
          flush=True)
    return status

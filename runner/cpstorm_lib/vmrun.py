# SPDX-License-Identifier: MIT
"""`runner/cpstorm run --vm [--arch A] [--kernel K1,K2,..]`: the verdict
table from inside a VM, once per kernel.  The host builds (and prepares
the libc backends); each guest runs `runner/cpstorm run --no-build` with
the same cells, its own per-cell kernel-log check, and writes its JSON
Lines and JUnit into the shared build directory.  With one kernel its
table is printed as it is; with several, the cells become one table with
a column per (kernel, backend), grouped by kernel, and --json holds every
kernel's records (each carries its `kernel`)."""

import json
import os
import sys

from . import bisect, libcrun, libcs, report, vm
from .errors import UserError
from .verdict import Cell

RUN_OPTIONS = ("storm_duration", "storm_threads", "timeout", "repeat", "seed")


def split_kernels(text):
    names = [k.strip() for k in (text or "").split(",") if k.strip()]
    if len(names) != len(set(names)):
        raise UserError(f"--kernel {text}: a kernel is named twice")
    return names or [None]


def guest_argv(repo, bdir, args, stage):
    argv = ["/usr/bin/python3", "-B", os.path.join(repo, "runner", "cpstorm"),
            "run", "--no-build", "--build-dir", bdir,
            "--backends", ",".join(args.backends),
            "--cases", ",".join(args.cases) or "none",
            "--json", os.path.join(stage, "run.jsonl"),
            "--junit", os.path.join(stage, "run-junit.xml")]
    for name in RUN_OPTIONS:
        argv += [f"--{name.replace('_', '-')}", f"{getattr(args, name):g}"
                 if isinstance(getattr(args, name), float)
                 else str(getattr(args, name))]
    for flag in ("no_storm", "no_kernel_check", "strict", "ktap"):
        if getattr(args, flag):
            argv.append(f"--{flag.replace('_', '-')}")
    if args.compare:
        argv += ["--compare", os.path.abspath(args.compare)]
    return argv


def _cells(path, kernel_name):
    cells = []
    try:
        with open(path) as f:
            records = [json.loads(line) for line in f if line.strip()]
    except (OSError, ValueError):
        return []
    for r in records:
        extra = {k: v for k, v in r.items() if k not in (
            "backend", "case", "verdict", "detail", "metrics", "duration_s",
            "exit_status", "command")}
        extra["kernel_name"] = kernel_name
        cells.append(Cell(r["case"], r["backend"], r["verdict"], r["detail"],
                          r.get("metrics") or {}, r.get("duration_s") or 0.0,
                          r.get("exit_status"), r.get("command", "").split(),
                          extra))
    return cells


def _merged_table(per_kernel, args):
    """One table: a column per (kernel, backend), grouped by kernel."""
    differences = kernel_differences(per_kernel, args)
    cells, columns = [], []
    for name, release, got in per_kernel:
        for b in args.backends:
            columns.append(f"{name}/{b}")
        for c in got:
            c.backend = f"{name}/{c.backend}"
            cells.append(c)
    rows = list(args.cases) + ([] if args.no_storm else ["storm"])
    lines = ["Kernels: " + "; ".join(f"{n} = Linux {r or '?'}"
                                     for n, r, _ in per_kernel), "",
             report.table(cells, rows, columns), ""]
    lines += differences + [""]
    lines += report.details(cells, rows, columns)
    return cells, lines


def kernel_differences(per_kernel, args):
    """Each (case, backend) whose verdict is not the same on every kernel
    (per_kernel: [(name, release, cells)])."""
    rows = list(args.cases) + ([] if args.no_storm else ["storm"])
    backends = args.backends
    verdicts = {}
    for name, _, got in per_kernel:
        for c in got:
            verdicts.setdefault((c.case, c.backend), {})[name] = \
                report.LABEL[c.verdict]
    names = [n for n, _, _ in per_kernel]
    out = []
    for case in rows:
        for b in backends:
            seen = verdicts.get((case, b), {})
            if len(set(seen.get(n, "-") for n in names)) > 1:
                out.append(f"  {case} / {b}: " + ", ".join(
                    f"{n} {seen.get(n, '-')}" for n in names))
    return ["Differences between kernels"] + (
        out or ["  none: every cell has the same verdict on every kernel"])


def run(repo, args, say, resolved, bdir):
    """Run the cells in a VM per kernel (kernels.Kernel, resolved before
    the build so a wrong name fails first); returns the exit status."""
    arch = args.arch or "x86_64"
    per_kernel, statuses, records = [], [], []
    for kernel in resolved:
        stage = vm.stage_dir(bdir, kernel)
        step = vm.Step(guest_argv(repo, bdir, args, stage), repo,
                       os.path.join(stage, "run-output.txt"))
        jsonl = os.path.join(stage, "run.jsonl")
        if os.path.exists(jsonl):         # a former run's
            os.unlink(jsonl)
        out = vm.run(arch, kernel, repo, bdir, [step], stage, say,
                     show=sys.stderr, kernel_check=not args.no_kernel_check,
                     timeout_s=args.vm_timeout, writable=_libc_builds(
                         bdir, args.backends))
        statuses.append(1 if out.status is None else out.status)
        per_kernel.append((kernel.name, out.kernel,
                           [] if out.status is None else
                           _cells(jsonl, kernel.name)))
        if out.status is None or not os.path.exists(jsonl):
            say(f"cpstorm: vm: {kernel.name}: no records (run exit "
                f"{out.status}); see {step.stdout}")
            continue
        records.append((kernel.name, jsonl))
        say(f"cpstorm: vm: {kernel.name} (Linux {out.kernel}): run exit "
            f"{out.status}, {out.wall_s:.0f} s wall")
        if len(resolved) == 1:
            with open(step.stdout, errors="replace") as f:
                sys.stdout.write(f.read())
            vm.copy_out(jsonl, args.json)
            vm.copy_out(os.path.join(stage, "run-junit.xml"), args.junit)
    if len(resolved) > 1:
        print("\n".join(_merged_table(per_kernel, args)[1]), flush=True)
        if args.json:
            _merge_records(records, args.json)
        if args.junit:
            say("cpstorm: --junit with several kernels: each kernel's JUnit "
                "is in <build>/vm-<kernel>/run-junit.xml")
    return max(statuses)


def _libc_builds(bdir, backends):
    """The build folders of the other C libraries' backends, which the
    guest's runner checks (and may touch): shared writable."""
    return [d for d in (libcrun.build_dir_for(bdir, b) for b in backends
                        if libcs.is_name(b))
            if os.path.isdir(d)]


def _merge_records(records, path):
    """Every kernel's records in one file, each with its kernel's name."""
    with open(path, "w") as out:
        for name, jsonl in records:
            with open(jsonl) as f:
                for line in f:
                    if line.strip():
                        rec = json.loads(line)
                        rec["kernel_name"] = name
                        out.write(json.dumps(rec) + "\n")


class KernelProber(bisect.Probes):
    """bisect --kernels: a probe boots one kernel and runs the case
    --repeat times there against one backend."""

    def __init__(self, repo, args, say, kernels_by_name, bdir):
        super().__init__()
        self.repo, self.args, self.say = repo, args, say
        self.kernels, self.bdir = kernels_by_name, bdir

    def probe(self, name):
        if name in self.results:
            return self.results[name][0]
        a, kernel = self.args, self.kernels[name]
        stage = vm.stage_dir(self.bdir, kernel)
        argv = ["/usr/bin/python3", "-B", os.path.join(self.repo, "runner",
                                                      "cpstorm"),
                "run", "--no-build", "--build-dir", self.bdir, "--backends",
                a.backend, "--cases", a.case, "--no-storm", "--repeat",
                str(a.repeat), "--timeout", f"{a.timeout:g}", "--json",
                os.path.join(stage, "bisect.jsonl")]
        if os.path.exists(os.path.join(stage, "bisect.jsonl")):
            os.unlink(os.path.join(stage, "bisect.jsonl"))   # a former run's
        out = vm.run(a.arch or "x86_64", kernel, self.repo, self.bdir,
                     [vm.Step(argv, self.repo, os.path.join(
                         stage, "bisect-output.txt"))], stage, self.say,
                     show=None, timeout_s=a.vm_timeout,
                     writable=_libc_builds(self.bdir, [a.backend]))
        cells = _cells(os.path.join(stage, "bisect.jsonl"), name)
        if out.status is None:
            cells.append(Cell(a.case, a.backend, "error",
                              f"the VM failed: {out.failure}"))
        for i, c in enumerate(cells, 1):
            c.command = ["runner/cpstorm", "run", "--vm", "--kernel", name,
                         "--no-storm", "--cases", a.case, "--backends",
                         a.backend]
            self.say(f"cpstorm bisect: {name} (Linux {out.kernel or '?'}) "
                     f"run {i}/{len(cells)}: {report.LABEL[c.verdict]}")
        verdict = bisect.verdict_of(cells) if cells else "error"
        self.results[name] = (verdict, cells)
        return verdict

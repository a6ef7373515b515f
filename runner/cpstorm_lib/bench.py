# SPDX-License-Identifier: MIT
"""`cpstorm bench`: the performance figures, each side by side with its
peers, measured in one run on this machine.  Benchmarks print numbers;
they never pass or fail.

  overhead   user-space instructions per read() call with nothing pending
             (callgrind, exact and repeatable) and wall ns per call
             (min/median, and as a ratio to the raw syscall measured just
             before), for: the raw inline syscall, cp_read under each libcp
             strategy, the system glibc, and musl (static, with and without
             its cancellable path linked) when musl-gcc is installed.
  latency    cancel request -> cleanup handler (p50/p99/max) for a thread
             blocked in read, poll, a futex wait, and under a nested handler.
  storm      cancellations per second at several thread counts, and the
             storm's peak memory per target thread.
  detect     how long the deterministic cases and the storm take to catch
             each known-bad backend.
"""

import json
import os
import re
import shutil
import subprocess
import time

from . import archive, libcrun, libcs, proc, storm, verdict
from .errors import UserError
from .tables import flawed_backends

SECTIONS = ("overhead", "latency", "storm", "detect")
CALLGRIND_CALLS = (1000, 3000)     # two runs: the difference is per call


def _callgrind_refs(argv, function, env):
    """Instructions executed inside `function` (inclusive) by argv."""
    out = subprocess.run(["valgrind", "--tool=callgrind",
                          "--callgrind-out-file=/dev/null",
                          f"--toggle-collect={function}", *argv],
                         capture_output=True, text=True, env=env)
    m = re.search(r"Collected\s*:\s*([\d,]+)|refs:\s*([\d,]+)", out.stderr)
    if out.returncode or not m:
        raise UserError(f"callgrind failed on {' '.join(argv)}: "
                        f"{out.stderr.strip().splitlines()[-1:]}")
    return int((m.group(1) or m.group(2)).replace(",", ""))


def _per_call(argv, function, env):
    """Instructions per call: two call counts, so one-time costs (lazy
    binding, the first call's page faults) cancel out."""
    a, b = (_callgrind_refs([*argv, "--calls", str(n), "--reps", "1"],
                            function, env) for n in CALLGRIND_CALLS)
    return (b - a) / (CALLGRIND_CALLS[1] - CALLGRIND_CALLS[0])


def _wall(argv, env, calls):
    out = subprocess.run([*argv, "--calls", str(calls), "--reps", "11"],
                         capture_output=True, text=True, env=env)
    if out.returncode:
        raise UserError(f"{' '.join(argv)} failed: {out.stderr.strip()}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _musl_binaries(repo, build_dir, say):
    """Static musl builds of the overhead bench (musl's read is only
    cancellable when pthread_cancel is linked in)."""
    cc = shutil.which("musl-gcc")
    if not cc:
        say("cpstorm bench: musl not measured: musl-gcc not found "
            "(apt-get install musl-tools)")
        return {}
    src = os.path.join(repo, "bench", "bench_call.c")
    arch = os.path.join(repo, "arch", os.uname().machine)
    out_dir = os.path.join(build_dir, "bench-musl")
    os.makedirs(out_dir, exist_ok=True)
    binaries = {}
    for name, flags in (("musl", []), ("musl-nocancel",
                                       ["-DCP_BENCH_NO_CANCEL"])):
        binary = os.path.join(out_dir, name)
        r = subprocess.run([cc, "-O2", "-static", "-I", arch, *flags, "-o",
                            binary, src], capture_output=True, text=True)
        if r.returncode:
            say(f"cpstorm bench: {name} not measured: musl-gcc failed: "
                f"{r.stderr.strip()[:200]}")
            continue
        binaries[name] = binary
    return binaries


def _other_glibcs(repo, build_dir, libc_names, say):
    """(name, loader prefix) for glibc versions from the matrix (runner/
    cpstorm libcs) that can run this build: the host's build under the
    version's own loader, so it must be at least the host's glibc."""
    if not libc_names:
        return []
    apt = archive.Apt()
    apt.ensure_indexes()
    system = libcs.system_glibc()
    out = []
    for name in libc_names:
        version = libcs.lookup(apt, name)
        if version.family != "glibc" or not system or \
                libcs.version_key(version.upstream) < libcs.version_key(system):
            say(f"cpstorm bench: {name} not measured: the overhead bench runs "
                f"glibc {system} or newer under its own loader (an older one "
                "or musl would need a build of the bench against it)")
            continue
        out.append((name, libcrun.prepare(name, repo, build_dir, {}, say,
                                          apt).prefix))
    return out


def _overhead_impls(repo, build_dir, strategies, say, libc_names=()):
    """(name, argv, function callgrind counts, env overrides)."""
    call = os.path.join(build_dir, "bench", "cp-bench-call")
    impls = [("raw syscall", [call, "--impl", "raw"], "call_raw", {})]
    impls += [(f"cp_read cp:{s}", [call, "--impl", "cp"], "cp_read",
               {"CP_STRATEGY": s}) for s in strategies]
    impls += [("glibc (system) read", [call, "--impl", "libc"], "read", {})]
    impls += [(f"{name} read", [*prefix, call, "--impl", "libc"], "read", {})
              for name, prefix in _other_glibcs(repo, build_dir, libc_names,
                                                say)]
    for name, binary in _musl_binaries(repo, build_dir, say).items():
        impls.append((f"{name} read", [binary, "--impl", "libc"], "read", {}))
    return impls


def _wall_pair(raw_argv, argv, env, calls, rounds=3):
    """Wall figures of argv and of the raw syscall, alternated so that both
    see the same machine (this one is noisy: other jobs, frequency)."""
    raw, impl = [], []
    for _ in range(rounds):
        raw.append(_wall(raw_argv, env, calls))
        impl.append(_wall(argv, env, calls))
    best = min(impl, key=lambda w: w["ns_min"])
    return {"ns_min": best["ns_min"],
            "ns_median": sorted(w["ns_median"] for w in impl)[rounds // 2],
            "raw_ns_min": min(w["ns_min"] for w in raw)}


def overhead(repo, build_dir, strategies, env, quick, say, libc_names=()):
    rows = []
    calls = 20000 if quick else 200000
    impls = _overhead_impls(repo, build_dir, strategies, say, libc_names)
    raw_argv = impls[0][1]
    for path in ("ebadf", "ok"):
        extra = ["--ok"] if path == "ok" else []
        for name, argv, function, more in impls:
            e = dict(env, **more)
            say(f"cpstorm bench: overhead {path}: {name}")
            wall = _wall_pair([*raw_argv, *extra], [*argv, *extra], e, calls)
            rows.append({"section": "overhead", "path": path, "impl": name,
                         "instructions": _per_call([*argv, *extra],
                                                   function, e),
                         "ns_min": wall["ns_min"],
                         "ns_median": wall["ns_median"],
                         "ratio_to_raw": wall["ns_min"] / wall["raw_ns_min"],
                         "ns_over_raw": wall["ns_min"] - wall["raw_ns_min"]})
    return rows


def latency(build_dir, backends, env, samples, say):
    binary = os.path.join(build_dir, "bench", "cp-bench-latency")
    rows = []
    for b in backends:
        say(f"cpstorm bench: latency {b}")
        outcome = proc.run([binary, "--backend", b, "--samples",
                            str(samples)], 600, env)
        if outcome.status:
            raise UserError(f"cp-bench-latency --backend {b} failed: "
                            f"{proc.tail(outcome)}")
        for line in outcome.stdout.splitlines():
            rows.append(dict(json.loads(line), section="latency"))
    return rows


def _bare(binary, backend, rec, duration, env):
    """The create/cancel/join ceiling (`--bare`) with the storm's own
    cancellers, batch and stack: what the storm's rate is bounded by on
    this machine, measured right after it."""
    argv = [binary, "--bare", "--backend", backend, "--duration",
            f"{duration:g}"]
    for key, opt in (("cancellers", "--cancellers"), ("batch", "--batch"),
                     ("stack_kib", "--stack")):
        if rec.get(key):
            argv += [opt, str(rec[key])]
    outcome = proc.run(argv, storm.timeout_for(duration), env)
    try:
        bare = json.loads(outcome.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        return {}
    return bare if outcome.status == 0 else {}


def storm_scale(build_dir, backends, threads_list, duration, seed, env, say):
    binary = os.path.join(build_dir, "stress", "cpstorm-storm")
    rows = []
    for b in backends:
        for threads in threads_list:
            say(f"cpstorm bench: storm {b} {threads} threads")
            cell = storm.run_storm(binary, b, duration, threads, seed, env)
            rec = cell.metrics or {}
            hwm = rec.get("vm_hwm_kib")
            say(f"cpstorm bench: bare ceiling {b}, "
                f"{rec.get('cancellers', '?')} creators")
            bare = _bare(binary, b, rec, duration, env)
            bare_rate = bare.get("per_second")
            rate = rec.get("per_second_run") or rec.get("per_second")
            rows.append({"section": "storm", "backend": b,
                         "threads": threads, "verdict": cell.verdict,
                         "cancellations": rec.get("cancellations"),
                         "per_second": rate,
                         "cancellers": rec.get("cancellers"),
                         "bare_per_second": bare_rate,
                         "ratio_to_bare": rate / bare_rate
                         if rate and bare_rate else None,
                         # Work or waiting: cancellations per CPU-second
                         # and the share of the CPUs kept busy, each side.
                         "per_cpu_second": rec.get("per_cpu_second_run"),
                         "cpu_busy": rec.get("cpu_busy_run"),
                         "bare_per_cpu_second": bare.get("per_cpu_second"),
                         "bare_cpu_busy": bare.get("cpu_busy"),
                         "rss_kib_per_thread": hwm / threads
                         if hwm and hwm > 0 else None,
                         "leaked_fds": rec.get("leaked_fds"),
                         "duration_s": duration})
    return rows


def detect(build_dir, cases, env, seed, say):
    """Deterministic cases: wall time of each case that catches a flawed
    backend; the storm: the shortest of growing durations that catches it."""
    rows = []
    binary = os.path.join(build_dir, "stress", "cpstorm-storm")
    for b in flawed_backends() + ("libc",):
        caught = []
        for name, case_bin in sorted(cases.items()):
            cell = verdict.run_case(name, case_bin, b, 60, env)
            if cell.verdict == "fail":
                caught.append((cell.duration_s, name))
        best = min(caught) if caught else None
        storm_caught = None
        for duration in (0.5, 1, 2, 5):
            say(f"cpstorm bench: detect {b}: storm {duration:g} s")
            cell = storm.run_storm(binary, b, duration, 1000, seed, env)
            if cell.verdict == "fail":
                storm_caught = duration
                break
        rows.append({"section": "detect", "backend": b,
                     "cases_catching": len(caught),
                     "fastest_case": best[1] if best else None,
                     "fastest_case_s": best[0] if best else None,
                     "storm_s": storm_caught})
    return rows


def tables(rows):
    """The figures as text tables, peers side by side."""
    out = []
    by = {s: [r for r in rows if r["section"] == s] for s in SECTIONS}
    if by["overhead"]:
        out += ["wrapper overhead per read() call, nothing pending "
                "(instructions: callgrind, inclusive; ns: wall, best of 3x11 "
                "repetitions, the raw syscall alternated with each)",
                f"  {'implementation':<24} {'path':<6} {'instr':>6} "
                f"{'ns min':>9} {'ns med':>9} {'x raw':>6} {'+ns':>7}"]
        out += [f"  {r['impl']:<24} {r['path']:<6} "
                f"{r['instructions']:>6.0f} {r['ns_min']:>9.1f} "
                f"{r['ns_median']:>9.1f} {r['ratio_to_raw']:>6.3f} "
                f"{r['ns_over_raw']:>7.1f}"
                for r in by["overhead"]]
        floor = {r["path"]: abs(r["ns_over_raw"]) for r in by["overhead"]
                 if r["impl"] == "raw syscall"}
        if floor:
            out.append("  noise floor: the raw syscall against itself differs by "
                       + ", ".join(f"{v:.1f} ns ({p})" for p, v in floor.items())
                       + " in this run; a +ns below that is not resolved")
        out.append("")
    if by["latency"]:
        out += ["cancel latency, request -> cleanup handler (us; nested: "
                "from the handler's release)",
                f"  {'backend':<13} {'kind':<15} {'n':>5} {'p50':>8} "
                f"{'p99':>8} {'max':>8}  notes"]
        for r in by["latency"]:
            notes = []
            if r["acted_in_handler"]:
                notes.append(f"{r['acted_in_handler']} acted inside the "
                             "handler")
            if r["lost"]:
                notes.append("lost (never acted within the bound)")
            if r["setup_failed"]:
                notes.append("setup failed")
            out.append(f"  {r['backend']:<13} {r['kind']:<15} "
                       f"{r['samples']:>5} {r['p50_us']:>8.1f} "
                       f"{r['p99_us']:>8.1f} {r['max_us']:>8.1f}  "
                       f"{'; '.join(notes)}")
        out.append("")
    if by["storm"]:
        out += ["storm throughput (run phase), beside the bare create/"
                "cancel/join ceiling measured right after it with the same "
                "cancellers, batch and stack; per CPU-second and CPUs busy "
                "tell the work a cancellation costs from time spent waiting",
                f"  {'backend':<13} {'threads':>7} {'cancellers':>10} "
                f"{'cancels/s':>10} {'bare/s':>9} {'x bare':>6} "
                f"{'/cpu-s':>7} {'bare':>7} {'busy':>5} {'bare':>5} "
                f"{'KiB/thread':>10} {'leaked':>7} verdict"]
        out += [f"  {r['backend']:<13} {r['threads']:>7} "
                f"{_fmt(r.get('cancellers'), 'd'):>10} "
                f"{_fmt(r['per_second'], '.0f'):>10} "
                f"{_fmt(r.get('bare_per_second'), '.0f'):>9} "
                f"{_fmt(r.get('ratio_to_bare'), '.2f'):>6} "
                f"{_fmt(r.get('per_cpu_second'), '.0f'):>7} "
                f"{_fmt(r.get('bare_per_cpu_second'), '.0f'):>7} "
                f"{_pct(r.get('cpu_busy')):>5} "
                f"{_pct(r.get('bare_cpu_busy')):>5} "
                f"{_fmt(r['rss_kib_per_thread'], '.1f'):>10} "
                f"{_fmt(r['leaked_fds'], 'd'):>7} {r['verdict']}"
                for r in by["storm"]]
        out.append("")
    if by["detect"]:
        out += ["time to detect a known-bad backend",
                f"  {'backend':<13} {'cases':>5} {'fastest case':<26} "
                f"{'s':>6} {'storm s':>8}"]
        out += [f"  {r['backend']:<13} {r['cases_catching']:>5} "
                f"{r['fastest_case'] or '-':<26} "
                f"{_fmt(r['fastest_case_s'], '.2f'):>6} "
                f"{_fmt(r['storm_s'], 'g') if r['storm_s'] else '> 5':>8}"
                for r in by["detect"]]
    return "\n".join(out)


def _fmt(value, spec):
    return "-" if value is None else format(value, spec)


def _pct(share):
    return "-" if share is None else f"{100 * share:.0f}%"


def machine():
    info = {"kernel": os.uname().release, "arch": os.uname().machine,
            "cpus": os.cpu_count(), "date": time.strftime(
                "%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    try:
        with open("/proc/cpuinfo") as f:
            m = re.search(r"model name\s*:\s*(.*)", f.read())
            info["cpu"] = m.group(1) if m else None
    except OSError:
        pass
    info["glibc"] = os.confstr("CS_GNU_LIBC_VERSION")
    return info

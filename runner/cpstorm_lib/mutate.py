# SPDX-License-Identifier: MIT
"""`cpstorm mutate`: the suite measures its own power.

Each mutant of the catalogue (mutants.py) is applied to a scratch copy of
the source tree, built there, and tested with what guards libcp: its unit
tests, the cases for its correct strategies and a short storm, cheapest
first, stopping at the first test that fails (the mutant is killed).  The
score is killed / (all - equivalent).  A mutant whose libraries come out
with the same machine code as the pristine tree's is equivalent for this
toolchain, and said so; one that does not build is reported as such, not
as killed.

One scratch copy and one warm build directory serve every mutant: the
copy is synced with the tree (unchanged files keep their times, so make
rebuilds only what a mutant touched and what links it), and each mutant is
undone before the next.  First the pristine copy runs the whole plan: a
test that fails there would kill every mutant and prove nothing, so the
run stops; its durations bound each test's time under a mutant (a hang
is a kill, after min(its ctest timeout, 5 x its pristine time + 30 s))."""

import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field

from . import build, mutants, provenance
from .errors import UserError

CATALOGUE = "mutants"
CASES = re.compile(r"^case\..*\.cp:(reraise|timer)$")
UNIT_LABEL = "unit"
# By soname link: the link follows the version the build makes, where a
# versioned name could be a stale file an older build left behind.
LIBRARIES = ("lib/libcp.so.1", "lib/libcp-test.so.1", "lib/libcp.a")
STORM_BACKENDS = ("cp:reraise",)
TAIL_LINES = 4
POLL_S = 0.02


@dataclass
class Job:
    """One test of the plan, as ctest would run it."""
    name: str
    argv: list
    env: dict
    cwd: str
    timeout_s: float
    skip_status: int = -1
    pristine_s: float = 0.0


@dataclass
class Outcome:
    name: str
    status: str          # pass, skip, fail, timeout, crash
    seconds: float
    tail: str = ""

    @property
    def kills(self):
        return self.status in ("fail", "timeout", "crash")


@dataclass
class Result:
    mutant: object
    status: str = "survived"     # killed, survived, no-build, equivalent
    killed_by: str = ""
    detail: str = ""
    build_s: float = 0.0
    seconds: float = 0.0         # build and tests, every run
    runs: int = 0
    kills: int = 0
    killers: dict = field(default_factory=dict)   # test -> runs it killed

    def record(self):
        m = self.mutant
        return {"name": m.name, "what": m.what, "origin": m.origin or None,
                "argued_equivalent": m.equivalent or None,
                "status": self.status, "killed_by": self.killed_by or None,
                "killers": self.killers, "runs": self.runs,
                "kills": self.kills, "build_s": round(self.build_s, 2),
                "seconds": round(self.seconds, 2), "detail": self.detail}


# ---------------------------------------------------------------- scratch

def tree_files(repo):
    """The files of the source tree: git's tracked and untracked-but-not-
    ignored ones, or every file outside build*/ and .git/ without git."""
    try:
        r = subprocess.run(["git", "-C", repo, "ls-files", "-z", "-co",
                            "--exclude-standard"], capture_output=True,
                           timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        r = None
    if r is not None and r.returncode == 0:
        return sorted(p for p in r.stdout.decode().split("\0") if p and
                      os.path.isfile(os.path.join(repo, p)))
    out = []
    for top, dirs, files in os.walk(repo):
        dirs[:] = [d for d in dirs if d != ".git" and
                   not (top == repo and d.startswith("build"))]
        out += [os.path.relpath(os.path.join(top, f), repo) for f in files]
    return sorted(out)


def sync(repo, dest):
    """Make dest a copy of the tree; files already equal are left alone
    (their times too), files gone from the tree are removed.  Returns how
    many files were written."""
    wanted = set(tree_files(repo))
    written = 0
    for rel in sorted(wanted):
        src, dst = os.path.join(repo, rel), os.path.join(dest, rel)
        try:
            with open(src, "rb") as f:
                data = f.read()
        except OSError:
            continue
        try:
            with open(dst, "rb") as f:
                if f.read() == data:
                    continue
        except OSError:
            pass
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        with open(dst, "wb") as f:
            f.write(data)
        shutil.copymode(src, dst)
        written += 1
    for top, _dirs, files in os.walk(dest):
        for f in files:
            rel = os.path.relpath(os.path.join(top, f), dest)
            if rel not in wanted:
                os.remove(os.path.join(top, f))
    return written


def code_digest(build_dir):
    """A digest of libcp's machine code (debug info and build id left
    out, so a mutant that only moves lines digests the same)."""
    h = hashlib.sha256()
    with tempfile.TemporaryDirectory() as tmp:
        for rel in LIBRARIES:
            out = os.path.join(tmp, "lib")
            r = subprocess.run(["objcopy", "--strip-debug", "-R",
                                ".note.gnu.build-id",
                                os.path.join(build_dir, rel), out],
                               capture_output=True)
            if r.returncode != 0:
                return None
            with open(out, "rb") as f:
                h.update(f.read())
    return h.hexdigest()


def build_targets(jobs, build_dir):
    """What the plan runs: each test's program that the build makes (its
    target has the program's name; a test run by an interpreter reads
    objects that building libcp and the programs remakes), and libcp
    itself (unit.dlclose loads it)."""
    root = os.path.join(os.path.abspath(build_dir), "")
    names = {os.path.basename(j.argv[0]) for j in jobs
             if os.path.abspath(j.argv[0]).startswith(root)}
    return sorted(n for n in names if re.fullmatch(r"[\w.+-]+", n)) + ["cp"]


def build_once(build_dir, log_path, targets=()):
    """Build the targets (all without); (ok, seconds, the errors)."""
    start = time.monotonic()
    argv = ["cmake", "--build", build_dir, f"-j{build.jobs()}"]
    if targets:
        argv += ["--target", *targets]
    with open(log_path, "w") as log:
        r = subprocess.run(argv, stdin=subprocess.DEVNULL,
                           stdout=log, stderr=subprocess.STDOUT)
    took = time.monotonic() - start
    if r.returncode == 0:
        return True, took, ""
    with open(log_path, errors="replace") as f:
        errors = [ln.strip() for ln in f if "error" in ln.lower()]
    return False, took, " | ".join(errors[:2])[:300]


# ------------------------------------------------------------------ plan

def _property(test, name, default=None):
    for p in test.get("properties", []):
        if p.get("name") == name:
            return p.get("value")
    return default


def ctest_jobs(build_dir):
    """The plan's ctest tests: the unit tests and the correct strategies'
    cases, with their commands, environments and timeouts."""
    r = subprocess.run(["ctest", "--show-only=json-v1"], cwd=build_dir,
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise UserError(f"ctest --show-only failed in {build_dir}: "
                        f"{r.stderr.strip()[:200]}")
    jobs = []
    for t in json.loads(r.stdout).get("tests", []):
        labels = _property(t, "LABELS", []) or []
        if not (CASES.match(t["name"]) or UNIT_LABEL in labels):
            continue
        env = dict(os.environ)
        env.pop("CP_STRATEGY", None)
        for kv in _property(t, "ENVIRONMENT", []) or []:
            k, _, v = kv.partition("=")
            env[k] = v
        jobs.append(Job(t["name"], t["command"], env,
                        _property(t, "WORKING_DIRECTORY", build_dir),
                        float(_property(t, "TIMEOUT", 1500) or 1500),
                        int(_property(t, "SKIP_RETURN_CODE", -1) or -1)))
    if not jobs:
        raise UserError(f"no unit tests or cases in {build_dir}: the build "
                        "did not make them")
    return jobs


def storm_jobs(build_dir, duration_s, threads, seed):
    binary = os.path.join(build_dir, "stress", "cpstorm-storm")
    env = dict(os.environ)
    env.pop("CP_STRATEGY", None)
    return [Job(f"storm.{b}", [binary, "--backend", b, "--threads",
                                str(threads), "--duration", f"{duration_s:g}",
                                "--seed", str(seed)],
                env, build_dir, 2 * duration_s + 60)
            for b in STORM_BACKENDS]


def reseed(jobs, seed):
    for j in jobs:
        if j.name.startswith("storm."):
            j.argv[j.argv.index("--seed") + 1] = str(seed)


# ------------------------------------------------------------- execution

def _tail(path):
    try:
        with open(path, errors="replace") as f:
            lines = [ln.strip() for ln in f if ln.strip()]
    except OSError:
        return ""
    return " | ".join(lines[-TAIL_LINES:])[-400:]


class _Running:
    def __init__(self, job, log_dir, cap_s):
        self.job = job
        self.log = os.path.join(log_dir, job.name.replace(":", "_") + ".log")
        self.start = time.monotonic()
        self.cap_s = cap_s
        with open(self.log, "w") as out:
            self.p = subprocess.Popen(job.argv, cwd=job.cwd, env=job.env,
                                      stdin=subprocess.DEVNULL, stdout=out,
                                      stderr=subprocess.STDOUT,
                                      start_new_session=True)

    def kill(self):
        try:
            os.killpg(self.p.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.p.wait()

    def poll(self):
        """An Outcome once finished (or over its time), else None."""
        took = time.monotonic() - self.start
        rc = self.p.poll()
        if rc is None and took < self.cap_s:
            return None
        if rc is None:
            self.kill()
            return Outcome(self.job.name, "timeout", took,
                           f"no result within {self.cap_s:.0f} s; "
                           + _tail(self.log))
        if rc == 0:
            return Outcome(self.job.name, "pass", took)
        if rc == self.job.skip_status:
            return Outcome(self.job.name, "skip", took, _tail(self.log))
        if rc < 0:
            return Outcome(self.job.name, "crash", took,
                           f"killed by signal {-rc}; " + _tail(self.log))
        return Outcome(self.job.name, "fail", took,
                       f"exit status {rc}; " + _tail(self.log))


def run_plan(jobs, log_dir, parallel, stop_at_kill, cap):
    """Run the jobs in order, `parallel` at a time; with stop_at_kill the
    first failing test ends the run (the others are killed).  Returns the
    outcomes (in finishing order)."""
    os.makedirs(log_dir, exist_ok=True)
    queue, running, done = list(jobs), [], []
    try:
        while queue or running:
            while queue and len(running) < parallel:
                job = queue.pop(0)
                running.append(_Running(job, log_dir, cap(job)))
            time.sleep(POLL_S)
            for r in list(running):
                o = r.poll()
                if o is None:
                    continue
                running.remove(r)
                done.append(o)
                if o.kills and stop_at_kill:
                    queue.clear()
                    for other in running:
                        other.kill()
                    running.clear()
                    break
    finally:
        for r in running:
            r.kill()
    return done


def _cap_for(job):
    """A test's time under a mutant: a hang is a kill, found in bounded
    time; the pristine run's time says what is normal here."""
    return min(job.timeout_s, 5 * job.pristine_s + 30)


# ----------------------------------------------------------------- run

class Run:
    def __init__(self, repo, args, say):
        self.repo, self.args, self.say = repo, args, say
        self.work = args.build_dir
        self.src = os.path.join(self.work, "src")
        self.bdir = os.path.join(self.work, "build")
        self.logs = os.path.join(self.work, "logs")

    def prepare(self):
        """Sync the scratch copy, configure it once, build it, and run the
        whole plan on it: every test must pass there."""
        os.makedirs(self.src, exist_ok=True)
        n = sync(self.repo, self.src)
        self.say(f"cpstorm mutate: scratch copy {self.src} ({n} file(s) "
                 "updated)")
        build.ensure_built(self.src, self.bdir, failure_status=1)
        self.digest = code_digest(self.bdir)
        a = self.args
        self.jobs = ctest_jobs(self.bdir) + storm_jobs(
            self.bdir, a.storm_duration, a.storm_threads, a.seed)
        start = time.monotonic()
        bad = []
        for rep in range(a.baseline_repeat):
            reseed(self.jobs, a.seed + rep)
            outs = run_plan(self.jobs, os.path.join(self.logs, "pristine"),
                            a.jobs, False, lambda j: j.timeout_s)
            by_name = {o.name: o for o in outs}
            for j in self.jobs:
                j.pristine_s = max(j.pristine_s, by_name[j.name].seconds)
            bad += [o for o in outs if o.kills]
        self.baseline_s = time.monotonic() - start
        if bad:
            raise UserError(
                "the pristine tree fails its own tests, so a kill would "
                "prove nothing: " + "; ".join(
                    f"{o.name} {o.status} ({o.tail[:160]})" for o in bad[:3]),
                1)
        # Cheapest first: most mutants die in the first second.
        self.jobs.sort(key=lambda j: j.pristine_s)
        self.targets = build_targets(self.jobs, self.bdir)
        self.say(f"cpstorm mutate: pristine tree passes {len(self.jobs)} "
                 f"tests x {a.baseline_repeat} in {self.baseline_s:.1f} s")

    def one(self, m):
        res = Result(m)
        saved = mutants.apply(m, self.src)
        try:
            ok, res.build_s, why = build_once(
                self.bdir, os.path.join(self.work, "mutant-build.log"),
                self.targets)
            res.seconds = res.build_s
            if not ok:
                res.status, res.detail = "no-build", why
                return res
            if self.digest and code_digest(self.bdir) == self.digest:
                res.status = "equivalent"
                res.detail = ("same machine code as the pristine tree "
                              "(equivalent for this toolchain)")
                return res
            for rep in range(self.args.repeat):
                reseed(self.jobs, self.args.seed + 1000 + rep)
                start = time.monotonic()
                outs = run_plan(self.jobs, os.path.join(self.logs, m.name),
                                self.args.jobs, not self.args.full, _cap_for)
                res.seconds += time.monotonic() - start
                res.runs += 1
                killers = [o for o in outs if o.kills]
                for o in killers:
                    res.killers[o.name] = res.killers.get(o.name, 0) + 1
                if killers:
                    res.kills += 1
                    if not res.killed_by:
                        res.killed_by = killers[0].name
                        res.detail = f"{killers[0].status}: {killers[0].tail}"
            if res.kills:
                res.status = "killed"
            elif m.equivalent:
                res.status = "equivalent"
                res.detail = "argued: " + m.equivalent
            return res
        finally:
            mutants.undo(saved, self.src)


def score(results):
    counted = [r for r in results if r.status != "equivalent"]
    killed = [r for r in counted if r.status == "killed"]
    return len(killed), len(counted)


def _secs(s):
    return f"{s:.1f} s" if s < 600 else f"{int(s // 60)}m{int(s % 60):02d}s"


def table(results):
    """The score table for people."""
    w = max([len("mutant")] + [len(r.mutant.name) for r in results])
    k = max([len("killed by")] + [len(r.killed_by or r.status)
                                  for r in results])
    lines = [f"{'mutant':<{w}}  {'killed by':<{k}}  {'runs':>5}  "
             f"{'build s':>7}  {'total s':>7}"]
    for r in results:
        by = r.killed_by if r.status == "killed" else r.status.upper()
        runs = f"{r.kills}/{r.runs}" if r.runs else "-"
        lines.append(f"{r.mutant.name:<{w}}  {by:<{k}}  {runs:>5}  "
                     f"{r.build_s:>7.1f}  {r.seconds:>7.1f}")
    return lines


def summary(results, total_s, cpus, repeat):
    killed, counted = score(results)
    lines = table(results) + [""]
    pct = 100.0 * killed / counted if counted else 100.0
    eq = [r for r in results if r.status == "equivalent"]
    lines.append(f"mutation score: {killed} of {counted} killed "
                 f"({pct:.0f}%)" + (f"; {len(eq)} equivalent, not scored"
                                    if eq else "") +
                 f"; {_secs(total_s)} on {cpus} CPUs")
    for r in results:
        if r.status in ("survived", "no-build"):
            lines.append(f"  {r.status.upper()}: {r.mutant.name}: "
                         f"{r.mutant.what}" +
                         (f" ({r.detail})" if r.detail else ""))
        elif r.status == "equivalent":
            lines.append(f"  equivalent: {r.mutant.name}: {r.detail}")
        elif repeat > 1 and r.kills < r.runs:
            lines.append(f"  statistical: {r.mutant.name} killed in "
                         f"{r.kills} of {r.runs} runs (by "
                         + ", ".join(f"{t} {n}" for t, n in
                                     r.killers.items()) + ")")
    return "\n".join(lines)


def check(repo, selection, say):
    """--check: every mutant applies to the tree as it is."""
    cat = mutants.load(os.path.join(repo, CATALOGUE), selection)
    bad = [(m, mutants.problems(m, repo)) for m in cat]
    bad = [(m, why) for m, why in bad if why]
    for m, why in bad:
        print(f"{m.source}: " + "; ".join(why))
    print(f"{len(cat) - len(bad)} of {len(cat)} mutants apply to {repo}")
    return 1 if bad else 0


def command(args, repo, say, ensure_deps):
    """ensure_deps installs what a build needs; it runs only once the
    selection is known to be good, so bad input is one line whatever the
    machine lacks (a VM guest has no compiler and no apt-get)."""
    if args.check:
        return check(repo, args.mutants, say)
    cat = mutants.load(os.path.join(repo, CATALOGUE), args.mutants)
    if args.list:
        for m in cat:
            print(f"{m.name}: {m.what}")
        return 0
    for m in cat:
        why = mutants.problems(m, repo)
        if why:
            raise UserError(f"{m.source}: " + "; ".join(why) +
                            " (runner/cpstorm mutate --check lists all)")
    ensure_deps()
    start = time.monotonic()
    prov = provenance.collect(repo)
    run = Run(repo, args, say)
    run.prepare()
    results = []
    for i, m in enumerate(cat, 1):
        r = run.one(m)
        results.append(r)
        say(f"cpstorm mutate: [{i}/{len(cat)}] {m.name}: "
            f"{r.status}{' by ' + r.killed_by if r.killed_by else ''} "
            f"({r.seconds:.1f} s)")
    total = time.monotonic() - start
    text = summary(results, total, prov["cpus"], args.repeat)
    print(text)
    killed, counted = score(results)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"provenance": prov, "settings": {
                "storm_duration_s": args.storm_duration,
                "storm_threads": args.storm_threads, "seed": args.seed,
                "repeat": args.repeat, "jobs": args.jobs, "full": args.full,
                "tests": [j.name for j in run.jobs]},
                "pristine_s": round(run.baseline_s, 2),
                "mutants": [r.record() for r in results],
                "score": {"killed": killed, "scored": counted,
                          "equivalent": len(results) - counted},
                "total_s": round(total, 1)}, f, indent=1)
            f.write("\n")
        say(f"cpstorm mutate: record in {args.json}")
    sys.stdout.flush()
    return 0 if killed == counted else 1

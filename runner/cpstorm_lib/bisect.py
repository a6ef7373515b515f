# SPDX-License-Identifier: MIT
"""`bisect`: over the ordered versions of one C library family (or a list
of glibc build trees), find the adjacent pair where a case's verdict
changes.  A probe runs the case N times and is trusted only when every run
agrees; mixed verdicts are reported as flaky, never bisected through."""

import shlex
from collections import Counter

from . import archive, libcrun, libcs
from .errors import UserError
from .report import LABEL

FLAKY = "flaky"


def _versions(args, apt):
    if args.trees:
        names = [libcs.BUILD_TREE + p.strip() for p in args.trees.split(",")
                 if p.strip()]
        if len(names) < 2:
            raise UserError("--trees needs at least two build trees, "
                            "comma-separated, oldest first")
        return names
    return [v.name for v in libcs.catalog(apt, (args.family,))]


def _index(names, given, default, what, family):
    if given is None:
        return default
    for candidate in (given, f"{family}-{given}"):
        if candidate in names:
            return names.index(candidate)
    raise UserError(f"--{what} {given} is not one of: {', '.join(names)}")


class Probes:
    """What a prober has seen: name -> (verdict or FLAKY, cells)."""

    def __init__(self):
        self.results = {}

    def describe(self, name):
        verdict, cells = self.results[name]
        counts = Counter(c.verdict for c in cells)
        runs = ", ".join(f"{LABEL[v]} x{n}" for v, n in counts.items())
        head = LABEL.get(verdict, verdict.upper())
        detail = cells[-1].detail if cells else ""
        return f"{name}: {head} ({runs}): {detail}"


class Prober(Probes):
    def __init__(self, args, repo, cases, env, say, apt):
        super().__init__()
        self.args, self.repo, self.env, self.say, self.apt = (
            args, repo, env, say, apt)
        self.cases = {args.case: cases[args.case]}

    def probe(self, name):
        if name in self.results:
            return self.results[name][0]
        launch = libcrun.prepare(name, self.repo, self.args.build_dir,
                                 self.cases, self.say, self.apt)
        cells = []
        for i in range(self.args.repeat):
            cell = libcrun.run_case(launch, self.args.case,
                                    self.args.timeout, self.env)
            cells.append(cell)
            self.say(f"cpstorm bisect: {name} run {i + 1}/"
                     f"{self.args.repeat}: {LABEL[cell.verdict]}")
            if cell.verdict == "skip":
                break        # a missing prerequisite does not come and go
        verdict = verdict_of(cells)
        self.results[name] = (verdict, cells)
        return verdict



def _report(prober, names):
    lines = ["Probes (oldest first)"]
    lines += [f"  {prober.describe(n)}" for n in names
              if n in prober.results]
    return lines


def command(args, repo, cases, env, say):
    if args.case not in cases:
        raise UserError(f"unknown case '{args.case}' (choose from: "
                        f"{', '.join(cases)})")
    apt = None
    if not args.trees:
        apt = archive.Apt()
        apt.ensure_indexes()
    names = _versions(args, apt)
    lo = _index(names, args.good, 0, "good", args.family)
    hi = _index(names, args.bad, len(names) - 1, "bad", args.family)
    prober = Prober(args, repo, cases, env, say, apt)
    return search(prober, names, lo, hi, args, say,
                  lambda a, b: f"  runner/cpstorm run --no-storm --cases "
                  f"{args.case} --backends {a},{b} --build-dir "
                  f"{shlex.quote(args.build_dir)}")


def search(prober, names, lo, hi, args, say, rerun):
    """Bisect names[lo..hi] with prober.probe(name) -> verdict or FLAKY;
    prints the probes and the outcome.  rerun(a, b) is the command line
    that shows both sides of the change.  Exit 0 when a change was found,
    1 when there is none or a probe was flaky."""
    if lo >= hi:
        raise UserError(f"--good {names[lo]} must come before --bad "
                        f"{names[hi]} in {', '.join(names)}")
    span = names[lo:hi + 1]
    say(f"cpstorm bisect: {args.case} over {', '.join(span)}, "
        f"{args.repeat} runs per probe")
    ends = [prober.probe(names[lo]), prober.probe(names[hi])]
    status, outcome = 1, None
    if FLAKY in ends:
        flaky = names[lo] if ends[0] == FLAKY else names[hi]
        outcome = (f"no conclusion: {flaky} is flaky (its runs disagree); "
                   "rerun with a higher --repeat or look at the case")
    elif ends[0] == ends[1]:
        outcome = (f"no change: {names[lo]} and {names[hi]} both "
                   f"{LABEL[ends[0]]} (a change and its revert in between "
                   "would not show; run the versions in between with "
                   "runner/cpstorm run)")
    while outcome is None and hi - lo > 1:
        mid = (lo + hi) // 2
        got = prober.probe(names[mid])
        if got == FLAKY:
            outcome = (f"no conclusion: {names[mid]} is flaky (its runs "
                       f"disagree) between {names[lo]} and {names[hi]}")
        elif got == ends[0]:
            lo = mid
        else:
            hi = mid
    lines = _report(prober, names)
    if outcome is None:
        status = 0
        a, b = names[lo], names[hi]
        outcome = (f"{args.case}: the verdict changes between {a} "
                   f"({LABEL[prober.results[a][0]]}) and {b} "
                   f"({LABEL[prober.results[b][0]]})")
        lines += ["", outcome, "Reproduce:"]
        for name in (a, b):
            command = prober.results[name][1][-1].command
            if command:
                lines.append("  " + shlex.join(command))
        lines.append(rerun(a, b))
    else:
        lines += ["", outcome]
    print("\n".join(lines), flush=True)
    return status


def verdict_of(cells):
    """The one verdict all runs agree on, or FLAKY."""
    seen = Counter(c.verdict for c in cells)
    return next(iter(seen)) if len(seen) == 1 else FLAKY

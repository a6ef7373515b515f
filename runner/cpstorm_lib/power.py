# SPDX-License-Identifier: MIT
"""Detection power: over repeated runs of the grid, which cases caught
each flawed backend and in how many runs, and which cells did not give
the same verdict every time.  The suite's own promise (issue 4): every
flawed strategy is caught by at least one case on every run, and the
correct ones never fail."""

CORRECT = ("cp:reraise", "cp:timer")


def _flawed(backends):
    return [b for b in backends if b.startswith("cp:") and b not in CORRECT]


def section(rounds, backends):
    """Lines for people; rounds is a list of cell lists, one per run."""
    n = len(rounds)
    lines = [f"detection power over {n} run(s) of the grid:"]
    for b in _flawed(backends):
        caught = sum(1 for cells in rounds
                     if any(c.backend == b and c.verdict == "fail"
                            for c in cells))
        by_case = {}
        for cells in rounds:
            for c in cells:
                if c.backend == b and c.verdict == "fail":
                    by_case[c.case] = by_case.get(c.case, 0) + 1
        what = ", ".join(f"{case} {k}/{n}" for case, k in
                         sorted(by_case.items())) or "no case"
        lines.append(f"  {b:<13} caught in {caught}/{n} runs: {what}")
    for b in [b for b in backends if b in CORRECT]:
        failed = sum(1 for cells in rounds for c in cells
                     if c.backend == b and c.verdict != "pass")
        lines.append(f"  {b:<13} (correct) non-pass cells in all runs: "
                     f"{failed}")
    unstable = unstable_cells(rounds)
    if unstable:
        lines.append("  verdicts that changed between runs: " + ", ".join(
            f"{case}/{b} ({'/'.join(sorted(v))})"
            for (case, b), v in sorted(unstable.items())))
    elif n > 1:
        lines.append("  every cell gave the same verdict in every run")
    return lines


def unstable_cells(rounds):
    seen = {}
    for cells in rounds:
        for c in cells:
            seen.setdefault((c.case, c.backend), set()).add(c.verdict)
    return {k: v for k, v in seen.items() if len(v) > 1}


def missed(rounds, backends):
    """Flawed backends that some run did not catch (for --strict)."""
    return [b for b in _flawed(backends)
            if any(not any(c.backend == b and c.verdict == "fail"
                           for c in cells) for cells in rounds)]

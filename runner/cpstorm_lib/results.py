# SPDX-License-Identifier: MIT
"""Result files read back for `report`: the JSON Lines of `run --json` and
of `soak` (kind cell / sample / soak-start / soak-end), and the storm's own
records (`cpstorm-storm --json`, one per storm), folded into what the
report shows."""

import json
import os
from collections import Counter
from dataclasses import dataclass, field

from . import provenance, storm
from .errors import UserError

# Worst first: the colour of a grid cell is its worst verdict.
SEVERITY = ("fail", "timeout", "error", "skip", "pass")
STORM_SUMS = ("cancellations", "leaked_fds", "lost", "inside_handler")


@dataclass
class StormStats:
    storms: int = 0
    cancellations: int = 0
    leaked_fds: int = 0
    lost: int = 0
    inside_handler: int = 0
    rates: list = field(default_factory=list)     # per_second of each storm

    @property
    def per_million(self):
        if not self.cancellations:
            return None
        return self.leaked_fds * 1e6 / self.cancellations


@dataclass
class Results:
    files: list
    cells: list = field(default_factory=list)        # cell records
    samples: list = field(default_factory=list)
    soaks: list = field(default_factory=list)        # soak-start records
    skipped_lines: int = 0

    @property
    def backends(self):
        return list(dict.fromkeys(c["backend"] for c in self.cells))

    @property
    def cases(self):
        names = list(dict.fromkeys(c["case"] for c in self.cells))
        return [n for n in names if n != "storm"] + \
            (["storm"] if "storm" in names else [])

    def grid(self):
        """{(case, backend): Counter(verdict -> n)}"""
        out = {}
        for c in self.cells:
            out.setdefault((c["case"], c["backend"]), Counter())[
                c["verdict"]] += 1
        return out

    def first_detail(self, case, backend, verdict):
        return next((c.get("detail", "") for c in self.cells
                     if (c["case"], c["backend"], c["verdict"]) ==
                     (case, backend, verdict)), "")

    def storms(self):
        """{backend: StormStats} over every storm with figures."""
        out = {}
        for c in self.cells:
            m = c.get("metrics") or {}
            if c["case"] != "storm" or "cancellations" not in m:
                continue
            s = out.setdefault(c["backend"], StormStats())
            s.storms += 1
            for key in STORM_SUMS:
                setattr(s, key, getattr(s, key) + (m.get(key) or 0))
            if m.get("per_second") is not None:
                s.rates.append(float(m["per_second"]))
        return out

    def memory(self):
        """({backend: [(hours, peak VmRSS MB of one storm)]}, [(hours,
        system MemAvailable MB)]).  Hours count from the start of each
        soak (elapsed_s), so shards of one soak overlay; a storm is one
        point, its peak, so the trend over hours is not drowned in the
        ramp-up and teardown of every storm."""
        if not self.samples:
            return {}, []
        t0 = min(s["t"] for s in self.samples)
        peaks, system = {}, []
        for s in self.samples:
            hours = s.get("elapsed_s", s["t"] - t0) / 3600
            avail = (s.get("system") or {}).get("memavailable_kb")
            if avail is not None:
                system.append((hours, avail / 1024))
            for p in s.get("processes", []):
                if p.get("program") != "cpstorm-storm" or \
                        not p.get("backend") or p.get("vm_rss_kb") is None:
                    continue
                key = p["backend"], s.get("run"), p.get("pid")
                first, peak = peaks.get(key, (hours, 0))
                peaks[key] = first, max(peak, p["vm_rss_kb"] / 1024)
        storms = {}
        for (backend, _, _), point in peaks.items():
            storms.setdefault(backend, []).append(point)
        return storms, system

    def latencies(self):
        """{(case, metric, backend): [us]} from cases that report a
        latency (a metric named latency_us or ending in _latency_us)."""
        out = {}
        for c in self.cells:
            if c["case"] == "storm":
                continue
            for key, value in (c.get("metrics") or {}).items():
                if (key == "latency_us" or key.endswith("_latency_us")) \
                        and isinstance(value, (int, float)):
                    out.setdefault((c["case"], key, c["backend"]),
                                   []).append(value)
        return out

    def storm_memory(self):
        """[(backend, threads, record)] of every storm whose record says
        how its memory went (the storm's own memory summary), in order."""
        return [(c["backend"], c["metrics"].get("threads"), c["metrics"])
                for c in self.cells if c["case"] == "storm" and
                isinstance((c.get("metrics") or {}).get("memory"), dict)]

    def provenance(self):
        """The runs these records come from: [(fields, number of cells)],
        one per run (records without provenance: fields {})."""
        runs = {}
        for rec in self.soaks + self.cells:
            fields = {k: rec[k] for k in provenance.FIELDS + ("storm_setup",)
                      if rec.get(k) is not None}
            key = fields.get("run") or tuple(sorted(
                (k, str(v)) for k, v in fields.items()))
            entry = runs.setdefault(key, [fields, 0])
            entry[0] = {**fields, **entry[0]}
            entry[1] += rec.get("kind", "cell") == "cell"
        return [tuple(v) for v in runs.values()]


def cut(text, limit):
    """(head, rest): a long detail cut at a space outside brackets, so
    that a register dump or a kernel stack is never cut inside a token."""
    if len(text) <= limit:
        return text, ""
    depth, best = 0, 0
    for i, ch in enumerate(text[:limit + 1]):
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth = max(depth - 1, 0)
        elif ch == " " and depth == 0:
            best = i
    if best == 0:
        best = limit
    return text[:best].rstrip(" ;,"), text[best:].lstrip()


def hms(seconds):
    """8h00m00s: a soak's length as people write it."""
    s = int(seconds)
    return f"{s // 3600}h{s % 3600 // 60:02d}m{s % 60:02d}s"


def worst(counts):
    return next(v for v in SEVERITY + tuple(counts) if counts.get(v))


def _is_cell(rec):
    return rec.get("kind", "cell") == "cell" and \
        all(isinstance(rec.get(k), str) for k in ("case", "backend",
                                                   "verdict"))


def _is_storm_record(rec):
    return "case" not in rec and "kind" not in rec and \
        all(k in rec for k in storm.REQUIRED)


def storm_cell(rec, path, number):
    """A storm's own record as the cell `run` would have made of it: the
    verdict its figures give (exit status 1 <=> a failing figure), and the
    command that replays it."""
    failing = bool(storm.failing(rec))
    cell = {"kind": "cell", "case": "storm", "backend": rec["backend"],
            "verdict": "fail" if failing else "pass",
            "detail": storm.figures(rec), "metrics": rec,
            "seed": rec["seed"],
            "command": f"sed -n {number}p {path} > rec.jsonl && "
                       "build/stress/cpstorm-storm --replay rec.jsonl"}
    cell.update({k: rec[k] for k in provenance.FIELDS if k in rec})
    return cell


def load(paths):
    """Read every file; a line that is not a JSON object (a run killed
    mid-write) is counted and skipped, a file with no record at all is an
    error."""
    res = Results(files=list(paths))
    for path in paths:
        try:
            with open(path, errors="replace") as f:
                lines = f.read().splitlines()
        except OSError as e:
            raise UserError(f"cannot read result file {path}: {e.strerror}")
        before = len(res.cells) + len(res.samples)
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except ValueError:
                rec = None
            if not isinstance(rec, dict):
                res.skipped_lines += 1
            elif _is_cell(rec):
                res.cells.append(rec)
            elif _is_storm_record(rec):
                res.cells.append(storm_cell(rec, path, number))
            elif rec.get("kind") == "sample" and "t" in rec:
                res.samples.append(rec)
            elif rec.get("kind") == "soak-start":
                res.soaks.append(rec)
        if len(res.cells) + len(res.samples) == before:
            raise UserError(f"{path} holds no result records (expected JSON "
                            "Lines from run --json, soak or cpstorm-storm "
                            "--json)")
    _columns_by_kernel(res.cells)
    return res


def _columns_by_kernel(cells):
    """Records from more than one kernel (run --vm --kernel A,B): a column
    per (kernel, backend), grouped by kernel in the order they came."""
    kernels = list(dict.fromkeys(c.get("kernel") for c in cells))
    if len(kernels) < 2:
        return
    cells.sort(key=lambda c: kernels.index(c.get("kernel")))
    for c in cells:
        c["backend"] = f"{c.get('kernel') or '?'}: {c['backend']}"


def names(paths):
    return ", ".join(os.path.basename(p) for p in paths)

# SPDX-License-Identifier: MIT
"""`soak`: the cases and a storm per backend, seed after seed across a
seed range, until the duration is used up, with /proc sampled throughout.

Machines share a long soak by seed range (one shard each).  Every cell and
every sample is appended to <out>/soak.jsonl and fsync'ed before the next
one starts, so a soak killed at any point (power, OOM killer, a CI
timeout) keeps everything it measured.  Ctrl-C or SIGTERM ends it with the
summary, never a traceback; the cell that was running is not recorded."""

import itertools
import json
import os
import signal
import threading
import time

from . import ktap, report, results, sampler, tables
from .errors import UserError
from .verdict import Cell

RECORDS = "soak.jsonl"
SUMMARY = "summary.txt"
BLOCKED = {signal.SIGINT, signal.SIGTERM}


def check_out(folder):
    """Before the build: the records folder can be made and written."""
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as e:
        raise UserError(f"cannot create --out {folder}: {e.strerror}; pick "
                        "a writable folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UserError(f"cannot write in --out {folder}; pick a writable "
                        "folder")


class Records:
    """Append-only JSON Lines, one write + fsync per record.  The sampler
    thread writes too, hence the lock; SIGINT/SIGTERM are held off while
    a line is written so Ctrl-C never leaves half a record."""

    def __init__(self, folder):
        try:
            os.makedirs(folder, exist_ok=True)
            self.path = os.path.join(folder, RECORDS)
            self.fd = os.open(self.path, os.O_WRONLY | os.O_CREAT |
                              os.O_APPEND, 0o644)
        except OSError as e:
            raise UserError(f"cannot write soak records in {folder}: "
                            f"{e.strerror}; pick a writable --out DIR")
        self.lock = threading.Lock()

    def write(self, rec):
        line = (json.dumps(rec) + "\n").encode()
        main = threading.current_thread() is threading.main_thread()
        with self.lock:
            old = signal.pthread_sigmask(signal.SIG_BLOCK, BLOCKED) \
                if main else None
            try:
                os.write(self.fd, line)
                os.fsync(self.fd)
            finally:
                if main:
                    signal.pthread_sigmask(signal.SIG_SETMASK, old)

    def close(self):
        os.close(self.fd)


class Tally:
    """What the summary needs, folded in as records arrive."""

    def __init__(self):
        self.cells, self.storms, self.peaks = {}, {}, {}
        self.examples = {}
        self.count = 0

    def cell(self, rec):
        self.count += 1
        key = rec["case"], rec["backend"]
        self.cells.setdefault(key, {}).setdefault(rec["verdict"], 0)
        self.cells[key][rec["verdict"]] += 1
        if rec["verdict"] != "pass":
            self.examples.setdefault(key, rec)
        m = rec.get("metrics") or {}
        if rec["case"] == "storm" and "cancellations" in m:
            s = self.storms.setdefault(rec["backend"], {
                "storms": 0, "cancellations": 0, "leaked_fds": 0,
                "lost": 0, "inside_handler": 0})
            s["storms"] += 1
            for k in ("cancellations", "leaked_fds", "lost",
                      "inside_handler"):
                s[k] += m.get(k) or 0

    def sample(self, rec):
        for p in rec["processes"]:
            if p["program"] != "cpstorm-storm" or not p["backend"]:
                continue
            peak = self.peaks.setdefault(p["backend"], {})
            for k in ("vm_rss_kb", "threads", "fds"):
                if p.get(k) is not None:
                    peak[k] = max(peak.get(k, 0), p[k])


def summary(tally, backends, header):
    lines = [header, "",
             f"{'backend':<14}{'storms':>7}{'cancels':>10}{'leaked':>8}"
             f"{'per 1M':>9}{'lost':>6}{'in hdlr':>8}{'peak RSS':>10}"
             f"{'threads':>8}{'fds':>6}"]
    for b in backends:
        s = tally.storms.get(b, {"storms": 0, "cancellations": 0,
                                 "leaked_fds": 0, "lost": 0,
                                 "inside_handler": 0})
        per = (f"{s['leaked_fds'] * 1e6 / s['cancellations']:.0f}"
               if s["cancellations"] else "-")
        p = tally.peaks.get(b, {})
        rss = f"{p['vm_rss_kb'] / 1024:.0f} MB" if "vm_rss_kb" in p else "-"
        lines.append(f"{b:<14}{s['storms']:>7}{s['cancellations']:>10}"
                     f"{s['leaked_fds']:>8}{per:>9}{s['lost']:>6}"
                     f"{s['inside_handler']:>8}{rss:>10}"
                     f"{p.get('threads', '-'):>8}{p.get('fds', '-'):>6}")
    lines += ["", "Cells that did not always pass (verdict counts; first "
              "example):"]
    shown = 0
    for (case, backend), counts in sorted(tally.cells.items()):
        if set(counts) == {"pass"}:
            continue
        shown += 1
        text = ", ".join(f"{v.upper()} {n}" for v, n in sorted(counts.items()))
        ex = tally.examples[case, backend]
        head, rest = results.cut(ex["detail"], 200)
        lines.append(f"  {case} / {backend}: {text}; seed {ex.get('seed')}: "
                     f"{head}" + (" ..." if rest else ""))
    if not shown:
        lines.append("  none: every cell passed every time")
    return "\n".join(lines)


class Soak:
    def __init__(self, args, make_jobs, watch, say):
        self.args, self.make_jobs = args, make_jobs
        self.watch, self.say = watch, say
        self.records = Records(args.out)
        self.tally = Tally()
        # Round n = the n-th time through the seed range.
        self.context = {"seed": None, "round": 0}
        self.provenance = args.provenance
        self.run_id = self.provenance["run"]
        self.start = time.monotonic()

    def _context(self):
        """What a sample carries: the soak it belongs to (its soak-start
        record holds the provenance), the seed and the time into it."""
        return {**self.context, "run": self.run_id,
                "elapsed_s": round(time.monotonic() - self.start, 3)}

    def _emit_sample(self, rec):
        self.records.write(rec)
        self.tally.sample(rec)

    def _loop(self):
        first, last = self.args.seed_range
        deadline = self.start + self.args.duration
        for rounds in itertools.count(1):
            for seed in range(first, last + 1):
                self.args.seed = seed
                for job in self.make_jobs():
                    if time.monotonic() >= deadline:
                        return
                    self.context.update(seed=seed, round=rounds)
                    cell = self.watch.run(job)
                    rec = report.cell_record(cell, {**self.provenance,
                                                    **self._context()})
                    self.records.write(rec)
                    self.tally.cell(rec)
                    spent = results.hms(time.monotonic() - self.start)
                    self.say(f"soak {spent}: seed {seed}: {cell.case} on "
                             f"{cell.backend}: {cell.verdict.upper()}")

    def run(self):
        a = self.args
        self.records.write({
            "kind": "soak-start", **self.provenance, "t": time.time(),
            "seed_range": list(a.seed_range), "duration_s": a.duration,
            "backends": a.backends, "cases": a.cases,
            "storm_duration_s": a.storm_duration,
            "storm_threads": a.storm_threads,
            "sample_interval_s": a.sample_interval})
        self.say(f"cpstorm: soak {results.hms(a.duration)} over seeds "
                 f"{a.seed_range[0]}..{a.seed_range[1]}, records in "
                 f"{self.records.path}")
        samples = sampler.Sampler(
            a.sample_interval, self._emit_sample, self._context,
            sampler.launch_labeler(getattr(a, "launches", None) or {}))
        old_term = signal.signal(signal.SIGTERM, _raise_interrupt)
        interrupted = False
        samples.start()
        try:
            self._loop()
        except KeyboardInterrupt:
            interrupted = True
        finally:
            samples.stop()
            signal.signal(signal.SIGTERM, old_term)
        return self._finish(interrupted)

    def _finish(self, interrupted):
        # A second Ctrl-C must not cut the summary short.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        a, elapsed = self.args, time.monotonic() - self.start
        ended = ("interrupted (the cell in progress is not recorded)"
                 if interrupted else "done")
        header = (f"Soak {ended} after {results.hms(elapsed)} of "
                  f"{results.hms(a.duration)}: seeds {a.seed_range[0]}.."
                  f"{a.seed_range[1]}, round {self.context['round']} at "
                  f"seed {self.context['seed']}, {self.tally.count} cells; "
                  f"storms {a.storm_duration:g} s x {a.storm_threads} "
                  f"threads; records: {self.records.path}")
        text = summary(self.tally, a.backends, header)
        self.records.write({"kind": "soak-end", "run": self.run_id,
                            "t": time.time(), "elapsed_s": round(elapsed, 3),
                            "interrupted": interrupted,
                            "cells": self.tally.count,
                            "storms": self.tally.storms,
                            "peaks": self.tally.peaks})
        self.records.close()
        path = os.path.join(a.out, SUMMARY)
        with open(path, "w") as f:
            f.write(text + "\n")
        if a.ktap:
            rows = a.cases + ["storm"]
            stream = ktap.Stream(a.backends, rows)
            for backend in a.backends:
                for case in rows:
                    stream.write(aggregate(self.tally, case, backend))
            stream.diagnostics(text)
        else:
            print(text, flush=True)
        return interrupted


def aggregate(tally, case, backend):
    """One cell standing for every run of (case, backend), for KTAP: its
    worst verdict, the counts and the first example that did not pass."""
    counts = tally.cells.get((case, backend))
    if not counts:
        return Cell(case, backend, "skip", "not run: the soak ended first")
    worst = results.worst(counts)
    runs = sum(counts.values())
    detail = ", ".join(f"{v.upper()} {n}" for v, n in sorted(counts.items()))
    detail += f" of {runs} run{'s' * (runs != 1)}"
    example = tally.examples.get((case, backend))
    if example:
        detail += (f"; first {example['verdict'].upper()} (seed "
                   f"{example.get('seed')}): {example['detail']}")
    return Cell(case, backend, worst, detail)


def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt


def strict_count(tally):
    """How many cells --strict fails the soak on: those of a correct
    strategy that did not pass, and libcp verdicts cases/expected.txt does
    not expect."""
    exp, correct = tables.expected(), set(tables.correct_backends())
    return sum(n for (case, b), counts in tally.cells.items()
               for v, n in counts.items()
               if (b in correct and v != "pass") or
               exp.unexpected(case, b, v))

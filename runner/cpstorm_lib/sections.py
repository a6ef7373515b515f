# SPDX-License-Identifier: MIT
"""What the report says, section by section, as blocks that page.py
renders twice: Markdown and HTML carry the same headings and the same
words; only the charts are HTML's alone, and their captions are in both.

The reader is a person after a nightly soak with ten seconds: where and
from what the records came, who lost which race, whether the flawed
strategies were caught as cases/expected.txt expects, then the figures,
each with what was measured and why a bar may be missing, then every cell
that did not pass with the command that reproduces it."""

import statistics
from dataclasses import dataclass, field

from . import provenance, results, svg, tables

LABEL = {"pass": "PASS", "fail": "FAIL", "error": "ERROR", "skip": "SKIP",
         "timeout": "TIMEOUT"}
SHOWN_RUNS = 8          # provenance lines before "and N more runs"
SHORT_DETAIL = 240      # characters of a detail shown before "more"


@dataclass
class Para:
    text: str
    note: bool = False      # small print


@dataclass
class Items:
    items: list             # [(label or None, text)]


@dataclass
class Table:
    head: list
    rows: list


@dataclass
class Chart:
    title: str
    svg: str                # HTML only
    caption: str            # both: what is measured, what is missing
    values: list = field(default_factory=list)  # [(name, text)]: Markdown


@dataclass
class Grid:
    cases: list
    backends: list
    groups: list            # [(group name, number of columns)]
    cells: dict             # (case, backend) -> Cell view


@dataclass
class GridCell:
    verdict: str            # worst verdict: the colour
    text: str               # PASS, FAIL, ... ("FAIL 2/5" over runs)
    mark: str = ""          # "expected" or "unexpected"
    tip: str = ""


@dataclass
class Entry:
    title: str
    detail: str
    more: str               # the rest of a long detail
    command: str
    facts: list = field(default_factory=list)   # what varies by entry


@dataclass
class Section:
    heading: str
    blocks: list


def _constant_columns(head, rows, keep=1):
    """(head, rows, {column: value}): the columns after the first `keep`
    whose value is the same in every row (of two or more) are taken out,
    to be said once instead of on every line."""
    if len(rows) < 2:
        return list(head), [list(r) for r in rows], {}
    same = [i for i in range(keep, len(head))
            if len({str(r[i]) for r in rows}) == 1]
    constants = {head[i]: rows[0][i] for i in same}
    cols = [i for i in range(len(head)) if i not in same]
    return ([head[i] for i in cols], [[r[i] for i in cols] for r in rows],
            constants)


def _table_saying_constants(head, rows, keep=1):
    """A Table without its constant columns, and the sentence that says
    them ("Same in every row: storms 1."), or no sentence."""
    head, rows, constants = _constant_columns(head, rows, keep)
    if not constants:
        return [Table(head, rows)]
    return [Para("Same in every row: " + ", ".join(
        f"{k} {v}" for k, v in constants.items()) + ".", note=True),
        Table(head, rows)]


def _n(value):
    return f"{value:,.0f}"


def _plural(n, word):
    return f"{n} {word}{'s' * (n != 1)}"


def _counts(res, backend):
    out = {}
    for c in res.cells:
        if c["backend"] == backend:
            out[c["verdict"]] = out.get(c["verdict"], 0) + 1
    return out


# -- what the names mean ------------------------------------------------

def backend_meaning(name):
    known = tables.backends()
    if name in known:
        return known[name]
    if name.startswith("glibc-build:"):
        return f"a glibc build tree ({name[12:]}) and its cancellation points"
    family, _, version = name.partition("-")
    if family in ("glibc", "musl") and version:
        return (f"{family} {version} from Debian's archive: its "
                "pthread_cancel and cancellation points")
    return "not a backend this tree knows"


def _group(name):
    if name in tables.correct_backends():
        return "libcp, correct"
    if name == tables.PRELOAD:
        return "libcp under libc's programs"
    if name in tables.flawed_backends():
        return "libcp, flawed on purpose"
    return "C libraries"


def _groups(backends):
    out = []
    for b in backends:
        g = _group(b)
        if out and out[-1][0] == g:
            out[-1] = (g, out[-1][1] + 1)
        else:
            out.append((g, 1))
    return out


# -- header ---------------------------------------------------------------

def provenance_block(res):
    runs = res.provenance()
    recorded = [(p, n) for p, n in runs if p]
    lines = [(None, provenance.describe(p) +
              (f" ({_plural(n, 'cell')})" if n else ""))
             for p, n in recorded[:SHOWN_RUNS]]
    if len(recorded) > SHOWN_RUNS:
        lines.append((None, f"and {len(recorded) - SHOWN_RUNS} more runs"))
    bare = sum(n for p, n in runs if not p)
    if bare:
        lines.append((None, f"{_plural(bare, 'cell')} without provenance "
                      "(records written before the runner recorded where "
                      "and from what they came)"))
    return Items(lines)


def source_line(res):
    storms = res.storms()
    return Para(f"From {results.names(res.files)}: "
                f"{_plural(len(res.cells), 'cell')}, "
                f"{_plural(sum(s.storms for s in storms.values()), 'storm')}"
                f", {_plural(len(res.samples), '/proc sample')}.", note=True)


# -- summary --------------------------------------------------------------

def _expectation(res, backend):
    """How a libcp backend's cells compare with cases/expected.txt."""
    exp = tables.expected()
    odd = [c for c in res.cells if c["backend"] == backend and
           exp.unexpected(c["case"], backend, c["verdict"])]
    if odd:
        return ("; differs from cases/expected.txt in " +
                ", ".join(f"{c['case']} ({LABEL[c['verdict']]}, expected "
                          f"{LABEL[exp.verdict(c['case'], backend)]})"
                          for c in odd[:3]) + (", ..." if len(odd) > 3
                                               else ""))
    judged = any(exp.verdict(c["case"], backend) == "fail"
                 for c in res.cells if c["backend"] == backend)
    return "; every expected FAIL caught" if judged else ""


def headline(res, backend, storms):
    """One sentence: how its cells went, what its storms lost."""
    counts = _counts(res, backend)
    total = sum(counts.values())
    bad = list(dict.fromkeys(c["case"] for c in res.cells if c["backend"] ==
                             backend and c["verdict"] != "pass"))
    if not bad:
        text = f"passed all {_plural(total, 'cell')}"
    else:
        kinds = [f"{LABEL[v]} {counts[v]}" for v in results.SEVERITY
                 if v != "pass" and counts.get(v)]
        text = (f"{' + '.join(kinds)} of {total} cells: " +
                ", ".join(bad[:4]) + (", ..." if len(bad) > 4 else ""))
    s = storms.get(backend)
    if s:
        if s.leaked_fds:
            text += (f"; {_n(s.per_million)} leaked fds per million "
                     "cancellations")
        else:
            text += f"; no fd leaked in {_n(s.cancellations)} cancellations"
        if s.lost:
            text += f"; {_n(s.lost)} cancellations lost"
        if s.inside_handler:
            text += f"; {_n(s.inside_handler)} acted inside a signal handler"
    return text + _expectation(res, backend)


def summary(res):
    storms = res.storms()
    return Section("Summary", [Items([(b, headline(res, b, storms))
                                      for b in res.backends])])


def backends(res):
    return Section("Backends", [
        Para("Each column is one implementation of thread cancellation: "
             "libcp under one strategy, or a C library."),
        Items([(b, backend_meaning(b)) for b in res.backends])])


# -- the grid -------------------------------------------------------------

def _grid_cell(res, grid, case, backend):
    counts = grid.get((case, backend))
    if not counts:
        return None
    worst = results.worst(counts)
    total = sum(counts.values())
    text = LABEL[worst] + (f" {counts[worst]}/{total}" if total > 1 else "")
    exp = tables.expected()
    want = exp.verdict(case, backend)
    mark = ("unexpected" if exp.unexpected(case, backend, worst) else
            "expected" if want == "fail" and worst == "fail" else "")
    tip = (f"{case} on {backend}: " +
           ", ".join(f"{LABEL[v]} x{n}" for v, n in counts.items()) +
           (f": {res.first_detail(case, backend, worst)}"
            if worst != "pass" else ""))
    return GridCell(worst, text, mark, tip[:600])


def verdicts(res):
    grid = res.grid()
    cells = {(c, b): v for c in res.cases for b in res.backends
             if (v := _grid_cell(res, grid, c, b))}
    marks = {v.mark for v in cells.values()}
    words = ("A row is a case (one race, forced by construction) or the "
             "storm; a column is a backend. Over several runs a cell shows "
             "its worst verdict and how often it came.")
    if "expected" in marks:
        words += (" \"expected\": a FAIL that cases/expected.txt expects of "
                  "a strategy that is flawed on purpose: the suite caught "
                  "it.")
    if "unexpected" in marks:
        words += (" \"unexpected\": a libcp verdict that differs from "
                  "cases/expected.txt.")
    return Section("Verdicts", [
        Grid(res.cases, res.backends, _groups(res.backends), cells),
        Para(words, note=True)])


# -- storms ---------------------------------------------------------------

STORM_HEAD = ("backend", "storms", "cancellations", "per second",
              "leaked fds", "per million", "lost", "inside handler")


def _stuck(res, backend):
    """Threads that stayed blocked after their cancel (lost + stuck)."""
    return sum((c.get("metrics") or {}).get("stuck") or 0 for c in res.cells
               if c["case"] == "storm" and c["backend"] == backend)


def storms(res):
    stats = res.storms()
    if not stats:
        return None
    rows, leak_items, rate_items, stalled = [], [], [], []
    for b in res.backends:
        s = stats.get(b)
        if not s:
            continue
        rate = statistics.mean(s.rates) if s.rates else None
        rows.append((b, s.storms, _n(s.cancellations),
                     "-" if rate is None else _n(rate), _n(s.leaked_fds),
                     "-" if s.per_million is None else _n(s.per_million),
                     _n(s.lost), _n(s.inside_handler)))
        leak_items.append((b, s.per_million or 0, svg.VERDICT_COLOUR[
            "fail" if s.leaked_fds else "pass"], "0 (none leaked)"
            if not s.leaked_fds else _n(s.per_million)))
        if s.lost:
            stalled.append(f"{b} ({_n(s.lost)} lost, {_n(_stuck(res, b))} "
                           "threads stuck)")
            rate_items.append((b, None, svg.STALLED, "not comparable: "
                               f"{_n(s.lost)} cancellations lost"))
        else:
            span = (f" ({_n(min(s.rates))}..{_n(max(s.rates))})"
                    if len(s.rates) > 1 else "")
            rate_items.append((b, rate, "#1565c0", f"{_n(rate)}/s{span}"
                               if rate is not None else "no figure"))
    leak_words = ("Descriptors still open once every target thread was "
                  "joined: results of completed calls that the "
                  "cancellation took from the thread that received them.")
    rate_words = ("Target threads created, cancelled in their calls and "
                  "joined, per second of the storm's run phase: a figure "
                  "of the machine (and of its load), not a verdict.")
    if stalled:
        rate_words += (" No bar for " + ", ".join(stalled) + ": a lost "
                       "cancellation leaves its thread blocked and holds "
                       "its canceller for the 5 s bound, so that storm's "
                       "rate measures the bound, not the backend.")
    return Section("Storms", [
        Para("Each storm runs target threads through cancellable calls "
             "while cancellers cancel them and unrelated signals interrupt "
             "them; it passes when no fd leaked, no cancellation was lost "
             "or acted inside a signal handler, no call saw a spurious "
             "EINTR, and memory stayed flat."),
        *_table_saying_constants(list(STORM_HEAD), rows),
        _bar_chart("Leaked fds per million cancellations", leak_items,
                   leak_words),
        _bar_chart("Cancellations per second", rate_items, rate_words)])


def _bar_chart(title, items, words):
    return Chart(title, svg.bars(items, title.lower()), words,
                 [(name, text) for name, _, _, text in items])


# -- latency --------------------------------------------------------------

def _latency_name(case, metric):
    if metric == "latency_us":
        return case
    return f"{case}, {metric[:-len('_latency_us')].replace('_', ' ')}"


def latency(res):
    found = res.latencies()
    if not found:
        return None
    grid, charts, missing = res.grid(), [], []
    for case, metric in dict.fromkeys((c, m) for c, m, _ in found):
        items = []
        for b in res.backends:
            values = found.get((case, metric, b))
            if not values:
                continue
            med = statistics.median(values)
            text = (f"{med:,.0f} us" if len(values) == 1 else
                    f"median {med:,.0f} us ({min(values):,.0f}.."
                    f"{max(values):,.0f}, {len(values)} runs)")
            items.append((b, med, "#1565c0", text))
        charts.append(_bar_chart(_latency_name(case, metric), items, ""))
        absent = [b for b in res.backends if grid.get((case, b)) and
                  (case, metric, b) not in found]
        if absent and not any(m.startswith(case + ":") for m in missing):
            missing.append(f"{case}: {', '.join(absent)}")
    words = ("Cancel latency in microseconds: from the moment a case lets "
             "the cancellation act (the request, or the release of the "
             "signal handler it waited behind) to the thread's first "
             "cleanup handler, as the case measured it (each case's header "
             "says where its clock starts). Smaller is better; the timer "
             "strategy waits for its next tick.")
    if missing:
        words += (" Not timed (the cancellation was lost or acted inside "
                  "the handler, see What did not pass, so there is nothing "
                  "to time): " + "; ".join(missing) + ".")
    return Section("Latency", [Para(words)] + charts)


# -- memory ---------------------------------------------------------------

def _soak_memory(res):
    storms_mem, system = res.memory()
    if not storms_mem:
        return []
    hours = max(p[0] for pts in storms_mem.values() for p in pts)
    unit, scale = ("hours", 1) if hours >= 2 else ("minutes", 60)
    series = {b: [(h * scale, mb) for h, mb in pts]
              for b, pts in storms_mem.items()}
    blocks = [Chart("Memory of the storms over the soak",
                    svg.lines(series, f"{unit} into the soak", "MB",
                              "storm memory over time"),
                    "Peak VmRSS (MB) of each storm, sampled from /proc "
                    "every second during the soak, by backend: a line that "
                    "climbs storm after storm is a leak that outlives "
                    "each storm's own warm-up.")]
    if system:
        blocks.append(Chart("Memory of the system", svg.lines(
            {"MemAvailable": [(h * scale, mb) for h, mb in system]},
            f"{unit} into the soak", "MB", "system memory over time"),
            "The system's MemAvailable (MB) over the soak."))
    lines = []
    for b, points in storms_mem.items():
        pts = sorted(points)
        lines.append((b, f"storm VmRSS peak {max(p[1] for p in pts):.1f} "
                      f"MB; first storm {pts[0][1]:.1f} MB, last "
                      f"{pts[-1][1]:.1f} MB ({len(pts)} storms sampled)"))
    return blocks + [Items(lines)]


def _storm_memory(res):
    """From the storms' own records: peak RSS per storm and the slopes
    the storm judged after its warm-up."""
    mem = res.storm_memory()
    if not mem:
        return []
    series, rows = {}, []
    for n, (b, threads, rec) in enumerate(mem, 1):
        key = f"{b}, {threads} threads"
        pts = series.setdefault(key, [])
        pts.append((len(pts) + 1, (rec.get("vm_hwm_kib") or 0) / 1024))
        m = rec["memory"]
        rows.append((n, b, threads, rec.get("seed"),
                     f"{(rec.get('vm_hwm_kib') or 0) / 1024:.0f}",
                     _slope(m, "data_kib"), _slope(m, "maps"),
                     _slope(m, "rss_kib"),
                     "growing" if rec.get("memory_growing") else "flat"))
    chart = [Chart("Peak memory of each storm",
                   svg.lines(series, "storm, in the order they ran",
                             "MB", "peak memory of each storm"),
                   "Peak RSS (VmHWM, MB) of each storm, in the order the "
                   "records are in the file, one line per backend and "
                   "thread count.")] \
        if any(len(pts) > 1 for pts in series.values()) else []
    return chart + [
        Para("Each storm samples its own /proc twice a second, between "
             "pressure windows, and, after "
             "its warm-up, judges the slopes of VmData (heap, arenas, "
             "thread stacks) and of the number of mappings: memory is "
             "\"growing\" when they add more than the storm allows "
             "(docs/storm.md); RSS is shown, not judged."),
        *_table_saying_constants(
            ["#", "backend", "threads", "seed", "peak RSS MB",
             "VmData KiB/s", "maps/s", "RSS KiB/s", "memory"], rows)]


def _slope(memory, key):
    value = (memory.get(key) or {}).get("slope_per_s")
    return "-" if value is None else f"{value:+.2f}"


def memory(res):
    blocks = _soak_memory(res) or _storm_memory(res)
    return Section("Memory", blocks) if blocks else None


# -- what did not pass ----------------------------------------------------

def not_passed(res):
    grid = res.grid()
    entries = []
    multi = len({c.get("run") for c in res.cells}) > 1 or \
        any(sum(v.values()) > 1 for v in grid.values())
    for case in res.cases:
        for backend in res.backends:
            counts = grid.get((case, backend))
            if not counts or set(counts) == {"pass"}:
                continue
            worst = results.worst(counts)
            rec = next(c for c in res.cells if (c["case"], c["backend"],
                                                c["verdict"]) ==
                       (case, backend, worst))
            head, rest = results.cut(rec.get("detail", ""), SHORT_DETAIL)
            facts = []
            if multi:
                facts.append(", ".join(f"{LABEL[v]} {n}" for v, n in
                                       counts.items()) +
                             f" of {_plural(sum(counts.values()), 'run')}")
            if rec.get("seed") is not None and case == "storm":
                facts.append(f"seed {rec['seed']}")
            if rec.get("kernel") and len({c.get("kernel")
                                          for c in res.cells}) > 1:
                facts.append(f"Linux {rec['kernel']}")
            entries.append(Entry(f"{case} / {backend}: {LABEL[worst]}",
                                 head, rest, rec.get("command", ""), facts))
    if not entries:
        return Section("What did not pass", [Para("Everything passed.")])
    return Section("What did not pass", [
        Para("Every cell that did not pass, in grid order, with the first "
             "record of its worst verdict and the command that runs it "
             "again (from the folder the run was started in)."),
        *entries])


def build(res):
    """The sections, in order; None where the records have nothing."""
    parts = [summary(res), verdicts(res), backends(res), storms(res),
             latency(res), memory(res), not_passed(res)]
    return [p for p in parts if p]

# SPDX-License-Identifier: MIT
"""The report's two renderings of the same Results: Markdown for a
terminal, a review or a wiki, and one self-contained HTML page (inline
SVG and CSS, nothing fetched) for a person who has ten seconds."""

import statistics
import time
from html import escape

from . import results, svg

LABEL = {"pass": "PASS", "fail": "FAIL", "error": "ERROR", "skip": "SKIP",
         "timeout": "TIMEOUT"}
DETAIL_WIDTH = 300


def _n(value):
    return f"{value:,.0f}"


def _verdicts(res, backend):
    counts = {}
    for c in res.cells:
        if c["backend"] == backend:
            counts[c["verdict"]] = counts.get(c["verdict"], 0) + 1
    return counts


def headline(res, backend, storms):
    """One sentence per backend: how its cells went, and what its storms
    lost (leaks per million, lost and inside-handler cancellations)."""
    counts = _verdicts(res, backend)
    total = sum(counts.values())
    bad = list(dict.fromkeys(c["case"] for c in res.cells if c["backend"] ==
                             backend and c["verdict"] != "pass"))
    if not bad:
        text = f"passed all {total} cell{'s' * (total != 1)}"
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
    return text


def _cell_view(res, grid, case, backend):
    counts = grid.get((case, backend))
    if not counts:
        return None
    worst = results.worst(counts)
    total = sum(counts.values())
    small = f"{counts[worst]} of {total}" if total > 1 else ""
    tip = (f"{case} on {backend}: " +
           ", ".join(f"{LABEL[v]} x{n}" for v, n in counts.items()) +
           (f": {res.first_detail(case, backend, worst)}"
            if worst != "pass" else ""))
    return worst, LABEL[worst], small, tip[:600]


def _not_passed(res, grid):
    out = []
    for case in res.cases:
        for backend in res.backends:
            counts = grid.get((case, backend))
            if not counts or set(counts) == {"pass"}:
                continue
            worst = results.worst(counts)
            detail = res.first_detail(case, backend, worst)
            if len(detail) > DETAIL_WIDTH:
                detail = detail[:DETAIL_WIDTH] + "..."
            out.append((case, backend, worst, counts, detail))
    return out


def _storm_rows(res, storms):
    rows = []
    for b in res.backends:
        s = storms.get(b)
        if not s:
            continue
        rate = statistics.mean(s.rates) if s.rates else 0
        rows.append((b, s.storms, _n(s.cancellations), _n(rate),
                     _n(s.leaked_fds),
                     "-" if s.per_million is None else _n(s.per_million),
                     _n(s.lost), _n(s.inside_handler)))
    return rows


STORM_HEAD = ("backend", "storms", "cancellations", "per second",
              "leaked fds", "leaked per million", "lost",
              "inside handler")


def _soak_lines(res):
    lines = []
    for s in res.soaks:
        lines.append(f"soak on {s.get('host')} (Linux {s.get('kernel')}): "
                     f"seeds {s['seed_range'][0]}..{s['seed_range'][1]}, "
                     f"{results.hms(s.get('duration_s', 0))} planned, "
                     f"backends {', '.join(s.get('backends', []))}")
    storms_mem, _ = res.memory()
    for b, points in storms_mem.items():
        pts = sorted(points)
        lines.append(f"{b}: storm VmRSS peak {max(p[1] for p in pts):.1f} "
                     f"MB; first storm {pts[0][1]:.1f} MB, last "
                     f"{pts[-1][1]:.1f} MB ({len(pts)} storms sampled)")
    return lines


def _latency_items(res):
    """(label, median, colour, text) per case and backend reporting
    latency_us (named by backend alone when one case reports it)."""
    found = res.latencies()
    one_case = len({case for case, _ in found}) == 1
    items = []
    for (case, b), values in found.items():
        med = statistics.median(values)
        text = (f"{med:g} us" if len(values) == 1 else
                f"median {med:g} us ({min(values):g}..{max(values):g}, "
                f"{len(values)} runs)")
        items.append((b if one_case else f"{case} / {b}", med, "#1565c0",
                      text))
    return items


def _latency_title(res):
    cases = sorted({case for case, _ in res.latencies()})
    return f"Latency reported by {', '.join(cases)} (latency_us)"


def _md_table(head, rows):
    out = ["| " + " | ".join(head) + " |",
           "|" + "|".join("---" for _ in head) + "|"]
    out += ["| " + " | ".join(str(c).replace("|", "\\|") for c in r) + " |"
            for r in rows]
    return out


def markdown(res, title):
    grid, storms = res.grid(), res.storms()
    lines = [f"# {title}", "",
             f"From {results.names(res.files)}: {len(res.cells)} cells, "
             f"{sum(s.storms for s in storms.values())} storms, "
             f"{len(res.samples)} /proc samples.", ""]
    lines += [f"- **{b}**: {headline(res, b, storms)}" for b in res.backends]
    lines += ["", "## Verdicts", ""]
    rows = []
    for case in res.cases:
        row = [case]
        for b in res.backends:
            view = _cell_view(res, grid, case, b)
            row.append("-" if view is None else
                       view[1] + (f" ({view[2]})" if view[2] else ""))
        rows.append(row)
    lines += _md_table(["case"] + res.backends, rows)
    srows = _storm_rows(res, storms)
    if srows:
        lines += ["", "## Storms", ""] + _md_table(STORM_HEAD, srows)
    lat = _latency_items(res)
    if lat:
        lines += ["", f"## {_latency_title(res)}", ""]
        lines += [f"- {b}: {text}" for b, _, _, text in lat]
    soak = _soak_lines(res)
    if soak:
        lines += ["", "## Soak", ""] + [f"- {s}" for s in soak]
    lines += ["", "## What did not pass", ""]
    bad = _not_passed(res, grid)
    lines += [f"- {case} / {b}: {LABEL[w]} "
              f"({sum(c.values())} run{'s' * (sum(c.values()) != 1)}): "
              f"{detail}" for case, b, w, c, detail in bad] or \
        ["- everything passed"]
    if res.skipped_lines:
        lines += ["", f"({res.skipped_lines} unreadable line(s) skipped, "
                  "e.g. from a run killed while writing.)"]
    lines += ["", "Charts: report.html (same folder)."]
    return "\n".join(lines) + "\n"


CSS = """
body{font-family:'DejaVu Sans',Arial,sans-serif;margin:24px auto;
max-width:1180px;color:#212121;background:#fff}
h1{font-size:24px;margin:0 0 4px}h2{font-size:17px;margin:22px 0 8px}
.src{color:#616161;font-size:13px;margin:0 0 12px}
ul.head{list-style:none;padding:0;margin:0;font-size:15px}
ul.head li{margin:3px 0}.dot{display:inline-block;width:12px;height:12px;
border-radius:6px;margin-right:8px;vertical-align:-1px}
.row{display:flex;flex-wrap:wrap;gap:28px}
.legend span{display:inline-block;margin-right:14px;font-size:12px}
.legend i{display:inline-block;width:12px;height:12px;margin-right:5px;
vertical-align:-1px}
table{border-collapse:collapse;font-size:13px}
td,th{border:1px solid #ddd;padding:4px 8px;text-align:left;
vertical-align:top}th{background:#f5f5f5}td:nth-child(-n+3){white-space:nowrap}
.note{color:#757575;font-size:13px}
"""


def _legend():
    return "<div class='legend'>" + "".join(
        f"<span><i style='background:{c}'></i>{LABEL[v]}</span>"
        for v, c in svg.VERDICT_COLOUR.items()) + \
        f"<span><i style='background:{svg.NOT_RUN}'></i>not run</span></div>"


def _html_table(head, rows):
    return ("<table><tr>" + "".join(f"<th>{escape(h)}</th>" for h in head)
            + "</tr>" + "".join("<tr>" + "".join(
                f"<td>{escape(str(c))}</td>" for c in r) + "</tr>"
                for r in rows) + "</table>")


def _charts(res, storms):
    """The two storm bar charts, side by side."""
    leak_items, rate_items = [], []
    for b in res.backends:
        s = storms.get(b)
        if not s:
            continue
        pm = s.per_million
        colour = svg.VERDICT_COLOUR["fail" if s.leaked_fds else "pass"]
        leak_items.append((b, pm or 0, colour, "0 (none leaked)" if not
                           s.leaked_fds else f"{_n(pm)}"))
        rate = statistics.mean(s.rates) if s.rates else None
        span = (f" ({_n(min(s.rates))}..{_n(max(s.rates))})"
                if len(s.rates) > 1 else "")
        rate_items.append((b, rate, "#1565c0", f"{_n(rate)}/s{span}"
                           if rate is not None else "no figure"))
    if not leak_items:
        return "<p class='note'>No storm records in these files.</p>"
    return ("<div class='row'><section><h2>Leaked fds per million "
            "cancellations</h2>" + svg.bars(leak_items, "leaks per million")
            + "</section><section><h2>Cancellations per second</h2>" +
            svg.bars(rate_items, "cancellations per second") +
            "</section></div>")


def _memory(res):
    storms_mem, system = res.memory()
    if not storms_mem:
        return ("<h2>Memory over time</h2><p class='note'>No soak samples "
                "in these files: run <code>runner/cpstorm soak</code> to "
                "get them.</p>")
    hours = max(p[0] for pts in storms_mem.values() for p in pts)
    unit, scale = ("hours", 1) if hours >= 2 else ("minutes", 60)
    series = {b: [(h * scale, mb) for h, mb in pts]
              for b, pts in storms_mem.items()}
    out = ("<h2>Memory over time: peak VmRSS (MB) of each storm, by "
           "backend</h2>" +
           svg.lines(series, f"{unit} into the soak", "MB",
                     "storm memory over time"))
    if system:
        out += ("<h2>System: MemAvailable (MB)</h2>" +
                svg.lines({"MemAvailable": [(h * scale, mb)
                                            for h, mb in system]},
                          f"{unit} into the soak", "MB",
                          "system memory over time", height=220))
    return out


def html(res, title):
    grid, storms = res.grid(), res.storms()
    cells = {(c, b): v for c in res.cases for b in res.backends
             if (v := _cell_view(res, grid, c, b))}
    head = []
    for b in res.backends:
        counts = _verdicts(res, b)
        colour = svg.VERDICT_COLOUR[results.worst(counts)]
        head.append(f"<li><span class='dot' style='background:{colour}'>"
                    f"</span><b>{escape(b)}</b>: "
                    f"{escape(headline(res, b, storms))}</li>")
    lat = _latency_items(res)
    soak = _soak_lines(res)
    bad = _not_passed(res, grid)
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{escape(title)}</title><style>{CSS}</style></head><body>",
        f"<h1>{escape(title)}</h1>",
        f"<p class='src'>From {escape(results.names(res.files))}: "
        f"{len(res.cells)} cells, {sum(s.storms for s in storms.values())} "
        f"storms, {len(res.samples)} /proc samples; generated "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}.</p>",
        "<ul class='head'>" + "".join(head) + "</ul>",
        "<h2>Verdicts: cases x backends</h2>",
        svg.grid(res.cases, res.backends, cells, "verdict grid"),
        _legend(), _charts(res, storms)]
    if lat:
        parts += [f"<h2>{escape(_latency_title(res))}</h2>",
                  svg.bars(lat, "latency")]
    parts.append(_memory(res))
    if soak:
        parts += ["<ul>" + "".join(f"<li>{escape(s)}</li>" for s in soak)
                  + "</ul>"]
    srows = _storm_rows(res, storms)
    if srows:
        parts += ["<h2>Storm figures</h2>", _html_table(STORM_HEAD, srows)]
    parts += ["<h2>What did not pass</h2>",
              _html_table(("case", "backend", "verdict", "runs", "detail"),
                          [(c, b, LABEL[w], sum(n.values()), d)
                           for c, b, w, n, d in bad])
              if bad else "<p>Everything passed.</p>"]
    if res.skipped_lines:
        parts.append(f"<p class='note'>{res.skipped_lines} unreadable "
                     "line(s) skipped.</p>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"

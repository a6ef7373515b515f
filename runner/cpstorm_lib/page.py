# SPDX-License-Identifier: MIT
"""The report's two renderings of the same sections (sections.py):
Markdown for a terminal, a review or a wiki, and one self-contained HTML
page (inline SVG and CSS, no script, nothing fetched) that reads on a
phone as well as on a desktop."""

from html import escape

from . import sections as s
from . import svg

CSS = """
*{box-sizing:border-box}
body{font-family:'DejaVu Sans',Arial,sans-serif;margin:16px auto;padding:0 12px;
max-width:1180px;color:#212121;background:#fff;line-height:1.35}
h1{font-size:22px;margin:0 0 6px}h2{font-size:17px;margin:24px 0 8px}
ul.prov{margin:0 0 4px;padding-left:18px;font-size:14px}
.note{color:#616161;font-size:13px}
ul.items{padding-left:18px;margin:6px 0}ul.items li{margin:3px 0}
.wide{overflow-x:auto;max-width:100%}
svg{max-width:100%;height:auto;display:block}
.charts{display:flex;flex-wrap:wrap;gap:8px 32px;align-items:flex-start}
figure{margin:10px 0 14px;max-width:100%}
figcaption{font-size:13px;color:#424242;max-width:420px;margin:4px 0}
table{border-collapse:collapse;font-size:13px}
td,th{border:1px solid #ddd;padding:3px 7px;text-align:left;
vertical-align:top;white-space:nowrap}th{background:#f5f5f5}
table.grid td,table.grid th{text-align:center;padding:3px 4px}
table.grid th.case,table.grid td.case{text-align:right;white-space:nowrap;
position:sticky;left:0;background:#fff;font-weight:normal}
table.grid th.group{font-size:11px;color:#616161;font-weight:normal}
table.grid td.v{color:#fff;font-weight:bold;min-width:58px}
table.grid td.v small{display:block;font-weight:normal;font-size:10px}
table.grid td.unexpected{outline:3px solid #000;outline-offset:-3px}
.entry{border-top:1px solid #ddd;padding:8px 0}
.entry h3{font-size:14px;margin:0 0 4px}
.entry p{margin:4px 0;overflow-wrap:anywhere}
.entry .facts{color:#616161;font-size:13px}
details summary{cursor:pointer;color:#1565c0;font-size:13px}
pre{background:#f5f5f5;padding:6px 8px;overflow-x:auto;font-size:12px;
margin:4px 0;white-space:pre-wrap;overflow-wrap:anywhere}
@media (max-width:600px){
body{padding:0 6px}h1{font-size:19px}
table.grid th.b{writing-mode:vertical-rl;transform:rotate(180deg);
padding:4px 2px;font-size:11px}
table.grid th.group{font-size:9px}
table.grid td.v{min-width:0;font-size:10px;padding:3px 2px}
table.grid td.v small{font-size:8px}
table.grid td.case{font-size:11px}
}
"""


# -- Markdown -------------------------------------------------------------

def _md_table(head, rows):
    out = ["| " + " | ".join(str(h) for h in head) + " |",
           "|" + "|".join("---" for _ in head) + "|"]
    out += ["| " + " | ".join(str(c).replace("|", "\\|") for c in r) + " |"
            for r in rows]
    return out


def _md_items(items):
    return [f"- **{label}**: {text}" if label else f"- {text}"
            for label, text in items.items]


def _md_grid(g):
    rows = []
    for case in g.cases:
        row = [case]
        for b in g.backends:
            v = g.cells.get((case, b))
            row.append("-" if v is None else
                       v.text + (f" ({v.mark})" if v.mark else ""))
        rows.append(row)
    return _md_table(["case"] + g.backends, rows)


def _md_entry(e):
    out = [f"### {e.title}", ""]
    if e.facts:
        out += [", ".join(e.facts), ""]
    out += [e.detail + (" ..." if e.more else ""), ""]
    if e.command:
        out += ["```sh", e.command, "```"]
    return out


def _md_block(b):
    if isinstance(b, s.Para):
        return [b.text]
    if isinstance(b, s.Items):
        return _md_items(b)
    if isinstance(b, s.Table):
        return _md_table(b.head, b.rows)
    if isinstance(b, s.Chart):
        return ([f"**{b.title}** (chart in report.html). {b.caption}"
                 .rstrip()] + ([""] + _md_items(s.Items(b.values))
                               if b.values else []))
    if isinstance(b, s.Grid):
        return _md_grid(b)
    if isinstance(b, s.Entry):
        return _md_entry(b)
    raise TypeError(b)


def markdown(res, title):
    lines = [f"# {title}", ""]
    lines += _md_items(s.provenance_block(res)) + [""]
    lines += _md_block(s.source_line(res)) + [""]
    for sec in s.build(res):
        lines += [f"## {sec.heading}", ""]
        for b in sec.blocks:
            lines += _md_block(b) + [""]
    if res.skipped_lines:
        lines += [f"({res.skipped_lines} unreadable line(s) skipped, e.g. "
                  "from a run killed while writing.)", ""]
    return "\n".join(lines).rstrip("\n") + "\n"


# -- HTML -----------------------------------------------------------------

def _html_items(items, cls="items"):
    return f"<ul class='{cls}'>" + "".join(
        f"<li><b>{escape(label)}</b>: {escape(text)}</li>" if label else
        f"<li>{escape(text)}</li>" for label, text in items.items) + "</ul>"


def _html_table(head, rows):
    return ("<div class='wide'><table><tr>" +
            "".join(f"<th>{escape(str(h))}</th>" for h in head) + "</tr>" +
            "".join("<tr>" + "".join(f"<td>{escape(str(c))}</td>"
                                     for c in r) + "</tr>" for r in rows) +
            "</table></div>")


def _html_grid(g):
    head = ("<tr><th class='case'></th>" + "".join(
        f"<th class='group' colspan='{n}'>{escape(name)}</th>"
        for name, n in g.groups) + "</tr><tr><th class='case'>case</th>" +
        "".join(f"<th class='b'>{escape(b)}</th>" for b in g.backends) +
        "</tr>")
    body = []
    for case in g.cases:
        row = [f"<td class='case'>{escape(case)}</td>"]
        for b in g.backends:
            v = g.cells.get((case, b))
            if v is None:
                row.append(f"<td style='background:{svg.NOT_RUN}'>-</td>")
                continue
            small = f"<small>{escape(v.mark)}</small>" if v.mark else ""
            row.append(f"<td class='v {v.verdict} {v.mark}' style='"
                       f"background:{svg.VERDICT_COLOUR[v.verdict]}' "
                       f"title='{escape(v.tip)}'>{escape(v.text)}{small}"
                       "</td>")
        body.append("<tr>" + "".join(row) + "</tr>")
    legend = "".join(
        f"<span style='display:inline-block;margin-right:12px'><i style='"
        f"display:inline-block;width:11px;height:11px;margin-right:4px;"
        f"background:{c}'></i>{s.LABEL[v]}</span>"
        for v, c in svg.VERDICT_COLOUR.items())
    return (f"<div class='wide'><table class='grid'>{head}{''.join(body)}"
            f"</table></div><p class='note'>{legend}</p>")


def _html_entry(e):
    out = [f"<div class='entry'><h3>{escape(e.title)}</h3>"]
    if e.facts:
        out.append(f"<p class='facts'>{escape(', '.join(e.facts))}</p>")
    out.append(f"<p>{escape(e.detail)}</p>")
    if e.more:
        out.append(f"<details><summary>the rest of the detail</summary><p>"
                   f"{escape(e.more)}</p></details>")
    if e.command:
        out.append(f"<pre><code>{escape(e.command)}</code></pre>")
    return "".join(out) + "</div>"


def _html_block(b):
    if isinstance(b, s.Para):
        cls = " class='note'" if b.note else ""
        return f"<p{cls}>{escape(b.text)}</p>"
    if isinstance(b, s.Items):
        return _html_items(b)
    if isinstance(b, s.Table):
        return _html_table(b.head, b.rows)
    if isinstance(b, s.Chart):
        return (f"<figure><figcaption><b>{escape(b.title)}</b></figcaption>"
                f"{b.svg}<figcaption>{escape(b.caption)}</figcaption>"
                "</figure>")
    if isinstance(b, s.Grid):
        return _html_grid(b)
    if isinstance(b, s.Entry):
        return _html_entry(b)
    raise TypeError(b)


def _html_blocks(blocks):
    """Consecutive charts share a row that wraps on a narrow screen."""
    out, row = [], []
    for b in blocks + [None]:
        if isinstance(b, s.Chart):
            row.append(_html_block(b))
            continue
        if row:
            out.append("<div class='charts'>" + "".join(row) + "</div>")
            row = []
        if b is not None:
            out.append(_html_block(b))
    return out


def html(res, title):
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width, "
        "initial-scale=1'>",
        f"<title>{escape(title)}</title><style>{CSS}</style></head><body>",
        f"<h1>{escape(title)}</h1>",
        _html_items(s.provenance_block(res), "prov"),
        _html_block(s.source_line(res))]
    for sec in s.build(res):
        parts.append(f"<h2>{escape(sec.heading)}</h2>")
        parts += _html_blocks(sec.blocks)
    if res.skipped_lines:
        parts.append(f"<p class='note'>({res.skipped_lines} unreadable "
                     "line(s) skipped, e.g. from a run killed while "
                     "writing.)</p>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"

# SPDX-License-Identifier: MIT
"""Inline SVG charts for the HTML report: no script, no fonts or styles
from the network, readable when printed.  Each function returns one
<svg> element as text."""

import math
from html import escape

FONT = "font-family='DejaVu Sans, Arial, sans-serif'"
# Outcome colours: green pass, red fail, orange error, purple timeout,
# grey skip; strong enough to tell apart in grey-scale print too.
VERDICT_COLOUR = {"pass": "#2e7d32", "fail": "#c62828", "error": "#ef6c00",
                  "timeout": "#6a1b9a", "skip": "#9e9e9e"}
NOT_RUN = "#e0e0e0"
# A figure that measures something else than its neighbours (a storm
# whose rate is set by stuck threads): no bar, its words in grey.
STALLED = "#9e9e9e"
SERIES = ("#1565c0", "#c62828", "#2e7d32", "#ef6c00", "#6a1b9a", "#00838f",
          "#5d4037", "#ad1457", "#455a64", "#9e9d24")
MAX_POINTS = 600


def _text(x, y, body, size=13, anchor="start", weight="normal",
          fill="#212121", extra=""):
    return (f"<text x='{x:.1f}' y='{y:.1f}' font-size='{size}' "
            f"text-anchor='{anchor}' font-weight='{weight}' fill='{fill}' "
            f"{extra}>{escape(str(body))}</text>")


def _svg(width, height, body, label):
    return (f"<svg xmlns='http://www.w3.org/2000/svg' width='{width:.0f}' "
            f"height='{height:.0f}' viewBox='0 0 {width:.0f} {height:.0f}' "
            f"role='img' aria-label='{escape(label)}' {FONT}>"
            + "".join(body) + "</svg>")


def _chars(texts):
    return max([len(str(t)) for t in texts] + [1])


def bars(items, label, width=420):
    """Horizontal bars, each under its name so that the chart stays
    narrow (it reads on a phone without scaling); items = [(name, value
    or None, colour, text)].  A None value gets no bar, only its text
    (in grey), so that a figure that measures something else is not drawn
    like a small one."""
    room = width - 16 - 7 * _chars([i[3] for i in items if i[1] is not None]
                                   + [""])
    room = max(room, width / 3)
    rh, top = 40, 4
    peak = max([i[1] for i in items if i[1]] + [1])
    body = []
    for n, (name, value, colour, text) in enumerate(items):
        y = top + n * rh
        body.append(_text(2, y + 13, name, size=13))
        if value is None:
            body.append(_text(2, y + 31, text, size=12, fill="#616161"))
            continue
        w = max(room * value / peak, 2)
        body.append(f"<rect x='2' y='{y + 18}' width='{w:.1f}' "
                    f"height='16' fill='{colour}'/>")
        body.append(_text(w + 8, y + 31, text, size=12, weight="bold"))
    return _svg(width, top + len(items) * rh + 4, body, label)


def ticks(lo, hi, count=5):
    """Round tick values covering [lo, hi]."""
    if hi <= lo:
        hi = lo + 1
    raw = (hi - lo) / count
    step = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 5, 10):
        if raw <= m * step:
            step *= m
            break
    n = math.floor(lo / step)
    out = [round(n * step, 10)]
    while out[-1] < hi:
        n += 1
        out.append(round(n * step, 10))
    return out


def thin(points, limit=MAX_POINTS):
    """At most `limit` points: the maximum of each bucket, so a short
    peak survives the thinning."""
    if len(points) <= limit:
        return points
    size = math.ceil(len(points) / limit)
    return [max(points[i:i + size], key=lambda p: p[1])
            for i in range(0, len(points), size)]


def _fmt(v):
    return f"{v:g}" if abs(v) < 1e5 else f"{v:.3g}"


def lines(series, xlabel, ylabel, label, width=640, height=300):
    """Line chart; series = {name: [(x, y)]}, the legend below the plot
    so that the chart keeps its proportions on a narrow screen."""
    pts = [p for s in series.values() for p in s]
    xs, ys = [p[0] for p in pts], [p[1] for p in pts]
    xt = ticks(min(xs), max(xs))
    yt = ticks(min(0, min(ys)), max(ys) * 1.05 if max(ys) > 0 else 1)
    lw, rw, top, bottom = 66, 14, 12, 50
    pw, ph = width - lw - rw, height - top - bottom

    def px(x):
        return lw + pw * (x - xt[0]) / (xt[-1] - xt[0])

    def py(y):
        return top + ph - ph * (y - yt[0]) / (yt[-1] - yt[0])

    body = []
    for v in yt:
        body.append(f"<line x1='{lw}' y1='{py(v):.1f}' x2='{lw + pw}' "
                    f"y2='{py(v):.1f}' stroke='#e0e0e0'/>")
        body.append(_text(lw - 6, py(v) + 5, _fmt(v), size=14,
                          anchor="end"))
    for v in xt:
        body.append(_text(px(v), top + ph + 19, _fmt(v), size=14,
                          anchor="middle"))
    body.append(f"<rect x='{lw}' y='{top}' width='{pw}' height='{ph}' "
                "fill='none' stroke='#424242'/>")
    body.append(_text(lw + pw / 2, top + ph + 42, xlabel, size=14,
                      anchor="middle"))
    body.append(_text(16, top + ph / 2, ylabel, size=14, anchor="middle",
                      extra=f"transform='rotate(-90 16 {top + ph / 2:.1f})'"))
    legend_y = height + 6
    for n, (name, points) in enumerate(series.items()):
        colour = SERIES[n % len(SERIES)]
        path = " ".join(f"{px(x):.1f},{py(y):.1f}"
                        for x, y in thin(sorted(points)))
        marks = "" if len(points) > 40 else "".join(
            f"<circle cx='{px(x):.1f}' cy='{py(y):.1f}' r='3' "
            f"fill='{colour}'/>" for x, y in points)
        body.append(f"<polyline points='{path}' fill='none' "
                    f"stroke='{colour}' stroke-width='2'/>" + marks)
        ly = legend_y + n * 22
        body.append(f"<rect x='{lw}' y='{ly}' width='16' height='12' "
                    f"fill='{colour}'/>")
        body.append(_text(lw + 24, ly + 11, name, size=14))
    return _svg(width, legend_y + len(series) * 22 + 4, body, label)

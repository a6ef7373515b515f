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


def grid(cases, backends, cells, label):
    """cells[(case, backend)] = (verdict colour key, big text, small text,
    tooltip) or missing (not run)."""
    cw = max(104, 8 * _chars(backends) + 18)
    lw = 8 * _chars(cases) + 20
    ch, top = 36, 30
    body = [_text(lw + i * cw + cw / 2, top - 10, b, anchor="middle",
                  weight="bold") for i, b in enumerate(backends)]
    for r, case in enumerate(cases):
        y = top + r * ch
        body.append(_text(lw - 10, y + ch / 2 + 5, case, anchor="end"))
        for i, backend in enumerate(backends):
            x = lw + i * cw
            cell = cells.get((case, backend))
            colour = VERDICT_COLOUR[cell[0]] if cell else NOT_RUN
            tip = f"<title>{escape(cell[3])}</title>" if cell else ""
            body.append(f"<rect x='{x + 2}' y='{y + 2}' width='{cw - 4}' "
                        f"height='{ch - 4}' rx='4' fill='{colour}'>{tip}"
                        "</rect>")
            if not cell:
                body.append(_text(x + cw / 2, y + ch / 2 + 5, "not run",
                                  size=11, anchor="middle", fill="#616161"))
                continue
            big, small = cell[1], cell[2]
            dy = -1 if small else 5
            body.append(_text(x + cw / 2, y + ch / 2 + dy, big, size=13,
                              anchor="middle", weight="bold", fill="#fff"))
            if small:
                body.append(_text(x + cw / 2, y + ch / 2 + 12, small,
                                  size=10, anchor="middle", fill="#fff"))
    return _svg(lw + len(backends) * cw + 4, top + len(cases) * ch + 4,
                body, label)


def bars(items, label, room=300):
    """Horizontal bars; items = [(name, value or None, colour, text)];
    the longest bar is `room` px, its text goes after it."""
    lw = 8 * _chars([i[0] for i in items]) + 16
    width = lw + room + 7 * _chars([i[3] for i in items]) + 24
    bh, top = 30, 8
    peak = max([i[1] for i in items if i[1]] + [1])
    body = []
    for n, (name, value, colour, text) in enumerate(items):
        y = top + n * bh
        body.append(_text(lw - 8, y + bh / 2 + 5, name, anchor="end"))
        if value is None:
            body.append(_text(lw + 4, y + bh / 2 + 5, text, size=12,
                              fill="#757575"))
            continue
        w = max(room * value / peak, 2)
        body.append(f"<rect x='{lw}' y='{y + 4}' width='{w:.1f}' "
                    f"height='{bh - 8}' fill='{colour}'/>")
        body.append(_text(lw + w + 6, y + bh / 2 + 5, text, size=12,
                          weight="bold"))
    body.append(f"<line x1='{lw}' y1='{top}' x2='{lw}' "
                f"y2='{top + len(items) * bh}' stroke='#424242'/>")
    return _svg(width, top + len(items) * bh + 8, body, label)


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


def lines(series, xlabel, ylabel, label, width=760, height=320):
    """Line chart; series = {name: [(x, y)]}, legend on the right."""
    pts = [p for s in series.values() for p in s]
    xs, ys = [p[0] for p in pts], [p[1] for p in pts]
    xt = ticks(min(xs), max(xs))
    yt = ticks(min(0, min(ys)), max(ys) * 1.05 if max(ys) > 0 else 1)
    lw, rw, top, bottom = 64, 170, 12, 46
    pw, ph = width - lw - rw, height - top - bottom

    def px(x):
        return lw + pw * (x - xt[0]) / (xt[-1] - xt[0])

    def py(y):
        return top + ph - ph * (y - yt[0]) / (yt[-1] - yt[0])

    body = []
    for v in yt:
        body.append(f"<line x1='{lw}' y1='{py(v):.1f}' x2='{lw + pw}' "
                    f"y2='{py(v):.1f}' stroke='#e0e0e0'/>")
        body.append(_text(lw - 6, py(v) + 4, _fmt(v), size=11,
                          anchor="end"))
    for v in xt:
        body.append(_text(px(v), top + ph + 16, _fmt(v), size=11,
                          anchor="middle"))
    body.append(f"<rect x='{lw}' y='{top}' width='{pw}' height='{ph}' "
                "fill='none' stroke='#424242'/>")
    body.append(_text(lw + pw / 2, height - 8, xlabel, size=12,
                      anchor="middle"))
    body.append(_text(14, top + ph / 2, ylabel, size=12, anchor="middle",
                      extra=f"transform='rotate(-90 14 {top + ph / 2:.1f})'"))
    for n, (name, points) in enumerate(series.items()):
        colour = SERIES[n % len(SERIES)]
        path = " ".join(f"{px(x):.1f},{py(y):.1f}"
                        for x, y in thin(sorted(points)))
        body.append(f"<polyline points='{path}' fill='none' "
                    f"stroke='{colour}' stroke-width='1.6'/>")
        ly = top + 14 + n * 20
        body.append(f"<rect x='{lw + pw + 14}' y='{ly - 9}' width='14' "
                    f"height='10' fill='{colour}'/>")
        body.append(_text(lw + pw + 34, ly, name, size=12))
    return _svg(width, height, body, label)

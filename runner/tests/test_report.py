# SPDX-License-Identifier: MIT
"""report: reads the committed reference records (the run --json format)
and soak records, and writes a Markdown grid that matches the records and
an HTML page that is self-contained (no script, nothing fetched) with
well-formed SVG whose grid colours are the verdicts."""

import json
import os
import re
import tempfile
import unittest
import xml.etree.ElementTree as ET

from support import RUNNER
from cpstorm_lib import page, results, svg
from cpstorm_lib.errors import UserError

REFERENCE = os.path.join(os.path.dirname(RUNNER), "results",
                         "reference-x86_64-glibc-2.36.jsonl")
SVG = re.compile(r"<svg .*?</svg>", re.S)


def records(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def soak_file(folder):
    """Two storms per backend, samples with a growing libc RSS, and a
    torn last line as a killed writer leaves it."""
    path = os.path.join(folder, "soak.jsonl")
    lines = [{"kind": "soak-start", "run": "r", "seed_range": [1, 2],
              "duration_s": 60, "backends": ["cp:reraise", "libc"],
              "host": "h", "kernel": "6.1"}]
    for i, seed in enumerate((1, 2)):
        for b, leaked in (("cp:reraise", 0), ("libc", 5)):
            lines.append({"kind": "cell", "case": "storm", "backend": b,
                          "verdict": "fail" if leaked else "pass",
                          "detail": "x", "seed": seed, "metrics": {
                              "cancellations": 1000, "leaked_fds": leaked,
                              "lost": 0, "inside_handler": 0,
                              "per_second": 500.0}})
            for k in range(3):
                lines.append({"kind": "sample", "t": 100.0 + 10 * i + k,
                              "run": "r", "elapsed_s": 10 * i + k,
                              "system": {"memavailable_kb": 1 << 20},
                              "processes": [{
                                  "pid": 10 * i + (b == "libc"),
                                  "program": "cpstorm-storm", "backend": b,
                                  "vm_rss_kb": 1024 * (10 + i + k),
                                  "threads": 5, "fds": 9}]})
    with open(path, "w") as f:
        f.write("".join(json.dumps(r) + "\n" for r in lines))
        f.write('{"kind": "cell", "case": "sto')
    return path


class Reference(unittest.TestCase):
    def setUp(self):
        self.res = results.load([REFERENCE])
        self.recs = records(REFERENCE)

    def test_reads_the_committed_format(self):
        self.assertEqual(len(self.res.cells), len(self.recs))
        self.assertEqual(self.res.cases[-1], "storm")
        self.assertIn("cp:reraise", self.res.backends)

    def test_markdown_grid_matches_the_records(self):
        md = page.markdown(self.res, "t")
        head = next(line for line in md.splitlines()
                    if line.startswith("| case |"))
        backends = [c.strip() for c in head.strip("|").split("|")][1:]
        for line in md.splitlines():
            cols = [c.strip() for c in line.strip("|").split("|")]
            if cols[0] not in self.res.cases or len(cols) != len(head.strip(
                    "|").split("|")):
                continue
            for b, shown in zip(backends, cols[1:]):
                rec = next(r for r in self.recs if r["case"] == cols[0]
                           and r["backend"] == b)
                self.assertEqual(shown, rec["verdict"].upper())

    def test_leaks_per_million(self):
        libc = self.res.storms()["libc"]
        rec = next(r for r in self.recs if r["case"] == "storm" and
                   r["backend"] == "libc")["metrics"]
        self.assertAlmostEqual(libc.per_million, rec["leaked_fds"] * 1e6 /
                               rec["cancellations"])
        self.assertEqual(self.res.storms()["cp:reraise"].per_million, 0)

    def test_html_is_self_contained_and_coloured(self):
        text = page.html(self.res, "t")
        self.assertNotIn("<script", text)
        self.assertIsNone(re.search(r"(src|href)\s*=", text))
        self.assertEqual(re.findall(r"https?://[^'\"]+", text),
                         ["http://www.w3.org/2000/svg"] * len(
                             SVG.findall(text)))
        charts = [ET.fromstring(s) for s in SVG.findall(text)]
        grid = charts[0]
        ns = "{http://www.w3.org/2000/svg}"
        fills = [r.get("fill") for r in grid.iter(ns + "rect")]
        expect = [svg.VERDICT_COLOUR[r["verdict"]] for r in self.recs]
        self.assertEqual(sorted(fills), sorted(expect))


class Soak(unittest.TestCase):
    def test_memory_and_torn_line(self):
        with tempfile.TemporaryDirectory() as tmp:
            res = results.load([soak_file(tmp)])
        self.assertEqual(res.skipped_lines, 1)
        storms, system = res.memory()
        # one point per storm process: its peak
        self.assertEqual(sorted(storms["libc"]),
                         [(0.0, 12.0), (10 / 3600, 13.0)])
        self.assertEqual(len(system), 12)
        text = page.html(res, "t")
        self.assertIn("Memory over time", text)
        self.assertEqual(res.storms()["libc"].per_million, 5000)
        self.assertIn("1 unreadable line(s) skipped", page.markdown(res, "t"))

    def test_not_results_is_a_user_error(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "x.jsonl")
            with open(path, "w") as f:
                f.write("hello\n")
            with self.assertRaises(UserError):
                results.load([path])
            with self.assertRaises(UserError):
                results.load([os.path.join(tmp, "missing.jsonl")])


class Charts(unittest.TestCase):
    def test_ticks_cover_the_range(self):
        for lo, hi in ((0, 0.42), (0, 25000), (3, 3), (0.001, 7.3)):
            t = svg.ticks(lo, hi)
            self.assertLessEqual(t[0], lo)
            self.assertGreaterEqual(t[-1], hi)
            self.assertLessEqual(len(t), 12)

    def test_thin_keeps_peaks(self):
        pts = [(i, 1.0) for i in range(5000)]
        pts[2345] = (2345, 99.0)
        out = svg.thin(pts, 100)
        self.assertLessEqual(len(out), 100)
        self.assertIn((2345, 99.0), out)


class Compare(unittest.TestCase):
    """run --compare: changed verdicts against the reference records."""

    def test_changes(self):
        from cpstorm_lib import compare
        from support import cell
        ref = compare.load(REFERENCE)
        cells = [cell("leak-after-return", "libc", "fail"),
                 cell("leak-after-return", "cp:reraise", "fail"),
                 cell("new-case", "libc", "pass")]
        self.assertEqual(compare.changes(cells, ref),
                         [("leak-after-return", "cp:reraise", "pass",
                           "fail")])
        text = compare.section(cells, ref, "ref.jsonl")
        self.assertEqual(text[0], "Compared with ref.jsonl: 1 of 2 "
                         "verdict(s) changed; 1 cell(s) not in it")
        self.assertEqual(text[1], "  leak-after-return / cp:reraise: "
                         "PASS -> FAIL")


if __name__ == "__main__":
    unittest.main()

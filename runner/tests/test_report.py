# SPDX-License-Identifier: MIT
"""report: reads the committed reference records (the run --json format),
soak records and the storm's own records, and writes a Markdown grid that
matches the records and an HTML page that is self-contained (no script,
nothing fetched), made for a narrow screen too, with well-formed SVG and a
grid whose colours are the verdicts; both say the same things under the
same headings, starting with where the records came from."""

import argparse
import json
import os
import re
import subprocess
import tempfile
import unittest
import xml.etree.ElementTree as ET

from support import RUNNER
from cpstorm_lib import page, report, results, svg
from cpstorm_lib.errors import UserError

REFERENCE = os.path.join(os.path.dirname(RUNNER), "results",
                         "reference-x86_64-glibc-2.36.jsonl")
BUILD = os.environ.get("CPSTORM_BUILD_DIR")
STORM_SOAK = os.path.join(os.path.dirname(RUNNER), "results",
                          "storm-soak-x86_64-reraise.jsonl")
PROVENANCE = {"run": "h-1-2", "commit": "abc123", "host": "h",
              "arch": "x86_64", "cpus": 2, "kernel": "6.1.0-9", "libc":
              "glibc 2.36", "started": "2026-12-01T02:00:00Z",
              "storm_setup": {"duration_s": 5, "threads": 1000, "seed": 9}}
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
                self.assertEqual(shown.split()[0], rec["verdict"].upper())

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
        for chart in SVG.findall(text):
            ET.fromstring(chart)
        cells = re.findall(r"<td class='v (\w+)[^']*' style='background:"
                           r"(#\w+)'", text)
        self.assertEqual(sorted(v for v, _ in cells),
                         sorted(r["verdict"] for r in self.recs))
        for verdict, colour in cells:
            self.assertEqual(colour, svg.VERDICT_COLOUR[verdict])

    def test_narrow_screens(self):
        text = page.html(self.res, "t")
        self.assertIn("<meta name='viewport' content='width=device-width",
                      text)
        self.assertIn("@media (max-width:600px)", text)
        for chart in SVG.findall(text):
            self.assertLessEqual(int(re.search(r"width='(\d+)'",
                                               chart)[1]), 640)

    def test_same_headings_and_words(self):
        md, text = page.markdown(self.res, "t"), page.html(self.res, "t")
        self.assertEqual(re.findall(r"^## (.*)$", md, re.M),
                         re.findall(r"<h2>(.*?)</h2>", text))
        self.assertEqual(re.findall(r"^### (.*)$", md, re.M),
                         [x.replace("&amp;", "&") for x in
                          re.findall(r"<h3>(.*?)</h3>", text)])
        for para in re.findall(r"^[A-Z][^|\n]{60,}$", md, re.M):
            if "(chart in report.html)" not in para:
                self.assertIn(para.replace("'", "&#x27;")
                              .replace('"', "&quot;"), text)

    def test_expected_fails_are_marked(self):
        md = page.markdown(self.res, "t")
        row = next(line for line in md.splitlines()
                   if line.startswith("| before-syscall |"))
        self.assertTrue(row.rstrip(" |").endswith(
            "FAIL (expected) | PASS"), row)
        self.assertNotIn("unexpected", md)

    def test_what_did_not_pass_shows_how_to_rerun(self):
        md = page.markdown(self.res, "t")
        part = md[md.index("## What did not pass"):]
        self.assertIn("### pc-sweep / libc: FAIL", part)
        self.assertIn("build/cases/case-pc-sweep --backend libc", part)
        self.assertNotIn(" of 1 run", part)     # a constant says nothing


class Provenance(unittest.TestCase):
    def test_printed_under_the_title(self):
        rec = {**records(REFERENCE)[0], **PROVENANCE}
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "run.jsonl")
            with open(path, "w") as f:
                f.write(json.dumps(rec) + "\n")
            res = results.load([path])
        want = ("h (x86_64, 2 CPUs, Linux 6.1.0-9, glibc 2.36), commit "
                "abc123, started 2026-12-01 02:00:00 UTC; storms of 5 s at "
                "1000 threads, seed 9 (1 cell)")
        md = page.markdown(res, "t").splitlines()
        self.assertEqual(md[:3], ["# t", "", "- " + want])
        self.assertIn(f"<h1>t</h1>\n<ul class='prov'><li>{want}</li>",
                      page.html(res, "t"))

    def test_records_without_it_say_so(self):
        bare = [{k: v for k, v in r.items() if k not in PROVENANCE}
                for r in records(REFERENCE)]
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "old.jsonl")
            with open(path, "w") as f:
                f.write("".join(json.dumps(r) + "\n" for r in bare))
            md = page.markdown(results.load([path]), "t")
        self.assertIn("108 cells without provenance", md.splitlines()[2])


class Details(unittest.TestCase):
    DUMP = ("cancellation lost: still blocked 5 s after the handler "
            "returned; tid 16596 state S syscall [0 0x3 0x7fce954ffe5f 0x1 "
            "0x0 0xffffffffffffffe0 0x1 0x7fce954ffe40 0x7fce95ef7f14] "
            "wchan anon_pipe_read stack [[<0>] anon_pipe_read+0x393/0x440;"
            "[<0>] vfs_read+0x397/0x3d0]")

    def test_never_cut_inside_a_register_dump(self):
        for limit in range(20, len(self.DUMP) + 5, 7):
            head, rest = results.cut(self.DUMP, limit)
            self.assertEqual(head.count("["), head.count("]"), limit)
            self.assertTrue(self.DUMP.startswith(head))
            self.assertEqual(len(head) + bool(rest) * (len(rest) + 1) >=
                             len(self.DUMP) - 2, True)

    def test_short_text_is_whole(self):
        self.assertEqual(results.cut("short", 100), ("short", ""))


class StormRecords(unittest.TestCase):
    """The storm's own records (cpstorm-storm --json), e.g. the committed
    soak of 20 storms: a report with the storm row, its figures and each
    storm's memory."""

    def setUp(self):
        self.res = results.load([STORM_SOAK])

    def test_reads_the_storms(self):
        self.assertEqual(len(self.res.cells), 20)
        self.assertEqual({c["verdict"] for c in self.res.cells}, {"pass"})
        self.assertEqual(self.res.cases, ["storm"])
        self.assertIn("--replay rec.jsonl", self.res.cells[0]["command"])

    def test_charts_the_memory(self):
        text = page.html(self.res, "t")
        self.assertIn("<h2>Memory</h2>", text)
        self.assertIn("peak memory of each storm", text)
        md = page.markdown(self.res, "t")
        self.assertEqual(len(re.findall(r"^\| \d+ \| 10000 \|", md, re.M)),
                         10)
        # a column that never changes is said once, not on every row
        self.assertIn("Same in every row: backend cp:reraise, memory flat.",
                      md)

    def test_the_command_line(self):
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "not", "yet")
            args = argparse.Namespace(files=[STORM_SOAK], out=out,
                                      title="t")
            self.assertEqual(report.command(args, lambda _: None), 0)
            self.assertTrue(os.path.isfile(os.path.join(out,
                                                        "report.html")))


class StormProvenance(unittest.TestCase):
    """The storm binary's own record says where and from what it came (a
    real build; ctest's command for the storm, so a cross build's
    emulator comes with it)."""

    def test_a_short_storm(self):
        if not BUILD or not os.path.isdir(os.path.join(BUILD, "stress")):
            self.skipTest("CPSTORM_BUILD_DIR (a built tree) not given")
        out = subprocess.run(["ctest", "--show-only=json-v1", "-R",
                              "^storm.cp:reraise$"], cwd=BUILD, check=True,
                             capture_output=True, text=True).stdout
        # ctest's command whole (a cross build's emulator and its
        # arguments, such as --batch 8 under qemu-user), with a shorter
        # run: the storm's options take the last value given.
        argv = json.loads(out)["tests"][0]["command"] + [
            "--backend", "cp", "--threads", "20", "--duration", "0.3",
            "--seed", "1"]
        r = subprocess.run(argv, capture_output=True, text=True, timeout=120)
        if r.returncode == 77:
            self.skipTest(r.stdout.strip().splitlines()[-1])
        self.assertIn(r.returncode, (0, 1), r.stderr[-500:])
        rec = json.loads(r.stdout.strip().splitlines()[-1])
        for key in ("commit", "host", "arch", "kernel", "libc", "started"):
            self.assertTrue(rec.get(key), key)
        self.assertGreater(rec["cpus"], 0)
        self.assertEqual(rec["kernel"], os.uname().release)
        self.assertRegex(rec["started"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


class Stalled(unittest.TestCase):
    def test_a_storm_with_stuck_threads_gets_no_rate_bar(self):
        recs = [{"case": "storm", "backend": b, "verdict": v, "detail": "",
                 "metrics": {"cancellations": 1000, "per_second": rate,
                             "leaked_fds": lost, "lost": lost,
                             "stuck": lost, "inside_handler": 0}}
                for b, v, rate, lost in (("cp:reraise", "pass", 9000, 0),
                                         ("cp:noretry", "fail", 150, 4))]
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "r.jsonl")
            with open(path, "w") as f:
                f.write("".join(json.dumps(r) + "\n" for r in recs))
            res = results.load([path])
        md = page.markdown(res, "t")
        self.assertIn("- **cp:noretry**: not comparable: 4 cancellations "
                      "lost", md)
        self.assertIn("No bar for cp:noretry (4 lost, 4 threads stuck)", md)
        rate = SVG.findall(page.html(res, "t"))[1]
        self.assertEqual(len(re.findall(r"<rect ", rate)), 1)


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
        self.assertIn("<h2>Memory</h2>", text)
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

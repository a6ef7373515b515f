# SPDX-License-Identifier: MIT
"""--ktap: the stream is valid KTAP version 1 as the kernel documents it
(checked by ktap_check, a strict reader written from ktap.rst)."""

import io
import unittest

import ktap_check
from support import BACKENDS, ROWS, cell, sample_cells
from cpstorm_lib import ktap


def stream(cells, backends=BACKENDS, rows=ROWS):
    out = io.StringIO()
    s = ktap.Stream(backends, rows, out)
    for c in cells:
        s.write(c)
    s.diagnostics("case  cp:reraise\n\nstorm PASS")
    return out.getvalue()


class Checker(unittest.TestCase):
    """The reader itself must reject what the spec forbids."""

    def test_rejects(self):
        bad = ["TAP version 13\n1..1\nok 1 a\n",          # not KTAP 1
               "KTAP version 1\n1..2\nok 1 a\n",           # plan mismatch
               "KTAP version 1\n1..1\nok 2 a\n",           # numbering
               "KTAP version 1\n1..1\nok 1 a # TIMEOUT 5\n",
               "KTAP version 1\n1..1\n  KTAP version 1\n  1..1\n"
               "  not ok 1 x\nok 1 parent\n",               # bubbling up
               "KTAP version 1\n1..1\n#no space\nok 1 a\n"]
        for text in bad:
            with self.assertRaises(ValueError, msg=text):
                ktap_check.parse(text)

    def test_accepts_nested(self):
        text = ("KTAP version 1\n1..2\n  KTAP version 1\n  1..2\n"
                "  ok 1 a\n  ok 2 b # SKIP not here\n# diag\nok 1 p\n"
                "not ok 2 q # ERROR setup broke\n")
        tree = ktap_check.parse(text)
        self.assertEqual([t["name"] for t in tree], ["p", "q"])
        self.assertEqual(tree[0]["subtests"][1]["directive"], "SKIP")


class Stream(unittest.TestCase):
    def test_valid_and_complete(self):
        tree = ktap_check.parse(stream(sample_cells()))
        self.assertEqual([t["name"] for t in tree], BACKENDS)
        reraise, glibc = tree
        self.assertTrue(reraise["ok"])
        self.assertFalse(glibc["ok"])
        self.assertEqual([t["name"] for t in glibc["subtests"]], ROWS)
        skip = reraise["subtests"][1]
        self.assertEqual((skip["ok"], skip["directive"]), (True, "SKIP"))
        self.assertIn("user notification", skip["data"])
        fail, timeout, error = glibc["subtests"]
        self.assertEqual((fail["ok"], fail["directive"]), (False, None))
        self.assertEqual((timeout["ok"], timeout["directive"]),
                         (False, "TIMEOUT"))
        self.assertEqual((error["ok"], error["directive"]), (False, "ERROR"))

    def test_detail_before_result(self):
        lines = stream(sample_cells()).splitlines()
        i = lines.index("  not ok 1 leak-after-return")
        self.assertTrue(lines[i - 1].startswith("  # leak-after-return: "
                                                "FAIL: leaked 1 fd"))

    def test_block_waits_for_its_cells(self):
        """cp:reraise's block comes out when its storm is in, not before,
        and glibc's never while a cell of it is missing."""
        out = io.StringIO()
        s = ktap.Stream(BACKENDS, ROWS, out)
        cells = sample_cells()
        for c in cells[:4]:
            s.write(c)
        self.assertEqual(out.getvalue(), "KTAP version 1\n1..2\n")
        s.write(cells[4])
        self.assertIn("ok 1 cp:reraise\n", out.getvalue())
        self.assertNotIn("glibc-2.41", out.getvalue())

    def test_all_skipped_backend_is_skipped(self):
        cells = [cell(r, "libc", "skip", "no kernel support") for r in ROWS]
        tree = ktap_check.parse(stream(cells, ["libc"]))
        self.assertEqual(tree[0]["directive"], "SKIP")


class Lava(unittest.TestCase):
    def test_lava_cases(self):
        cases = ktap.lava_cases(stream(sample_cells()))
        self.assertEqual(cases, [
            ("cp_reraise.leak-after-return", "pass"),
            ("cp_reraise.nested-handler-not-lost", "skip"),
            ("cp_reraise.storm", "pass"),
            ("glibc-2.41.leak-after-return", "fail"),
            ("glibc-2.41.nested-handler-not-lost", "fail"),
            ("glibc-2.41.storm", "unknown")])


if __name__ == "__main__":
    unittest.main()

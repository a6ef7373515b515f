# SPDX-License-Identifier: MIT
"""--junit: a document Jenkins and GitLab read (root <testsuites>, a
<testsuite> per backend with consistent counts, <testcase name classname
time> with at most one failure/error/skipped child), rewritten whole after
every cell."""

import os
import tempfile
import unittest
import xml.etree.ElementTree as ET

from support import BACKENDS, sample_cells
from cpstorm_lib import junit
from cpstorm_lib.errors import UserError

CHILD = {"fail": "failure", "timeout": "failure", "error": "error",
         "skip": "skipped"}


def counts(element):
    """The counters of a <testsuite>, or of the root (where Jenkins'
    schema, xunit-plugin junit-10.xsd, allows no "skipped")."""
    keys = ("tests", "failures", "errors", "skipped")
    if element.tag == "testsuites":
        assert "skipped" not in element.attrib
        keys = keys[:3]
    return {k: int(element.get(k)) for k in keys}


class Document(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.path = os.path.join(self.dir.name, "junit.xml")
        self.cells = sample_cells()

    def tearDown(self):
        self.dir.cleanup()

    def write(self, cells):
        w = junit.Writer(self.path, BACKENDS)
        for c in cells:
            w.write(c)
        w.close()
        return ET.parse(self.path).getroot()

    def test_structure_and_counts(self):
        root = self.write(self.cells)
        self.assertEqual(root.tag, "testsuites")
        suites = root.findall("testsuite")
        self.assertEqual([s.get("name") for s in suites], BACKENDS)
        total = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
        for suite in suites:
            tally = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
            for tc in suite.findall("testcase"):
                self.assertTrue(tc.get("name"))
                self.assertNotIn(".", tc.get("classname")[12:])
                float(tc.get("time"))
                kids = [k.tag for k in tc if k.tag != "system-out"]
                self.assertLessEqual(len(kids), 1)
                tally["tests"] += 1
                for tag, key in (("failure", "failures"), ("error", "errors"),
                                 ("skipped", "skipped")):
                    tally[key] += kids == [tag]
            self.assertEqual(counts(suite), tally)
            for k in total:
                total[k] += tally[k]
        self.assertEqual(counts(root), {k: total[k] for k in counts(root)})
        self.assertEqual(total, {"tests": 6, "failures": 2, "errors": 1,
                                 "skipped": 1})

    def test_outcome_elements_carry_the_detail(self):
        root = self.write(self.cells)
        for c in self.cells:
            tc = root.find(f"testsuite[@name='{c.backend}']/"
                           f"testcase[@name='{c.case}']")
            if c.verdict == "pass":
                self.assertIsNone(tc.find("failure"))
                continue
            child = tc.find(CHILD[c.verdict])
            self.assertEqual(child.get("type"), c.verdict)
            self.assertEqual(child.get("message")[:20], c.detail[:20])
        storm = root.find("testsuite/testcase[@name='storm']")
        self.assertIn("seed: 7", storm.find("system-out").text)

    def test_valid_after_each_cell(self):
        w = junit.Writer(self.path, BACKENDS)
        self.assertEqual(counts(ET.parse(self.path).getroot())["tests"], 0)
        for n, c in enumerate(self.cells, 1):
            w.write(c)
            root = ET.parse(self.path).getroot()
            self.assertEqual(counts(root)["tests"], n)
        self.assertEqual(os.listdir(self.dir.name), ["junit.xml"])

    def test_unwritable_path_is_a_user_error(self):
        with self.assertRaises(UserError):
            junit.Writer(os.path.join(self.dir.name, "no", "x.xml"),
                         BACKENDS)
        with self.assertRaises(UserError):
            junit.Writer(self.dir.name, BACKENDS)


if __name__ == "__main__":
    unittest.main()

# SPDX-License-Identifier: MIT
"""`cpstorm run --ktap --junit --json` end to end on a real build (ctest
passes CPSTORM_BUILD_DIR): stdout is valid KTAP holding the same verdicts
as the JSON records and the JUnit file."""

import json
import os
import subprocess
import sys
import tempfile
import unittest
import xml.etree.ElementTree as ET

import ktap_check
from support import RUNNER

BUILD = os.environ.get("CPSTORM_BUILD_DIR")


class RunOutputs(unittest.TestCase):
    def setUp(self):
        if not BUILD or not os.path.isdir(os.path.join(BUILD, "cases")):
            self.skipTest("CPSTORM_BUILD_DIR (a built tree) not given; "
                          "ctest sets it")

    def test_three_formats_agree(self):
        with tempfile.TemporaryDirectory() as tmp:
            xml_path = os.path.join(tmp, "junit.xml")
            json_path = os.path.join(tmp, "run.jsonl")
            r = subprocess.run(
                [sys.executable, os.path.join(RUNNER, "cpstorm"), "run",
                 "--no-build", "--build-dir", BUILD, "--no-storm",
                 "--cases", "leak-after-return", "--backends", "cp,libc",
                 "--ktap", "--junit", xml_path, "--json", json_path],
                capture_output=True, text=True, timeout=120)
            self.assertEqual(r.returncode, 0, r.stderr)
            tree = ktap_check.parse(r.stdout)
            records = [json.loads(line) for line in open(json_path)]
            root = ET.parse(xml_path).getroot()
        by_ktap = {(sub["name"], top["name"]): sub["ok"]
                   for top in tree for sub in top["subtests"]}
        by_json = {(r["case"], r["backend"]): r["verdict"] in
                   ("pass", "skip") for r in records}
        self.assertEqual(by_ktap, by_json)
        self.assertEqual(len(by_json), 2)
        failed = {(tc.get("name"), s.get("name")) for s in root
                  for tc in s.findall("testcase")
                  if tc.find("failure") is not None or
                  tc.find("error") is not None}
        self.assertEqual(failed, {k for k, ok in by_json.items() if not ok})
        # The human table still reaches people, as diagnostics.
        self.assertIn("# case ", r.stdout)


if __name__ == "__main__":
    unittest.main()

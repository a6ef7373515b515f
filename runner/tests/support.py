# SPDX-License-Identifier: MIT
"""Shared bits of the runner's unit tests: import path and fake cells."""

import os
import sys

RUNNER = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True
sys.path.insert(0, RUNNER)

from cpstorm_lib.verdict import Cell  # noqa: E402


def cell(case, backend, verdict, detail="", duration_s=0.5, **extra):
    return Cell(case, backend, verdict, detail, {}, duration_s,
                {"pass": 0, "fail": 1, "error": 2, "skip": 77}.get(verdict),
                [f"build/cases/case-{case}", "--backend", backend], extra)


# One cell of every verdict, over two backends (one with a dotted version
# name), in `run` order: cases per backend, then storms.
BACKENDS = ["cp:reraise", "glibc-2.41"]
ROWS = ["leak-after-return", "nested-handler-not-lost", "storm"]


def sample_cells():
    return [
        cell("leak-after-return", "cp:reraise", "pass", "fd 5 reached"),
        cell("nested-handler-not-lost", "cp:reraise", "skip",
             "no seccomp # user notification"),
        cell("leak-after-return", "glibc-2.41", "fail",
             "leaked 1 fd (fd 5 -> anon_inode:[eventfd]) <&> \x01"),
        cell("nested-handler-not-lost", "glibc-2.41", "timeout",
             "no verdict within 60 s", duration_s=60.0),
        cell("storm", "cp:reraise", "pass", "100 cancellations", seed=7),
        cell("storm", "glibc-2.41", "error", "storm ended abnormally",
             seed=7),
    ]

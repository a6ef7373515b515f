# SPDX-License-Identifier: MIT
"""JUnit XML (--junit FILE) for Jenkins and GitLab: a <testsuite> per
backend, a <testcase> per case (and the storm), with <failure>, <error> or
<skipped> carrying the one-line detail.

The file is rewritten atomically after every cell, so a run killed half
way leaves a valid document with what it measured, never a truncated one.
Jenkins splits classname at dots into package and class, so the dots of a
version (glibc-2.41) become underscores there; the suite name and a
property keep the real backend name."""

import os
import re
import socket
import time
import xml.etree.ElementTree as ET

from .errors import UserError

# verdict -> (element, type attribute); pass has no child element.
OUTCOME = {"fail": ("failure", "fail"), "timeout": ("failure", "timeout"),
           "error": ("error", "error"), "skip": ("skipped", "skip")}


# Characters XML 1.0 cannot carry at all (a case's output may hold them).
NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _text(value):
    return NOT_XML.sub("?", str(value))


def classname(backend):
    return "cancelstorm." + backend.replace(".", "_")


def _testcase(cell):
    tc = ET.Element("testcase", name=cell.case,
                    classname=classname(cell.backend),
                    time=f"{cell.duration_s:.3f}")
    if cell.verdict in OUTCOME:
        tag, kind = OUTCOME[cell.verdict]
        child = ET.SubElement(tc, tag, message=_text(cell.detail),
                              type=kind)
        child.text = _text(f"{cell.verdict.upper()}: {cell.detail}")
    out = ET.SubElement(tc, "system-out")
    out.text = _text("command: " + " ".join(map(str, cell.command)))
    if "seed" in cell.extra:
        out.text += f"\nseed: {cell.extra['seed']}"
    return tc


def _counts(cells):
    return {"tests": str(len(cells)),
            "failures": str(sum(c.verdict in ("fail", "timeout")
                                for c in cells)),
            "errors": str(sum(c.verdict == "error" for c in cells)),
            "skipped": str(sum(c.verdict == "skip" for c in cells)),
            "time": f"{sum(c.duration_s for c in cells):.3f}"}


def document(cells, backends, started):
    """The whole <testsuites> tree for the cells so far."""
    # Jenkins' schema (xunit junit-10.xsd) has no "skipped" on the root.
    root = ET.Element("testsuites", name="cancelstorm", **_counts(cells))
    del root.attrib["skipped"]
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(started))
    for i, backend in enumerate(backends):
        mine = [c for c in cells if c.backend == backend]
        suite = ET.SubElement(root, "testsuite", name=backend, id=str(i),
                              timestamp=stamp, hostname=socket.gethostname(),
                              **_counts(mine))
        props = ET.SubElement(suite, "properties")
        ET.SubElement(props, "property", name="backend", value=backend)
        suite.extend(_testcase(c) for c in mine)
    ET.indent(root)
    return ET.ElementTree(root)


def check_writable(path):
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path) or not os.access(folder, os.W_OK):
        raise UserError(f"cannot write --junit {path}: not a file in a "
                        "writable directory; pick a writable path")


class Writer:
    def __init__(self, path, backends):
        check_writable(path)
        self.path, self.backends = path, list(backends)
        self.cells, self.started = [], time.time()
        self._save()

    def _save(self):
        tmp = f"{self.path}.tmp{os.getpid()}"
        document(self.cells, self.backends, self.started).write(
            tmp, encoding="UTF-8", xml_declaration=True)
        os.replace(tmp, self.path)

    def write(self, cell):
        self.cells.append(cell)
        self._save()

    def close(self):
        pass

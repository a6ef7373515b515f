# SPDX-License-Identifier: MIT
"""Where `run` sends each finished cell: the JSON Lines file (--json), the
JUnit file (--junit) and KTAP on stdout (--ktap), all fed as cells finish
so a killed run keeps what it measured."""

from . import junit, ktap, report


def check(args):
    """Before the build: fail early on an output path that cannot work."""
    report.check_writable(args.json)
    if args.junit:
        junit.check_writable(args.junit)


class Sinks:
    def __init__(self, args, rows):
        self.ktap = ktap.Stream(args.backends, rows) if args.ktap else None
        self.all = [report.JsonLines(args.json, args.provenance)]
        if args.junit:
            self.all.append(junit.Writer(args.junit, args.backends))
        if self.ktap:
            self.all.append(self.ktap)

    def write(self, cell):
        for sink in self.all:
            sink.write(cell)

    def close(self):
        for sink in self.all:
            sink.close()

    def show(self, text):
        """The human summary: plain stdout, or KTAP diagnostic lines when
        stdout carries KTAP."""
        if self.ktap:
            self.ktap.diagnostics(text)
        else:
            print(text, flush=True)

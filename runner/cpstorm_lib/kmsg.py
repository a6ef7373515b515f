# SPDX-License-Identifier: MIT
"""Kernel health: fail a cell when the kernel complained while it ran.

Cancellation storms hammer signal delivery, futexes, io_uring and fd
tables; a kernel bug they trigger shows up as a BUG/WARNING/Oops/lockdep
splat in the kernel log, not in the case's own verdict.  Around each cell
we write a begin and an end marker to /dev/kmsg and read the records
between them.  Only records of facility 0 (the kernel itself) count, so a
user-space program writing "WARNING:" to /dev/kmsg cannot fail a cell.
The log is system-wide: a splat caused by something else running at the
same time fails the cell too, and the detail quotes the line so a person
can tell."""

import errno
import os
import re
import sys

KMSG = "/dev/kmsg"
# A splat's first line; the rest (registers, stack) follows it.
SPLAT = re.compile(
    r"BUG:|WARNING:|Oops|general protection|lockdep|kernel BUG at|"
    r"possible circular locking dependency|possible recursive locking|"
    r"inconsistent lock state|UBSAN:|KASAN:|Kernel panic")
READ_SIZE = 8192       # one /dev/kmsg record per read; records are <= 8k
DETAIL_WIDTH = 300


def parse_record(raw):
    """'prio,seq,usec,flags[,..];text\\n key=value...' -> (facility, text),
    or None for anything else.  Continuation lines (dictionary) dropped."""
    head, sep, rest = raw.partition(";")
    fields = head.split(",")
    if not sep or len(fields) < 3 or not fields[0].isdigit():
        return None
    text = rest.split("\n", 1)[0]
    return int(fields[0]) >> 3, text


def window(records, begin, end):
    """(facility, text) of the records after the one containing `begin`
    and before the one containing `end` (to the last record when the end
    marker is missing).  The reader was opened just before `begin` was
    written, so when a flood of messages overwrote `begin` (EPIPE)
    everything read still belongs to the cell."""
    parsed = [p for p in map(parse_record, records) if p is not None]
    start = next((i + 1 for i, (_, text) in enumerate(parsed)
                  if begin in text), 0)
    found = []
    for record in parsed[start:]:
        if end in record[1]:
            break
        found.append(record)
    return found


def splats(records):
    """The kernel's own lines (facility 0) that start a splat."""
    return [text.strip() for facility, text in records
            if facility == 0 and SPLAT.search(text)]


def _write(text):
    """A fresh fd per marker: /dev/kmsg rate-limits writes per open file
    (printk_devkmsg=ratelimit drops the 11th line in 5 s silently)."""
    fd = os.open(KMSG, os.O_WRONLY)
    try:
        os.write(fd, text.encode() + b"\n")
    finally:
        os.close(fd)


def _drain(fd):
    records = []
    while True:
        try:
            data = os.read(fd, READ_SIZE)
        except BlockingIOError:
            return records
        except OSError as e:
            if e.errno == errno.EPIPE:   # overwritten records; keep going
                continue
            raise
        if not data:
            return records
        records.append(data.decode("utf-8", errors="replace"))


class KmsgError(Exception):
    """/dev/kmsg failed around a job; `ran` says whether the job ran and
    `result` is then its result."""

    def __init__(self, error, ran=False, result=None):
        super().__init__(error.strerror)
        self.error, self.ran, self.result = error, ran, result


def bracket(job, tag, describe=lambda result: ""):
    """(job(), the kernel log records written while it ran): markers
    '<tag> begin' and '<tag> end <describe(result)>' go to /dev/kmsg
    around it.  Needs root; /dev/kmsg failing raises KmsgError."""
    begin, end = f"{tag} begin", f"{tag} end"
    try:
        reader = os.open(KMSG, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as e:
        raise KmsgError(e)
    try:
        try:
            os.lseek(reader, 0, os.SEEK_END)   # only records from now on
            _write(begin)
        except OSError as e:
            raise KmsgError(e)
        result = job()
        try:
            _write(f"{end} {describe(result)}".rstrip())
            return result, window(_drain(reader), begin, end)
        except OSError as e:
            raise KmsgError(e, True, result)
    finally:
        os.close(reader)


class Watch:
    """Brackets cells with kmsg markers.  `enabled` is False, with `why`
    saying so, when the check cannot run here."""

    def __init__(self, wanted=True):
        self.enabled, self.why, self.count = False, "", 0
        self.last = []        # the records of the last cell's window
        if not wanted:
            self.why = "turned off with --no-kernel-check"
        elif os.geteuid() != 0:
            self.why = ("not root: writing markers to /dev/kmsg needs root "
                        "(run as root to fail cells on kernel BUG/WARNING)")
        elif not os.access(KMSG, os.R_OK | os.W_OK):
            self.why = f"{KMSG} is missing or not readable and writable"
        else:
            self.enabled = True

    def run(self, job):
        """Run job() -> Cell; fail the cell if the kernel splatted."""
        if not self.enabled:
            return job()
        self.count += 1
        tag = f"cpstorm[{os.getpid()}.{self.count}]"
        try:
            cell, self.last = bracket(job, tag, lambda c: f"{c.case} on "
                                      f"{c.backend}")
        except KmsgError as e:
            self._give_up(e.error)
            return e.result if e.ran else job()
        found = splats(self.last)
        if found:
            judge(cell, found)
        return cell

    def _give_up(self, error):
        """/dev/kmsg stopped working mid-run: say so once, go on without."""
        self.enabled = False
        self.why = f"{KMSG}: {error.strerror}"
        print(f"cpstorm: kernel check off from here on: {self.why}",
              file=sys.stderr, flush=True)


def judge(cell, found):
    """A kernel splat fails the cell whatever the case said; the case's
    own verdict stays in the detail."""
    first = found[0][:DETAIL_WIDTH]
    own = "" if cell.verdict == "pass" else \
        f" (case said {cell.verdict}: {cell.detail})"
    cell.verdict, cell.detail = "fail", f"kernel: {first}{own}"
    cell.extra["kernel_log"] = found[:20]

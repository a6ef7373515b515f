# SPDX-License-Identifier: MIT
"""Samples /proc while a soak runs: the programs the runner started (the
storm or a case: resident memory, threads, open fds) and the system
(available memory, load, open files, processes).  A storm that leaks
memory or threads over hours, or a system that runs dry, shows up here
even when every storm's own verdict passes.

It runs in a thread of its own and finds the running program as a child
of the runner, so the code that starts programs needs no hook."""

import os
import threading
import time


def _read(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return None


def children(pid):
    """Pids of pid's children (CONFIG_PROC_CHILDREN), falling back to a
    scan of /proc for PPid."""
    found = []
    tasks = f"/proc/{pid}/task"
    try:
        tids = os.listdir(tasks)
    except OSError:
        tids = []
    listed = False
    for tid in tids:
        text = _read(f"{tasks}/{tid}/children")
        if text is not None:
            listed = True
            found += [int(p) for p in text.split()]
    if listed:
        return found
    for entry in os.listdir("/proc"):
        status = _read(f"/proc/{entry}/status") if entry.isdigit() else None
        if status and f"\nPPid:\t{pid}\n" in status:
            found.append(int(entry))
    return found


def _status_kb(status, key):
    for line in status.splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return None


def process(pid, label=None):
    """{pid, program, backend, vm_rss_kb, vm_hwm_kb, threads, fds} or None
    when the process is gone.  label(argv) names the backend of a program
    run under another libc (its own --backend then says only "libc")."""
    status = _read(f"/proc/{pid}/status")
    cmdline = _read(f"/proc/{pid}/cmdline")
    if status is None or cmdline is None:
        return None
    argv = cmdline.split("\0")
    # A program run through a libc's loader: name the program, not ld.so.
    program = next((os.path.basename(a) for a in argv
                    if os.path.basename(a).startswith(("case-", "cpstorm-"))),
                   os.path.basename(argv[0]))
    backend = label(argv) if label else None
    if backend is None and "--backend" in argv[:-1]:
        backend = argv[argv.index("--backend") + 1]
    try:
        fds = len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        fds = None
    return {"pid": pid, "program": program, "backend": backend,
            "vm_rss_kb": _status_kb(status, "VmRSS"),
            "vm_hwm_kb": _status_kb(status, "VmHWM"),
            "threads": _status_kb(status, "Threads"), "fds": fds}


def system():
    """System-wide figures: MemAvailable, load, allocated files, tasks."""
    out = {}
    mem = _read("/proc/meminfo") or ""
    for key in ("MemTotal", "MemAvailable"):
        value = _status_kb(mem, key)
        if value is not None:
            out[key.lower() + "_kb"] = value
    load = (_read("/proc/loadavg") or "").split()
    if len(load) >= 4:
        out["load1"] = float(load[0])
        out["tasks"] = int(load[3].split("/")[1])
    files = (_read("/proc/sys/fs/file-nr") or "").split()
    if files:
        out["open_files"] = int(files[0])
    return out


def sample(parent, label=None):
    found = (process(pid, label) for pid in children(parent))
    return {"kind": "sample", "t": round(time.time(), 3),
            "system": system(), "processes": [p for p in found if p]}


def launch_labeler(launches):
    """label(argv) for the libc backends of `run`/`soak` (args.launches:
    name -> how its programs start): the launch whose loader prefix
    starts argv and whose programs include one in argv."""
    def label(argv):
        for name, launch in launches.items():
            prefix = list(getattr(launch, "prefix", None) or [])
            programs = set((getattr(launch, "cases", None) or {}).values())
            programs.add(getattr(launch, "storm", None))
            if argv[:len(prefix)] == prefix and programs & set(argv):
                return name
        return None
    return label


class Sampler:
    """Calls emit(record) every `interval` seconds until stop()."""

    def __init__(self, interval, emit, extra, label=None):
        self.interval, self.emit, self.extra = interval, emit, extra
        self.label = label
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True,
                                       name="cpstorm-sampler")
        self.parent = os.getpid()

    def start(self):
        self.thread.start()

    def _loop(self):
        while not self.stopping.wait(self.interval):
            rec = sample(self.parent, self.label)
            rec.update(self.extra())
            self.emit(rec)

    def stop(self):
        self.stopping.set()
        self.thread.join()

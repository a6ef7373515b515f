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


def process(pid):
    """{pid, program, backend, vm_rss_kb, vm_hwm_kb, threads, fds} or None
    when the process is gone."""
    status = _read(f"/proc/{pid}/status")
    cmdline = _read(f"/proc/{pid}/cmdline")
    if status is None or cmdline is None:
        return None
    argv = cmdline.split("\0")
    # A program run through a libc's loader: name the program, not ld.so.
    program = next((os.path.basename(a) for a in argv
                    if os.path.basename(a).startswith(("case-", "cpstorm-"))),
                   os.path.basename(argv[0]))
    backend = argv[argv.index("--backend") + 1] \
        if "--backend" in argv[:-1] else None
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


def sample(parent):
    return {"kind": "sample", "t": round(time.time(), 3),
            "system": system(),
            "processes": [p for p in map(process, children(parent)) if p]}


class Sampler:
    """Calls emit(record) every `interval` seconds until stop()."""

    def __init__(self, interval, emit, extra):
        self.interval, self.emit, self.extra = interval, emit, extra
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True,
                                       name="cpstorm-sampler")
        self.parent = os.getpid()

    def start(self):
        self.thread.start()

    def _loop(self):
        while not self.stopping.wait(self.interval):
            rec = sample(self.parent)
            rec.update(self.extra())
            self.emit(rec)

    def stop(self):
        self.stopping.set()
        self.thread.join()

# SPDX-License-Identifier: MIT
"""Where and from what a result came: the fields every record of `run`,
`soak` and `bench` carries, so that a record read months later, or next to
records of another machine, still says what it measured.

  run      the run's id (host-pid-time), shared by its records
  commit   the source tree's commit (git describe; "-dirty" with local
           changes; "unknown" outside a git checkout)
  host, arch, cpus (the CPUs this process may use), kernel (uname -r),
  libc     the C library the runner and the build use ("glibc 2.36")
  started  when the run started (UTC, ISO 8601)

A cell run somewhere else (a virtual machine with another kernel) sets
its own value in the cell's extra fields, which are written after these
and so take precedence."""

import os
import socket
import subprocess
import time

FIELDS = ("run", "commit", "host", "arch", "cpus", "kernel", "libc",
          "started")


def commit(repo):
    try:
        r = subprocess.run(["git", "-C", repo, "describe", "--always",
                            "--dirty", "--abbrev=12"],
                           capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    return r.stdout.strip() if r.returncode == 0 and r.stdout.strip() \
        else "unknown"


def cpus():
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count()


def libc():
    version = os.confstr("CS_GNU_LIBC_VERSION") \
        if "CS_GNU_LIBC_VERSION" in os.confstr_names else None
    return version or "unknown"


def collect(repo, start=None):
    """The provenance of a run that starts now (or at `start`, epoch s)."""
    start = time.time() if start is None else start
    host = socket.gethostname()
    return {"run": f"{host}-{os.getpid()}-{int(start)}",
            "commit": commit(repo), "host": host,
            "arch": os.uname().machine, "cpus": cpus(),
            "kernel": os.uname().release, "libc": libc(),
            "started": time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                     time.gmtime(start))}


def storm_setup(duration_s, threads, seed):
    """The storm set-up of a run, as records carry it."""
    return {"duration_s": duration_s, "threads": threads, "seed": seed}


def describe(p):
    """One line for people: "host (x86_64, 2 CPUs, Linux 6.1, glibc
    2.36), commit abc, started ...; storms ..." from whatever fields a
    record has."""
    machine = ", ".join(x for x in (
        p.get("arch"), f"{p['cpus']} CPUs" if p.get("cpus") else None,
        f"Linux {p['kernel']}" if p.get("kernel") else None,
        p.get("libc")) if x)
    text = p.get("host") or "unknown host"
    if machine:
        text += f" ({machine})"
    if p.get("commit"):
        text += f", commit {p['commit']}"
    if p.get("started"):
        text += (", started " +
                 p['started'].replace('T', ' ').replace('Z', ' UTC'))
    s = p.get("storm_setup")
    if s:
        text += (f"; storms of {s['duration_s']:g} s at {s['threads']} "
                 f"threads, seed {s['seed']}")
    return text

# SPDX-License-Identifier: MIT
"""Configure and build with cmake; find what the build produced."""

import os
import subprocess
import sys
import time

from .errors import UserError

LOG_NAME = "cpstorm-build.log"
LOG_TAIL_LINES = 30


def jobs():
    """Parallel build jobs: the CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _prepare_dir(build_dir):
    if os.path.exists(build_dir) and not os.path.isdir(build_dir):
        raise UserError(f"--build-dir {build_dir} is not a directory; "
                        "pick a directory path")
    try:
        os.makedirs(build_dir, exist_ok=True)
    except OSError as e:
        raise UserError(f"cannot create build directory {build_dir}: "
                        f"{e.strerror}; pick another --build-dir")


def _tail(path, n):
    with open(path, errors="replace") as f:
        return f.readlines()[-n:]


def _step(argv, log, failure_status):
    """Run one cmake step with its output appended to the log."""
    log.write("$ " + " ".join(argv) + "\n")
    log.flush()
    r = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=log,
                       stderr=subprocess.STDOUT)
    if r.returncode != 0:
        log.flush()
        sys.stderr.writelines(_tail(log.name, LOG_TAIL_LINES))
        raise UserError(f"'{' '.join(argv[:2])} ...' failed (status "
                        f"{r.returncode}); full log: {log.name}",
                        failure_status)


def ensure_built(repo, build_dir, cmake_options=(), reconfigure=False,
                 failure_status=2):
    """Configure (when there is no cache yet, or when asked) and build.
    The tools' output goes to <build>/cpstorm-build.log; on failure its
    tail is shown and UserError(failure_status) is raised."""
    _prepare_dir(build_dir)
    log_path = os.path.join(build_dir, LOG_NAME)
    start = time.monotonic()
    print(f"cpstorm: building in {build_dir} (log: {log_path})",
          file=sys.stderr, flush=True)
    with open(log_path, "w") as log:
        cache = os.path.join(build_dir, "CMakeCache.txt")
        if reconfigure or not os.path.exists(cache):
            _step(["cmake", "-S", repo, "-B", build_dir,
                   "-DCMAKE_BUILD_TYPE=RelWithDebInfo", *cmake_options],
                  log, failure_status)
        _step(["cmake", "--build", build_dir, f"-j{jobs()}"], log,
              failure_status)
    print(f"cpstorm: build done in {time.monotonic() - start:.1f} s",
          file=sys.stderr, flush=True)


def discover_cases(build_dir):
    """{case name: binary path} for every build/cases/case-<name>."""
    folder = os.path.join(build_dir, "cases")
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        names = []
    cases = {}
    for name in names:
        path = os.path.join(folder, name)
        if (name.startswith("case-") and len(name) > 5 and
                os.path.isfile(path) and os.access(path, os.X_OK)):
            cases[name[5:]] = path
    if not cases:
        raise UserError(f"no case binaries in {folder}; build them (run "
                        "without --no-build) or check cases/CMakeLists.txt")
    return cases


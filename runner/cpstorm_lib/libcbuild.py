# SPDX-License-Identifier: MIT
"""Builds of the case and storm programs against another C library:
  - an older glibc: cmake with a sysroot made of that version's libc6-dev
    (and the -dev packages of the same Debian release);
  - musl: every source of the wanted targets recompiled against musl's
    headers and linked statically with its libc.a.  Which sources make up
    a target, with which flags, comes from the system build's cmake File
    API codemodel, so nothing here repeats the CMakeLists files.
Both return ({target: binary}, {target: (verdict, reason)}) for what did
not build: "skip" when the reason is a library Debian has no build of for
that C library, "error" otherwise."""

import concurrent.futures
import glob
import hashlib
import json
import os
import re
import shlex
import subprocess

from . import build

TRIPLET = "x86_64-linux-gnu"
MUSL_TRIPLET = "x86_64-linux-musl"
# Headers of libraries Debian ships no musl build of: a source that needs
# one is left out, and a target that then does not link is a SKIP.
NO_MUSL_BUILD = {"seccomp.h": "libseccomp", "liburing.h": "liburing",
                 "check.h": "Check"}
MISSING_HEADER = re.compile(r"fatal error: (\S+): No such file or directory")
# Kernel uapi headers do not depend on the C library: musl builds take the
# host's (linux-libc-dev), through links that expose nothing else of
# /usr/include.
KERNEL_HEADERS = {"linux": "/usr/include/linux",
                  "asm": f"/usr/include/{TRIPLET}/asm",
                  "asm-generic": "/usr/include/asm-generic"}
DROPPED_FLAGS = re.compile(r"-Werror(=.*)?|-fsanitize.*|-fno-sanitize.*")


def target_path(build_dir, target):
    sub = "stress" if target == "cpstorm-storm" else "cases"
    return os.path.join(build_dir, sub, target)


def _first_error(text):
    for line in text.splitlines():
        if "error" in line.lower() or "undefined reference" in line:
            return line.strip()[:300]
    return (text.strip().splitlines() or ["(no output)"])[-1][:300]


# ---- older glibc: cmake with a sysroot --------------------------------

def _write(path, text):
    old = None
    if os.path.exists(path):
        with open(path) as f:
            old = f.read()
    if old != text:
        with open(path, "w") as f:
            f.write(text)
    return old != text


def sysroot_build(repo, build_dir, sysroot, targets, say):
    """Configure and build `targets` against the glibc in `sysroot`.
    Debian's gcc looks in its own prefix before the sysroot, so the
    sysroot's crt files and libraries are put first with -B and -L."""
    os.makedirs(build_dir, exist_ok=True)
    libdirs = [os.path.join(sysroot, d, TRIPLET) for d in ("usr/lib", "lib")]
    link = " ".join([f"-B{libdirs[0]}/"] + [f"-L{d}" for d in libdirs])
    toolchain = os.path.join(build_dir, "sysroot.cmake")
    changed = _write(toolchain, "\n".join([
        f'set(CMAKE_SYSROOT "{sysroot}")',
        f'set(CMAKE_EXE_LINKER_FLAGS_INIT "{link}")',
        f'set(CMAKE_SHARED_LINKER_FLAGS_INIT "{link}")',
        # Before 2.34 glibc kept dladdr, dlsym in libdl and timer_* in
        # librt; from 2.34 on they are in libc, and the build assumes so.
        *(f'set(CMAKE_{lang}_STANDARD_LIBRARIES_INIT "-ldl -lrt")'
          for lang in ("C", "CXX")), ""]))
    cache = os.path.join(build_dir, "CMakeCache.txt")
    if changed and os.path.exists(cache):
        os.unlink(cache)       # a toolchain is read only by a first configure
    env = dict(os.environ, PKG_CONFIG_SYSROOT_DIR=sysroot,
               PKG_CONFIG_LIBDIR=":".join(
                   [os.path.join(d, "pkgconfig") for d in libdirs] +
                   [os.path.join(sysroot, "usr/share/pkgconfig")]))
    env.pop("LIBRARY_PATH", None)
    log_path = os.path.join(build_dir, build.LOG_NAME)
    say(f"cpstorm: building {len(targets)} programs against {sysroot} in "
        f"{build_dir} (log: {log_path})")
    with open(log_path, "w") as log:
        steps = []
        if not os.path.exists(cache):
            steps.append(["cmake", "-S", repo, "-B", build_dir,
                          f"-DCMAKE_TOOLCHAIN_FILE={toolchain}",
                          "-DCMAKE_BUILD_TYPE=RelWithDebInfo"])
        steps.append(["cmake", "--build", build_dir, f"-j{build.jobs()}",
                      "--target", *targets, "--", "-k"])
        for argv in steps:
            log.write("$ " + shlex.join(argv) + "\n")
            log.flush()
            r = subprocess.run(argv, env=env, stdin=subprocess.DEVNULL,
                               stdout=log, stderr=subprocess.STDOUT)
            if r.returncode != 0 and argv[1] == "-S":
                break
    built, failed = {}, {}
    for t in targets:
        path = target_path(build_dir, t)
        if os.access(path, os.X_OK):
            built[t] = path
            continue
        # Its own error, not the first one of the shared log.
        r = subprocess.run(["cmake", "--build", build_dir, "--target", t],
                           env=env, stdin=subprocess.DEVNULL,
                           capture_output=True, text=True)
        why = _first_error(r.stdout + r.stderr)
        verdict = "error"
        if "libstdc++" in why and "GLIBC_" in why:
            # g++'s own libstdc++ is built for the host's glibc; an
            # older glibc's release ships it only for its older g++.
            verdict = "skip"
            why = f"C++ needs the host's libstdc++, built for a newer glibc: {why}"
        failed[t] = (verdict, f"did not build against {sysroot}: {why} "
                     f"(log: {log_path})")
    return _record(build_dir, built, failed)


OUTCOMES = "cpstorm-targets.json"


def _record(build_dir, built, failed):
    """Keep what a build made and why the rest failed beside it, so that a
    run that must not build (--no-build, a VM's guest) reads it back."""
    with open(os.path.join(build_dir, OUTCOMES), "w") as f:
        json.dump({"built": built, "failed": failed}, f, indent=1)
    return built, failed


def prebuilt(build_dir, targets):
    """(built, failed) of an earlier build of `targets`, or None when
    there is none or its programs are gone."""
    try:
        with open(os.path.join(build_dir, OUTCOMES)) as f:
            rec = json.load(f)
    except (OSError, ValueError):
        return None
    built = {t: p for t, p in rec.get("built", {}).items() if t in targets}
    failed = {t: tuple(w) for t, w in rec.get("failed", {}).items()
              if t in targets}
    if set(built) | set(failed) != set(targets) or \
            not all(os.access(p, os.X_OK) for p in built.values()):
        return None
    return built, failed


# ---- musl: recompile from the codemodel --------------------------------

_CODEMODELS = {}     # one re-configure per run, not one per musl version


def codemodel(repo, build_dir):
    if build_dir not in _CODEMODELS:
        _CODEMODELS[build_dir] = _read_codemodel(repo, build_dir)
    return _CODEMODELS[build_dir]


def _read_codemodel(repo, build_dir):
    """{target name: target JSON} of the system build, via cmake's File
    API (a query file, then a re-configure that answers it), or a string
    saying why there is none."""
    api = os.path.join(build_dir, ".cmake", "api", "v1")
    query = os.path.join(api, "query", "codemodel-v2")
    if not os.path.exists(query):
        os.makedirs(os.path.dirname(query), exist_ok=True)
        open(query, "w").close()
    r = subprocess.run(["cmake", "-S", repo, "-B", build_dir],
                       stdin=subprocess.DEVNULL, capture_output=True,
                       text=True)
    if r.returncode != 0:
        return (f"cmake cannot configure {build_dir}: "
                f"{_first_error(r.stderr + r.stdout)}")
    reply = os.path.join(api, "reply")
    indexes = sorted(glob.glob(os.path.join(reply, "index-*.json")))
    if not indexes:
        return (f"cmake gave no File API codemodel in {build_dir}; the "
                "musl build needs cmake >= 3.14")
    with open(indexes[-1]) as f:
        index = json.load(f)
    model = next(o for o in index["objects"] if o["kind"] == "codemodel")
    with open(os.path.join(reply, model["jsonFile"])) as f:
        config = json.load(f)["configurations"][0]
    targets = {}
    for t in config["targets"]:
        with open(os.path.join(reply, t["jsonFile"])) as f:
            targets[t["name"]] = json.load(f)
    return targets


def _closure(targets, name):
    """The target and every library it depends on, dependencies last."""
    by_id = {t["id"]: t for t in targets.values()}
    order, todo = [], [targets[name]]
    while todo:
        t = todo.pop(0)
        if t in order:
            continue
        order.append(t)
        todo += [by_id[d["id"]] for d in t.get("dependencies", [])
                 if d["id"] in by_id]
    return [t for t in order if t["type"] in
            ("EXECUTABLE", "STATIC_LIBRARY", "SHARED_LIBRARY",
             "OBJECT_LIBRARY")]


class MuslBuild:
    def __init__(self, repo, build_dir, musl_root):
        self.repo, self.dir, self.root = repo, build_dir, musl_root
        self.inc = os.path.join(musl_root, "usr/include", MUSL_TRIPLET)
        self.lib = os.path.join(musl_root, "usr/lib", MUSL_TRIPLET)
        shim = os.path.join(build_dir, "kernel-headers")
        os.makedirs(shim, exist_ok=True)
        for name, target in KERNEL_HEADERS.items():
            link = os.path.join(shim, name)
            if not os.path.islink(link):
                os.symlink(target, link)
        gcc_inc = subprocess.run(["gcc", "-print-file-name=include"],
                                 capture_output=True, text=True
                                 ).stdout.strip()
        self.base = ["gcc", "-nostdinc", "-isystem", self.inc,
                     "-isystem", shim, "-isystem", gcc_inc]
        self.headers = self._headers_digest()
        self.objects = {}     # (target, source) -> object or None
        self.left_out = {}    # target -> [(source, verdict, reason)]

    def _headers_digest(self):
        h = hashlib.sha256(self.root.encode())
        for folder, dirs, files in os.walk(self.repo):
            dirs[:] = sorted(d for d in dirs if not d.startswith(
                ("build", ".")))
            for name in sorted(files):
                if name.endswith(".h"):
                    with open(os.path.join(folder, name), "rb") as f:
                        h.update(name.encode() + f.read())
        return h.hexdigest()

    def _flags(self, group):
        flags = []
        for frag in group.get("compileCommandFragments", []):
            flags += [x for x in shlex.split(frag["fragment"])
                      if not DROPPED_FLAGS.fullmatch(x)]
        for inc in group.get("includes", []):
            # The host's /usr/include would mix glibc headers in.
            if not inc["path"].startswith(("/usr/include",
                                           "/usr/local/include")):
                flags += ["-I", inc["path"]]
        flags += ["-D" + d["define"] for d in group.get("defines", [])]
        return flags

    def _compile(self, target, src, flags):
        path = os.path.join(self.repo, src)
        obj_dir = os.path.join(self.dir, "obj", target["name"])
        os.makedirs(obj_dir, exist_ok=True)
        obj = os.path.join(obj_dir, src.replace("/", "_") + ".o")
        argv = self.base + flags + ["-c", path, "-o", obj]
        try:
            with open(path, "rb") as f:
                key = hashlib.sha256(shlex.join(argv).encode() + f.read() +
                                     self.headers.encode()).hexdigest()
        except OSError as e:
            return None, ("error", f"cannot read {src}: {e.strerror} (the "
                          "build's sources changed since its configure?)")
        stamp = obj + ".key"
        if os.path.exists(obj) and os.path.exists(stamp):
            with open(stamp) as f:
                if f.read() == key:
                    return obj, None
        r = subprocess.run(argv, stdin=subprocess.DEVNULL,
                           capture_output=True, text=True)
        if r.returncode != 0:
            m = MISSING_HEADER.search(r.stderr)
            if m and m[1] in NO_MUSL_BUILD:
                return None, ("skip", f"{src} needs {m[1]}, and Debian has "
                              f"no musl build of {NO_MUSL_BUILD[m[1]]}")
            return None, ("error", f"{src} does not compile against musl: "
                          f"{_first_error(r.stderr)}")
        with open(stamp, "w") as f:
            f.write(key)
        return obj, None

    def _compile_target(self, target, pool):
        groups = target.get("compileGroups", [])
        jobs = []
        for s in target.get("sources", []):
            g = s.get("compileGroupIndex")
            if g is not None and groups[g]["language"] == "CXX":
                self.left_out.setdefault(target["name"], []).append(
                    (s["path"], "skip", f"{s['path']} is C++, and Debian "
                     "has no musl build of libstdc++"))
                continue
            if g is None or groups[g]["language"] not in ("C", "ASM"):
                continue
            jobs.append((s["path"], pool.submit(
                self._compile, target, s["path"], self._flags(groups[g]))))
        objs = []
        for src, job in jobs:
            obj, why = job.result()
            if obj:
                objs.append(obj)
            else:
                self.left_out.setdefault(target["name"], []).append(
                    (src,) + why)
        return objs

    def link(self, targets, name, pool):
        """(binary, None) or (None, (verdict, reason))."""
        parts = _closure(targets, name)
        objs, left = [], []
        for t in parts:
            if (t["name"], "") not in self.objects:
                self.objects[t["name"], ""] = self._compile_target(t, pool)
            objs += self.objects[t["name"], ""]
            left += self.left_out.get(t["name"], [])
        out = target_path(self.dir, name)
        os.makedirs(os.path.dirname(out), exist_ok=True)
        # Static: one binary per musl version, nothing to load at run time.
        argv = ["gcc", "-static", "-pthread", f"-B{self.lib}/",
                f"-L{self.lib}", "-o", out, "-Wl,--start-group", *objs,
                "-Wl,--end-group"]
        r = subprocess.run(argv, stdin=subprocess.DEVNULL,
                           capture_output=True, text=True)
        if r.returncode == 0:
            return out, None
        if os.path.exists(out):
            os.unlink(out)
        for verdict in ("error", "skip"):
            for src, v, why in left:
                if v == verdict:
                    return None, (v, why)
        return None, ("error", "does not link against musl: " +
                      _first_error(r.stderr))


def musl_build(repo, system_build, build_dir, musl_root, targets, say):
    model = codemodel(repo, system_build)
    if isinstance(model, str):
        return {}, {t: ("error", model) for t in targets}
    say(f"cpstorm: building {len(targets)} programs statically against "
        f"{musl_root} in {build_dir}")
    os.makedirs(build_dir, exist_ok=True)
    mb = MuslBuild(repo, build_dir, musl_root)
    built, failed = {}, {}
    with concurrent.futures.ThreadPoolExecutor(build.jobs()) as pool:
        for t in targets:
            if t not in model:
                failed[t] = ("error", f"the system build has no target {t}")
                continue
            path, why = mb.link(model, t, pool)
            if path:
                built[t] = path
            else:
                failed[t] = why
    return _record(build_dir, built, failed)

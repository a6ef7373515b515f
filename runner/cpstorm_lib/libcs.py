# SPDX-License-Identifier: MIT
"""Libc backends beyond the system's: glibc and musl versions from Debian's
archive (`glibc-2.41`, `musl-1.2.5`) and a developer's glibc build tree
(`glibc-build:/path`).  Each is named by the upstream version the archive
really has, fetched on demand into ~/.cache/cpstorm/libc/, and resolved to
a Launch: which binaries to run and the argv prefix (a loader) to run them
with.  The binaries always use the `libc` backend of the harness; the
column name says which C library that was."""

import json
import os
import re
from dataclasses import dataclass, field

from . import archive
from .errors import UserError

ARCH_TRIPLET = "x86_64-linux-gnu"
LOADER = "ld-linux-x86-64.so.2"
LIBDIRS = (f"lib/{ARCH_TRIPLET}", f"usr/lib/{ARCH_TRIPLET}")
SYSTEM_LIBDIRS = tuple("/" + d for d in LIBDIRS)
BUILD_TREE = "glibc-build:"
META = "cpstorm-libc.json"


@dataclass(frozen=True)
class Family:
    package: str        # whose versions name the backends
    runtime: tuple      # packages a run needs
    sysroot: tuple      # packages a build against this version needs
    how: str


# A glibc newer than (or as new as) the one the suite is built against
# runs the system build through its own loader; an older one needs a build
# against its own headers and crt files (the sysroot).  musl binaries are
# linked statically per version.  Packages pinned exactly (=) by these are
# fetched too (libc6-dev -> libc6, liburing-dev -> liburing1, ...).
FAMILIES = {
    "glibc": Family("libc6", ("libc6", "libgcc-s1"),
                    ("libc6-dev", "libgcc-s1", "linux-libc-dev",
                     "libseccomp-dev", "liburing-dev", "check",
                     "libsubunit-dev"),
                    "system build under its loader; older than the system "
                    "glibc: built against its own libc6-dev"),
    "musl": Family("musl", ("musl", "musl-dev"), ("musl", "musl-dev"),
                   "cases and storm linked statically against its libc.a"),
}
NAME = re.compile(r"(?P<family>glibc|musl)-(?P<version>\d[\w.~+]*)")


def version_key(text):
    """Order of upstream versions: numeric fields compared as numbers."""
    return tuple(int(n) for n in re.findall(r"\d+", text))


def upstream(debian_version):
    """2.41-12+deb13u5 -> 2.41; 1:1.2.5-3 -> 1.2.5."""
    text = debian_version.split(":", 1)[-1]
    return text.rsplit("-", 1)[0] if "-" in text else text


def system_glibc():
    try:
        text = os.confstr("CS_GNU_LIBC_VERSION") or ""
    except (ValueError, OSError):
        text = ""
    m = re.fullmatch(r"glibc (\S+)", text)
    return m[1] if m else None


@dataclass
class Version:
    family: str
    upstream: str
    debian: str         # the newest Debian version with that upstream
    suites: list

    @property
    def name(self):
        return f"{self.family}-{self.upstream}"


def catalog(apt, families=FAMILIES):
    """Every version the archive offers, oldest first within a family."""
    found = []
    for fam in families:
        seen = {}
        for debver, suite in apt.versions(FAMILIES[fam].package):
            up = upstream(debver)
            if up in seen:
                if seen[up].debian == debver:
                    seen[up].suites.append(suite)
                continue
            seen[up] = Version(fam, up, debver, [suite])
        found += sorted(seen.values(), key=lambda v: version_key(v.upstream))
    return found


def is_name(name):
    return name.startswith(BUILD_TREE) or NAME.fullmatch(name) is not None


def lookup(apt, name):
    m = NAME.fullmatch(name)
    versions = catalog(apt, (m["family"],))
    for v in versions:
        if v.name == name:
            return v
    offered = ", ".join(v.name for v in versions) or "none"
    raise UserError(f"{name} is not in Debian's archive (it offers: "
                    f"{offered}; older versions would need "
                    "snapshot.debian.org, which is not supported); for "
                    "your own glibc build use glibc-build:/path/to/build")


def tree(version, kind):
    """<cache>/libc/<name> (runtime) or <name>-sysroot (build)."""
    suffix = "" if kind == "runtime" else "-sysroot"
    return os.path.join(archive.cache_root(), "libc", version.name + suffix)


def cached(version, kind):
    return os.path.exists(os.path.join(tree(version, kind), META))


def _pinned_deps(record):
    """Packages a record pins with (= version): its own runtime parts."""
    return re.findall(r"([a-z0-9][a-z0-9.+-]*) \(= ([^)]+)\)",
                      record.get("Depends", ""))


# experimental only carries what is newer than sid: the rest comes from sid.
SUITE_FALLBACK = {"experimental": "sid"}


def _packages(apt, version, kind):
    """[(package, debian version)] from the version's own suite."""
    suite = version.suites[0]
    fam = FAMILIES[version.family]
    wanted, seen = [], set()
    for pkg in (fam.runtime if kind == "runtime" else fam.sysroot):
        offered = dict((s, v) for v, s in reversed(apt.versions(pkg)))
        where = suite if suite in offered else SUITE_FALLBACK.get(suite)
        if where not in offered:
            raise UserError(f"{pkg} is not in {suite}; {version.name} "
                            f"cannot be assembled from the archive")
        wanted.append((pkg, offered[where]))
    for pkg, ver in list(wanted):
        wanted += _pinned_deps(apt.record(pkg, ver))
    out = []
    for pkg, ver in wanted:
        if pkg not in seen:
            seen.add(pkg)
            out.append((pkg, ver))
    return out


def fetch(apt, version, kind, say):
    """Download (verified) and extract the packages of one version."""
    if cached(version, kind):
        return tree(version, kind)
    pkgs = _packages(apt, version, kind)
    say(f"cpstorm: fetching {version.name} ({kind}): " +
        ", ".join(f"{p}={v}" for p, v in pkgs))
    debs = [apt.download(p, v) for p, v in pkgs]
    meta = {"name": version.name, "debian": version.debian,
            "suites": version.suites, "kind": kind,
            "packages": {p: v for p, v in pkgs},
            "sha256": {os.path.basename(d): archive.sha256(d) for d in debs}}
    archive.extract(debs, tree(version, kind), META, meta)
    return tree(version, kind)


def loader_in(root):
    for d in LIBDIRS:
        path = os.path.join(root, d, LOADER)
        if os.path.exists(path):
            return path
    raise UserError(f"no {LOADER} in {root}; remove that folder and fetch "
                    "again")


def library_path(root):
    return [os.path.join(root, d) for d in LIBDIRS
            if os.path.isdir(os.path.join(root, d))]


def read_meta(path):
    try:
        with open(os.path.join(path, META)) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


@dataclass
class Launch:
    """How to run the cases and the storm for one libc column."""
    name: str
    prefix: list                  # argv before the binary (a loader)
    cases: dict                   # case -> binary
    storm: str                    # the storm binary, or None
    skipped: dict = field(default_factory=dict)   # case|storm -> reason
    how: str = ""


def listing(apt, say):
    """The `libcs` table: every version the archive offers, its Debian
    version and suites, what is cached, and how it would run."""
    system = system_glibc()
    rows = [("backend", "debian version", "suites", "cached", "runs as")]
    for v in catalog(apt):
        kinds = [k for k in ("runtime", "sysroot") if cached(v, k)]
        if v.family == "musl":
            how = "static build per version"
        elif system and version_key(v.upstream) >= version_key(system):
            how = f"glibc {system} build under its loader"
        else:
            how = "build against its libc6-dev (sysroot)"
        rows.append((v.name, v.debian, ",".join(v.suites),
                     "+".join(kinds) or "-", how))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip()
             for r in rows]
    lines += ["", f"Only what {archive.MIRROR} carries now (suites: "
              f"{', '.join(archive.SUITES)}); older versions would need "
              "snapshot.debian.org, which cpstorm does not use.",
              f"Also: {BUILD_TREE}/path/to/glibc/build (a built glibc tree "
              "with testrun.sh).", f"Cache: {archive.cache_root()}"]
    for suite, date, until in apt.stale():
        lines.append(f"note: the mirror's {suite} index is dated {date} and "
                     f"expired {until}; its signature was verified, its "
                     "versions may be behind the real archive")
    return "\n".join(lines)


def command(args, say):
    apt = archive.Apt()
    apt.ensure_indexes(refresh=args.refresh)
    if args.fetch:
        names = ([v.name for v in catalog(apt)] if args.fetch == "all"
                 else [n.strip() for n in args.fetch.split(",")])
        for name in names:
            if not NAME.fullmatch(name):
                raise UserError(f"--fetch takes glibc-<version> or "
                                f"musl-<version> names, got '{name}'")
            v = lookup(apt, name)
            kinds = ["runtime"]
            system = system_glibc()
            if v.family == "glibc" and system and \
                    version_key(v.upstream) < version_key(system):
                kinds.append("sysroot")
            for kind in kinds:
                say(f"cpstorm: {name} ({kind}) in {fetch(apt, v, kind, say)}")
    print(listing(apt, say))
    return 0

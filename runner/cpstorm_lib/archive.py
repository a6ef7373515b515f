# SPDX-License-Identifier: MIT
"""Debian's archive through apt with a private state: package indexes whose
signatures apt verifies (InRelease against the Debian archive keyring),
.deb files checked against the SHA256 those indexes list, and extraction
with dpkg-deb into the cache.  No root needed: nothing touches the
system's apt state or dpkg database."""

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

from .errors import UserError

MIRROR = "http://deb.debian.org/debian"
KEYRING = "/usr/share/keyrings/debian-archive-keyring.gpg"
# Oldest first; a suite missing from the mirror (moved to archive.debian.org
# once out of support) simply offers nothing.
SUITES = ("bullseye", "bookworm", "trixie", "forky", "sid", "experimental")
INDEX_MAX_AGE_S = 7 * 86400    # refresh older indexes on the next fetch


def cache_root():
    base = os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")
    return os.path.join(base, "cpstorm")


def _writable_dir(path):
    try:
        os.makedirs(path, exist_ok=True)
    except OSError as e:
        raise UserError(f"cannot create cache folder {path}: {e.strerror}; "
                        "set XDG_CACHE_HOME to a writable folder")
    if not os.access(path, os.W_OK):
        raise UserError(f"cache folder {path} is not writable; set "
                        "XDG_CACHE_HOME to a writable folder")
    return path


class Apt:
    """apt-get/apt-cache with every path pointed into <cache>/apt, so the
    indexes and downloads are ours alone (APT_CONFIG is read before any
    apt.conf.d part, and Dir::Etc::Parts empties those).  Another Debian
    architecture or set of suites (the VM's kernels and guest userland)
    gets a state of its own, <cache>/apt-<arch>[-<suites>]."""

    def __init__(self, root=None, arch="amd64", suites=SUITES):
        self.arch, self.suites = arch, tuple(suites)
        name = "apt" if (arch, self.suites) == ("amd64", SUITES) else \
            "-".join(("apt", arch) + (() if self.suites == SUITES
                                      else self.suites))
        self.root = os.path.join(root or cache_root(), name)

    def _config(self):
        root = _writable_dir(self.root)
        for sub in ("lists/partial", "archives/partial", "parts",
                    "preferences.d", "sources.list.d", "trusted.gpg.d"):
            os.makedirs(os.path.join(root, sub), exist_ok=True)
        status = os.path.join(root, "status")
        if not os.path.exists(status):
            open(status, "w").close()
        sources = os.path.join(root, "sources.list")
        # The signature is always checked; an expired Valid-Until is
        # tolerated (a mirror that serves a stale copy) and reported by
        # stale().
        _write_if_changed(sources, "".join(
            f"deb [arch={self.arch} signed-by={KEYRING} "
            f"check-valid-until=no] {MIRROR} {suite} main\n"
            for suite in self.suites))
        conf = os.path.join(root, "apt.conf")
        settings = {
            "Dir::Etc::SourceList": sources,
            "Dir::Etc::SourceParts": os.path.join(root, "sources.list.d"),
            "Dir::Etc::Parts": os.path.join(root, "parts"),
            "Dir::Etc::Preferences": os.path.join(root, "preferences"),
            "Dir::Etc::PreferencesParts": os.path.join(root,
                                                       "preferences.d"),
            "Dir::Etc::Trusted": os.path.join(root, "trusted.gpg"),
            "Dir::Etc::TrustedParts": os.path.join(root, "trusted.gpg.d"),
            "Dir::State": root,
            "Dir::State::Lists": os.path.join(root, "lists"),
            "Dir::State::status": status,
            "Dir::Cache": root,
            "Dir::Cache::Archives": os.path.join(root, "archives"),
            "APT::Architecture": self.arch,
            "Acquire::Languages": "none",
            "Acquire::PDiffs": "false",
            "Acquire::GzipIndexes": "true",   # keep the lists compressed
            "Acquire::Retries": "2",
            # As root apt would drop to _apt, who cannot write our cache.
            "APT::Sandbox::User": "root" if os.geteuid() == 0 else "",
            "Debug::NoLocking": "true",
        }
        _write_if_changed(conf, "".join(
            f'{key} "{value}";\n' for key, value in settings.items()
            if value) + f'APT::Architectures {{ "{self.arch}"; }};\n')
        return conf

    def _exec(self, argv, cwd=None):
        """(exit status, stdout + stderr) of an apt tool on our config."""
        if not shutil.which(argv[0]):
            raise UserError(f"{argv[0]} not found; libc backends from the "
                            "archive need apt (Debian or a derivative)")
        env = dict(os.environ, APT_CONFIG=self._config(), LC_ALL="C")
        r = subprocess.run(argv, env=env, cwd=cwd, stdin=subprocess.DEVNULL,
                           capture_output=True, text=True)
        return r.returncode, r.stdout + r.stderr

    def _run(self, argv, what, cwd=None):
        """Its output; a failure is a UserError naming `what`."""
        status, out = self._exec(argv, cwd)
        if status != 0:
            raise UserError(f"{what} failed: {_apt_error(out)}")
        return out

    def _lists(self):
        folder = os.path.join(self.root, "lists")
        try:
            return [os.path.join(folder, n) for n in os.listdir(folder)
                    if "_Packages" in n]
        except OSError:
            return []

    def indexed(self):
        """Seconds since the indexes were fetched, or None if never."""
        lists = self._lists()
        if not lists:
            return None
        return time.time() - min(os.path.getmtime(p) for p in lists)

    def update(self):
        print(f"cpstorm: fetching Debian package indexes ({self.arch}: "
              f"{', '.join(self.suites)}) from {MIRROR} into {self.root}",
              file=sys.stderr, flush=True)
        status, out = self._exec(["apt-get", "update"])
        # A signature problem must stop us; a suite the mirror no longer
        # carries (moved to archive.debian.org) only offers nothing.
        bad = [x for x in out.splitlines() if "NO_PUBKEY" in x or
               "not signed" in x or "is not valid yet" in x or
               "BADSIG" in x or "EXPKEYSIG" in x]
        if bad:
            raise UserError(f"apt could not verify an index: {bad[0].strip()}"
                            f"; update the debian-archive-keyring package")
        gone = [x for x in out.splitlines() if x.startswith("E:") and
                "does not have a Release file" in x]
        errors = [x for x in out.splitlines() if x.startswith(("E:", "W:"))]
        if not self._lists() or (status != 0 and len(gone) != len(
                [x for x in errors if x.startswith("E:")])):
            raise UserError(f"apt-get update from {MIRROR} failed: "
                            f"{_apt_error(out)} (check the network; libc "
                            "backends need deb.debian.org)")
        for line in gone:
            print(f"cpstorm: note: {line[2:].strip()}", file=sys.stderr)

    def suite_dates(self):
        """{suite: (Date, Valid-Until or '')} of each fetched InRelease."""
        dates = {}
        for suite in self.suites:
            head = self._inrelease_head(suite)
            if not head:
                continue
            date = re.search(r"^Date: (.*)$", head, re.M)
            until = re.search(r"^Valid-Until: (.*)$", head, re.M)
            dates[suite] = (date[1] if date else "?",
                            until[1] if until else "")
        return dates

    def stale(self):
        """Suites whose index is past its Valid-Until: the mirror served an
        old (still correctly signed) copy.  [(suite, date, valid until)]"""
        now = time.time()
        out = []
        for suite, (date, until) in self.suite_dates().items():
            try:
                expiry = time.mktime(time.strptime(
                    until, "%a, %d %b %Y %H:%M:%S UTC")) - time.timezone
            except ValueError:
                continue
            if expiry < now:
                out.append((suite, date, until))
        return out

    def ensure_indexes(self, refresh=False):
        age = self.indexed()
        if refresh or age is None or age > INDEX_MAX_AGE_S:
            self.update()

    def versions(self, package):
        """[(debian version, suite)] of `package`, newest first, from the
        verified indexes (apt-cache madison)."""
        out = self._run(["apt-cache", "madison", package],
                        f"apt-cache madison {package}")
        found = []
        for line in out.splitlines():
            parts = [p.strip() for p in line.split("|")]
            if len(parts) == 3 and parts[2].endswith("Packages"):
                suite = parts[2].split()[1].split("/")[0]
                found.append((parts[1], suite))
        return found

    def record(self, package, version):
        """The index stanza of package=version as a dict (Filename,
        SHA256, Size, ...)."""
        out = self._run(["apt-cache", "show", f"{package}={version}"],
                        f"apt-cache show {package}={version}")
        fields = {}
        for line in out.split("\n\n")[0].splitlines():
            m = re.match(r"([A-Za-z0-9-]+): (.*)", line)
            if m:
                fields[m[1]] = m[2]
        return fields

    def download(self, package, version):
        """Path of the .deb, downloaded by apt (which checks it against
        the index) and checked again here against the index's SHA256."""
        rec = self.record(package, version)
        want = rec.get("SHA256")
        if not want:
            raise UserError(f"the index lists no SHA256 for {package}="
                            f"{version}; refresh with runner/cpstorm libcs "
                            "--refresh")
        folder = os.path.join(self.root, "archives")
        name = os.path.basename(rec["Filename"])
        path = os.path.join(folder, name)
        if not (os.path.exists(path) and sha256(path) == want):
            self._run(["apt-get", "download", f"{package}={version}"],
                      f"apt-get download {package}={version}", cwd=folder)
            self._adopt(package, version, rec, path)
            if not os.path.exists(path):
                raise UserError(f"apt-get download {package}={version} left "
                                f"no {name} in {folder}")
        got = sha256(path)
        if got != want:
            os.unlink(path)
            raise UserError(f"{name}: SHA256 {got} does not match the "
                            f"signed index ({want}); removed, retry")
        return path

    def suite_roles(self):
        """{codename: its Suite field (stable, oldstable, testing, ...)}
        from the fetched InRelease files: which release is stable today."""
        roles = {}
        for suite in self.suites:
            head = self._inrelease_head(suite)
            m = re.search(r"^Suite: (.*)$", head, re.M)
            if m:
                roles[suite] = m[1].strip()
        return roles

    def _inrelease_head(self, suite):
        path = os.path.join(self.root, "lists", MIRROR.split("//")[1]
                            .replace("/", "_") + f"_dists_{suite}_InRelease")
        try:
            with open(path, errors="replace") as f:
                return f.read(4096)
        except OSError:
            return ""

    def download_closure(self, packages, release):
        """Paths of the .deb files of `packages` and everything they
        depend on (no recommends), as apt resolves them against an empty
        system with `release` preferred; each is downloaded and checked
        like download() does."""
        out = self._run(["apt-get", "install", "-s", "-y",
                         "--no-install-recommends",
                         f"-oAPT::Default-Release={release}", *packages],
                        f"resolving {' '.join(packages)} ({self.arch}, "
                        f"{release})")
        wanted = re.findall(r"^Inst (\S+) \((\S+) ", out, re.M)
        if not wanted:
            raise UserError(f"apt resolved no packages for {' '.join(packages)}"
                            f" ({self.arch}, {release}): {_apt_error(out)}")
        records = {(p, v): self.record(p, v) for p, v in wanted}
        folder = os.path.join(self.root, "archives")
        missing = [(p, v) for (p, v), rec in records.items()
                   if not os.path.exists(os.path.join(
                       folder, os.path.basename(rec["Filename"])))]
        if missing:
            self._run(["apt-get", "download", *(f"{p}={v}" for p, v in
                                                missing)],
                      f"apt-get download ({len(missing)} packages, "
                      f"{self.arch})", cwd=folder)
            for p, v in missing:
                self._adopt(p, v, records[p, v], os.path.join(
                    folder, os.path.basename(records[p, v]["Filename"])))
        return [self.download(p, v) for p, v in wanted]

    @staticmethod
    def _adopt(package, version, record, path):
        """apt-get download names the file <pkg>_<ver>_<arch>.deb with an
        epoch's colon escaped (zlib1g_1%3a1.2.13...), where the index's
        name has no epoch: give it the index's name."""
        arch = record.get("Architecture", "")
        got = os.path.join(os.path.dirname(path), f"{package}_"
                           f"{version.replace(':', '%3a')}_{arch}.deb")
        if not os.path.exists(path) and os.path.exists(got):
            os.rename(got, path)


def _apt_error(out):
    """apt's first error line (its last line is often only a summary)."""
    lines = [x.strip() for x in out.splitlines() if x.strip()]
    errors = ([x for x in lines if x.startswith("E:")] or
              [x for x in lines if x.startswith("W:")])
    return (errors or lines[-1:] or ["(no output)"])[0]


def _relative_links(root):
    """Packages ship absolute symlinks (/lib64/ld-linux-x86-64.so.2 ->
    /lib/x86_64-linux-gnu/ld-2.31.so) that would point into the host
    system; inside the tree they must point into the tree."""
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = os.path.join(folder, name)
            if not os.path.islink(path):
                continue
            target = os.readlink(path)
            if target.startswith("/"):
                os.unlink(path)
                os.symlink(os.path.relpath(root + target, folder), path)


def _write_if_changed(path, text):
    """A rewritten sources.list or apt.conf (even unchanged) makes apt
    rebuild its 100 MB cache, 12 s per call."""
    try:
        with open(path) as f:
            if f.read() == text:
                return
    except OSError:
        pass
    with open(path, "w") as f:
        f.write(text)


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def extract(debs, dest, meta_name, meta):
    """dpkg-deb -x every .deb into a fresh folder, with `meta` as JSON in
    its meta_name file, renamed to dest only when all succeeded (an
    interrupted fetch leaves no half tree)."""
    parent = _writable_dir(os.path.dirname(dest))
    tmp = tempfile.mkdtemp(prefix=".partial-", dir=parent)
    try:
        for deb in debs:
            r = subprocess.run(["dpkg-deb", "-x", deb, tmp],
                               capture_output=True, text=True)
            if r.returncode != 0:
                raise UserError(f"dpkg-deb -x {deb} failed: "
                                f"{r.stderr.strip()}")
        _relative_links(tmp)
        with open(os.path.join(tmp, meta_name), "w") as f:
            json.dump(meta, f, indent=1)
        if os.path.exists(dest):
            shutil.rmtree(dest)
        os.rename(tmp, dest)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise

# SPDX-License-Identifier: MIT
"""Kernels for the VM runs (--vm --kernel K): Debian's, named deb-<major.minor>
and fetched with the runner's private apt state (archive.Apt), or an image
the user built.  A Debian kernel is its image package (and, in the newer
packaging, the linux-binary/linux-modules packages it pins), unpacked into
~/.cache/cpstorm/kernels/<arch>/.  The image is made bootable by qemu
(gzip and EFI zboot payloads unpacked), and the modules the guest needs
for its 9p shares are picked from modules.dep."""

import gzip
import lzma
import os
import re
import shutil
import struct
import subprocess
from dataclasses import dataclass

from . import archive
from .errors import UserError

NAME = re.compile(r"deb-(\d+\.\d+)")
# The flavour whose meta package names the kernel of each release: the
# generic one (the cloud kernels are smaller but have no 9p, which the
# guest's shares need).
FLAVOUR = {"amd64": "amd64", "arm64": "arm64", "riscv64": "riscv64"}
META = "cpstorm-kernel.json"


@dataclass
class Kernel:
    name: str            # deb-6.1, or the image path as given
    image: str           # what qemu -kernel loads
    modules: str         # lib/modules/<release>, or None (all built in)
    release: str         # uname -r, or "" until the guest says
    source: str          # where it came from, for the record


@dataclass
class Offer:
    name: str            # deb-6.12
    debian: str          # 6.12.117-1
    suite: str
    meta: str            # linux-image-cloud-amd64


def _major_minor(debian_version):
    m = re.match(r"(?:\d+:)?(\d+)\.(\d+)", debian_version)
    return f"{m[1]}.{m[2]}" if m else None


def catalog(apt):
    """Every kernel series the archive offers for apt's architecture, each
    at its newest Debian version, oldest series first."""
    meta = f"linux-image-{FLAVOUR[apt.arch]}"
    found = {}
    for debver, suite in apt.versions(meta):
        series = _major_minor(debver)
        if series and f"deb-{series}" not in found:
            found[f"deb-{series}"] = Offer(f"deb-{series}", debver, suite,
                                           meta)
    return sorted(found.values(), key=lambda o: tuple(
        int(n) for n in o.name[4:].split(".")))


def default_name(apt, offers):
    """The kernel of Debian's current stable release."""
    roles = apt.suite_roles()
    for o in offers:
        if roles.get(o.suite) == "stable":
            return o.name
    raise UserError("cannot tell which Debian release is stable from the "
                    "package indexes; name a kernel with --kernel deb-X.Y")


def _pinned(record):
    return re.findall(r"(linux-[a-z0-9.+-]+) \(= ([^)]+)\)",
                      record.get("Depends", ""))


def _packages(apt, offer):
    """The image package and the linux-* packages it pins, recursively."""
    todo, seen = [(offer.meta, offer.debian)], []
    while todo:
        pkg, ver = todo.pop()
        if (pkg, ver) in seen:
            continue
        seen.append((pkg, ver))
        todo += _pinned(apt.record(pkg, ver))
    return [(p, v) for p, v in seen if p != offer.meta]


def _cache(arch, offer):
    return os.path.join(archive.cache_root(), "kernels", arch,
                        f"{offer.meta}_{offer.debian}")


def fetch(apt, offer, say):
    """The unpacked tree of one Debian kernel (downloaded once)."""
    dest = _cache(apt.arch, offer)
    if os.path.exists(os.path.join(dest, META)):
        return dest
    pkgs = _packages(apt, offer)
    say(f"cpstorm: fetching kernel {offer.name} ({apt.arch}, Debian "
        f"{offer.suite}): " + ", ".join(f"{p}={v}" for p, v in pkgs))
    debs = [apt.download(p, v) for p, v in pkgs]
    archive.extract(debs, dest, META, {"name": offer.name,
                                       "debian": offer.debian,
                                       "suite": offer.suite,
                                       "packages": dict(pkgs)})
    return dest


def _modules_dir(tree):
    for base in ("usr/lib/modules", "lib/modules"):
        folder = os.path.join(tree, base)
        if os.path.isdir(folder):
            releases = sorted(os.listdir(folder))
            if releases:
                return os.path.join(folder, releases[-1])
    return None


def _image_in(tree):
    boot = os.path.join(tree, "boot")
    names = sorted(n for n in os.listdir(boot) if n.startswith("vmlinu")) \
        if os.path.isdir(boot) else []
    if not names:
        raise UserError(f"no kernel image in {boot}; remove {tree} and "
                        "fetch again")
    return os.path.join(boot, names[-1])


def _zboot_payload(data):
    """An EFI zboot image (a PE file wrapping the compressed kernel):
    (compression, payload) from its header, or None."""
    if len(data) < 32 or data[4:8] != b"zimg":
        return None
    offset, size = struct.unpack_from("<II", data, 8)
    kind = data[24:32].rstrip(b"\0").decode("ascii", "replace")
    return kind, data[offset:offset + size]


def _decompress(kind, payload, what):
    if kind == "gzip":
        return gzip.decompress(payload)
    if kind in ("xz", "lzma"):
        return lzma.decompress(payload)
    if kind == "zstd" and shutil.which("zstd"):
        return subprocess.run(["zstd", "-dc"], input=payload,
                              capture_output=True, check=True).stdout
    raise UserError(f"{what}: cannot unpack its {kind} payload (install "
                    "zstd, or boot an uncompressed image)")


def bootable(image, cache_dir):
    """A path qemu can load: the image itself, or its gzip / EFI zboot
    payload unpacked once into cache_dir (qemu 7.2 loads neither for
    riscv64, nor zboot for arm64)."""
    with open(image, "rb") as f:
        head = f.read(64)
    if head[:2] == b"\x1f\x8b":
        kind = "gzip"
    elif head[4:8] == b"zimg":
        kind = "zboot"
    else:
        return image
    out = os.path.join(cache_dir, os.path.basename(image) + ".Image")
    if not os.path.exists(out):
        with open(image, "rb") as f:
            data = f.read()
        if kind == "zboot":
            kind, data = _zboot_payload(data)
        raw = _decompress(kind, data, image)
        with open(out + ".tmp", "wb") as f:
            f.write(raw)
        os.replace(out + ".tmp", out)
    return out


def resolve(spec, deb_arch, say, modules_dir=None):
    """--kernel deb-X.Y (or None: stable's) or an image path -> Kernel."""
    if spec and not NAME.fullmatch(spec):
        path = os.path.abspath(os.path.expanduser(spec))
        if not os.path.isfile(path):
            raise UserError(f"--kernel {spec}: no such image file; give "
                            "deb-X.Y or the path of a built image "
                            "(bzImage, Image)")
        return Kernel(spec, bootable(path, _user_cache()), modules_dir, "",
                      f"image {path}")
    apt = archive.Apt(arch=deb_arch)
    apt.ensure_indexes()
    offers = catalog(apt)
    name = spec or default_name(apt, offers)
    offer = next((o for o in offers if o.name == name), None)
    if offer is None:
        raise UserError(f"--kernel {name} is not offered for {deb_arch} "
                        "(choose from: " +
                        ", ".join(o.name for o in offers) +
                        "; or the path of an image you built)")
    tree = fetch(apt, offer, say)
    mods = _modules_dir(tree)
    return Kernel(name, bootable(_image_in(tree), tree), mods,
                  os.path.basename(mods) if mods else "",
                  f"Debian {offer.suite} {offer.debian} ({deb_arch})")


def _user_cache():
    folder = os.path.join(archive.cache_root(), "kernels", "user")
    os.makedirs(folder, exist_ok=True)
    return folder


def listing(deb_arch):
    """(offers, default) for --help and errors."""
    apt = archive.Apt(arch=deb_arch)
    apt.ensure_indexes()
    offers = catalog(apt)
    return offers, default_name(apt, offers)


# ---- modules ---------------------------------------------------------

def _modname(path):
    base = os.path.basename(path)
    return base.split(".ko")[0].replace("-", "_")


def _index(mods):
    """{module name: path relative to mods} of every module file."""
    table = {}
    for folder, _, files in os.walk(os.path.join(mods, "kernel")):
        for name in files:
            if ".ko" in name:
                rel = os.path.relpath(os.path.join(folder, name), mods)
                table[_modname(name)] = rel
    return table


def _builtin(mods):
    try:
        with open(os.path.join(mods, "modules.builtin")) as f:
            return {_modname(line.strip()) for line in f if line.strip()}
    except OSError:
        return set()


def _depends(data):
    """The depends= entry of a module's .modinfo (Debian's packages ship
    no modules.dep: depmod writes it at install time)."""
    m = re.search(rb"(?:^|\0)depends=([^\0]*)\0", data)
    return [d for d in m[1].decode().split(",") if d] if m else []


def load_order(mods, wanted):
    """[(module file, its bytes)] to insmod, dependencies first, for the
    wanted module names; names built into the kernel or unknown to it are
    left out (a kernel without 9p fails at the mount, which says so)."""
    table, builtin = _index(mods), _builtin(mods)
    order, done = [], set()

    def visit(name):
        name = name.replace("-", "_")
        if name in done or name in builtin or name not in table:
            return
        done.add(name)
        data = module_bytes(mods, table[name])
        for dep in _depends(data):
            visit(dep)
        order.append((os.path.basename(table[name]).split(".ko")[0] + ".ko",
                      data))
    for name in wanted:
        visit(name)
    return order


def module_bytes(mods, rel):
    """A module file's contents, decompressed (busybox insmod in the
    initramfs cannot read .ko.xz or .ko.zst)."""
    path = os.path.join(mods, rel)
    with open(path, "rb") as f:
        data = f.read()
    if rel.endswith(".xz"):
        return lzma.decompress(data)
    if rel.endswith(".gz"):
        return gzip.decompress(data)
    if rel.endswith(".zst"):
        return _decompress("zstd", data, path)
    return data

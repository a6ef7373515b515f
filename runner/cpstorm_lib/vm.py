# SPDX-License-Identifier: MIT
"""Full-system VM runs (`test --vm`, `run --vm`): the build's programs run
on a real kernel of the guest's architecture, where ptrace, seccomp,
/proc/<tid>/syscall and signal delivery are the kernel's own, not an
emulator's.

The guest boots qemu-system-<arch> (KVM when it works for an x86 guest,
TCG otherwise) on a kernel from kernels.py with an initramfs written here:
a static busybox, the modules its 9p shares need and vm_init.sh as /init.
Its root is a 9p share: the host's own / for x86_64 and i386 (the i386
programs run under the x86_64 kernel's IA32 emulation), or a Debian
userland of the guest's arch (python3, ctest, busybox; guestroot.py) for
the others.  The build directory is shared writable at its host path, so
ctest's files, JUnit and JSON Lines land where the host reads them.
vm_guest.py runs the job inside; the console is read line by line here,
and a guest that stops talking is killed with its last lines shown."""

import collections
import json
import os
import shlex
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field

from . import deps, guestroot, kernels
from .errors import UserError

HERE = os.path.dirname(os.path.abspath(__file__))
BUSYBOX = "/bin/busybox"


@dataclass(frozen=True)
class Guest:
    deb_arch: str        # Debian's name of the kernel's architecture
    qemu: str
    machine: tuple       # qemu options choosing the board (and firmware)
    cpu: str
    console: str         # the kernel's serial console
    kvm: bool            # may use KVM on an x86_64 host
    userland: str        # "host", or the Debian suite of its own root


# i386 runs in an x86_64 guest: the programs are i386, the kernel is not.
GUESTS = {
    "x86_64": Guest("amd64", "qemu-system-x86_64", ("-machine", "q35"),
                    "max", "ttyS0", True, "host"),
    "i386": Guest("amd64", "qemu-system-x86_64", ("-machine", "q35"),
                  "max", "ttyS0", True, "host"),
    # cortex-a72: -cpu max emulates pointer authentication at a high cost
    # under TCG, and Debian's arm64 userland does not need it.
    "aarch64": Guest("arm64", "qemu-system-aarch64", ("-machine", "virt"),
                     "cortex-a72", "ttyAMA0", False, "bookworm"),
    # riscv64 became a Debian release architecture with 13 (trixie);
    # -bios default is the OpenSBI qemu-system-misc ships.
    "riscv64": Guest("riscv64", "qemu-system-riscv64",
                     ("-machine", "virt", "-bios", "default"), "rv64",
                     "ttyS0", False, "trixie"),
}

# Debian packages the host needs per guest arch (deps.ensure form).
DEPENDENCIES = {
    "x86_64": (("qemu-system-x86", "tool", "qemu-system-x86_64"),
               ("busybox-static", "static", BUSYBOX)),
    "aarch64": (("qemu-system-arm", "tool", "qemu-system-aarch64"),),
    "riscv64": (("qemu-system-misc", "tool", "qemu-system-riscv64"),),
}
DEPENDENCIES["i386"] = DEPENDENCIES["x86_64"]

# What the guest loads before mounting its shares; whatever is built in
# (or absent: a user's kernel with 9p built in) is skipped.
MODULES = ("virtio_pci", "virtio_mmio", "9pnet_virtio", "9p", "overlay")
MEMORY_MB = 2048
CPUS = 2
BOOT_TIMEOUT_S = 300      # until init says it started (TCG, loaded host)
KVM_BOOT_TIMEOUT_S = 60   # then KVM is taken as unusable, TCG tried
SILENCE_TIMEOUT_S = 900   # no console line at all: the guest hung
CONSOLE_TAIL = 25


def check_path(path, what):
    """The shares and the init's config are split on whitespace and '|'."""
    if any(c.isspace() or c == "|" for c in path):
        raise UserError(f"{what} {path}: a VM run cannot share a path with "
                        "whitespace or '|'; pick another --build-dir")


def ensure_tools(arch):
    deps.ensure(DEPENDENCIES[arch])


# ---- the initramfs -----------------------------------------------------

def _cpio_entry(name, mode, data=b"", rdev=(0, 0)):
    fields = [0, mode, 0, 0, 1, 0, len(data), 0, 0, rdev[0], rdev[1],
              len(name) + 1, 0]
    head = b"070701" + b"".join(b"%08x" % v for v in fields)
    out = head + name.encode() + b"\0"
    out += b"\0" * (-len(out) % 4) + data
    return out + b"\0" * (-len(out) % 4)


def write_initramfs(path, busybox, modules, conf):
    """A newc cpio: /init, /bin/busybox, /dev/console (the kernel opens it
    for init's stdio before anything is mounted), /modules, the config."""
    with open(busybox, "rb") as f:
        bb = f.read()
    with open(os.path.join(HERE, "vm_init.sh"), "rb") as f:
        init = f.read()
    parts = [_cpio_entry(d, 0o40755) for d in ("bin", "dev", "modules")]
    parts += [_cpio_entry("dev/console", 0o20600, rdev=(5, 1)),
              _cpio_entry("init", 0o100755, init),
              _cpio_entry("bin/busybox", 0o100755, bb),
              _cpio_entry("cpstorm.conf", 0o100644, conf.encode())]
    parts += [_cpio_entry(f"modules/{name}", 0o100644, data)
              for name, data in modules]
    parts.append(_cpio_entry("TRAILER!!!", 0))
    with open(path + ".tmp", "wb") as f:
        f.writelines(parts)
    os.replace(path + ".tmp", path)


# ---- the machine -------------------------------------------------------

def kvm_usable():
    """KVM for an x86_64 guest: /dev/kvm opens and a hardware vendor module
    (kvm_intel, kvm_amd) backs it.  A PVM host's /dev/kvm (module kvm_pvm)
    runs only PVM-enabled guest kernels: a stock Debian kernel spins there
    without a console line."""
    if not any(os.path.isdir(f"/sys/module/{m}")
               for m in ("kvm_intel", "kvm_amd")):
        return False
    try:
        os.close(os.open("/dev/kvm", os.O_RDWR | os.O_CLOEXEC))
        return True
    except OSError:
        return False


def qemu_argv(guest, kernel_image, initrd, shares, cmdline, accel):
    argv = [guest.qemu, *guest.machine, "-accel", accel, "-m",
            str(MEMORY_MB), "-smp", str(CPUS), "-nodefaults", "-no-reboot",
            "-display", "none", "-monitor", "none", "-serial", "stdio",
            "-kernel", kernel_image, "-initrd", initrd, "-append", cmdline]
    argv[3:3] = ["-cpu", "host" if accel == "kvm" else guest.cpu]
    for i, (host_path, _, mode) in enumerate(shares):
        ro = ",readonly=on" if mode == "ro" else ""
        argv += ["-fsdev", f"local,id=fs{i},path={host_path},"
                 f"security_model=none,multidevs=remap{ro}",
                 "-device", f"virtio-9p-pci,fsdev=fs{i},mount_tag=cp{i}"]
    return argv


@dataclass
class Outcome:
    status: int               # the job's exit status, or None
    kernel: str = ""          # uname -r in the guest
    kernel_log: list = field(default_factory=list)
    steps: list = field(default_factory=list)   # per step: status
    wall_s: float = 0.0
    accel: str = ""
    failure: str = ""         # why there is no status: hang, crash


class Console:
    """The guest's serial console: every line to the log file and to
    `show` (or not), the last lines kept for a diagnosis."""

    def __init__(self, stream, log_path, show):
        self.tail = collections.deque(maxlen=CONSOLE_TAIL)
        self.last_line_at = time.monotonic()
        self.started = False
        self.exit_status = None
        self._thread = threading.Thread(target=self._read,
                                        args=(stream, log_path, show),
                                        daemon=True)
        self._thread.start()

    def _read(self, stream, log_path, show):
        with open(log_path, "w") as log:
            for raw in iter(stream.readline, b""):
                line = raw.decode("utf-8", "replace").rstrip("\r\n")
                self.last_line_at = time.monotonic()
                self.tail.append(line)
                log.write(line + "\n")
                log.flush()
                if line.startswith("cpstorm-guest: started"):
                    self.started = True
                if line.startswith("cpstorm-guest: exit="):
                    status = line.split("=", 1)[1].strip()
                    if status.isdigit():
                        self.exit_status = int(status)
                        continue
                if show and self.started:   # firmware and boot: the log
                    show.write(line + "\n")
                    show.flush()

    def join(self):
        self._thread.join(5)


def _watch(proc, console, timeout_s, boot_timeout_s):
    """None when qemu ended by itself, else why it was killed."""
    start = time.monotonic()
    while True:
        try:
            proc.wait(timeout=1)
            return None
        except subprocess.TimeoutExpired:
            pass
        now = time.monotonic()
        if not console.started and now - start > boot_timeout_s:
            why = f"the guest did not start its job within {boot_timeout_s} s"
        elif now - console.last_line_at > SILENCE_TIMEOUT_S:
            why = (f"the guest hung: no console output for "
                   f"{SILENCE_TIMEOUT_S} s")
        elif now - start > timeout_s:
            why = f"the guest ran past --vm-timeout ({timeout_s:g} s)"
        else:
            continue
        proc.kill()
        proc.wait()
        return why


def boot(guest, kernel, initrd, shares, accel, log_path, show, timeout_s,
         extra_cmdline=""):
    cmdline = (f"console={guest.console} loglevel=4 panic=1 "
               f"{extra_cmdline}").strip()
    argv = qemu_argv(guest, kernel.image, initrd, shares, cmdline, accel)
    with open(log_path + ".cmd", "w") as f:
        f.write(shlex.join(argv) + "\n")
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    console = Console(proc.stdout, log_path, show)
    killed = _watch(proc, console, timeout_s, KVM_BOOT_TIMEOUT_S
                    if accel == "kvm" else BOOT_TIMEOUT_S)
    console.join()
    proc.stdout.close()
    return proc.returncode, console, killed


# ---- a job ---------------------------------------------------------------

@dataclass
class Step:
    argv: list
    cwd: str
    stdout: str          # host path (inside a shared folder)
    quiet: bool = False  # output to that file only, not the console


def _conf(modules, shares, guest_root, job, python, home):
    lines = [f"CP_MODULES='{' '.join(name for name, _ in modules)}'",
             "CP_SHARES='" + " ".join(f"cp{i}|{guest}|{mode}" for i, (_,
                                      guest, mode) in enumerate(shares)) +
             "'", f"CP_PYTHON='{python}'",
             f"CP_GUEST='{guest_root}'", f"CP_JOB='{job}'",
             f"CP_HOME='{home}'"]
    return "\n".join(lines) + "\n"


def _write_job(path, steps, result, kernel_check, home, accel):
    env = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:"
           "/sbin:/bin", "HOME": home, "LANG": "C.UTF-8", "CPSTORM_VM": "1"}
    if accel != "kvm":
        # TCG runs the guest several times slower than the hardware: the
        # Check suites' own per-test timeouts (20 s) stretch like under
        # qemu-user; ctest's TIMEOUT still ends a real hang.
        env["CK_TIMEOUT_MULTIPLIER"] = "4"
    with open(path, "w") as f:
        json.dump({"steps": [vars(s) for s in steps], "result": result,
                   "kernel_check": kernel_check, "env": env}, f, indent=1)


def run(arch, kernel, repo, build_dir, steps, stage, say, show=sys.stdout,
        kernel_check=True, timeout_s=7200, writable=()):
    """Boot the guest, run the steps there, power it off.  `stage` is a
    folder inside build_dir for the job, results and console log;
    `writable` names more folders the guest may write (the builds of the
    other C libraries' backends)."""
    guest = GUESTS[arch]
    for path, what in ((repo, "source folder"), (build_dir, "--build-dir")):
        check_path(path, what)
    os.makedirs(stage, exist_ok=True)
    # The source and build folders are shared on their own even when the
    # root is the host's: the guest's fresh tmpfs /tmp would hide a clone
    # under the host's /tmp.
    if guest.userland == "host":
        root, python, home = "/", "/usr/bin/python3", "/root"
        busybox = BUSYBOX
    else:
        root = guestroot.ensure(guest.deb_arch, guest.userland, say)
        python, home = "/usr/bin/python3", "/tmp"
        busybox = os.path.join(root, "usr", "bin", "busybox")
    shares = [(root, "/", "ro"), (repo, repo, "ro"),
              (build_dir, build_dir, "rw")]
    for path in writable:
        check_path(path, "build folder")
        shares.append((path, path, "rw"))
    if not os.path.isfile(os.path.join(root, python.lstrip("/"))):
        raise UserError(f"the guest's root {root} has no {python}")
    job = os.path.join(stage, "job.json")
    result = os.path.join(stage, "result.json")
    for stale in (result,):
        if os.path.exists(stale):
            os.unlink(stale)
    modules = (kernels.load_order(kernel.modules, MODULES)
               if kernel.modules else [])
    initrd = os.path.join(stage, "initramfs.cpio")
    write_initramfs(initrd, busybox, modules,
                    _conf(modules, shares, os.path.join(
                        repo, "runner", "cpstorm_lib", "vm_guest.py"), job,
                        python, home))
    accels = (["kvm", "tcg,thread=multi"] if guest.kvm and kvm_usable()
              else ["tcg,thread=multi"])
    log_path = os.path.join(stage, "console.log")
    start = time.monotonic()
    for accel in accels:
        _write_job(job, steps, result, kernel_check, home, accel)
        say(f"cpstorm: vm: {arch} on {kernel.name} ({kernel.source}), "
            f"{accel.split(',')[0].upper()}, {CPUS} CPUs, {MEMORY_MB} MiB; "
            f"console: {log_path}")
        rc, console, killed = boot(guest, kernel, initrd, shares, accel,
                                   log_path, show, timeout_s,
                                   "ia32_emulation=1" if arch == "i386"
                                   else "")
        if accel == "kvm" and not console.started:
            say("cpstorm: vm: KVM could not run the guest (qemu exit "
                f"{rc}: {' / '.join(list(console.tail)[-2:])}); using TCG")
            continue
        break
    out = Outcome(console.exit_status, wall_s=time.monotonic() - start,
                  accel=accel.split(",")[0])
    try:
        with open(result) as f:
            rec = json.load(f)
        out.kernel, out.kernel_log = rec["kernel"], rec["kernel_log"]
        out.steps = rec["steps"]
    except (OSError, ValueError, KeyError):
        pass
    if out.status is None or killed:
        out.status = None
        out.failure = killed or (f"the guest stopped without reporting a "
                                 f"status (qemu exit {rc})")
        say(f"cpstorm: vm: {out.failure}; its last console lines "
            f"({log_path}):")
        for line in console.tail:
            say(f"  | {line}")
    return out


def stage_dir(build_dir, kernel):
    """<build>/vm-<kernel name>: the job, results and console of a run."""
    name = kernel.name if kernels.NAME.fullmatch(kernel.name) else "user"
    return os.path.join(build_dir, f"vm-{name}")


def copy_out(src, dest):
    """A result file the guest wrote, copied where the user asked."""
    if dest and os.path.exists(src):
        shutil.copyfile(src, dest)

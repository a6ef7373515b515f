# SPDX-License-Identifier: MIT
"""The command line: subcommands, options, and their checks.  Every
mistake becomes UserError (one line, exit 2), never argparse's usage dump
or a traceback."""

import argparse
import os
import re
import textwrap

from .errors import UserError

COMMANDS = ("run", "test", "storm", "soak", "report", "bench", "libcs",
            "bisect", "exec", "mutate")
MAX_STORM_SECONDS = 86400      # what cpstorm-storm accepts
MAX_STORM_THREADS = 100000
MAX_SOAK_SECONDS = 30 * 86400
DURATION = re.compile(r"(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?"
                      r"(?:(\d+(?:\.\d*)?)s?)?")


class Parser(argparse.ArgumentParser):
    def error(self, message):
        raise UserError(f"{message} (try {self.prog} --help)")


def _number(kind, low, high, what):
    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            value = None
        if value is None or value != value or not low <= value <= high:
            raise argparse.ArgumentTypeError(
                f"{what}: expected {low:g} to {high:g}, got '{text}'")
        return value
    return parse


def _seconds(text):
    value = _number(float, 0, MAX_STORM_SECONDS, "seconds")(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"seconds: must be more than 0, "
                                         f"got '{text}'")
    return value


def _seed(text):
    if not text.isdigit() or int(text) >= 2 ** 64:
        raise argparse.ArgumentTypeError(
            f"a seed is a whole number from 0 to 2^64-1, got '{text}'")
    return int(text)


def _duration(text):
    """30s, 10m, 8h, 1h30m, 2d or plain seconds."""
    m = DURATION.fullmatch(text.strip())
    if not text.strip() or not m:
        raise argparse.ArgumentTypeError(
            f"a duration is like 30s, 10m, 8h or 1h30m, got '{text}'")
    d, h, mins, secs = (float(g) if g else 0.0 for g in m.groups())
    value = ((d * 24 + h) * 60 + mins) * 60 + secs
    if not 0 < value <= MAX_SOAK_SECONDS:
        raise argparse.ArgumentTypeError(
            f"duration must be more than 0 and at most 30 days, got '{text}'")
    return value


def _seed_range(text):
    """A:B, both ends included."""
    first, sep, last = text.partition(":")
    if not (sep and first.isdigit() and last.isdigit()) or \
            int(last) >= 2 ** 64 or int(first) > int(last):
        raise argparse.ArgumentTypeError(
            f"a seed range is A:B with whole numbers A <= B (both "
            f"included), e.g. 0:999, got '{text}'")
    return int(first), int(last)


def _add_build_dir(p, repo):
    p.add_argument("--build-dir", metavar="DIR", type=os.path.abspath,
                   default=os.path.join(repo, "build"),
                   help="cmake build directory (default: %(default)s)")


def _run_epilog(d):
    lines = ["backends:"]
    for name, text in d["backend_help"].items():
        lines += textwrap.wrap(text, 78, initial_indent=f"  {name:<13} ",
                               subsequent_indent=" " * 16)
    lines += ["  (" + ", ".join(f"{a} = {b}" for a, b in
                               d["aliases"].items()) + ")", ""]
    lines += ["exit status: 0 once every cell has a verdict (a FAIL is a "
              "finding, not a",
              "runner failure); 1 with --strict when a correct strategy's "
              "cell is not",
              "PASS, a libcp verdict differs from cases/expected.txt or a "
              "flawed strategy",
              "went uncaught, or with --compare when a verdict changed;",
              "2 on bad input, missing packages (not root) or a broken "
              "build."]
    return "\n".join(lines)


def _add_cell_options(p, d):
    """What `run` and `soak` share: which cells, how to run them."""
    p.add_argument("--backends", metavar="A,B,..", default=d["backends"],
                   help="backends to run, or all (default: %(default)s)")
    p.add_argument("--cases", metavar="all|x,y|none", default="all",
                   help="cases to run: all (default), a comma list, or none "
                   "(storm only)")
    p.add_argument("--storm-duration", metavar="S", type=_seconds,
                   default=d["storm_duration"],
                   help="seconds per storm (default: %(default)s)")
    p.add_argument("--storm-threads", metavar="N",
                   type=_number(int, 1, MAX_STORM_THREADS, "threads"),
                   default=d["storm_threads"],
                   help="target threads per storm (default: %(default)s)")
    p.add_argument("--no-build", action="store_true",
                   help="use the build directory as it is (no package "
                   "check, no cmake)")
    p.add_argument("--timeout", metavar="S", type=_seconds,
                   default=d["timeout"],
                   help="seconds per case before its process group is "
                   "killed (default: %(default)s)")
    p.add_argument("--no-kernel-check", action="store_true",
                   help="do not fail cells on kernel BUG/WARNING/Oops lines "
                   "(checked via /dev/kmsg markers when root)")
    p.add_argument("--strict", action="store_true",
                   help="exit 1 when a correct strategy's cell is not PASS "
                   "or a libcp verdict differs from cases/expected.txt")
    _add_build_dir(p, d["repo"])


def _run_parser(d):
    p = Parser(prog="cpstorm run", allow_abbrev=False,
               formatter_class=argparse.RawDescriptionHelpFormatter,
               description="Build if needed, run every case against every "
               "backend, then a storm per\nbackend; print the verdict "
               "table.",
               epilog=_run_epilog(d))
    _add_cell_options(p, d)
    p.add_argument("--seed", type=_seed,
                   default=int.from_bytes(os.urandom(4), "little"),
                   help="storm seed (default: random; printed for replay)")
    p.add_argument("--no-storm", action="store_true", help="skip the storms")
    p.add_argument("--repeat", metavar="N", type=_number(int, 1, 10000, "runs"),
                   default=1, help="run the whole grid N times and report "
                   "detection power: which cases caught each flawed "
                   "strategy in how many runs (default: 1)")
    p.add_argument("--json", metavar="FILE",
                   help="write one JSON record per cell (JSON Lines)")
    p.add_argument("--junit", metavar="FILE",
                   help="write JUnit XML (a testsuite per backend) for "
                   "Jenkins/GitLab")
    p.add_argument("--ktap", action="store_true",
                   help="print KTAP version 1 on stdout (a test per "
                   "backend, cases nested); the table becomes '# ' lines")
    p.add_argument("--compare", metavar="FILE",
                   help="flag every verdict that differs from a reference "
                   "run's records (e.g. results/reference-*.jsonl); exit 1 "
                   "when one does")
    p.add_argument("--arch", choices=("x86_64", "i386", "aarch64",
                                      "riscv64"),
                   help="with --vm: the guest's architecture (default: "
                   "x86_64)")
    _add_vm_options(p, "one kernel or several, comma-separated (a column "
                    "per kernel and backend)")
    return p


def _sanitizers(text):
    if not re.fullmatch(r"(address|undefined|thread)(,(address|undefined|thread))*",
                        text):
        raise argparse.ArgumentTypeError(
            "takes address, undefined or thread, comma-separated")
    return text


def _test_parser(d):
    p = Parser(prog="cpstorm test", allow_abbrev=False,
               usage="cpstorm test [-h] [--build-dir DIR] [--sanitize LIST] "
               "[--arch ARCH] [-- extra ctest arguments]",
               description="Configure with -DCP_WERROR=ON, build, and run "
               "ctest --output-on-failure -j2 in the build directory.  "
               "Exit status: ctest's (0 all passed); 1 when the build "
               "fails; 2 on bad input or missing packages (not root).")
    p.add_argument("--sanitize", metavar="LIST", type=_sanitizers, default=None,
                   help="build with -fsanitize=LIST (e.g. address,undefined); "
                   "use its own --build-dir")
    p.add_argument("--arch", choices=("x86_64", "i386", "aarch64", "riscv64",
                                      "all"),
                   help="test an arch port instead of the native build: "
                   "its toolchain file, build-<arch>/ (unless --build-dir), "
                   "i386 natively when the kernel can, the others under "
                   "qemu-user (with --vm: in a VM, x86_64 included); then a "
                   "short storm")
    p.add_argument("--no-storm", action="store_true",
                   help="with --arch: leave out the short storm (said so in "
                   "the summary)")
    _add_vm_options(p, "a kernel")
    _add_build_dir(p, d["repo"])
    return p


def _vm_timeout(text):
    return _number(float, 60, 7 * 86400, "--vm-timeout seconds")(text)


def _add_vm_options(p, kernels):
    p.add_argument("--vm", action="store_true",
                   help="run inside a full-system VM (qemu-system-<arch>, "
                   "KVM when usable, TCG otherwise) booted on a Debian "
                   "kernel or your own: ptrace, seccomp and signals are the "
                   "guest kernel's (docs/vm.md)")
    p.add_argument("--kernel", metavar="K",
                   help=f"with --vm: {kernels}: deb-<major.minor> from "
                   "Debian's archive (deb-5.10, deb-6.1, deb-6.12, ...; "
                   "default: the current Debian stable's) or the path of a "
                   "kernel image you built (9p and virtio built in)")
    p.add_argument("--vm-timeout", metavar="S", type=_vm_timeout,
                   default=7200, help="with --vm: seconds before a guest is "
                   "killed (its last console lines shown; default: "
                   "%(default)s)")


def check_vm_options(args):
    if not args.vm and (args.kernel or args.vm_timeout != 7200):
        raise UserError("--kernel and --vm-timeout go with --vm")
    if not args.vm and getattr(args, "arch", None) == "x86_64":
        raise UserError("--arch x86_64 is the native build: run without "
                        "--arch, or add --vm to run it in a VM")
    if args.command == "run" and args.arch and not args.vm:
        raise UserError("run --arch goes with --vm (the ports' tests without "
                        "a VM: runner/cpstorm test --arch)")
    if args.command == "run" and args.vm and "," in (args.kernel or "") \
            and args.ktap:
        raise UserError("--ktap takes one kernel; drop --ktap or run the "
                        "kernels one at a time")


def _storm_parser(d):
    p = Parser(prog="cpstorm storm", allow_abbrev=False,
               usage="cpstorm storm [-h] [--build-dir DIR] "
               "[-- cpstorm-storm options]",
               description="Build if needed and run build/stress/"
               "cpstorm-storm with the options after --, e.g. "
               "cpstorm storm -- --backend libc --duration 30 --seed 42.  "
               "Exit status: the storm's (0 clean, 1 leak or lost "
               "cancellation, 2 bad options).")
    _add_build_dir(p, d["repo"])
    return p


def _soak_parser(d):
    p = Parser(prog="cpstorm soak", allow_abbrev=False,
               description="Run the cases and a storm per backend for each "
               "seed of the range (both ends included), again and again "
               "until the duration is used up, sampling /proc (memory, "
               "threads, fds of the storm; the system) meanwhile.  Every "
               "result and sample is appended and fsync'ed to OUT/"
               "soak.jsonl; the summary is printed and written to "
               "OUT/summary.txt at the end and on Ctrl-C or SIGTERM.  "
               "Shard a long soak across machines by seed range.  Exit "
               "status: 0 done; 1 with --strict when a correct "
               "strategy's cell did not pass or a libcp verdict differs "
               "from cases/expected.txt; 130 interrupted; "
               "2 bad input.")
    p.add_argument("--duration", metavar="T", type=_duration, required=True,
                   help="how long: 30s, 10m, 8h, 1h30m, ...")
    p.add_argument("--seed-range", metavar="A:B", type=_seed_range,
                   required=True, help="storm seeds A to B, both included")
    p.add_argument("--out", metavar="DIR", type=os.path.abspath,
                   help="folder for soak.jsonl and summary.txt (default: "
                   "results/soak-A-B-<UTC time>)")
    p.add_argument("--sample-interval", metavar="S",
                   type=_number(float, 0.1, 3600, "sample interval"),
                   default=1.0, help="seconds between /proc samples "
                   "(default: %(default)s)")
    p.add_argument("--ktap", action="store_true",
                   help="print the summary as KTAP version 1 (a test per "
                   "backend, a subtest per case over all its runs)")
    _add_cell_options(p, d)
    return p


def _report_parser(d):
    p = Parser(prog="cpstorm report", allow_abbrev=False,
               description="Read result files (JSON Lines from run --json "
               "or soak) and write a Markdown summary and a self-contained "
               "HTML page with SVG charts: the verdict grid, leaks per "
               "million cancellations, cancellations per second, and "
               "memory over time for soaks.")
    p.add_argument("files", metavar="FILE", nargs="+",
                   help="result files (.jsonl)")
    p.add_argument("--out", metavar="DIR", default=".",
                   help="folder for report.md and report.html "
                   "(default: the current folder)")
    p.add_argument("--title", default="cancelstorm report",
                   help="page title (default: %(default)s)")
    return p


def _bench_parser(d):
    p = Parser(prog="cpstorm bench", allow_abbrev=False,
               description="Build if needed and measure, side by side with "
               "the peers: wrapper overhead (callgrind instructions and wall "
               "ns per read), cancel latency, storm throughput and memory "
               "per thread, and time to detect each known-bad backend.  "
               "Prints tables; --json writes every figure.  Numbers only: "
               "exit 0 unless the measurement itself broke (2).")
    p.add_argument("--backends", metavar="A,B,..", default="all",
                   help="backends for latency/storm/strategies (default: "
                   "all)")
    p.add_argument("--sections", metavar="LIST",
                   default="overhead,latency,storm,detect",
                   help="which figures (default: %(default)s)")
    p.add_argument("--quick", action="store_true",
                   help="fewer samples and shorter storms (a smoke run)")
    p.add_argument("--libcs", metavar="A,B,..", default="",
                   help="other glibc versions for the overhead figures, "
                   "e.g. glibc-2.41,glibc-2.44 (fetched like run's libc "
                   "backends; must be at least the host's glibc)")
    p.add_argument("--storm-threads", metavar="N,N,..", default="100,1000,10000",
                   help="thread counts for the throughput storms (default: "
                   "%(default)s)")
    p.add_argument("--seed", type=_seed, default=1,
                   help="storm seed (default: %(default)s)")
    p.add_argument("--json", metavar="FILE",
                   help="write the figures and the machine description")
    p.add_argument("--no-build", action="store_true",
                   help="use the build directory as it is")
    _add_build_dir(p, d["repo"])
    return p


def _libcs_parser(d):
    p = Parser(prog="cpstorm libcs", allow_abbrev=False,
               description="List the glibc and musl versions Debian's "
               "archive offers as backends (glibc-<version>, "
               "musl-<version>) and which are cached in ~/.cache/cpstorm; "
               "fetch some.  The package indexes are fetched (signature "
               "verified by apt) on first use.")
    p.add_argument("--fetch", metavar="A,B,..|all",
                   help="download, verify and unpack these versions now")
    p.add_argument("--refresh", action="store_true",
                   help="fetch the package indexes again")
    return p


def _bisect_parser(d):
    p = Parser(prog="cpstorm bisect", allow_abbrev=False,
               description="Find the adjacent pair of C library versions "
               "where a case's verdict changes.  Every probe runs "
               "--repeat times; mixed verdicts are reported as flaky, not "
               "as a conclusion.  Exit status: 0 a change found, 1 none "
               "or flaky, 2 bad input.")
    p.add_argument("--case", required=True, help="the case to bisect")
    p.add_argument("--family", choices=("glibc", "musl"), default="glibc",
                   help="versions from Debian's archive (default: glibc)")
    p.add_argument("--trees", metavar="P1,P2,..",
                   help="bisect over glibc build trees in this order "
                   "instead of archive versions")
    p.add_argument("--kernels", metavar="A,B,..|all",
                   help="bisect over kernels instead, oldest first, each "
                   "booted in a VM (deb-X.Y names or image paths, as "
                   "--kernel takes; all: every Debian series offered)")
    p.add_argument("--backend", default="libc",
                   help="with --kernels: the backend whose verdict is "
                   "bisected (default: %(default)s)")
    p.add_argument("--arch", choices=("x86_64", "i386", "aarch64",
                                      "riscv64"),
                   help="with --kernels: the guest's architecture (default: "
                   "x86_64)")
    p.add_argument("--vm-timeout", metavar="S", type=_vm_timeout,
                   default=7200, help="with --kernels: seconds before a "
                   "guest is killed (default: %(default)s)")
    p.add_argument("--good", metavar="X", help="first version (default: "
                   "the oldest)")
    p.add_argument("--bad", metavar="Y", help="last version (default: the "
                   "newest)")
    p.add_argument("--repeat", metavar="N",
                   type=_number(int, 1, 1000, "repeat"), default=5,
                   help="runs per probe (default: %(default)s)")
    p.add_argument("--timeout", metavar="S", type=_seconds,
                   default=d["timeout"],
                   help="seconds per run (default: %(default)s)")
    p.add_argument("--no-build", action="store_true",
                   help="use the build directory as it is")
    _add_build_dir(p, d["repo"])
    return p


def _exec_parser(d):
    p = Parser(prog="cpstorm exec", allow_abbrev=False,
               usage="cpstorm exec [-h] [--build-dir DIR] [--no-build] "
               "-- PROGRAM [ARGS...]",
               description="Build if needed and run PROGRAM with the drop-in "
               "library (build/dropin/libcp-dropin.so) preloaded: "
               "pthread_cancel and every POSIX cancellation point are "
               "libcp's, for the program and whatever it starts.  "
               "docs/drop-in.md says what it covers.  Exit status: the "
               "program's; 2 when it cannot be started.")
    p.add_argument("--no-build", action="store_true",
                   help="use the build directory as it is")
    _add_build_dir(p, d["repo"])
    return p


def _mutate_parser(d):
    p = Parser(prog="cpstorm mutate", allow_abbrev=False,
               description="Measure the suite's power: apply each mutant of "
               "mutants/ (a realistic bug in lib/ or arch/) to a scratch "
               "copy, build it, run libcp's unit tests, the cases of its "
               "correct strategies and a short storm (cheapest first, "
               "stopping at the first failure), and print which test "
               "killed each mutant, how long it took, and the survivors.  "
               "Exit status: 0 every mutant killed (or equivalent); 1 a "
               "survivor, a mutant that does not build, or a pristine tree "
               "that fails its own tests; 2 bad input.")
    p.add_argument("--mutants", metavar="A,B,..", default="all",
                   help="mutants to run (names of mutants/*.mutant; "
                   "default: all)")
    p.add_argument("--check", action="store_true",
                   help="only check that every mutant applies to the tree "
                   "as it is (no build; exit 1 when one does not)")
    p.add_argument("--list", action="store_true",
                   help="list the mutants and what each breaks")
    p.add_argument("--repeat", metavar="N",
                   type=_number(int, 1, 1000, "repeat"), default=1,
                   help="test each mutant N times (kills counted k/N: "
                   "detection power where it is statistical; default: 1)")
    p.add_argument("--baseline-repeat", metavar="N",
                   type=_number(int, 1, 1000, "baseline repeat"), default=1,
                   help="run the whole plan N times on the pristine tree "
                   "first (every run must pass; default: 1)")
    p.add_argument("--full", action="store_true",
                   help="run every test for every mutant, not only up to "
                   "the first kill (lists every killer; slower)")
    p.add_argument("--jobs", metavar="N", type=_number(int, 1, 64, "jobs"),
                   default=2, help="tests run at once (default: "
                   "%(default)s)")
    p.add_argument("--storm-duration", metavar="S", type=_seconds,
                   default=2.0, help="seconds of the short storm (default: "
                   "%(default)s)")
    p.add_argument("--storm-threads", metavar="N",
                   type=_number(int, 1, MAX_STORM_THREADS, "threads"),
                   default=300, help="threads of the short storm (default: "
                   "%(default)s)")
    p.add_argument("--seed", type=_seed, default=1,
                   help="storm seed of the pristine run; mutants' storms "
                   "use seed+1000+run (default: %(default)s)")
    p.add_argument("--json", metavar="FILE",
                   help="write the results as JSON (every mutant, its "
                   "killers, times, the score)")
    p.add_argument("--build-dir", metavar="DIR", type=os.path.abspath,
                   default=os.path.join(d["repo"], "build-mutate"),
                   help="scratch copy and warm build (default: %(default)s)")
    return p


PARSERS = {"run": _run_parser, "test": _test_parser, "storm": _storm_parser,
           "soak": _soak_parser, "report": _report_parser,
           "bench": _bench_parser, "libcs": _libcs_parser,
           "bisect": _bisect_parser, "exec": _exec_parser,
           "mutate": _mutate_parser}
USAGE = ("usage: cpstorm run|test|storm|soak|report|bench|libcs|bisect|exec|"
         "mutate "
         "[options]; cpstorm "
         "<command> --help for each")


def parse_args(argv, defaults):
    """Namespace with .command; test/storm get .passthrough (after --)."""
    if not argv or argv[0] in ("-h", "--help"):
        if argv:
            print(USAGE + "\n  run    the main job: the verdict table\n"
                  "  test   build with -Werror and run ctest\n"
                  "  storm  run the storm binary directly\n"
                  "  soak   repeated cases and storms over a seed range\n"
                  "  report Markdown and HTML from result files\n"
                  "  bench  overhead, latency, throughput, time to detect\n"
                  "  libcs  glibc/musl versions from Debian's archive\n"
                  "  bisect the version pair where a case's verdict changes\n"
                  "  exec   run a program under the drop-in library\n"
                  "  mutate the suite's power: which test kills each mutant")
            raise SystemExit(0)
        raise UserError("say what to do: run (the main job), test, storm, "
                        "soak or report (try --help)")
    command, rest = argv[0], argv[1:]
    if command not in COMMANDS:
        raise UserError(f"unknown command '{command}' (choose from: "
                        f"{', '.join(COMMANDS)})")
    passthrough = []
    if command in ("test", "storm", "exec") and "--" in rest:
        cut = rest.index("--")
        rest, passthrough = rest[:cut], rest[cut + 1:]
    args = PARSERS[command](defaults).parse_args(rest)
    args.command, args.passthrough = command, passthrough
    if hasattr(args, "vm"):
        check_vm_options(args)
    if command == "bisect" and not args.kernels and \
            (args.arch or args.backend != "libc"):
        raise UserError("--arch and --backend go with --kernels (the libc "
                        "bisect always runs the libc backend)")
    if command == "bisect" and args.kernels and args.trees:
        raise UserError("--kernels and --trees bisect different things; "
                        "give one")
    return args

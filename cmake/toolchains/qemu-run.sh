#!/bin/sh
# SPDX-License-Identifier: MIT
# The test emulator of the qemu-user runs (CMAKE_CROSSCOMPILING_EMULATOR):
# runs a test program under qemu-user, or says SKIP (exit 77) with the
# reason when its verdict would not be trustworthy there.
#   usage: qemu-run.sh QEMU [QEMU-OPTIONS ...] -- PROGRAM [ARGS ...]
#
# What qemu-user cannot show: it refuses seccomp filters (EINVAL: a filter
# would judge the host's syscalls) and ptrace (EPERM, even for root);
# /proc/<tid>/syscall
# shows the host's syscall numbers; and it delivers a guest signal at a
# point of its own choosing (between translated blocks, or around its
# host syscall with its own restart rewind), not where the kernel
# interrupted the guest.  So the deterministic cases, which force their
# race with those three tools, cannot be set up: their ERROR ("target
# never blocked in read", "seccomp ... unavailable") becomes a SKIP that
# quotes it.  A PASS or FAIL they do reach is kept.
# The unit suites cancel, signals, wrappers and lifecycle hold calls with
# seccomp and wait on /proc/<tid>/syscall: SKIP.  What runs: the port,
# cleanup and C++ unit tests, the uring suite (it SKIPs itself: qemu has no
# io_uring) and the storm (libcp's window logic against qemu's signal
# delivery, leaks found by /proc/self/fd) where the emulator keeps each
# thread's TLS across its signal handlers (qemu-i386 does not: SKIP).
#
# qemu-user cannot map the guest's highest real-time signals onto host
# ones (tgkill fails with EINVAL for guest signal 63 = SIGRTMAX-1, libcp's
# default cancel signal), so libcp's signal moves to 40 (CP_SIGNAL).
set -u
export CP_SIGNAL="${CP_SIGNAL:-40}"
# For the programs that must know: under qemu-user /proc/<tid>/syscall
# shows the host's syscall numbers (a program that waits for "blocked in
# read" that way cannot see it), and some syscalls are emulated loosely
# (recvmmsg ignores its timeout).
export CP_UNDER_QEMU_USER=1
qemu=
while [ $# -gt 0 ] && [ "$1" != "--" ]; do
	qemu="$qemu $1"
	shift
done
shift
prog=$1
name=$(basename "$prog")
skip() {
	echo "skip: not under qemu-user: $*"
	exit 77
}
case $name in
cpstorm-storm | cpstorm-storm-broken)
	# The cleanup-eintr oracle's check needs a signal to land inside a
	# 5 us sleep of a cleanup handler; qemu-user delivers a guest signal
	# at points of its own choosing, so that cannot be forced here.
	case " $* " in
	*" broken:cleanup-eintr "*) skip "a signal timed to land inside a 5 us sleep: qemu-user delivers guest signals where it chooses" ;;
	esac
	# Every storm thread reads its TLS right after signal handlers: where
	# the emulator gives it another thread's (qemu-i386), the storm dies
	# of it whatever the backend.  The probe (support/signal_tls_probe.c)
	# is the minimal reproducer; its SKIP reason becomes the storm's.
	probe=$(dirname "$prog")/../support/cp-signal-tls-probe
	out=$($qemu "$probe" 2>&1)
	case $? in
	0) ;;
	77) skip "cpstorm-storm: $(printf '%s\n' "$out" | grep '^verdict=' | tail -n 1 | sed 's/.*detail=//')" ;;
	*) printf '%s\n' "$out"; echo "error: $probe failed under$qemu"; exit 2 ;;
	esac
	;;
cp-unit)
	# Emulated code runs several times slower, and a unit test that starts
	# 2000 threads (cleanup's type_switching_under_requests) outlived its
	# 60 s Check timeout with the 2 cores overloaded.  A hang still ends
	# as a timeout, three times later.
	export CK_TIMEOUT_MULTIPLIER="${CK_TIMEOUT_MULTIPLIER:-3}"
	case ${CK_RUN_SUITE:-} in
	port | cleanup | uring) ;;
	*) skip "unit suite '${CK_RUN_SUITE:-all}' holds calls with seccomp user notification and waits on /proc/<tid>/syscall" ;;
	esac
	;;
case-*)
	out=$($qemu "$@" 2>&1)
	rc=$?
	printf '%s\n' "$out"
	if [ $rc -eq 2 ]; then
		skip "$name could not set up its race: $(printf '%s\n' "$out" | grep '^verdict=' | tail -n 1 | sed 's/.*detail=//')"
	fi
	if [ $rc -eq 77 ]; then
		echo "note: under qemu-user, which refuses ptrace (EPERM, also for root) and seccomp filters (EINVAL): the reason above is their symptom"
	fi
	exit $rc
	;;
esac
exec $qemu "$@"

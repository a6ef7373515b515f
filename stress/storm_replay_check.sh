#!/bin/sh
# storm_replay_check.sh STORM... - a recorded failure replays to the same
# outcome kinds.  Records a short storm of a flawed strategy (cp:async
# leaks recvmsg descriptors and acts inside handlers, hundreds of times in
# two seconds), replays it from its JSON record alone, and compares which
# of leaked_fds, lost, inside_handler, spurious_eintr and memory_growing
# are non-zero in the two records (batches of 8: qemu-user has only 32
# POSIX timers).  STORM is the storm binary, with the cross build's
# emulator in front when there is one.
rec=$(mktemp) || exit 2
trap 'rm -f "$rec"' EXIT
"$@" --backend cp:async --threads 300 --duration 2 --seed 1 --batch 8 \
	--json "$rec" >/dev/null
rc=$?
# 77: the emulator wrapper refused the storm (qemu-run.sh says why).
[ $rc -eq 77 ] && exit 77
[ $rc -eq 1 ] || { echo "recording run: exit $rc, expected 1 (a finding)"; exit 1; }
"$@" --replay "$rec" --json "$rec" >/dev/null
rc=$?
[ $rc -eq 1 ] || { echo "replay: exit $rc, expected 1 (a finding)"; exit 1; }
kinds() {
	for k in leaked_fds lost inside_handler spurious_eintr; do
		sed -n "${1}p" "$rec" | grep -q "\"$k\":[1-9]" && printf '%s ' "$k"
	done
	sed -n "${1}p" "$rec" | grep -q '"memory_growing":true' && printf 'memory '
}
a=$(kinds 1) b=$(kinds 2)
echo "recorded: $a; replayed: $b"
[ -n "$a" ] && [ "$a" = "$b" ]

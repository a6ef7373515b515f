#!/bin/sh
# SPDX-License-Identifier: MIT
# Packaging check: install into a scratch prefix, build a program through
# the installed pkg-config file (shared and static), run it, and check that
# libcp.so exports the cp_ API of lib/libcp.map and nothing else, each
# symbol under one of its version nodes; then that the drop-in library
# (64-bit builds) is installed beside it, binds to it, and cancels a
# program that links it.
# usage: install_check.sh BUILD_DIR SOURCE_DIR
set -eu
build=$1 src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
pc=$(find "$tmp/prefix" -name libcp.pc)
[ -n "$pc" ] || { echo "FAIL: no libcp.pc installed"; exit 1; }
export PKG_CONFIG_PATH=$(dirname "$pc")
libdir=$(pkg-config --variable=libdir libcp)
cat > "$tmp/t.c" <<'C'
#include <cp.h>
#include <string.h>
int main(void) { return strcmp(cp_strategy(), "reraise") != 0; }
C
cc "$tmp/t.c" $(pkg-config --cflags --libs libcp) -Wl,-rpath,"$libdir" -o "$tmp/shared"
"$tmp/shared"
cc "$tmp/t.c" $(pkg-config --cflags libcp) "$libdir/libcp.a" -pthread -o "$tmp/static"
"$tmp/static"
# The installed library offers the correct strategies only: a flawed one
# named in the environment is refused with a one-line reason (exit 2),
# never obeyed.
for bin in shared static; do
	for flawed in async pcsyscall noretry; do
		if msg=$(CP_STRATEGY=$flawed "$tmp/$bin" 2>&1); then
			echo "FAIL: $bin: CP_STRATEGY=$flawed accepted by the installed libcp"
			exit 1
		fi
		case $msg in
		*"deliberately flawed"*) ;;
		*) echo "FAIL: $bin: CP_STRATEGY=$flawed refused without saying why: $msg"; exit 1 ;;
		esac
	done
done
exported=$(nm -D --defined-only "$libdir/libcp.so" | awk '$2 ~ /[TDBW]/ {sub(/@.*/, "", $3); print $3}' | sort)
# The ABI is the version script's list: every name cp.h declares, plus
# the entry points cp.h reaches through asm labels (64-bit offsets and
# times on 32-bit arches).
abi=$(awk '/global:/ {g = 1; next} /local:|}/ {g = 0} g && /cp_/ {gsub(/[;[:space:]]/, ""); print}' "$src/lib/libcp.map" | sort)
declared=$(grep -o 'cp_[a-z0-9_]*(' "$src/lib/include/cp.h" | tr -d '(' | sort -u)
[ "$exported" = "$abi" ] || {
	echo "FAIL: exported symbols differ from lib/libcp.map:"
	echo "$exported" > "$tmp/e"; echo "$abi" > "$tmp/d"; diff "$tmp/e" "$tmp/d" || true
	exit 1
}
missing=$(echo "$declared" | grep -vxF "$abi" || true)
[ -z "$missing" ] || { echo "FAIL: declared in cp.h but not exported: $missing"; exit 1; }
nodes=$(grep -o '^LIBCP_[0-9.]*' "$src/lib/libcp.map" | paste -sd'|')
unversioned=$(objdump -T "$libdir/libcp.so" | awk -v n=" ($nodes) " '/ cp_/ && $0 !~ n' | wc -l)
[ "$unversioned" -eq 0 ] || { echo "FAIL: $unversioned cp_ symbols outside the version nodes of libcp.map ($nodes)"; exit 1; }
dropin=""
if [ -e "$libdir/libcp-dropin.so" ]; then
	readelf -d "$libdir/libcp-dropin.so" | grep -q 'NEEDED.*\[libcp.so.1\]' ||
		{ echo "FAIL: libcp-dropin.so does not bind to libcp.so.1"; exit 1; }
	cat > "$tmp/d.c" <<'C'
#include <pthread.h>
#include <unistd.h>
static int fds[2];
static void *reader(void *p) { char c; (void)p; read(fds[0], &c, 1); return NULL; }
int main(void)
{
	pthread_t t;
	void *ret;

	pipe(fds);
	pthread_create(&t, NULL, reader, NULL);
	pthread_cancel(t);
	pthread_join(t, &ret);
	return ret != PTHREAD_CANCELED;
}
C
	cc "$tmp/d.c" -L"$libdir" -lcp-dropin -pthread -Wl,-rpath,"$libdir" -o "$tmp/dropin"
	"$tmp/dropin" || { echo "FAIL: a program linked with -lcp-dropin was not cancelled in read"; exit 1; }
	dropin=", and libcp-dropin.so binds to it and cancels a linked program"
fi
echo "PASS: installed, built via pkg-config (shared and static), $(echo "$exported" | wc -l) symbols exported as lib/libcp.map says, each under $nodes; flawed strategies refused$dropin"

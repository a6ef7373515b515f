#!/bin/sh
# SPDX-License-Identifier: MIT
# Packaging check: install into a scratch prefix, build a program through
# the installed pkg-config file (shared and static), run it, and check that
# libcp.so exports the cp_ API of lib/libcp.map and nothing else, versioned.
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
unversioned=$(objdump -T "$libdir/libcp.so" | awk '/ cp_/ && !/LIBCP_1\.[01]/' | wc -l)
[ "$unversioned" -eq 0 ] || { echo "FAIL: $unversioned cp_ symbols outside LIBCP_1.0/1.1"; exit 1; }
echo "PASS: installed, built via pkg-config (shared and static), $(echo "$exported" | wc -l) symbols exported as lib/libcp.map says; flawed strategies refused"

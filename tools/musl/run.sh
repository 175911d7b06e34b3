#!/usr/bin/env bash
# The C shim on a second libc (see tools/musl/check.c): csrc/posix.c, common.c and netdb.c built
# statically with Debian's musl-gcc (apt: musl-tools), run in a network namespace of its own
# with only loopback up (unshare -n, as root), so nothing it does can leave this machine.
# Flags as the extension's build gets them on Linux: warnings are errors, and _GNU_SOURCE
# (pyconfig.h defines it). Prints one line per check and "N passed, M failed".
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
if ! command -v musl-gcc >/dev/null; then
    echo "musl: no musl-gcc (apt: musl-tools)" >&2
    exit 2
fi
WORK=$(mktemp -d "${TMPDIR:-/tmp}/ns-musl.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
musl-gcc -static -O2 -std=gnu11 -Wall -Wextra -Wundef -Werror -Wno-unused-function \
    -D_GNU_SOURCE -o "$WORK/check" "$ROOT/tools/musl/check.c"
# static: musl's own startup code and libc, nothing from the host's glibc at run time (and
# check.c refuses to compile where __GLIBC__ is defined, i.e. against glibc's headers)
if ! file "$WORK/check" | grep -q "statically linked"; then
    echo "musl: the check is not a static binary" >&2
    exit 1
fi
echo "musl: $(file -b "$WORK/check" | cut -d, -f1-2,4), running under unshare -n"
unshare -n sh -c 'ip link set lo up && exec "$1"' sh "$WORK/check"

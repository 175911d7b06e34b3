#!/usr/bin/env bash
# Run a command with a stock Debian /etc/hosts (localhost for 127.0.0.1 and for ::1), as
# on a fresh Debian or Ubuntu machine, without touching this machine's: the file is bound
# over /etc/hosts in a private mount namespace that ends with the command. The sid chroot's
# sessions see it too (tools/sid-chroot.sh binds the /etc/hosts it sees). Root only.
#   bash tools/stock-hosts.sh python3 -m nox -s tests
set -euo pipefail
[ $# -gt 0 ] || {
    echo "usage: $0 COMMAND [ARG...]" >&2
    exit 2
}
hosts=$(mktemp "${TMPDIR:-/tmp}/stock-hosts.XXXXXX")
trap 'rm -f "$hosts"' EXIT
cat >"$hosts" <<'EOF'
127.0.0.1	localhost
::1		localhost ip6-localhost ip6-loopback
ff02::1		ip6-allnodes
ff02::2		ip6-allrouters
EOF
chmod 644 "$hosts"
unshare --mount --propagation private -- sh -c 'mount --bind "$0" /etc/hosts && exec "$@"' "$hosts" "$@"

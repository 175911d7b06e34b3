#!/usr/bin/env bash
# A Debian sid chroot with CPython 3.14, CPython 3.15 and PyPy 3.11 for the nox `tests`
# sessions of those interpreters (Debian 12 has none of them), and `bench` on 3.14.
#
#   tools/sid-chroot.sh setup      build the chroot, or reuse the one already built (idempotent)
#   tools/sid-chroot.sh run CMD..  run CMD inside it (cwd kept), in a private mount namespace
#   tools/sid-chroot.sh remove     unmount whatever is mounted under it, then delete it (not
#                                  while a process runs in it)
#   tools/sid-chroot.sh status     where it is and whether it is ready
#
# Layout, outside any checkout (NATIVESOCKETS_SID_CACHE, default /var/cache/nativesockets):
#   sid/              the chroot (debootstrap --variant=minbase sid; ~0.7 GB)
#   bin/python3.14    a wrapper on the host that runs "$0" inside the chroot, where the same
#   bin/python3.15    path is a script that execs the real interpreter under that name; nox
#   bin/pypy3.11      finds them on PATH, and a venv made from them works from both sides
#                     (see noxfile.py)
#   sid-chroot.sh     a copy of this script, which the wrappers call
#
# Nothing stays mounted on the host. Every `run` enters a new mount namespace (unshare -m,
# private propagation) and binds /dev, /proc, /etc/hosts, /etc/resolv.conf and the
# directories in NATIVESOCKETS_SID_BIND (colon-separated; noxfile.py passes the checkout)
# there; the mounts end with the process. `remove` (and a setup that rebuilds) still
# checks with findmnt, unmounts what it finds, and refuses to delete while anything is
# mounted under the chroot or a process has it as its root, so an rm -rf can never reach
# the host's /dev, /proc or a checkout through a bind mount; rm --one-file-system as well.
set -euo pipefail

CACHE=${NATIVESOCKETS_SID_CACHE:-/var/cache/nativesockets}
ROOT=$CACHE/sid
BIN=$CACHE/bin
MIRROR=${NATIVESOCKETS_SID_MIRROR:-http://deb.debian.org/debian}
# valgrind: the instruction counts of `nox -s bench-3.14` (benchmarks/run.py)
PACKAGES=(python3.14-dev python3.14-venv python3.15-dev python3.15-venv
    pypy3-dev pypy3-venv gcc libc6-dev libffi-dev valgrind)
# name on PATH -> interpreter inside the chroot
INTERPRETERS=(python3.14:/usr/bin/python3.14 python3.15:/usr/bin/python3.15 pypy3.11:/usr/bin/pypy3.11)
# Changing the package list or the layout rebuilds the chroot on the next setup.
STAMP="v1 ${PACKAGES[*]} ${INTERPRETERS[*]}"
READY=$ROOT/.nativesockets-ready
CA=/etc/ssl/certs/ca-certificates.crt
SELF=$(readlink -f "$0")

log() { echo "sid-chroot: $*" >&2; }
die() {
    log "$*"
    exit 1
}
[ "$(id -u)" = 0 ] || die "needs root (debootstrap, chroot, mount namespaces)"

mounts_under() { # every mount point at or below $1 in this namespace, deepest first
    findmnt -rn -o TARGET | awk -v r="$1" '$0 == r || index($0, r "/") == 1' | sort -r
}

remove() {
    [ -e "$ROOT" ] || return 0
    local m left
    for m in $(mounts_under "$ROOT"); do
        log "unmounting $m"
        umount -R "$m" 2>/dev/null || umount -l "$m" || true
    done
    left=$(in_use)
    [ -z "$left" ] || die "in use by process(es) $left, not deleting $ROOT"
    left=$(mounts_under "$ROOT")
    if [ -n "$left" ]; then
        die "still mounted under $ROOT, not deleting it:"$'\n'"$left"
    fi
    log "deleting $ROOT"
    rm -rf --one-file-system "$ROOT"
}

in_use() { # the processes whose root is the chroot (a session running in it)
    local p
    for p in /proc/[0-9]*; do
        [ "$(readlink "$p/root" 2>/dev/null)" = "$ROOT" ] && echo "${p#/proc/}"
    done
    return 0
}

# Inside a private mount namespace (see `run`): bind what the tests need, then chroot.
enter() {
    # the chroot's / a mount point of its own, so that `unshare -m` works inside it too
    mount --bind "$ROOT" "$ROOT"
    mount --rbind /dev "$ROOT/dev"
    mount -t proc proc "$ROOT/proc"
    local f d dirs more
    for f in /etc/hosts /etc/resolv.conf; do
        [ -f "$f" ] || continue
        # the bind needs a regular file to land on, not a (dangling) symlink
        if [ -L "$ROOT$f" ] || [ ! -f "$ROOT$f" ]; then
            rm -f "$ROOT$f"
            : >"$ROOT$f"
        fi
        mount --bind "$f" "$ROOT$f"
    done
    # the checkout (noxfile.py names it; else the git checkout around the current directory,
    # or that directory) and pip's local wheel directories, at the same paths
    local bind=${NATIVESOCKETS_SID_BIND:-$(git -C "$PWD" rev-parse --show-toplevel 2>/dev/null || pwd)}
    IFS=: read -r -a dirs <<<"$bind"
    read -r -a more <<<"${PIP_FIND_LINKS:-}"
    for d in "${dirs[@]}" "${more[@]}"; do
        case $d in /*) ;; *) continue ;; esac
        [ -d "$d" ] || continue
        mkdir -p "$ROOT$d"
        mount --rbind "$d" "$ROOT$d"
    done
    # a script only the host has, named by its absolute path (nox identifies an interpreter by
    # running python-discovery's query script from the host's site-packages): its directory,
    # read-only, at the same path
    if [ $# -ge 2 ] && [ "${2#/}" != "$2" ] && [ -f "$2" ] && [ ! -e "$ROOT$2" ]; then
        d=${2%/*}
        mkdir -p "$ROOT$d"
        mount --bind -o ro "$d" "$ROOT$d"
    fi
    exec chroot "$ROOT" /bin/sh -c 'cd "$0" 2>/dev/null || cd /; exec "$@"' "$PWD" "$@"
}

run() {
    [ -f "$READY" ] || [ "${NATIVESOCKETS_SID_BUILDING:-}" = 1 ] ||
        die "no chroot at $ROOT: run tools/sid-chroot.sh setup (tools/test-deps.sh does)"
    exec unshare --mount --propagation private -- bash "$SELF" _enter "$@"
}

install_wrappers() {
    # this script, so the wrappers do not depend on any one checkout
    mkdir -p "$BIN"
    install -m 755 "$SELF" "$CACHE/sid-chroot.sh.new"
    mv -f "$CACHE/sid-chroot.sh.new" "$CACHE/sid-chroot.sh"
    mkdir -p "$ROOT$BIN"
    local pair name target
    for pair in "${INTERPRETERS[@]}"; do
        name=${pair%%:*} target=${pair#*:}
        # a script, not a symlink: tools (python-discovery, CPython 3.14's venv) resolve an
        # interpreter's symlinks, and the host has no $target to resolve to
        rm -f "$ROOT$BIN/$name"
        printf '#!/bin/bash\nexec -a "$0" %s "$@"\n' "$target" >"$ROOT$BIN/$name"
        chmod 755 "$ROOT$BIN/$name"
        cat >"$BIN/$name.new" <<EOF
#!/bin/sh
# Made by tools/sid-chroot.sh: runs this path (or the venv link to it that was run) inside
# the sid chroot at $ROOT, where it is a script that runs $target.
exec $CACHE/sid-chroot.sh run "\$0" "\$@"
EOF
        chmod 755 "$BIN/$name.new"
        mv -f "$BIN/$name.new" "$BIN/$name"
    done
}

copy_ca() { # pip inside needs the host's CA certificates (the egress proxy signs with its own)
    if [ -f "$CA" ]; then
        mkdir -p "$ROOT${CA%/*}"
        cp -f "$CA" "$ROOT$CA"
    fi
}

lock() { # one setup or remove at a time
    mkdir -p "$CACHE"
    exec 9>"$CACHE/.lock"
    flock 9
}

setup() {
    lock
    if [ -f "$READY" ] && [ "$(cat "$READY")" = "$STAMP" ]; then
        copy_ca
        install_wrappers
        log "reusing $ROOT"
        return 0
    fi
    command -v debootstrap >/dev/null || {
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >/dev/null
    }
    remove # a partial or outdated build
    export NATIVESOCKETS_SID_BUILDING=1 # lets `run` and the wrappers in before it is ready
    mkdir -p "$CACHE"
    log "debootstrap --variant=minbase sid $ROOT $MIRROR (about a minute)"
    # in its own mount namespace too, so a failed run cannot leave its /proc or /sys mounted
    unshare --mount --propagation private -- \
        debootstrap --variant=minbase sid "$ROOT" "$MIRROR" >"$CACHE/debootstrap.log" 2>&1 ||
        die "debootstrap failed, see $CACHE/debootstrap.log"
    # the archive reachable here can be a frozen snapshot: its Release files are expired
    cat >"$ROOT/etc/apt/apt.conf.d/99nativesockets" <<'EOF'
Acquire::Check-Valid-Until "false";
APT::Install-Recommends "false";
APT::Install-Suggests "false";
EOF
    rm -f "$ROOT/etc/resolv.conf"
    : >"$ROOT/etc/resolv.conf"
    log "installing ${PACKAGES[*]}"
    bash "$SELF" run /usr/bin/env DEBIAN_FRONTEND=noninteractive \
        sh -c 'apt-get update -qq && apt-get install -y -qq "$@" >/dev/null && apt-get clean' sh \
        "${PACKAGES[@]}"
    copy_ca
    install_wrappers
    local pair
    for pair in "${INTERPRETERS[@]}"; do
        "$BIN/${pair%%:*}" -c 'import ssl, sys, venv; print(sys.executable, sys.version.split()[0])' >&2
    done
    echo "$STAMP" >"$READY"
    log "ready: $ROOT ($(du -sh --one-file-system "$ROOT" | cut -f1))"
}

case ${1:-setup} in
setup) setup ;;
run)
    shift
    [ $# -gt 0 ] || die "run what?"
    run "$@"
    ;;
_enter)
    shift
    enter "$@"
    ;;
remove)
    lock
    remove
    ;;
status)
    if [ -f "$READY" ]; then echo "ready: $ROOT ($(cat "$READY"))"; else echo "not built: $ROOT"; fi
    mounts_under "$ROOT"
    ;;
*) die "usage: $0 [setup|run CMD...|remove|status]" ;;
esac

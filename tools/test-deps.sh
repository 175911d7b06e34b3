#!/usr/bin/env bash
# Install what the nox sessions need on a Debian 12 machine: Nim (conformance), PyPy 3.9,
# wine and the mingw-w64 compilers (Windows build), clang's sanitizer runtime, llvm-nm and
# musl-gcc (crosscheck), valgrind (the benchmark's instruction counts), nox, and the
# Debian sid chroot with CPython 3.14, 3.15 and PyPy 3.11 (tools/sid-chroot.sh; reused if
# already built).
set -euo pipefail
SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends \
    nim pypy3 pypy3-venv pypy3-dev \
    wine64 gcc-mingw-w64-x86-64-win32 gcc-mingw-w64-i686-win32 \
    clang libclang-rt-14-dev iproute2 util-linux build-essential debootstrap \
    llvm musl-tools file valgrind >/dev/null
python3 -m pip install -q --upgrade nox
$SUDO bash "$(dirname "$0")/sid-chroot.sh" setup

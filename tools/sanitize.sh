#!/usr/bin/env bash
# The test suite against the extension built with AddressSanitizer and UndefinedBehaviorSanitizer.
#
#   tools/sanitize.sh [PYTHON] [PYTEST ARGS...]     (PYTHON defaults to "python"; needs cffi,
#                                                   setuptools, pytest, hypothesis; and clang)
#
# Copies the working tree to a temporary directory, builds nativesockets/_native there with
# clang -fsanitize=address,undefined, and runs `PYTHON -m pytest tests` there (PYTEST ARGS
# replace "tests") with the ASan runtime preloaded into the uninstrumented interpreter and
# every child it starts. Reports go to files; any report fails the run, as does a failing
# test. First it checks that a known heap overflow in a library built the same way is reported,
# so a run with zero reports means the sanitizers were watching. The checkout is not touched.
set -euo pipefail

PY=${1:-python}
shift || true
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CLANG=${CLANG:-clang}
ARCH=$(uname -m)
RUNTIME=$("$CLANG" -print-file-name="libclang_rt.asan-$ARCH.so")
if [ ! -f "$RUNTIME" ]; then
    echo "sanitize: no ASan runtime for $CLANG ($RUNTIME); install libclang-rt-dev" >&2
    exit 2
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/ns-sanitize.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
REPORTS="$WORK/reports"
mkdir -p "$WORK/tree" "$REPORTS"

SANITIZE="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
# One log_path for both: with both runtimes in one library, either setting may win.
export ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:log_path=$REPORTS/report"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:log_path=$REPORTS/report"

run_sanitized() {
    LD_PRELOAD="$RUNTIME${LD_PRELOAD:+:$LD_PRELOAD}" PYTHONMALLOC=malloc "$@"
}

# 1. The pipeline catches a known error.
cat >"$WORK/canary.c" <<'EOF'
#include <stdlib.h>
int overflow(int i) { char *p = malloc(8); int r = p[i]; free(p); return r; }
EOF
"$CLANG" $SANITIZE -g -shared -fPIC -o "$WORK/canary.so" "$WORK/canary.c"
if run_sanitized "$PY" -c "import ctypes; ctypes.CDLL('$WORK/canary.so').overflow(8)" \
    2>/dev/null; then
    echo "sanitize: the canary heap overflow went unreported; the sanitizers are not active" >&2
    exit 2
fi
if ! grep -qs "heap-buffer-overflow" "$REPORTS"/report.*; then
    echo "sanitize: the canary heap overflow left no report in $REPORTS" >&2
    exit 2
fi
rm -f "$REPORTS"/*
echo "sanitize: canary heap overflow reported, as it must be"

# 2. Build the extension in a copy of the tree.
tar -C "$ROOT" \
    --exclude=./.git --exclude=./.nox --exclude=./build --exclude=./dist \
    --exclude='*.so' --exclude='*.o' --exclude='*.pyd' --exclude=__pycache__ \
    --exclude=.hypothesis --exclude=.pytest_cache --exclude='*.egg-info' \
    -cf - . | tar -C "$WORK/tree" -xf -
cd "$WORK/tree"
CC="$CLANG" LDSHARED="$CLANG -shared" CFLAGS="$SANITIZE -g -O1" LDFLAGS="-shared-libasan" \
    "$PY" build_ffi.py >"$WORK/build.log" 2>&1 || { cat "$WORK/build.log" >&2; exit 2; }
SO=$(ls nativesockets/_native*.so)
# grep reads all of nm's output: with -q it would stop at the first match, and nm's next write
# would die of SIGPIPE, which pipefail reports as a failure (nm's output passed 4 KiB)
if ! nm -D "$SO" | grep "__asan_report_load" >/dev/null; then
    echo "sanitize: $SO is not instrumented" >&2
    exit 2
fi
LOADED=$(PYTHONPATH="$WORK/tree" run_sanitized "$PY" -c \
    "import nativesockets._native as m; print(m.__file__)")
if [ "$LOADED" != "$WORK/tree/$SO" ]; then
    echo "sanitize: the tests would import $LOADED, not $WORK/tree/$SO" >&2
    exit 2
fi
echo "sanitize: built $SO with $SANITIZE"

# 3. The tests, with the instrumented build first on the path (children inherit it all).
status=0
PYTHONPATH="$WORK/tree${PYTHONPATH:+:$PYTHONPATH}" run_sanitized \
    "$PY" -m pytest -p no:cacheprovider "${@:-tests}" || status=$?

if compgen -G "$REPORTS/*" >/dev/null; then
    echo "sanitize: $(ls "$REPORTS" | wc -l) sanitizer report(s):" >&2
    cat "$REPORTS"/* >&2
    exit 1
fi
echo "sanitize: no AddressSanitizer or UBSan report; pytest exit status $status"
exit "$status"

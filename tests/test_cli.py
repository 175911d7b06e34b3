"""`python -m nativesockets`: the self-check and the lookup subcommands, run as a user would."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile

import pytest

import nativesockets


def run(*args: str, unshare: bool = False) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "nativesockets", *args]
    if unshare:
        cmd = ["unshare", "-n", *cmd]
    # Run outside the checkout, importing the package this test run imported.
    env = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(nativesockets.__file__)))
    return subprocess.run(
        cmd, capture_output=True, text=True, timeout=60, cwd=tempfile.gettempdir(), env=env
    )


def can_unshare() -> bool:
    # Linux only: under wine, the host's unshare is on the PATH of a Windows process
    if sys.platform != "linux" or shutil.which("unshare") is None:
        return False
    return subprocess.run(["unshare", "-n", "true"], capture_output=True).returncode == 0


def test_selfcheck_passes_on_every_family() -> None:
    r = run()
    assert r.returncode == 0, r.stdout + r.stderr
    lines = r.stdout.splitlines()
    assert lines[-1] == "all checks passed"
    assert "IPv4: ok" in lines
    assert "Unix: ok" in lines
    assert "IPv6: ok" in lines or "IPv6: skipped, this host has no ::1" in lines
    assert "IPv4: accepted a connection from '127.0.0.1'" in lines


def test_hostname_matches_the_stdlib() -> None:
    r = run("hostname")
    assert r.returncode == 0
    assert r.stdout.strip() == socket.gethostname()


def test_resolve_a_name_from_etc_hosts() -> None:
    r = run("resolve", "localhost", "80")
    assert r.returncode == 0, r.stderr
    assert "AF_INET 127.0.0.1 port 80" in r.stdout.splitlines()


@pytest.mark.parametrize(
    ("args", "expected"),
    [(("service", "http", "tcp"), "http 80/tcp"), (("proto", "udp"), "17")],
)
def test_database_lookups(args: tuple[str, ...], expected: str) -> None:
    r = run(*args)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith(expected)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("service", "no-such-service", "tcp"), "service not found"),
        (("proto", "no-such-proto"), "protocol not found"),
        (("resolve", "127.0.0.1", "70000"), "port out of range"),
    ],
)
def test_failures_print_one_line_and_exit_1(args: tuple[str, ...], message: str) -> None:
    r = run(*args)
    assert r.returncode == 1
    assert r.stdout == ""
    assert r.stderr.count("\n") == 1 and message in r.stderr
    assert r.stderr.startswith("nativesockets: error: ")


@pytest.mark.skipif(not can_unshare(), reason="needs `unshare -n` to keep the lookup local")
def test_failed_resolve_is_one_line_error() -> None:
    r = run("resolve", "no-such-host.invalid", unshare=True)
    assert r.returncode == 1
    assert r.stderr.startswith("nativesockets: error: ")
    assert "getAddrInfo('no-such-host.invalid', 0)" in r.stderr


@pytest.mark.parametrize("args", [("--help",), ("resolve", "--help")])
def test_help(args: tuple[str, ...]) -> None:
    r = run(*args)
    assert r.returncode == 0
    assert r.stdout.startswith("usage: python -m nativesockets")


def test_usage_error_exits_2() -> None:
    r = run("resolve")
    assert r.returncode == 2
    assert "usage:" in r.stderr

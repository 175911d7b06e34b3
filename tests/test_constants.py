"""Every exported constant has this platform's value: the one the stdlib's socket, errno,
fcntl, os or termios module gives where the stdlib has the name (fcntl and termios exist on
POSIX only)."""

from __future__ import annotations

import errno
import importlib
import os
import socket
import sys

import pytest

import nativesockets as ns
from nativesockets import constants

WINDOWS = sys.platform == "win32"
STDLIB_MODULES = [socket, errno, os]
if not WINDOWS:
    import fcntl
    import termios

    STDLIB_MODULES += [fcntl, termios]

# Names with no stdlib counterpart, and what they must be.
NOT_IN_STDLIB = {
    "IOCPARM_MASK": 127,  # Winsock's ioctl encoding, the seed's values (Windows-only meaning)
    "IOC_IN": -2147483648,
}
if WINDOWS:
    NOT_IN_STDLIB |= {
        "FIONBIO": -2147195266,  # winsock2.h's _IOW('f', 126, u_long), as a C long
        "SO_REUSEPORT": socket.SO_REUSEADDR,  # Winsock has none: Nim's winlean maps it so
        "ERROR_NETNAME_DELETED": 64,  # winerror.h
    }


if sys.platform == "darwin" and not hasattr(socket, "SO_NOSIGPIPE"):
    NOT_IN_STDLIB["SO_NOSIGPIPE"] = 0x1022  # Apple's <sys/socket.h>; exported as Nim does

# Linux values of names some interpreters' stdlib lacks (PyPy 3.9's socket has no
# MSG_NOSIGNAL), from <bits/socket.h>.
LINUX_FALLBACK = {"MSG_NOSIGNAL": 0x4000}


def stdlib_value(name: str) -> int | None:
    for module in STDLIB_MODULES:
        if hasattr(module, name):
            return int(getattr(module, name))
    if sys.platform.startswith("linux"):
        return LINUX_FALLBACK.get(name)
    return None


EXPORTED_CONSTANTS = sorted(constants.__all__)


@pytest.mark.parametrize("name", EXPORTED_CONSTANTS)
def test_constant_is_the_platforms_value(name: str) -> None:
    value = getattr(ns, name)
    assert type(value) is int
    assert value is getattr(constants, name)
    expected = stdlib_value(name)
    if expected is None:
        assert name in NOT_IN_STDLIB, f"{name} has no stdlib counterpart to check it against"
        assert value == NOT_IN_STDLIB[name]
    else:
        assert value == expected


def test_only_the_winsock_encoding_lacks_a_stdlib_counterpart() -> None:
    missing = {n for n in EXPORTED_CONSTANTS if stdlib_value(n) is None}
    assert missing == set(NOT_IN_STDLIB)


COMMON_NAMES = [
    ("SOL_SOCKET", "socket"),
    ("SOMAXCONN", "socket"),
    ("SO_ERROR", "socket"),
    ("SO_ACCEPTCONN", "socket"),
    ("SO_BROADCAST", "socket"),
    ("SO_DEBUG", "socket"),
    ("SO_DONTROUTE", "socket"),
    ("SO_KEEPALIVE", "socket"),
    ("SO_OOBINLINE", "socket"),
    ("SO_REUSEADDR", "socket"),
    ("MSG_PEEK", "socket"),
    ("INADDR_ANY", "socket"),
]
POSIX_NAMES = [
    ("FIONBIO", "termios"),
    ("MSG_NOSIGNAL", "socket"),
    ("F_GETFL", "fcntl"),
    ("F_SETFL", "fcntl"),
    ("O_NONBLOCK", "os"),
    ("EAGAIN", "errno"),
    ("EWOULDBLOCK", "errno"),
    ("EINTR", "errno"),
    ("EINPROGRESS", "errno"),
    ("ECONNRESET", "errno"),
    ("EPIPE", "errno"),
    ("ENETRESET", "errno"),
    ("EBADF", "errno"),
]
# Windows CPython's errno module has the WSAE* codes
WINDOWS_NAMES = [
    ("WSAEWOULDBLOCK", "errno"),
    ("WSAECONNRESET", "errno"),
    ("WSAECONNABORTED", "errno"),
    ("WSAENETRESET", "errno"),
    ("WSANOTINITIALISED", "errno"),
    ("WSAENOTSOCK", "errno"),
    ("WSAEINPROGRESS", "errno"),
    ("WSAEINTR", "errno"),
    ("WSAEDISCON", "errno"),
]


# where the system has it (illumos has none): exported, and tested, there only
if hasattr(ns, "SO_REUSEPORT") and not WINDOWS:
    POSIX_NAMES.append(("SO_REUSEPORT", "socket"))


@pytest.mark.parametrize(
    ("name", "module"), COMMON_NAMES + (WINDOWS_NAMES if WINDOWS else POSIX_NAMES)
)
def test_named_constants(name: str, module: str) -> None:
    # the names issue 2 lists, each against the module a Python user knows it from
    expected = getattr(importlib.import_module(module), name, None)
    if expected is None:
        expected = LINUX_FALLBACK[name] if sys.platform.startswith("linux") else None
    assert expected is not None, f"neither {module} nor the fallback table has {name}"
    assert getattr(ns, name) == expected


def test_osInvalidSocket_is_minus_one() -> None:
    assert ns.osInvalidSocket == -1


@pytest.mark.skipif(WINDOWS, reason="POSIX only: fcntl.ioctl (Windows: the ioctlsocket test)")
def test_FIONBIO_switches_blocking_mode() -> None:
    # FIONBIO is this platform's ioctl request, not the seed's Winsock number
    a, b = socket.socketpair()
    with a, b:
        fcntl.ioctl(a.fileno(), ns.FIONBIO, (1).to_bytes(4, sys.byteorder))
        assert fcntl.fcntl(a.fileno(), fcntl.F_GETFL) & ns.O_NONBLOCK
        fcntl.ioctl(a.fileno(), ns.FIONBIO, (0).to_bytes(4, sys.byteorder))
        assert not fcntl.fcntl(a.fileno(), fcntl.F_GETFL) & ns.O_NONBLOCK


@pytest.mark.skipif(not WINDOWS, reason="Windows only: ioctlsocket (POSIX: the fcntl.ioctl test)")
def test_FIONBIO_switches_blocking_mode_through_ioctlsocket() -> None:
    a, b = socket.socketpair()
    with a, b:
        on = bytearray((1).to_bytes(4, sys.byteorder))
        assert ns.ioctlsocket(a.fileno(), ns.FIONBIO, on) == 0
        with pytest.raises(BlockingIOError):  # WSAEWOULDBLOCK: nothing to read
            a.recv(1)
        off = bytearray((0).to_bytes(4, sys.byteorder))
        assert ns.ioctlsocket(a.fileno(), ns.FIONBIO, off) == 0
        # blocking again: the receive waits, until SO_RCVTIMEO ends it with WSAETIMEDOUT
        a.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, 1)
        with pytest.raises(TimeoutError):
            a.recv(1)


# winsock2.h's AF_UNIX, which Windows CPython's socket module lacks
ENUM_NOT_IN_STDLIB = {"AF_UNIX": 1} if WINDOWS else {}


@pytest.mark.parametrize(
    "name",
    [*(d.name for d in ns.Domain), *(t.name for t in ns.SockType), *(p.name for p in ns.Protocol)],
)
def test_enum_members_exported_as_constants(name: str) -> None:
    expected = getattr(socket, name) if hasattr(socket, name) else ENUM_NOT_IN_STDLIB[name]
    assert getattr(ns, name) == expected

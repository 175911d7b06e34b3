"""Lifetimes and consistency of the objects that own C memory, and the one-handle rules
(issue 9): copy and pickle of SockAddr (an independent equal object) and AddrInfo
(TypeError); freeing an AddrInfo while it is read (in a child process: tests/
mutation_targets.py); the Sockaddr_un.sun_path setter; fcntl only with int-taking commands;
raw accept filling its address from the accept call; a bool in a select list."""

from __future__ import annotations

import copy
import os
import pickle
import socket
import struct
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import WINDOWS, Handles, needs_ipv6, needs_unix
from test_mutation import check_child, run_scenario

import nativesockets as ns

OFFSET = ns.addresses._SUN_PATH_OFFSET  # offsetof(struct sockaddr_un, sun_path)


# --- SockAddr: copy, deepcopy, pickle ---------------------------------------------------------


def _addresses(tmp: Path) -> list[tuple[str, Callable[[], ns.SockAddr]]]:
    made: list[tuple[str, Callable[[], ns.SockAddr]]] = [
        ("Sockaddr_in", lambda: ns.Sockaddr_in("127.0.0.1", 8080)),
        ("Sockaddr_in6", lambda: ns.Sockaddr_in6("::1", 8080, 5, 7)),
        ("Sockaddr_storage", lambda: ns.Sockaddr_storage(bytes(ns.Sockaddr_in("10.1.2.3", 9)))),
        ("Sockaddr_storage-empty", ns.Sockaddr_storage),
        ("SockAddr", lambda: ns.SockAddr(bytes(ns.Sockaddr_in6("::1", 1)))),
        (
            "ai_addr",
            lambda: ns.getAddrInfo("127.0.0.1", 80, ns.AF_INET, ns.SOCK_STREAM).ai_addr,
        ),
        ("Sockaddr_un", lambda: ns.Sockaddr_un(str(tmp / "s"))),  # no system call
    ]
    return made


COPIES: list[tuple[str, Callable[[ns.SockAddr], ns.SockAddr]]] = [
    ("copy", copy.copy),
    ("deepcopy", copy.deepcopy),
    ("pickle", lambda a: pickle.loads(pickle.dumps(a))),
    ("pickle-protocol-0", lambda a: pickle.loads(pickle.dumps(a, 0))),
]


@pytest.mark.parametrize("how", [c[0] for c in COPIES])
@pytest.mark.parametrize(
    "kind",
    [
        "Sockaddr_in",
        "Sockaddr_in6",
        "Sockaddr_storage",
        "Sockaddr_storage-empty",
        "SockAddr",
        "ai_addr",
        "Sockaddr_un",
    ],
)
def test_sockaddr_copy_is_independent(kind: str, how: str, tmp_path: Path) -> None:
    """A copy, deep copy or pickle round trip is an equal SockAddr of the same type that
    owns its own memory: writing a field of the copy leaves the original as it was."""
    original = dict(_addresses(tmp_path))[kind]()
    before = bytes(original)
    dup = dict(COPIES)[how](original)
    assert type(dup) is type(original)
    assert dup is not original
    assert dup == original and bytes(dup) == before and len(dup) == len(original)
    assert repr(dup) == repr(original)
    dup.sa_family = 0 if original.sa_family else ns.AF_INET
    if isinstance(dup, ns.Sockaddr_in):
        dup.sin_port = 4242
    if isinstance(dup, ns.Sockaddr_in6):
        dup.sin6_port = 4242
    assert bytes(original) == before, f"changing the {how} changed the original"
    assert dup != original
    again = dict(COPIES)[how](original)  # the original still copies the same
    assert bytes(again) == before and len(again) == len(original)


def test_sockaddr_copy_keeps_its_length() -> None:
    """The copy of a Sockaddr_storage that received a shorter address keeps that length."""
    rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    with rx, tx:
        rx.bind(("127.0.0.1", 0))
        tx.bind(("127.0.0.1", 0))
        tx.sendto(b"x", rx.getsockname())
        a = ns.Sockaddr_storage()
        assert ns.recvfrom(rx.fileno(), bytearray(4), None, 0, a) == 1
    assert len(a) == 16
    for how, f in COPIES:
        dup = f(a)
        assert len(dup) == 16 and dup == a, how
        assert ns.getAddrString(dup) == "127.0.0.1", how


# --- AddrInfo ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["AddrInfo-copy", "AddrInfo-free-thread", "AddrInfo-free-gc"])
def test_addrinfo_lifetime(name: str) -> None:
    """AddrInfo: copy/deepcopy/pickle raise TypeError; freeing the list while another
    thread or a finalizer reads it: each read gives its right value or ValueError. In a
    child process, since the failure is a read of freed memory."""
    check_child(name, run_scenario(name))


def test_addrinfo_copies_raise_in_process() -> None:
    with ns.getAddrInfo("127.0.0.1", 80, ns.AF_INET, ns.SOCK_STREAM) as ai:
        with pytest.raises(TypeError):
            pickle.dumps(ai)
        with pytest.raises(TypeError):
            copy.deepcopy(ai)
        assert ai.ai_family == socket.AF_INET  # still the caller's


# --- Sockaddr_un.sun_path ---------------------------------------------------------------------


def _path_bytes(addr: ns.SockAddr) -> bytes:
    return bytes(addr)[OFFSET:]


@needs_unix
def test_sun_path_longer_path_sets_the_length(sock_dir: Path, handles: Handles) -> None:
    """A longer path set on an address makes bindAddr bind that whole path."""
    short = str(sock_dir / "a")
    long = str(sock_dir / "a-much-longer-name")
    addr = ns.Sockaddr_un(short)
    addr.sun_path = os.fsencode(long)
    assert len(addr) == OFFSET + len(os.fsencode(long)) + 1
    assert _path_bytes(addr) == os.fsencode(long) + b"\0"
    assert addr == ns.Sockaddr_un(long)
    fd = handles.socket(ns.AF_UNIX, ns.SOCK_STREAM, ns.IPPROTO_IP)
    assert ns.bindAddr(fd, addr) == 0, ns.osLastError()
    assert os.path.exists(long), "bindAddr did not bind the whole new path"
    assert not os.path.exists(short)
    assert ns.getLocalAddr(fd, ns.AF_UNIX)[0] == long


@needs_unix
def test_sun_path_shorter_path_clears_the_tail(sock_dir: Path, handles: Handles) -> None:
    long = os.fsencode(sock_dir / "a-much-longer-name")
    short = os.fsencode(sock_dir / "b")
    addr = ns.Sockaddr_un(long)
    addr.sun_path = short
    assert len(addr) == OFFSET + len(short) + 1
    assert _path_bytes(addr) == short + b"\0", "the old path's tail is left in the address"
    assert addr == ns.Sockaddr_un(short)
    assert addr.sun_path.rstrip(b"\0") == short
    assert not any(addr.sun_path[len(short) :]), "bytes of the old path past the new one"
    fd = handles.socket(ns.AF_UNIX, ns.SOCK_STREAM, ns.IPPROTO_IP)
    assert ns.bindAddr(fd, addr) == 0, ns.osLastError()
    assert os.path.exists(short)


@needs_unix
@pytest.mark.parametrize(
    "value, error",
    [
        (b"/tmp/a\0b", ValueError),
        (b"x" * ns.Sockaddr_un_path_length, ValueError),  # no room for the terminating NUL
        (b"x" * (ns.Sockaddr_un_path_length + 1), ValueError),
        (12, TypeError),
        (None, TypeError),
        ([1, 2], TypeError),
    ],
    ids=["nul", "no-room-for-nul", "too-long", "int", "none", "list"],
)
def test_sun_path_setter_validates_as_the_constructor(
    value: object, error: type[Exception], sock_dir: Path
) -> None:
    """The setter refuses what Sockaddr_un refuses, and a refused value changes nothing."""
    with pytest.raises(error):
        ns.Sockaddr_un(value)  # type: ignore[arg-type]
    addr = ns.Sockaddr_un(str(sock_dir / "kept"))
    before = bytes(addr)
    with pytest.raises(error):
        addr.sun_path = value
    assert bytes(addr) == before and len(addr) == len(before)


@needs_unix
@pytest.mark.parametrize("convert", [str, os.fsencode, Path], ids=["str", "bytes", "Path"])
def test_sun_path_setter_takes_what_the_constructor_takes(
    convert: Callable[[str], object], sock_dir: Path
) -> None:
    path = str(sock_dir / "new-name")
    addr = ns.Sockaddr_un(str(sock_dir / "x"))
    addr.sun_path = convert(path)
    assert addr == ns.Sockaddr_un(path) and len(addr) == len(ns.Sockaddr_un(path))


# --- fcntl ------------------------------------------------------------------------------------

posix_only = pytest.mark.skipif(WINDOWS, reason="POSIX only: Windows has no fcntl")
if not WINDOWS:
    import fcntl as _fcntl

INT_COMMANDS = ["F_GETFD", "F_SETFD", "F_GETFL", "F_SETFL", "F_DUPFD", "F_DUPFD_CLOEXEC"]
LINUX_INT_COMMANDS = ["F_GETOWN", "F_GETSIG", "F_GETPIPE_SZ"]
POINTER_COMMANDS = ["F_GETLK", "F_SETLK", "F_SETLKW", "F_OFD_GETLK", "F_OFD_SETLK"]


@posix_only
@pytest.mark.parametrize("name", INT_COMMANDS + LINUX_INT_COMMANDS)
def test_fcntl_int_commands_work(name: str) -> None:
    if not hasattr(_fcntl, name):
        pytest.skip(f"no {name} on this platform")
    cmd = getattr(_fcntl, name)
    r, w = os.pipe()
    try:
        arg = {
            "F_SETFD": _fcntl.FD_CLOEXEC,
            "F_SETFL": os.O_NONBLOCK,
            "F_DUPFD": 100,
            "F_DUPFD_CLOEXEC": 100,
        }.get(name, 0)
        got = ns.fcntl(r, cmd, arg)
        want = _fcntl.fcntl(r, cmd, arg)
        if name.startswith("F_DUPFD"):
            assert got >= 100 and want >= 100 and got != want
            os.close(got)
            os.close(want)
        else:
            assert got == want
    finally:
        os.close(r)
        os.close(w)


@posix_only
@pytest.mark.parametrize("name", [*POINTER_COMMANDS, 9999, -1])
def test_fcntl_refuses_other_commands(name: str | int) -> None:
    """A command whose argument is not an int (a struct flock pointer...) or an unknown
    one raises ValueError naming fcntl before C: never a number passed as a pointer."""
    if isinstance(name, str) and not hasattr(_fcntl, name):
        pytest.skip(f"no {name} on this platform")
    cmd = getattr(_fcntl, name) if isinstance(name, str) else name
    r, w = os.pipe()
    try:
        with pytest.raises(ValueError, match="fcntl"):
            ns.fcntl(r, cmd, 0)
        with pytest.raises(ValueError, match="fcntl"):
            ns.fcntl(r, cmd)
    finally:
        os.close(r)
        os.close(w)


# --- raw accept -------------------------------------------------------------------------------


def _reset_connection(listener: socket.socket) -> int:
    """A client that connects and resets (SO_LINGER 0, close) before accept; its port."""
    with socket.socket(listener.family, socket.SOCK_STREAM) as c:
        c.connect(listener.getsockname())
        port: int = c.getsockname()[1]
        c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    return port


def _port(addr: ns.SockAddr) -> int:
    return int.from_bytes(bytes(addr)[2:4], "big")


@posix_only
@pytest.mark.parametrize("host", ["127.0.0.1", pytest.param("::1", marks=needs_ipv6)])
def test_raw_accept_of_a_reset_connection_fills_addr(host: str, handles: Handles) -> None:
    """accept(fd, addr) writes the peer that accept itself returned: for a connection reset
    before accept, the handle comes with that client's address, never a previous one."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as lst:
        lst.bind((host, 0))
        lst.listen()
        for reset in (True, False):
            if reset:
                port = _reset_connection(lst)
                client = None
            else:
                client = socket.create_connection(lst.getsockname()[:2])
                port = client.getsockname()[1]
            stale = bytes(ns.Sockaddr_in("127.0.0.9", 9))
            addr = ns.Sockaddr_storage(stale)
            c = ns.accept(lst.fileno(), addr)
            if client is not None:
                client.close()
            if c == ns.osInvalidSocket:
                assert sys.platform != "linux", f"accept failed: {ns.osLastError()}"
                continue
            handles.track(c)
            assert bytes(addr) != stale, "accept left the previous peer in addr"
            assert addr.sa_family == family and ns.getAddrString(addr) == host
            assert _port(addr) == port, (reset, _port(addr), port)


# --- a bool is not a handle -------------------------------------------------------------------


@pytest.mark.parametrize("proc", [ns.selectRead, ns.selectWrite])
@pytest.mark.parametrize(
    "handles_of",
    [lambda h: [True], lambda h: [False, h], lambda h: [h, True, h]],
    ids=["[True]", "[False, h]", "[h, True, h]"],
)
def test_select_refuses_a_bool(
    proc: Callable[..., int], handles_of: Callable[[int], list[object]]
) -> None:
    """As every one-handle proc: a bool in the list is a TypeError (not handle 0 or 1)."""
    a, b = socket.socketpair()
    with a, b:
        b.send(b"x")
        lst = handles_of(a.fileno())
        before = list(lst)
        with pytest.raises(TypeError):
            proc(lst, 0)
        assert lst == before

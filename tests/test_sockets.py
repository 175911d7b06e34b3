"""Socket handles: createNativeSocket, setInheritable, bindAddr, listen, connect, accept, send,
recv, sendto, recvfrom, close, get/setSockOptInt, setBlocking, fcntl, getSockDomain,
getSockName, getLocalAddr, getPeerAddr, osLastError and raiseOSError, on IPv4, IPv6 and Unix
sockets over loopback."""

from __future__ import annotations

import array
import errno
import os
import socket
import struct
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable

import pytest
from conftest import (
    FAMILY_NAMES,
    WAIT_MS,
    Family,
    Handles,
    Pair,
    make_family,
    needs_ipv6,
    needs_unix,
    set_nonblocking,
)

import nativesockets as ns

WINDOWS = sys.platform == "win32"
if not WINDOWS:
    import fcntl

EAGAIN = {errno.EAGAIN, errno.EWOULDBLOCK}
# the smallest number above the largest handle: INT_MAX on POSIX; on Windows a SOCKET is a
# UINT_PTR, and the package takes up to INTPTR_MAX
TOO_BIG_HANDLE = 2**63 if WINDOWS else 2**31
posix_only_fcntl = pytest.mark.skipif(WINDOWS, reason="POSIX only: fcntl")

# The error codes that differ by platform: osLastError() gives POSIX errno values, or on
# Windows Winsock's WSAE* codes (and Windows errors). OSError.errno is the same number, but
# for the few Winsock codes Python maps back to errno values (WSAEINVAL -> EINVAL).
# (Where Windows CPython's errno module already has the WSAE* value, e.g. ECONNREFUSED is
# 10061 there, the tests use errno's name on both.)
CLOSED = 10038 if WINDOWS else errno.EBADF  # a handle that is not open: WSAENOTSOCK
CLOSED_INHERIT = 6 if WINDOWS else errno.EBADF  # SetHandleInformation: ERROR_INVALID_HANDLE
INVALID = 10022 if WINDOWS else errno.EINVAL  # WSAEINVAL
SHORT_NAME = 10014 if WINDOWS else errno.EINVAL  # namelen too short: WSAEFAULT
# bind to an address of the other family: WSAEAFNOSUPPORT, or WSAEFAULT (bind's documented
# error for a length too short for the socket's family)
WRONG_FAMILY = (10014, 10047) if WINDOWS else (errno.EINVAL, errno.EAFNOSUPPORT)
CONNECTING = 10035 if WINDOWS else errno.EINPROGRESS  # non-blocking connect: WSAEWOULDBLOCK
# recvfrom of a datagram longer than the buffer: POSIX truncates and gives the length it
# wrote; Winsock fills the buffer too but fails with WSAEMSGSIZE
MSGSIZE = 10040 if WINDOWS else None
F_SETFL: int = 0 if WINDOWS else ns.F_SETFL  # Windows has no fcntl; its tests skip there


def protocol_info(fd: int) -> tuple[int, int, int]:
    """Windows: (family, type, protocol) of a socket handle, from getsockopt's
    SO_PROTOCOL_INFOW (iAddressFamily at byte 76, iSocketType and iProtocol at 88)."""
    import ctypes

    ws2 = ctypes.WinDLL("ws2_32")
    ws2.getsockopt.argtypes = [ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_char_p,
                               ctypes.POINTER(ctypes.c_int)]  # fmt: skip
    buf = ctypes.create_string_buffer(628)  # sizeof(WSAPROTOCOL_INFOW)
    size = ctypes.c_int(len(buf))
    assert ws2.getsockopt(fd, 0xFFFF, 0x2005, buf, ctypes.byref(size)) == 0, "SO_PROTOCOL_INFOW"
    family, _, _, sock_type, proto = struct.unpack_from("<5i", buf.raw, 76)
    return family, sock_type, proto


def kind(fd: int) -> tuple[int, int, int]:
    """(family, type, protocol) of a socket handle, as the system reports them."""
    if WINDOWS:
        return protocol_info(fd)
    with stdlib_view(fd) as s:
        return s.family, s.type, s.proto


@contextmanager
def stdlib_view(fd: int) -> Iterator[socket.socket]:
    """The stdlib's socket object over a handle, given back (not closed) afterwards. (On
    Windows the stdlib reads the family with getsockname, which an unbound socket fails:
    it is given.)"""
    s = socket.socket(protocol_info(fd)[0], fileno=fd) if WINDOWS else socket.socket(fileno=fd)
    try:
        yield s
    finally:
        s.detach()


def cloexec(fd: int) -> bool:
    """Whether child processes do not inherit the handle: FD_CLOEXEC on POSIX, the handle's
    HANDLE_FLAG_INHERIT cleared on Windows."""
    if WINDOWS:
        return not os.get_handle_inheritable(fd)
    return bool(fcntl.fcntl(fd, fcntl.F_GETFD) & fcntl.FD_CLOEXEC)


def is_inheritable(fd: int) -> bool:
    return os.get_handle_inheritable(fd) if WINDOWS else os.get_inheritable(fd)


def nonblocking(fd: int) -> bool:
    """O_NONBLOCK on POSIX. Winsock cannot read the FIONBIO mode back: on Windows, a peek
    at a connected stream socket with nothing to read tells it (WSAEWOULDBLOCK at once, or
    WSAETIMEDOUT after a receive timeout of 1 ms)."""
    if not WINDOWS:
        return bool(fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_NONBLOCK)
    ns.setSockOptInt(fd, ns.SOL_SOCKET, socket.SO_RCVTIMEO, 1)
    try:
        r = ns.recv(fd, bytearray(1), None, ns.MSG_PEEK)
        code = ns.osLastError()
    finally:
        ns.setSockOptInt(fd, ns.SOL_SOCKET, socket.SO_RCVTIMEO, WAIT_MS)
    assert r == -1 and code in (errno.EWOULDBLOCK, errno.ETIMEDOUT), (r, code)
    return code == errno.EWOULDBLOCK


def recv_exactly(fd: int, n: int) -> bytes:
    """n bytes from a stream handle, with ns.recv (a stream may deliver them in pieces)."""
    out = bytearray()
    buf = bytearray(n)
    while len(out) < n:
        got = ns.recv(fd, buf, n - len(out))
        assert got > 0, (got, ns.osLastError())
        out += buf[:got]
    return bytes(out)


def fails_with(result: int, *codes: int) -> None:
    """A Nim-style return code: -1 (or osInvalidSocket) and osLastError() one of codes."""
    code = ns.osLastError()
    assert result == -1, result
    assert code in codes, f"{errno.errorcode.get(code, code)} not in " + ", ".join(
        errno.errorcode[c] for c in codes
    )


# --- createNativeSocket ----------------------------------------------------------------------

KINDS = [
    pytest.param(ns.AF_INET, ns.SOCK_STREAM, ns.IPPROTO_TCP, id="ipv4-stream"),
    pytest.param(ns.AF_INET, ns.SOCK_DGRAM, ns.IPPROTO_UDP, id="ipv4-dgram"),
    pytest.param(ns.AF_INET6, ns.SOCK_STREAM, ns.IPPROTO_TCP, id="ipv6-stream", marks=needs_ipv6),
    pytest.param(ns.AF_INET6, ns.SOCK_DGRAM, ns.IPPROTO_UDP, id="ipv6-dgram", marks=needs_ipv6),
    pytest.param(ns.AF_UNIX, ns.SOCK_STREAM, ns.IPPROTO_IP, id="unix-stream", marks=needs_unix),
    pytest.param(ns.AF_UNIX, ns.SOCK_DGRAM, ns.IPPROTO_IP, id="unix-dgram", marks=needs_unix),
    pytest.param(
        ns.AF_UNIX, ns.SOCK_SEQPACKET, ns.IPPROTO_IP, id="unix-seqpacket", marks=needs_unix
    ),
]


@pytest.mark.parametrize(("domain", "sockType", "protocol"), KINDS)
@pytest.mark.parametrize("overload", ["enums", "ints", "keywords"])
def test_createNativeSocket_makes_that_socket(
    handles: Handles,
    overload: str,
    domain: ns.Domain,
    sockType: ns.SockType,
    protocol: ns.Protocol,
) -> None:
    if overload == "enums":
        fd = ns.createNativeSocket(domain, sockType, protocol)
    elif overload == "ints":
        fd = ns.createNativeSocket(ns.toInt(domain), ns.toInt(sockType), ns.toInt(protocol))
    else:
        fd = ns.createNativeSocket(domain=domain, sockType=sockType, protocol=protocol)
    assert type(fd) is int and fd != ns.osInvalidSocket
    handles.track(fd)
    assert kind(fd) == (domain, sockType, protocol)
    assert ns.getSockDomain(fd) is domain
    assert ns.getSockOptInt(fd, ns.SOL_SOCKET, ns.SO_TYPE) == sockType


def test_createNativeSocket_defaults_to_ipv4_tcp(handles: Handles) -> None:
    fd = handles.track(ns.createNativeSocket())
    assert kind(fd) == (socket.AF_INET, socket.SOCK_STREAM, 6)


@pytest.mark.parametrize(
    ("args", "codes"),
    [
        ((12345, ns.SOCK_STREAM, 0), {errno.EAFNOSUPPORT}),
        ((ns.AF_INET, ns.SOCK_STREAM, ns.IPPROTO_UDP), {errno.EPROTONOSUPPORT}),
        ((ns.AF_INET, 12345, 0), {errno.EINVAL, errno.ESOCKTNOSUPPORT}),
        ((ns.AF_UNIX, ns.SOCK_STREAM, ns.IPPROTO_TCP), {errno.EPROTONOSUPPORT}),
    ],
)
def test_createNativeSocket_failure_returns_osInvalidSocket(args: tuple, codes: set) -> None:
    fd = ns.createNativeSocket(*args)
    code = ns.osLastError()
    assert fd == ns.osInvalidSocket == -1
    assert code in codes


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (("AF_INET",), TypeError),
        ((2.0,), TypeError),
        ((None,), TypeError),
        ((ns.AF_INET, "SOCK_STREAM"), TypeError),
        ((ns.AF_INET, ns.SOCK_STREAM, b"6"), TypeError),
        ((ns.AF_INET, ns.SOCK_STREAM, ns.IPPROTO_TCP, None), TypeError),
        ((2**31,), ValueError),
        ((-(2**31) - 1,), ValueError),
        ((ns.AF_INET, 2**40), ValueError),
        ((ns.AF_INET, ns.SOCK_STREAM, 2**31), ValueError),
    ],
)
def test_createNativeSocket_rejects(args: tuple, error: type) -> None:
    with pytest.raises(error):
        ns.createNativeSocket(*args)


# --- inheritable -----------------------------------------------------------------------------


@pytest.mark.parametrize(("inheritable", "expected_cloexec"), [(False, True), (True, False)])
def test_createNativeSocket_inheritable_flag(
    family: Family, inheritable: bool, expected_cloexec: bool
) -> None:
    fd = family.socket(inheritable=inheritable)
    assert cloexec(fd) is expected_cloexec
    assert is_inheritable(fd) is inheritable


def test_createNativeSocket_is_not_inheritable_by_default(handles: Handles) -> None:
    assert cloexec(handles.track(ns.createNativeSocket()))
    assert cloexec(handles.track(ns.createNativeSocket(socket.AF_INET, socket.SOCK_DGRAM, 0)))


def test_setInheritable_toggles_FD_CLOEXEC(family: Family) -> None:
    fd = family.socket()
    assert ns.setInheritable(fd, True) is True
    assert not cloexec(fd)
    assert ns.setInheritable(fd, False) is True
    assert cloexec(fd)
    assert ns.setInheritable(fd, 1) is True  # truthy, as a Nim bool
    assert not cloexec(fd)


def test_setInheritable_on_a_closed_handle_is_false(closed_handle: int) -> None:
    assert ns.setInheritable(closed_handle, True) is False
    assert ns.osLastError() == CLOSED_INHERIT


# --- bindAddr, listen, connect, accept -------------------------------------------------------


def test_bind_listen_connect_accept(family: Family, handles: Handles) -> None:
    server = family.socket()
    assert ns.bindAddr(server, family.addr(0, "server")) == 0
    assert ns.getSockOptInt(server, ns.SOL_SOCKET, ns.SO_ACCEPTCONN) == 0
    assert ns.listen(server) == 0
    assert ns.getSockOptInt(server, ns.SOL_SOCKET, ns.SO_ACCEPTCONN) == 1
    host, port = ns.getLocalAddr(server, family.domain)
    assert host == family.text("server")

    client = family.socket()
    if family.domain == ns.AF_UNIX:  # a bound Unix client has a path to report
        assert ns.bindAddr(client, family.addr(0, "client")) == 0
    assert ns.connect(client, family.addr(port, "server")) == 0
    conn, peer = ns.accept(server)
    assert type(conn) is int and conn != ns.osInvalidSocket
    handles.track(conn)

    # the peer's own text: "127.0.0.1", "::1" or the client's path (Nim: inet_ntoa of it)
    assert peer == family.text("client")
    assert ns.getPeerAddr(conn, family.domain) == ns.getLocalAddr(client, family.domain)
    assert ns.getPeerAddr(client, family.domain) == (family.text("server"), port)
    assert cloexec(conn)

    assert ns.send(client, b"ping") == 4
    assert recv_exactly(conn, 4) == b"ping"
    assert ns.send(conn, memoryview(b"pong")) == 4
    assert recv_exactly(client, 4) == b"pong"


def test_accept_unbound_unix_peer_is_empty(sock_dir: Path, handles: Handles) -> None:
    # "" on every system: Linux returns sun_family alone, macOS and the BSDs a zeroed sun_path
    # (no abstract name there: tests/test_platforms.py)
    unix = make_family("unix", sock_dir, handles)
    server, addr = unix.bound()
    assert ns.listen(server, 1) == 0
    client = unix.socket()
    assert ns.connect(client, addr) == 0
    conn, peer = ns.accept(server)
    handles.track(conn)
    assert peer == ""


def test_accept_inheritable(pair: Pair, handles: Handles) -> None:
    fam = pair.family
    client = fam.socket()
    assert ns.connect(client, pair.address) == 0
    conn, _ = ns.accept(pair.listener, True)
    handles.track(conn)
    assert not cloexec(conn)
    client2 = fam.socket()
    assert ns.connect(client2, pair.address) == 0
    conn2, _ = ns.accept(pair.listener, inheritable=False)
    handles.track(conn2)
    assert cloexec(conn2)


def test_raw_accept_writes_the_peer_into_storage(pair: Pair, handles: Handles) -> None:
    fam = pair.family
    client = fam.socket()
    if fam.domain == ns.AF_UNIX:
        assert ns.bindAddr(client, fam.addr(0, "raw-client")) == 0
    assert ns.connect(client, pair.address) == 0
    peer = ns.Sockaddr_storage()
    conn = ns.accept(pair.listener, peer)
    assert type(conn) is int and conn != ns.osInvalidSocket
    handles.track(conn)
    assert cloexec(conn)
    assert peer.ss_family == fam.domain
    assert ns.getAddrString(peer) == fam.text("raw-client")
    host, port = ns.getLocalAddr(client, fam.domain)
    assert peer == fam.addr(port, "raw-client")


def test_raw_accept_failure_leaves_storage_alone(handles: Handles) -> None:
    s = handles.socket()
    peer = ns.Sockaddr_storage()
    fails_with(ns.accept(s, peer), INVALID)
    assert bytes(peer) == bytes(128)


def test_listen_backlog(family: Family) -> None:
    for backlog in (0, 1, ns.SOMAXCONN, 2**31 - 1):
        fd, _ = family.bound(name=f"b{backlog}")
        assert ns.listen(fd, backlog) == 0
        assert ns.getSockOptInt(fd, ns.SOL_SOCKET, ns.SO_ACCEPTCONN) == 1


def test_bindAddr_with_explicit_namelen(family: Family) -> None:
    fd = family.socket()
    addr = family.addr(0, "explicit")
    assert ns.bindAddr(fd, addr, len(addr)) == 0
    assert ns.getLocalAddr(fd, family.domain)[0] == family.text("explicit")


def test_bindAddr_address_in_use(family: Family) -> None:
    first, addr = family.bound()
    assert ns.listen(first) == 0
    second = family.socket()
    fails_with(ns.bindAddr(second, addr), errno.EADDRINUSE)


def test_bindAddr_wrong_family(ip_family: Family, handles: Handles) -> None:
    fd = ip_family.socket()
    other = ns.Sockaddr_in6("::1") if ip_family.domain == ns.AF_INET else ns.Sockaddr_in()
    fails_with(ns.bindAddr(fd, other), *WRONG_FAMILY)


def test_bindAddr_short_namelen(family: Family) -> None:
    fd = family.socket()
    fails_with(ns.bindAddr(fd, family.addr(), 1), SHORT_NAME)


def test_connect_refused(family: Family) -> None:
    # bound but not listening: nobody accepts on that address
    _, addr = family.bound(name="deaf")
    client = family.socket()
    r = ns.connect(client, addr)
    code = ns.osLastError()
    assert r == -1
    assert code == errno.ECONNREFUSED
    with pytest.raises(ConnectionRefusedError) as info:
        ns.raiseOSError(code, "connect")
    assert info.value.errno == errno.ECONNREFUSED
    assert info.value.strerror == "connect: " + system_text(errno.ECONNREFUSED)


def test_connect_to_a_missing_unix_path(sock_dir: Path, handles: Handles) -> None:
    unix = make_family("unix", sock_dir, handles)
    fails_with(ns.connect(unix.socket(), unix.addr(name="nobody-here")), errno.ENOENT)


def test_nonblocking_connect_reports_through_SO_ERROR(ip_family: Family) -> None:
    _, addr = ip_family.bound(name="deaf")
    client = ip_family.socket()
    set_nonblocking(client)
    r = ns.connect(client, addr)
    if r == -1 and ns.osLastError() == CONNECTING:
        ready = [client]
        assert ns.selectWrite(ready, WAIT_MS) == 1
        assert ready == [client]
        assert ns.getSockOptInt(client, ns.SOL_SOCKET, ns.SO_ERROR) == errno.ECONNREFUSED
    else:
        fails_with(r, errno.ECONNREFUSED)
    assert ns.getSockOptInt(client, ns.SOL_SOCKET, ns.SO_ERROR) == 0  # read and cleared


def test_nonblocking_connect_completes(ip_family: Family) -> None:
    server, addr = ip_family.bound()
    assert ns.listen(server) == 0
    client = ip_family.socket()
    set_nonblocking(client)
    r = ns.connect(client, addr)
    if r == -1:
        assert ns.osLastError() == CONNECTING
    ready = [client]
    assert ns.selectWrite(ready, WAIT_MS) == 1
    assert ns.getSockOptInt(client, ns.SOL_SOCKET, ns.SO_ERROR) == 0
    conn, peer = ns.accept(server)
    ip_family.handles.track(conn)
    assert peer == ip_family.host


@pytest.mark.parametrize("sockType", [ns.SOCK_DGRAM])
def test_listen_on_a_datagram_socket_fails(family: Family, sockType: ns.SockType) -> None:
    fd, _ = family.bound(sockType)
    fails_with(ns.listen(fd), errno.EOPNOTSUPP)


def test_accept_on_a_socket_not_listening(family: Family) -> None:
    fd, _ = family.bound()
    r = ns.accept(fd)
    code = ns.osLastError()
    assert r == (ns.osInvalidSocket, "")
    assert code == INVALID


def test_accept_nonblocking_with_nothing_pending(pair: Pair) -> None:
    set_nonblocking(pair.listener)
    conn, peer = ns.accept(pair.listener)
    assert (conn, peer) == (-1, "")
    assert ns.osLastError() in EAGAIN


@pytest.mark.parametrize(
    ("proc", "args", "error"),
    [
        (ns.bindAddr, ("127.0.0.1",), TypeError),
        (ns.bindAddr, (("127.0.0.1", 0),), TypeError),
        (ns.bindAddr, (None,), TypeError),
        (ns.bindAddr, (ns.Sockaddr_in(), 129), ValueError),
        (ns.bindAddr, (ns.Sockaddr_in(), -1), ValueError),
        (ns.bindAddr, (ns.Sockaddr_in(), "16"), TypeError),
        (ns.bindAddr, (ns.Sockaddr_in(), 16.0), TypeError),
        (ns.connect, (b"\x02\x00",), TypeError),
        (ns.connect, (ns.Sockaddr_in(), 2**32), ValueError),
        (ns.listen, ("5",), TypeError),
        (ns.listen, (None,), TypeError),
        (ns.listen, (2**31,), ValueError),
        (ns.listen, (-(2**31) - 1,), ValueError),
    ],
)
def test_bind_listen_connect_reject(
    handles: Handles, proc: Callable[..., Any], args: tuple, error: type
) -> None:
    fd = handles.socket()
    with pytest.raises(error):
        proc(fd, *args)
    assert ns.getLocalAddr(fd, ns.AF_INET) == ("0.0.0.0", 0)  # nothing happened


# --- send, recv ------------------------------------------------------------------------------

SEND_BUFFERS = [
    pytest.param(bytes, id="bytes"),
    pytest.param(bytearray, id="bytearray"),
    pytest.param(memoryview, id="memoryview"),
    pytest.param(lambda d: memoryview(bytearray(d)), id="memoryview-rw"),
    pytest.param(lambda d: memoryview(b"xx" + d + b"yy")[2:-2], id="memoryview-slice"),
]


@pytest.mark.parametrize("make", SEND_BUFFERS)
def test_send_takes_any_buffer(pair: Pair, make: Callable[[bytes], Any]) -> None:
    data = b"hello, world"
    assert ns.send(pair.client, make(data)) == len(data)
    assert recv_exactly(pair.server, len(data)) == data


def test_send_counts_bytes_of_a_typed_buffer(pair: Pair) -> None:
    items = array.array("i", [1, 2, 3])
    assert ns.send(pair.client, items) == 3 * items.itemsize
    assert recv_exactly(pair.server, 3 * items.itemsize) == items.tobytes()


def test_send_length_takes_a_prefix(pair: Pair) -> None:
    assert ns.send(pair.client, b"abcdef", 3) == 3
    assert ns.send(pair.client, b"XYZ", 0) == 0
    assert ns.send(pair.client, bytearray(b"ghi"), 3, 0) == 3
    assert recv_exactly(pair.server, 6) == b"abcghi"


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(bytearray, id="bytearray"),
        pytest.param(lambda n: memoryview(bytearray(n)), id="memoryview"),
    ],
)
def test_recv_fills_a_writable_buffer(pair: Pair, make: Callable[[int], Any]) -> None:
    assert ns.send(pair.client, b"data!") == 5
    buf = make(16)
    total = 0
    while total < 5:
        n = ns.recv(pair.server, buf[total:] if isinstance(buf, memoryview) else buf, 5 - total)
        assert n > 0
        if not isinstance(buf, memoryview):
            assert n == 5  # a bytearray is filled from its start
        total += n
    assert bytes(buf[:5]) == b"data!"
    assert bytes(buf[5:]) == bytes(11)


def test_recv_length_limits_the_write(pair: Pair) -> None:
    assert ns.send(pair.client, b"0123456789") == 10
    buf = bytearray(b"-" * 8)
    assert ns.recv(pair.server, buf, 2) == 2
    assert buf == b"01------"
    view = memoryview(buf)[4:]
    got = ns.recv(pair.server, view, 3)
    assert got in (1, 2, 3)
    assert buf[:4] == b"01--" and buf[4 + got :] == b"-" * (4 - got)


def test_recv_peek_leaves_the_data(pair: Pair) -> None:
    assert ns.send(pair.client, b"peek") == 4
    ready = [pair.server]
    assert ns.selectRead(ready, WAIT_MS) == 1
    buf = bytearray(4)
    n = ns.recv(pair.server, buf, None, ns.MSG_PEEK)
    assert n > 0 and buf[:n] == b"peek"[:n]
    assert recv_exactly(pair.server, 4) == b"peek"


def test_recv_at_end_of_stream_is_zero(pair: Pair, handles: Handles) -> None:
    handles.close(pair.client)
    assert ns.recv(pair.server, bytearray(8)) == 0


def test_recv_nonblocking_with_nothing_there(pair: Pair) -> None:
    set_nonblocking(pair.server)
    r = ns.recv(pair.server, bytearray(8))
    assert r == -1 and ns.osLastError() in EAGAIN
    assert ns.recv(pair.server, bytearray(8), None, ns.MSG_PEEK) == -1


def test_non_contiguous_buffers(pair: Pair) -> None:
    # CPython cannot lend a strided buffer: TypeError. PyPy's cffi lends a copy of it: the
    # right bytes go out. Never any other bytes.
    strided = memoryview(bytearray(b"a-b-c-"))[::2]
    try:
        sent = ns.send(pair.client, strided)
    except TypeError:
        pass
    else:
        assert sent == 3
        assert recv_exactly(pair.server, 3) == b"abc"
    # a copy cannot be written back: receiving into one is always refused
    with pytest.raises(TypeError):
        ns.recv(pair.server, memoryview(bytearray(6))[::2])


def test_send_and_recv_on_a_closed_handle(closed_handle: int) -> None:
    fails_with(ns.send(closed_handle, b"x"), CLOSED)
    fails_with(ns.recv(closed_handle, bytearray(1)), CLOSED)


@pytest.mark.parametrize(
    ("proc", "args", "error"),
    [
        (ns.send, ("text",), TypeError),
        (ns.send, (None,), TypeError),
        (ns.send, (12,), TypeError),
        (ns.send, (b"abc", 4), ValueError),
        (ns.send, (b"abc", -1), ValueError),
        (ns.send, (b"abc", "3"), TypeError),
        (ns.send, (b"abc", 3.0), TypeError),
        (ns.send, (b"abc", None, "0"), TypeError),
        (ns.send, (b"abc", None, 2**31), ValueError),
        (ns.recv, (b"immutable",), TypeError),
        (ns.recv, (memoryview(b"immutable"),), TypeError),
        (ns.recv, (bytearray(4), 5), ValueError),
        (ns.recv, (bytearray(4), -1), ValueError),
        (ns.recv, (bytearray(4), 2**64), ValueError),
        (ns.recv, (bytearray(4), True), TypeError),
        (ns.recv, (bytearray(4), None, None), TypeError),
        (ns.recv, (bytearray(4), None, -(2**31) - 1), ValueError),
        (ns.recv, ("str",), TypeError),
    ],
)
def test_send_recv_reject(pair: Pair, proc: Callable[..., Any], args: tuple, error: type) -> None:
    with pytest.raises(error):
        proc(pair.client, *args)
    # nothing was sent: the peer has nothing to read
    set_nonblocking(pair.server)
    assert ns.recv(pair.server, bytearray(1)) == -1


# --- sendto, recvfrom ------------------------------------------------------------------------


def test_sendto_recvfrom(family: Family) -> None:
    a, addr_a = family.bound(ns.SOCK_DGRAM, "a")
    b, addr_b = family.bound(ns.SOCK_DGRAM, "b")
    assert ns.sendto(a, b"ping", None, 0, addr_b) == 4
    sender = ns.Sockaddr_storage()
    buf = bytearray(16)
    n = ns.recvfrom(b, buf, None, 0, sender)
    assert n == 4 and buf[:4] == b"ping"
    assert sender == addr_a
    assert len(sender) == len(addr_a)
    assert ns.getAddrString(sender) == family.text("a")

    # and back, with every argument given, through a memoryview
    assert ns.sendto(b, memoryview(b"pong!"), 4, 0, sender, len(sender)) == 4
    buf2 = bytearray(8)
    assert ns.recvfrom(a, memoryview(buf2), 8, 0, None) == 4
    assert buf2 == b"pong\0\0\0\0"


def test_recvfrom_truncates_a_long_datagram(family: Family) -> None:
    a, _ = family.bound(ns.SOCK_DGRAM, "a")
    b, addr_b = family.bound(ns.SOCK_DGRAM, "b")
    assert ns.sendto(a, b"0123456789", None, 0, addr_b) == 10
    buf = bytearray(4)
    if MSGSIZE is None:
        assert ns.recvfrom(b, buf) == 4
    else:
        fails_with(ns.recvfrom(b, buf), MSGSIZE)
    assert buf == b"0123"


def test_recvfrom_length_limits_the_write(family: Family) -> None:
    a, _ = family.bound(ns.SOCK_DGRAM, "a")
    b, addr_b = family.bound(ns.SOCK_DGRAM, "b")
    assert ns.sendto(a, b"abcdef", 3, 0, addr_b) == 3
    buf = bytearray(b"......")
    sender = ns.Sockaddr_storage()
    if MSGSIZE is None:
        assert ns.recvfrom(b, buf, 2, 0, sender) == 2
    else:
        fails_with(ns.recvfrom(b, buf, 2, 0, sender), MSGSIZE)
    assert buf == b"ab...."
    assert ns.getAddrString(sender) == family.text("a")


def test_recvfrom_nonblocking_leaves_the_address(family: Family) -> None:
    b, _ = family.bound(ns.SOCK_DGRAM, "b")
    set_nonblocking(b)
    sender = ns.Sockaddr_storage()
    assert ns.recvfrom(b, bytearray(4), None, 0, sender) == -1
    assert ns.osLastError() in EAGAIN
    assert len(sender) == 128 and bytes(sender) == bytes(128)


def test_sendto_a_missing_unix_path(sock_dir: Path, handles: Handles) -> None:
    unix = make_family("unix", sock_dir, handles)
    fd = unix.socket(ns.SOCK_DGRAM)
    fails_with(ns.sendto(fd, b"x", None, 0, unix.addr(name="nobody")), errno.ENOENT)


@pytest.mark.parametrize(
    ("proc", "args", "error"),
    [
        (ns.sendto, (b"x", None, 0, "127.0.0.1"), TypeError),
        (ns.sendto, (b"x", None, 0, None, 16), TypeError),
        (ns.sendto, (b"x", 2, 0, ns.Sockaddr_in()), ValueError),
        (ns.sendto, (b"x", None, 0, ns.Sockaddr_in(), 129), ValueError),
        (ns.sendto, (b"x", None, 0, ns.Sockaddr_in(), -1), ValueError),
        (ns.sendto, (b"x", None, 2**32, ns.Sockaddr_in()), ValueError),
        (ns.sendto, ("x", None, 0, ns.Sockaddr_in()), TypeError),
        (ns.recvfrom, (bytearray(4), None, 0, "address"), TypeError),
        (ns.recvfrom, (bytearray(4), None, 0, bytearray(128)), TypeError),
        (ns.recvfrom, (bytearray(4), 5), ValueError),
        (ns.recvfrom, (bytes(4),), TypeError),
        (ns.recvfrom, (bytearray(4), None, "0"), TypeError),
    ],
)
def test_sendto_recvfrom_reject(
    handles: Handles, proc: Callable[..., Any], args: tuple, error: type
) -> None:
    fd = handles.socket(ns.AF_INET, ns.SOCK_DGRAM, ns.IPPROTO_UDP)
    with pytest.raises(error):
        proc(fd, *args)


# --- close -----------------------------------------------------------------------------------


def test_close(family: Family, handles: Handles) -> None:
    fd = family.socket()
    ns.close(fd)
    with pytest.raises(OSError) as info:
        if WINDOWS:  # a socket is no C runtime descriptor there
            socket.socket(socket.AF_INET, fileno=fd)
        else:
            os.fstat(fd)
    assert info.value.errno == CLOSED


def test_close_a_closed_handle_raises_EBADF(handles: Handles, closed_handle: int) -> None:
    with pytest.raises(OSError) as info:
        ns.close(closed_handle)
    assert info.value.errno == CLOSED
    assert type(info.value) is OSError
    fd = handles.socket()
    handles.close(fd)
    with pytest.raises(OSError) as info:
        ns.close(fd)
    assert info.value.errno == CLOSED
    assert str(fd) in str(info.value)


# --- socket options --------------------------------------------------------------------------

BOOL_OPTIONS = [
    ("SO_REUSEADDR", ns.SOL_SOCKET, ns.SO_REUSEADDR, FAMILY_NAMES),
    ("SO_KEEPALIVE", ns.SOL_SOCKET, ns.SO_KEEPALIVE, FAMILY_NAMES),
    ("SO_BROADCAST", ns.SOL_SOCKET, ns.SO_BROADCAST, FAMILY_NAMES),
    ("SO_DONTROUTE", ns.SOL_SOCKET, ns.SO_DONTROUTE, FAMILY_NAMES),
    ("SO_OOBINLINE", ns.SOL_SOCKET, ns.SO_OOBINLINE, FAMILY_NAMES),
    ("TCP_NODELAY", ns.IPPROTO_TCP, ns.TCP_NODELAY, ["ipv4", "ipv6"]),
    ("IPV6_V6ONLY", ns.IPPROTO_IPV6, ns.IPV6_V6ONLY, ["ipv6"]),
]
if hasattr(ns, "SO_REUSEPORT"):  # not on illumos (tests/test_platforms.py)
    BOOL_OPTIONS.append(("SO_REUSEPORT", ns.SOL_SOCKET, ns.SO_REUSEPORT, ["ipv4", "ipv6"]))


def option_cases(table: list) -> list:
    return [
        pytest.param(name, level, opt, fam, id=f"{name}-{fam}")
        for name, level, opt, families in table
        for fam in families
    ]


@pytest.mark.parametrize(("name", "level", "opt", "fam"), option_cases(BOOL_OPTIONS))
def test_bool_option_set_and_read_back(
    sock_dir: Path, handles: Handles, name: str, level: int, opt: int, fam: str
) -> None:
    family = make_family(fam, sock_dir, handles)
    fd = family.socket()
    for value in (1, 0, 1):
        assert ns.setSockOptInt(fd, level, opt, value) is None
        got = ns.getSockOptInt(fd, level, opt)
        assert bool(got) is bool(value)
        with stdlib_view(fd) as s:
            assert s.getsockopt(level, opt) == got


@pytest.mark.parametrize(
    ("name", "opt"), [("SO_RCVBUF", ns.SO_RCVBUF), ("SO_SNDBUF", ns.SO_SNDBUF)]
)
def test_buffer_size_options(family: Family, name: str, opt: int) -> None:
    fd = family.socket()
    ns.setSockOptInt(fd, ns.SOL_SOCKET, opt, 65536)
    got = ns.getSockOptInt(fd, ns.SOL_SOCKET, opt)
    assert got >= 65536  # Linux doubles the value it is given
    with stdlib_view(fd) as s:
        assert s.getsockopt(socket.SOL_SOCKET, opt) == got


@pytest.mark.skipif(WINDOWS, reason="POSIX only: SO_DEBUG needs privilege (geteuid)")
def test_SO_DEBUG_needs_privilege(family: Family) -> None:
    fd = family.socket()
    if os.geteuid() == 0:
        ns.setSockOptInt(fd, ns.SOL_SOCKET, ns.SO_DEBUG, 1)
        assert ns.getSockOptInt(fd, ns.SOL_SOCKET, ns.SO_DEBUG) == 1
    else:
        with pytest.raises(PermissionError):
            ns.setSockOptInt(fd, ns.SOL_SOCKET, ns.SO_DEBUG, 1)
        assert ns.getSockOptInt(fd, ns.SOL_SOCKET, ns.SO_DEBUG) == 0


@pytest.mark.parametrize("sockType", [ns.SOCK_STREAM, ns.SOCK_DGRAM])
def test_read_only_options(family: Family, sockType: ns.SockType) -> None:
    fd = family.socket(sockType)
    assert ns.getSockOptInt(fd, ns.SOL_SOCKET, ns.SO_TYPE) == sockType
    assert ns.getSockOptInt(fd, ns.SOL_SOCKET, ns.SO_ERROR) == 0
    assert ns.getSockOptInt(fd, ns.SOL_SOCKET, ns.SO_ACCEPTCONN) == 0


def test_unknown_option_raises(family: Family) -> None:
    fd = family.socket()
    with pytest.raises(OSError) as info:
        ns.getSockOptInt(fd, ns.SOL_SOCKET, 9999)
    assert info.value.errno == errno.ENOPROTOOPT
    with pytest.raises(OSError) as info:
        ns.setSockOptInt(fd, ns.SOL_SOCKET, 9999, 1)
    assert info.value.errno == errno.ENOPROTOOPT


def test_options_on_a_closed_handle(closed_handle: int) -> None:
    with pytest.raises(OSError) as info:
        ns.getSockOptInt(closed_handle, ns.SOL_SOCKET, ns.SO_TYPE)
    assert info.value.errno == CLOSED
    with pytest.raises(OSError) as info:
        ns.setSockOptInt(closed_handle, ns.SOL_SOCKET, ns.SO_REUSEADDR, 1)
    assert info.value.errno == CLOSED


@pytest.mark.skipif(
    WINDOWS,
    reason="POSIX only: a pipe's descriptor as a handle (a C runtime descriptor is "
    "no Winsock handle, its number may be any kernel object's)",
)
def test_options_on_a_pipe() -> None:
    r, w = os.pipe()
    try:
        with pytest.raises(OSError) as info:
            ns.getSockOptInt(r, ns.SOL_SOCKET, ns.SO_TYPE)
        assert info.value.errno == errno.ENOTSOCK
    finally:
        os.close(r)
        os.close(w)


@pytest.mark.parametrize(
    ("proc", "args", "error"),
    [
        (ns.getSockOptInt, ("1", ns.SO_TYPE), TypeError),
        (ns.getSockOptInt, (ns.SOL_SOCKET, None), TypeError),
        (ns.getSockOptInt, (ns.SOL_SOCKET, 1.0), TypeError),
        (ns.getSockOptInt, (2**31, ns.SO_TYPE), ValueError),
        (ns.getSockOptInt, (ns.SOL_SOCKET, -(2**31) - 1), ValueError),
        (ns.setSockOptInt, (ns.SOL_SOCKET, ns.SO_REUSEADDR, "1"), TypeError),
        (ns.setSockOptInt, (ns.SOL_SOCKET, ns.SO_REUSEADDR, None), TypeError),
        (ns.setSockOptInt, (ns.SOL_SOCKET, ns.SO_REUSEADDR, 1.0), TypeError),
        (ns.setSockOptInt, (ns.SOL_SOCKET, ns.SO_REUSEADDR, 2**31), ValueError),
        (ns.setSockOptInt, (ns.SOL_SOCKET, 2**40, 1), ValueError),
        (ns.setSockOptInt, ("x", ns.SO_REUSEADDR, 1), TypeError),
    ],
)
def test_options_reject(
    handles: Handles, proc: Callable[..., Any], args: tuple, error: type
) -> None:
    fd = handles.socket()
    with pytest.raises(error):
        proc(fd, *args)
    assert ns.getSockOptInt(fd, ns.SOL_SOCKET, ns.SO_REUSEADDR) == 0


# --- setBlocking, fcntl ----------------------------------------------------------------------


def test_setBlocking(pair: Pair) -> None:
    fd = pair.server
    assert not nonblocking(fd)
    assert ns.setBlocking(fd, False) is None
    assert nonblocking(fd)
    assert WINDOWS or ns.fcntl(fd, ns.F_GETFL) & ns.O_NONBLOCK
    fails_with(ns.recv(fd, bytearray(4)), *EAGAIN)
    ns.setBlocking(fd, True)
    assert not nonblocking(fd)
    assert WINDOWS or not ns.fcntl(fd, ns.F_GETFL) & ns.O_NONBLOCK
    ns.setBlocking(fd, True)  # idempotent
    assert not nonblocking(fd)


@posix_only_fcntl
def test_setBlocking_keeps_the_other_flags(handles: Handles) -> None:
    fd = handles.socket()
    fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) | os.O_APPEND)
    before = fcntl.fcntl(fd, fcntl.F_GETFL)
    ns.setBlocking(fd, False)
    assert fcntl.fcntl(fd, fcntl.F_GETFL) == before | os.O_NONBLOCK
    ns.setBlocking(fd, True)
    assert fcntl.fcntl(fd, fcntl.F_GETFL) == before


def test_setBlocking_on_a_closed_handle(closed_handle: int) -> None:
    with pytest.raises(OSError) as info:
        ns.setBlocking(closed_handle, False)
    assert info.value.errno == CLOSED


@posix_only_fcntl
def test_fcntl_is_the_system_call(handles: Handles, closed_handle: int) -> None:
    fd = handles.socket()
    assert ns.fcntl(fd, ns.F_GETFL) == fcntl.fcntl(fd, fcntl.F_GETFL)
    assert ns.fcntl(fd, ns.F_SETFL, ns.fcntl(fd, ns.F_GETFL) | ns.O_NONBLOCK) == 0
    assert nonblocking(fd)
    fails_with(ns.fcntl(closed_handle, ns.F_GETFL), errno.EBADF)
    with pytest.raises(ValueError, match=r"fcntl\(\): command 99999 does not take an int"):
        ns.fcntl(fd, 99999)  # no system call: only the int-taking commands are passed on


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (("1",), TypeError),
        ((None,), TypeError),
        ((2**31,), ValueError),
        ((F_SETFL, "0"), TypeError),
        ((F_SETFL, 2**64), ValueError),
    ],
)
@posix_only_fcntl
def test_fcntl_rejects(handles: Handles, args: tuple, error: type) -> None:
    fd = handles.socket()
    with pytest.raises(error):
        ns.fcntl(fd, *args)


# --- getSockDomain, getSockName, getLocalAddr, getPeerAddr -----------------------------------


def test_getSockDomain(family: Family) -> None:
    assert ns.getSockDomain(family.socket()) is family.domain
    assert ns.getSockDomain(family.socket(ns.SOCK_DGRAM)) is family.domain


def test_getSockName_gives_the_bound_port(ip_family: Family) -> None:
    fd, addr = ip_family.bound()
    port = ns.getSockName(fd)
    assert type(port) is ns.Port
    with stdlib_view(fd) as s:
        assert port == s.getsockname()[1] != 0
    assert ns.getSockName(ip_family.socket()) == 0  # not bound yet


def test_getSockName_of_a_unix_socket_raises_EAFNOSUPPORT(sock_dir: Path, handles: Handles) -> None:
    unix = make_family("unix", sock_dir, handles)
    with pytest.raises(OSError) as info:
        ns.getSockName(unix.bound()[0])
    assert info.value.errno == errno.EAFNOSUPPORT


def test_getLocalAddr(family: Family) -> None:
    fd, addr = family.bound()
    host, port = ns.getLocalAddr(fd, family.domain)
    assert type(host) is str and type(port) is ns.Port
    assert host == family.text()
    assert port == (0 if family.domain == ns.AF_UNIX else ns.getSockName(fd))
    with stdlib_view(fd) as s:
        expected = s.getsockname()
    assert host == (expected if family.domain == ns.AF_UNIX else expected[0])


def test_getLocalAddr_reads_the_family_the_system_returns(family: Family) -> None:
    fd, _ = family.bound()
    expected = ns.getLocalAddr(fd, family.domain)
    for other in ns.Domain:
        assert ns.getLocalAddr(fd, other) == expected


def test_getLocalAddr_of_an_unbound_socket(family: Family) -> None:
    host, port = ns.getLocalAddr(family.socket(), family.domain)
    assert port == 0
    assert host == {"ipv4": "0.0.0.0", "ipv6": "::", "unix": ""}[family.name]


def test_getPeerAddr(pair: Pair) -> None:
    fam = pair.family
    peer_of_client = ns.getPeerAddr(pair.client, fam.domain)
    assert peer_of_client == ns.getLocalAddr(pair.listener, fam.domain)
    assert peer_of_client[0] == fam.text("listener")
    assert type(peer_of_client[1]) is ns.Port
    assert ns.getPeerAddr(pair.server, fam.domain) == ns.getLocalAddr(pair.client, fam.domain)
    if fam.domain != ns.AF_UNIX:
        with stdlib_view(pair.server) as s:
            assert ns.getPeerAddr(pair.server, fam.domain) == s.getpeername()[:2]
    else:
        assert ns.getPeerAddr(pair.server, fam.domain) == ("", 0)  # unbound client


def test_getPeerAddr_of_an_unconnected_socket(family: Family) -> None:
    with pytest.raises(OSError) as info:
        ns.getPeerAddr(family.socket(), family.domain)
    assert info.value.errno == errno.ENOTCONN


@pytest.mark.skipif(
    WINDOWS,
    reason="POSIX only: a pipe's descriptor as a handle (a C runtime descriptor is "
    "no Winsock handle, its number may be any kernel object's)",
)
def test_name_procs_on_a_pipe() -> None:
    r, w = os.pipe()
    try:
        for call in (
            lambda: ns.getSockDomain(r),
            lambda: ns.getSockName(r),
            lambda: ns.getLocalAddr(r, ns.AF_INET),
            lambda: ns.getPeerAddr(r, ns.AF_INET),
        ):
            with pytest.raises(OSError) as info:
                call()
            assert info.value.errno == errno.ENOTSOCK
    finally:
        os.close(r)
        os.close(w)


@pytest.mark.parametrize("proc", [ns.getSockDomain, ns.getSockName])
def test_name_procs_on_a_closed_handle(proc: Callable[[int], Any], closed_handle: int) -> None:
    with pytest.raises(OSError) as info:
        proc(closed_handle)
    assert info.value.errno == CLOSED


@pytest.mark.parametrize("proc", [ns.getLocalAddr, ns.getPeerAddr])
def test_addr_procs_on_a_closed_handle(proc: Callable[..., Any], closed_handle: int) -> None:
    with pytest.raises(OSError) as info:
        proc(closed_handle, ns.AF_INET)
    assert info.value.errno == CLOSED


@pytest.mark.parametrize("proc", [ns.getLocalAddr, ns.getPeerAddr])
@pytest.mark.parametrize("domain", ["AF_INET", None, 2.0])
def test_addr_procs_reject_a_domain(
    handles: Handles, proc: Callable[..., Any], domain: object
) -> None:
    with pytest.raises(TypeError):
        proc(handles.socket(), domain)


# --- osLastError, raiseOSError ---------------------------------------------------------------


def test_osLastError_after_a_failed_call(closed_handle: int) -> None:
    assert ns.listen(closed_handle) == -1
    code = ns.osLastError()
    assert type(code) is int and code == CLOSED
    assert ns.osLastError() == CLOSED  # reading does not clear it


def system_text(code: int) -> str:
    """The system's message for an error code: strerror; on Windows FormatMessage's text as
    the stdlib's OSError gives it (trailing dots and blanks cut), or "Windows Error 0x..."
    when the system has none (the stdlib writes the hex digits in lower case, cffi's
    getwinerror behind raiseOSError in upper case: compare such a text with .lower())."""
    if not WINDOWS:
        return os.strerror(code)
    import ctypes

    text = ctypes.FormatError(code)
    return f"Windows Error 0x{code:x}" if text == "<no description>" else text.rstrip(" .\r\n")


# (code raiseOSError takes, the OSError's errno, its class). POSIX: errno values. Windows:
# Winsock and Windows codes (they become OSError.winerror; errno is Python's mapping).
RAISE_CASES = (
    [
        (10061, errno.ECONNREFUSED, ConnectionRefusedError),  # WSAECONNREFUSED
        (10054, errno.ECONNRESET, ConnectionResetError),  # WSAECONNRESET
        (10053, errno.ECONNABORTED, ConnectionAbortedError),  # WSAECONNABORTED
        (109, errno.EPIPE, BrokenPipeError),  # ERROR_BROKEN_PIPE
        (10035, errno.EWOULDBLOCK, BlockingIOError),  # WSAEWOULDBLOCK
        (10036, errno.EINPROGRESS, BlockingIOError),  # WSAEINPROGRESS
        (10004, errno.EINTR, InterruptedError),  # WSAEINTR
        (10060, errno.ETIMEDOUT, TimeoutError),  # WSAETIMEDOUT
        (2, errno.ENOENT, FileNotFoundError),  # ERROR_FILE_NOT_FOUND
        (5, errno.EACCES, PermissionError),  # ERROR_ACCESS_DENIED
        (10009, errno.EBADF, OSError),  # WSAEBADF
        (10048, errno.EADDRINUSE, OSError),  # WSAEADDRINUSE
        (10038, errno.ENOTSOCK, OSError),  # WSAENOTSOCK
    ]
    if WINDOWS
    else [
        (code, code, cls)
        for code, cls in [
            (errno.ECONNREFUSED, ConnectionRefusedError),
            (errno.ECONNRESET, ConnectionResetError),
            (errno.ECONNABORTED, ConnectionAbortedError),
            (errno.EPIPE, BrokenPipeError),
            (errno.EAGAIN, BlockingIOError),
            (errno.EWOULDBLOCK, BlockingIOError),
            (errno.EINPROGRESS, BlockingIOError),
            (errno.EINTR, InterruptedError),
            (errno.ETIMEDOUT, TimeoutError),
            (errno.ENOENT, FileNotFoundError),
            (errno.EACCES, PermissionError),
            (errno.EBADF, OSError),
            (errno.EADDRINUSE, OSError),
            (errno.ENOTSOCK, OSError),
        ]
    ]
)


@pytest.mark.parametrize(("code", "errno_value", "cls"), RAISE_CASES)
def test_raiseOSError_raises_the_matching_subclass(code: int, errno_value: int, cls: type) -> None:
    text = system_text(code)
    # only the fallback text of a code the system has no message for is compared caselessly
    same = (lambda a: a.lower()) if text.startswith("Windows Error 0x") else (lambda a: a)
    with pytest.raises(OSError) as info:
        ns.raiseOSError(code)
    assert type(info.value) is cls
    assert info.value.errno == errno_value
    assert getattr(info.value, "winerror", None) == (code if WINDOWS else None)
    assert same(info.value.strerror) == same(text)
    with pytest.raises(cls) as info:
        ns.raiseOSError(code, "bindAddr(3)")
    assert same(info.value.strerror) == same(f"bindAddr(3): {text}")
    prefix = f"[WinError {code}]" if WINDOWS else f"[Errno {code}]"
    assert same(str(info.value)) == same(f"{prefix} bindAddr(3): {text}")


@pytest.mark.parametrize(("args", "error"), [(("1",), TypeError), ((1.0,), TypeError),
                                             ((None,), TypeError)])  # fmt: skip
def test_raiseOSError_rejects(args: tuple, error: type) -> None:
    with pytest.raises(error):
        ns.raiseOSError(*args)


# --- bad handles, for every proc that takes one ----------------------------------------------

ADDRESS = ns.Sockaddr_in("127.0.0.1", 9)
HANDLE_PROCS: list[tuple[str, Callable[[Any], Any]]] = [
    ("close", lambda h: ns.close(h)),
    ("setInheritable", lambda h: ns.setInheritable(h, True)),
    ("bindAddr", lambda h: ns.bindAddr(h, ADDRESS)),
    ("listen", lambda h: ns.listen(h)),
    ("connect", lambda h: ns.connect(h, ADDRESS)),
    ("accept", lambda h: ns.accept(h)),
    ("accept-raw", lambda h: ns.accept(h, ns.Sockaddr_storage())),
    ("send", lambda h: ns.send(h, b"x")),
    ("recv", lambda h: ns.recv(h, bytearray(1))),
    ("sendto", lambda h: ns.sendto(h, b"x", None, 0, ADDRESS)),
    ("recvfrom", lambda h: ns.recvfrom(h, bytearray(1))),
    ("getSockDomain", lambda h: ns.getSockDomain(h)),
    ("getSockName", lambda h: ns.getSockName(h)),
    ("getLocalAddr", lambda h: ns.getLocalAddr(h, ns.AF_INET)),
    ("getPeerAddr", lambda h: ns.getPeerAddr(h, ns.AF_INET)),
    ("getSockOptInt", lambda h: ns.getSockOptInt(h, ns.SOL_SOCKET, ns.SO_TYPE)),
    ("setSockOptInt", lambda h: ns.setSockOptInt(h, ns.SOL_SOCKET, ns.SO_REUSEADDR, 1)),
    ("setBlocking", lambda h: ns.setBlocking(h, False)),
    *([] if WINDOWS else [("fcntl", lambda h: ns.fcntl(h, ns.F_GETFL))]),
    ("selectRead", lambda h: ns.selectRead([h], 0)),
    ("selectWrite", lambda h: ns.selectWrite([h], 0)),
]
BAD_HANDLES = [
    pytest.param(-1, ValueError, id="-1"),
    pytest.param(ns.osInvalidSocket, ValueError, id="osInvalidSocket"),
    pytest.param(-(2**40), ValueError, id="very-negative"),
    pytest.param(TOO_BIG_HANDLE, ValueError, id="too-big"),
    pytest.param(2**64, ValueError, id="2**64"),
    pytest.param("3", TypeError, id="str"),
    pytest.param(b"3", TypeError, id="bytes"),
    pytest.param(3.0, TypeError, id="float"),
    pytest.param(None, TypeError, id="None"),
    pytest.param(socket.socket, TypeError, id="type"),
]


@pytest.mark.parametrize(("handle", "error"), BAD_HANDLES)
@pytest.mark.parametrize(("name", "call"), HANDLE_PROCS, ids=[n for n, _ in HANDLE_PROCS])
def test_bad_handle(name: str, call: Callable[[Any], Any], handle: object, error: type) -> None:
    with pytest.raises(error):
        call(handle)


SINGLE_HANDLE_PROCS = [(n, c) for n, c in HANDLE_PROCS if not n.startswith("select")]


@pytest.mark.parametrize(
    ("name", "call"), SINGLE_HANDLE_PROCS, ids=[n for n, _ in SINGLE_HANDLE_PROCS]
)
def test_bool_is_not_a_handle(name: str, call: Callable[[Any], Any]) -> None:
    with pytest.raises(TypeError):
        call(True)

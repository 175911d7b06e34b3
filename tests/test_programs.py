"""What real programs need beyond Nim's module, each with the package alone (no stdlib
socket object in the code under test): half-close with shutdown, lookup flags and passive
binds, defaults that fit the socket type, sendto's defaults, truncation reports from
recvMany, the message and fcntl constants, and one rule for boolean parameters."""

from __future__ import annotations

import errno
import socket
import sys
from collections.abc import Iterator

import pytest
from conftest import HAS_IPV6, NO_IPV6, Family, Handles, needs_unix

import nativesockets as ns
from nativesockets import batch
from nativesockets._ffi import lib

WINDOWS = sys.platform == "win32"
ENOTCONN = 10057 if WINDOWS else errno.ENOTCONN  # WSAENOTCONN on Windows


def recv_all(fd: int, n: int = 64) -> bytes:
    buf = bytearray(n)
    got = ns.recv(fd, buf)
    assert got >= 0, ns.osLastError()
    return bytes(buf[:got])


# --- shutdown ---------------------------------------------------------------------------


def test_half_close_then_reply(family: Family) -> None:
    """The client says it is done (SHUT_WR); the server reads end of stream, still replies,
    and the client still reads the reply."""
    listener = family.socket()
    assert ns.bindAddr(listener, family.addr()) == 0
    assert ns.listen(listener) == 0
    where = ns.getLocalAddr(listener, family.domain)
    client = family.socket()
    target = family.addr(int(where[1])) if family.domain != ns.AF_UNIX else family.addr()
    assert ns.connect(client, target) == 0
    server, _ = ns.accept(listener)
    family.handles.track(server)

    assert ns.send(client, b"request") == 7
    assert ns.shutdown(client, ns.SHUT_WR) == 0
    assert recv_all(server) == b"request"
    assert recv_all(server) == b""  # end of stream: the half-close arrived
    assert ns.send(server, b"reply") == 5  # the other direction is still open
    assert ns.shutdown(server, ns.SHUT_RDWR) == 0
    assert recv_all(client) == b"reply"
    assert recv_all(client) == b""


def test_shutdown_write_then_send_fails(tcp_pair: object) -> None:
    pair = tcp_pair
    assert ns.shutdown(pair.client, ns.SHUT_WR) == 0  # type: ignore[attr-defined]
    flags = 0 if WINDOWS else ns.MSG_NOSIGNAL  # type: ignore[attr-defined]
    r = ns.send(pair.client, b"late", None, flags)  # type: ignore[attr-defined]
    assert r == -1
    assert ns.osLastError() in ({10058} if WINDOWS else {errno.EPIPE})  # WSAESHUTDOWN


def test_shutdown_of_an_unconnected_socket_fails(handles: Handles) -> None:
    s = handles.socket()
    assert ns.shutdown(s, ns.SHUT_RDWR) == -1
    assert ns.osLastError() == ENOTCONN


@pytest.mark.parametrize(
    ("how", "error"), [(7, ValueError), (-1, ValueError), ("SHUT_WR", TypeError), (True, TypeError)]
)
def test_shutdown_rejects(handles: Handles, how: object, error: type) -> None:
    s = handles.socket()
    with pytest.raises(error, match=r"^shutdown\(\): how must be SHUT_RD, SHUT_WR or SHUT_RDWR"):
        ns.shutdown(s, how)  # type: ignore[arg-type]


def test_shut_constants_are_the_systems() -> None:
    assert (ns.SHUT_RD, ns.SHUT_WR, ns.SHUT_RDWR) == (
        socket.SHUT_RD,
        socket.SHUT_WR,
        socket.SHUT_RDWR,
    )


# --- getAddrInfo: flags, no host ---------------------------------------------------------

WILDCARD = [("ipv4", ns.AF_INET, "0.0.0.0", "127.0.0.1"), ("ipv6", ns.AF_INET6, "::", "::1")]


@pytest.mark.parametrize(("name", "domain", "wildcard", "loopback"), WILDCARD)
def test_passive_lookup_gives_the_wildcard_to_bind(
    handles: Handles, name: str, domain: ns.Domain, wildcard: str, loopback: str
) -> None:
    if domain == ns.AF_INET6 and not HAS_IPV6:
        pytest.skip(NO_IPV6)
    with ns.getAddrInfo(None, 0, domain, ns.SOCK_STREAM, None, ns.AI_PASSIVE) as ai:
        assert ns.getAddrString(ai.ai_addr) == wildcard
        s = handles.socket(ai.ai_family, ai.ai_socktype, ai.ai_protocol)
        assert ns.bindAddr(s, ai.ai_addr) == 0
    assert ns.listen(s) == 0
    _, port = ns.getLocalAddr(s, domain)
    maker = ns.Sockaddr_in if domain == ns.AF_INET else ns.Sockaddr_in6
    c = handles.socket(domain)
    assert ns.connect(c, maker(loopback, port)) == 0  # the wildcard took a loopback connection


@pytest.mark.parametrize(("name", "domain", "wildcard", "loopback"), WILDCARD)
def test_no_host_without_passive_is_the_loopback(
    name: str, domain: ns.Domain, wildcard: str, loopback: str
) -> None:
    with ns.getAddrInfo(None, 80, domain) as ai:
        assert {ns.getAddrString(n.ai_addr) for n in ai} == {loopback}


def test_numeric_host_flag_never_resolves_a_name() -> None:
    with ns.getAddrInfo("127.0.0.1", 80, ns.AF_INET, ns.SOCK_STREAM, None, ns.AI_NUMERICHOST) as ai:
        assert ns.getAddrString(ai.ai_addr) == "127.0.0.1"
    with pytest.raises(socket.gaierror) as info:  # no name service is asked: EAI_NONAME at once
        ns.getAddrInfo("localhost", 80, ns.AF_INET, ns.SOCK_STREAM, None, ns.AI_NUMERICHOST)
    assert info.value.errno == socket.EAI_NONAME


def test_canonname_is_filled_when_asked_for() -> None:
    with ns.getAddrInfo("127.0.0.1", 0, ns.AF_INET) as ai:
        assert ai.ai_canonname is None
    flags = ns.AI_CANONNAME | ns.AI_NUMERICHOST
    with ns.getAddrInfo("127.0.0.1", 0, ns.AF_INET, ns.SOCK_STREAM, None, flags) as ai:
        expected = socket.getaddrinfo("127.0.0.1", 0, socket.AF_INET, socket.SOCK_STREAM, 0, flags)[
            0
        ][3]
        assert ai.ai_canonname == expected and isinstance(ai.ai_canonname, str)


def test_ai_constants_are_the_systems() -> None:
    names = ["AI_PASSIVE", "AI_CANONNAME", "AI_NUMERICHOST", "AI_NUMERICSERV", "AI_ADDRCONFIG"]
    if lib.NS_HAS_AI_V4MAPPED:  # exported where the system's getaddrinfo maps
        names += ["AI_V4MAPPED", "AI_ALL"]
    else:
        assert not hasattr(ns, "AI_V4MAPPED") and not hasattr(ns, "AI_ALL")
    for name in names:
        assert getattr(ns, name) == getattr(socket, name), name


# --- defaults that fit ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("domain", "kind", "proto"),
    [
        (ns.AF_INET, ns.SOCK_STREAM, ns.IPPROTO_TCP),
        (ns.AF_INET, ns.SOCK_DGRAM, ns.IPPROTO_UDP),
        (ns.AF_INET6, ns.SOCK_DGRAM, ns.IPPROTO_UDP),
    ],
)
def test_the_protocol_left_out_fits_the_type(
    handles: Handles, domain: ns.Domain, kind: ns.SockType, proto: int
) -> None:
    if domain == ns.AF_INET6 and not HAS_IPV6:
        pytest.skip(NO_IPV6)
    s = ns.createNativeSocket(domain, kind)
    assert s != ns.osInvalidSocket, ns.osLastError()
    handles.track(s)
    assert ns.getSockOptInt(s, ns.SOL_SOCKET, ns.SO_TYPE) == kind
    host = "127.0.0.1" if domain == ns.AF_INET else "::1"
    with ns.getAddrInfo(host, 53, domain, kind) as ai:
        assert {(n.ai_socktype, n.ai_protocol) for n in ai} == {(kind, proto)}


@needs_unix
@pytest.mark.parametrize("kind", [ns.SOCK_STREAM, ns.SOCK_DGRAM])
def test_a_unix_socket_with_the_defaults(handles: Handles, kind: ns.SockType) -> None:
    if WINDOWS and kind == ns.SOCK_DGRAM:
        pytest.skip("Windows has no AF_UNIX datagram sockets")
    s = ns.createNativeSocket(ns.AF_UNIX, kind)
    assert s != ns.osInvalidSocket, ns.osLastError()
    handles.track(s)
    assert ns.getSockOptInt(s, ns.SOL_SOCKET, ns.SO_TYPE) == kind


def test_getLocalAddr_takes_the_family_as_getAddrInfo_gives_it(handles: Handles) -> None:
    with ns.getAddrInfo("127.0.0.1", 0, ns.AF_INET) as ai:
        s = handles.socket(ai.ai_family, ai.ai_socktype, ai.ai_protocol)
        assert ns.bindAddr(s, ai.ai_addr) == 0
        family = ai.ai_family
    assert type(family) is int
    assert ns.getLocalAddr(s, family)[0] == "127.0.0.1"
    assert ns.getLocalAddr(s, ns.AF_INET) == ns.getLocalAddr(s, family)


# --- makeUnixAddr("") ------------------------------------------------------------------------


@needs_unix
def test_an_empty_unix_path_autobinds_or_is_refused(handles: Handles) -> None:
    """Linux autobinds a unique abstract name for each socket, as the stdlib's bind("")
    does; where the platform has no autobind (NS_HAS_AUTOBIND 0) the path is refused."""
    if not lib.NS_HAS_AUTOBIND:
        with pytest.raises(ValueError, match=r"^makeUnixAddr\(\): an empty socket path"):
            ns.makeUnixAddr("")
        return
    addr = ns.makeUnixAddr("")
    assert len(addr) == ns.Sockaddr_un("x").__len__() - 2  # the family alone
    names = set()
    for _ in range(2):
        s = handles.socket(ns.AF_UNIX, ns.SOCK_DGRAM, 0)
        assert ns.bindAddr(s, addr) == 0, ns.osLastError()
        name, _ = ns.getLocalAddr(s, ns.AF_UNIX)
        assert name.startswith("\0") and len(name) > 1, repr(name)
        names.add(name)
    assert len(names) == 2  # a unique name each time, not one fixed name


# --- sendto's defaults -----------------------------------------------------------------------


def test_sendto_with_defaults(handles: Handles) -> None:
    a = handles.socket(ns.AF_INET, ns.SOCK_DGRAM)
    b = handles.socket(ns.AF_INET, ns.SOCK_DGRAM)
    assert ns.bindAddr(a, ns.Sockaddr_in("127.0.0.1", 0)) == 0
    where = ns.Sockaddr_in("127.0.0.1", ns.getSockName(a))
    assert ns.sendto(b, b"one", to=where) == 3
    assert ns.connect(b, where) == 0
    assert ns.sendto(b, b"two") == 3  # no address: the connected peer, as send
    assert recv_all(a) == b"one"
    assert recv_all(a) == b"two"


# --- recvMany: truncation --------------------------------------------------------------------


@pytest.fixture(params=["system", "loop"])
def impl(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The platform's batch call, then the C loop."""
    if request.param == "loop":
        monkeypatch.setattr(batch, "_recv_many", lib.ns_recv_many_loop)
    yield request.param


def test_recvMany_reports_truncated_datagrams(handles: Handles, impl: str) -> None:
    a = handles.socket(ns.AF_INET, ns.SOCK_DGRAM)
    b = handles.socket(ns.AF_INET, ns.SOCK_DGRAM)
    assert ns.bindAddr(a, ns.Sockaddr_in("127.0.0.1", 0)) == 0
    where = ns.Sockaddr_in("127.0.0.1", ns.getSockName(a))
    for data in (b"x" * 100, b"short"):
        assert ns.sendto(b, data, to=where) == len(data)
    assert ns.selectRead([a], 5000) == 1
    bufs = [bytearray(10), bytearray(10)]
    lengths: list[int] = []
    flags = [123]
    got = 0
    while got < 2:  # both are queued on loopback; a loop takes what is there
        n = ns.recvMany(a, bufs[got:], lengths, None, 0, flags)
        assert n > 0, ns.osLastError()
        if got == 0:
            assert lengths[0] == 10 and flags[0] & ns.MSG_TRUNC and bufs[0] == b"x" * 10
            if n == 2:
                assert lengths[1] == 5 and not flags[1] & ns.MSG_TRUNC
        else:
            assert lengths == [5] and not flags[0] & ns.MSG_TRUNC
        got += n


def test_recvMany_msgFlags_must_be_a_list(handles: Handles) -> None:
    a = handles.socket(ns.AF_INET, ns.SOCK_DGRAM)
    with pytest.raises(TypeError, match=r"^recvMany\(\): msgFlags must be a list or None"):
        ns.recvMany(a, [bytearray(4)], [], None, 0, ())  # type: ignore[arg-type]


# --- constants ---------------------------------------------------------------------------------


@pytest.mark.skipif(WINDOWS, reason="Windows has no MSG_DONTWAIT, F_GETFD or FD_CLOEXEC")
def test_posix_constants_work(handles: Handles) -> None:
    s = handles.socket(ns.AF_INET, ns.SOCK_DGRAM)
    assert ns.bindAddr(s, ns.Sockaddr_in("127.0.0.1", 0)) == 0
    r = ns.recv(s, bytearray(4), None, ns.MSG_DONTWAIT)  # type: ignore[attr-defined]
    assert r == -1 and ns.osLastError() in (errno.EAGAIN, errno.EWOULDBLOCK)
    fcntl = ns.fcntl  # type: ignore[attr-defined]
    assert fcntl(s, ns.F_GETFD) & ns.FD_CLOEXEC  # type: ignore[attr-defined]
    assert ns.setInheritable(s, True)
    assert not fcntl(s, ns.F_GETFD) & ns.FD_CLOEXEC  # type: ignore[attr-defined]


def test_message_flags_work(handles: Handles) -> None:
    a = handles.socket(ns.AF_INET, ns.SOCK_DGRAM)
    b = handles.socket(ns.AF_INET, ns.SOCK_DGRAM)
    assert ns.bindAddr(a, ns.Sockaddr_in("127.0.0.1", 0)) == 0
    assert ns.sendto(b, b"peeked", to=ns.Sockaddr_in("127.0.0.1", ns.getSockName(a))) == 6
    assert ns.selectRead([a], 5000) == 1
    buf = bytearray(16)
    assert ns.recv(a, buf, None, ns.MSG_PEEK) == 6
    assert ns.recv(a, buf, None, ns.MSG_WAITALL) == 6  # a datagram: one whole message


@pytest.mark.parametrize(
    ("level", "option"),
    [
        (ns.SOL_SOCKET, ns.SO_RCVBUF),
        (ns.SOL_SOCKET, ns.SO_SNDBUF),
        (ns.SOL_SOCKET, ns.SO_KEEPALIVE),
        (ns.IPPROTO_IP, ns.IP_TTL),
        (ns.IPPROTO_TCP, ns.TCP_NODELAY),
    ],
)
def test_int_options_read_as_the_stdlib_reads_them(
    handles: Handles, level: int, option: int
) -> None:
    """A new TCP socket's default, as the stdlib reads it on a new socket of its own."""
    s = handles.socket()
    with socket.socket() as std:
        assert ns.getSockOptInt(s, level, option) == std.getsockopt(level, option)


# --- boolean parameters: bool or int ----------------------------------------------------------


@pytest.mark.parametrize("value", ["no", None, 1.0, b""])
def test_boolean_parameters_take_bool_or_int_only(handles: Handles, value: object) -> None:
    s = handles.socket()
    calls = [
        (lambda: ns.setBlocking(s, value), "setBlocking(): blocking must be a bool"),  # type: ignore[arg-type]
        (lambda: ns.setInheritable(s, value), "setInheritable(): inheritable must be a bool"),  # type: ignore[arg-type]
        (
            lambda: ns.createNativeSocket(ns.AF_INET, ns.SOCK_STREAM, None, value),  # type: ignore[arg-type]
            "createNativeSocket(): inheritable must be a bool",
        ),
        (lambda: ns.accept(s, value), "accept(): inheritable must be a bool"),  # type: ignore[call-overload]
    ]
    for call, message in calls:
        with pytest.raises(TypeError) as info:
            call()
        assert str(info.value).startswith(message), info.value


def test_an_int_is_taken_by_its_truth_value(handles: Handles) -> None:
    s = handles.socket()
    ns.setBlocking(s, 0)
    assert ns.recv(s, bytearray(1)) == -1  # not connected, or would block: at once
    ns.setBlocking(s, 1)
    assert ns.setInheritable(s, 0) and ns.setInheritable(s, 2)

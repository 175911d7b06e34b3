"""Socket addresses (Sockaddr_in/_in6/_un/_storage, makeUnixAddr), their text
(getAddrString, inet_ntoa) and getaddrinfo lists (getAddrInfo, AddrInfo, freeAddrInfo)."""

from __future__ import annotations

import errno
import gc
import socket
import struct
import sys
from pathlib import Path

import pytest
from conftest import Handles, needs_ipv6, needs_unshare, run_offline
from test_platforms import SUN_PATH, header, row

import nativesockets as ns

WINDOWS = sys.platform == "win32"
# AF_UNIX: Windows CPython's socket module lacks it; winsock2.h has 1
AF_UNIX = int(getattr(socket, "AF_UNIX", 1))


def s_addr(dotted: str) -> int:
    """in_addr.s_addr as C holds it: network byte order, read as a native integer."""
    return int(struct.unpack("=I", socket.inet_aton(dotted))[0])


# --- Sockaddr_in -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "port"),
    [("127.0.0.1", 80), ("0.0.0.0", 0), ("192.0.2.1", 65535), ("255.255.255.255", 1)],
)
def test_sockaddr_in_fields(address: str, port: int) -> None:
    a = ns.Sockaddr_in(address, port)
    assert isinstance(a, ns.SockAddr)
    assert a.sin_family == socket.AF_INET == a.sa_family
    assert a.sin_port == socket.htons(port)
    assert a.sin_addr == s_addr(address)
    assert len(a) == 16  # sizeof(struct sockaddr_in) on every platform
    assert ns.getAddrString(a) == address
    assert ns.Sockaddr_in(address.encode(), ns.Port(port)) == a


def test_sockaddr_in_defaults_to_any() -> None:
    a = ns.Sockaddr_in()
    assert a.sin_addr == ns.INADDR_ANY == 0
    assert a.sin_port == 0
    assert ns.getAddrString(a) == "0.0.0.0"


def test_sockaddr_in_bytes_are_the_c_struct() -> None:
    # the first two bytes: a 16-bit family, or sin_len and the family on macOS and the BSDs
    a = ns.Sockaddr_in("10.1.2.3", 0x1234)
    expected = header(socket.AF_INET, 16) + b"\x12\x34" + bytes([10, 1, 2, 3]) + bytes(8)
    assert bytes(a) == expected


def test_sockaddr_in_fields_are_writable() -> None:
    a = ns.Sockaddr_in("127.0.0.1", 80)
    a.sin_port = socket.htons(8080)
    a.sin_addr = s_addr("10.0.0.1")
    assert a == ns.Sockaddr_in("10.0.0.1", 8080)
    assert ns.getAddrString(a) == "10.0.0.1"


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("sin_port", 0x10000, ValueError),
        ("sin_port", -1, ValueError),
        ("sin_addr", 2**32, ValueError),
        ("sin_addr", -1, ValueError),
        ("sin_port", "80", TypeError),
        ("sin_addr", "127.0.0.1", TypeError),
    ],
)
def test_sockaddr_in_field_rejects(field: str, value: object, error: type) -> None:
    a = ns.Sockaddr_in("127.0.0.1", 80)
    with pytest.raises(error):
        setattr(a, field, value)
    assert a == ns.Sockaddr_in("127.0.0.1", 80)


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (("256.0.0.1", 0), ValueError),
        (("127.0.0.1\0", 0), ValueError),
        (("127.0.0.1\0evil", 0), ValueError),
        (("::1", 0), ValueError),
        (("localhost", 0), ValueError),  # no resolution: an address or nothing
        (("", 0), ValueError),
        (("127.0.0.1", 65536), ValueError),
        (("127.0.0.1", -1), ValueError),
        ((0x7F000001, 0), TypeError),
        ((None, 0), TypeError),
        (("127.0.0.1", "80"), TypeError),
        (("127.0.0.1", 80.0), TypeError),
    ],
)
def test_sockaddr_in_rejects(args: tuple, error: type) -> None:
    with pytest.raises(error):
        ns.Sockaddr_in(*args)


# --- Sockaddr_in6 ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "port", "flowinfo", "scope_id"),
    [
        ("::1", 443, 0, 0),
        ("::", 0, 0, 0),
        ("2001:db8::1", 65535, 0x12345, 0),
        ("fe80::1", 1, 0, 1),
        ("::ffff:192.0.2.1", 80, 0, 0),
    ],
)
def test_sockaddr_in6_fields(address: str, port: int, flowinfo: int, scope_id: int) -> None:
    a = ns.Sockaddr_in6(address, port, flowinfo, scope_id)
    assert isinstance(a, ns.SockAddr)
    assert a.sin6_family == socket.AF_INET6 == a.sa_family
    assert a.sin6_port == socket.htons(port)
    assert a.sin6_addr == socket.inet_pton(socket.AF_INET6, address)
    assert a.sin6_flowinfo == socket.htonl(flowinfo)
    assert a.sin6_scope_id == scope_id
    assert len(a) == 28  # sizeof(struct sockaddr_in6)


def test_sockaddr_in6_defaults() -> None:
    a = ns.Sockaddr_in6()
    assert a.sin6_addr == bytes(16)
    assert (a.sin6_port, a.sin6_flowinfo, a.sin6_scope_id) == (0, 0, 0)
    assert ns.getAddrString(a) == "::"


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (("127.0.0.1",), ValueError),
        (("::g",), ValueError),
        (("1:2:3:4:5:6:7:8:9",), ValueError),
        (("::1\0",), ValueError),
        (("::1", 65536), ValueError),
        (("::1", 0, -1), ValueError),
        (("::1", 0, 2**32), ValueError),
        (("::1", 0, 0, -1), ValueError),
        (("::1", 0, 0, 2**32), ValueError),
        ((b"\0" * 16,), ValueError),
        ((1,), TypeError),
        (("::1", 0, "0"), TypeError),
        (("::1", 0, 0, 1.0), TypeError),
    ],
)
def test_sockaddr_in6_rejects(args: tuple, error: type) -> None:
    with pytest.raises(error):
        ns.Sockaddr_in6(*args)


# --- Sockaddr_un, makeUnixAddr ---------------------------------------------------------------

SUN_PATH_OFFSET = 2  # offsetof(struct sockaddr_un, sun_path): a 16-bit family, or sun_len + family


def test_sun_path_length_is_the_platforms() -> None:
    assert ns.Sockaddr_un_path_length == row(SUN_PATH)


@pytest.mark.parametrize("kind", [str, bytes, Path])
def test_sockaddr_un_fields(kind: type, sock_dir: Path) -> None:
    path = str(sock_dir / "sock")
    arg = path.encode() if kind is bytes else kind(path)
    a = ns.Sockaddr_un(arg)
    assert isinstance(a, ns.SockAddr)
    assert a.sun_family == AF_UNIX == a.sa_family
    raw = a.sun_path
    assert len(raw) == ns.Sockaddr_un_path_length
    assert raw == path.encode() + bytes(len(raw) - len(path))
    assert len(a) == SUN_PATH_OFFSET + len(path) + 1  # sun_len too, where there is one
    assert bytes(a)[:2] == header(AF_UNIX, len(a))
    assert ns.getAddrString(a) == path
    assert ns.makeUnixAddr(arg) == a
    assert type(ns.makeUnixAddr(arg)) is ns.Sockaddr_un


def test_unix_path_length_limit() -> None:
    longest = "x" * (ns.Sockaddr_un_path_length - 1)  # room for the NUL
    assert ns.getAddrString(ns.makeUnixAddr(longest)) == longest
    with pytest.raises(ValueError, match="too long"):
        ns.makeUnixAddr(longest + "x")
    with pytest.raises(ValueError, match="too long"):
        ns.Sockaddr_un(b"y" * 4096)


@pytest.mark.parametrize(
    ("path", "error"),
    [
        ("/tmp/a\0b", ValueError),
        (b"/tmp/a\0", ValueError),
        ("\0abstract", ValueError),
        (42, TypeError),
        (None, TypeError),
        (["/tmp/a"], TypeError),
    ],
)
@pytest.mark.parametrize("make", [ns.makeUnixAddr, ns.Sockaddr_un])
def test_unix_address_rejects(make: object, path: object, error: type) -> None:
    with pytest.raises(error):
        make(path)  # type: ignore[operator]


@pytest.mark.skipif(
    WINDOWS,
    reason="POSIX only: file names of arbitrary bytes (Windows names are Unicode; "
    "os.fsdecode is strict UTF-8 there)",
)
def test_unix_path_with_non_utf8_bytes() -> None:
    path = b"/tmp/caf\xe9"
    a = ns.makeUnixAddr(path)
    assert a.sun_path.startswith(path + b"\0")
    assert ns.getAddrString(a).encode("utf-8", "surrogateescape") == path


# --- Sockaddr_storage ------------------------------------------------------------------------


def test_sockaddr_storage_is_empty_room() -> None:
    st = ns.Sockaddr_storage()
    assert len(st) == 128  # sizeof(struct sockaddr_storage)
    assert st.ss_family == socket.AF_UNSPEC
    assert bytes(st) == bytes(128)


@pytest.mark.parametrize(
    "make",
    [
        lambda: ns.Sockaddr_in("192.0.2.7", 99),
        lambda: ns.Sockaddr_in6("2001:db8::7", 99),
        lambda: ns.makeUnixAddr("/tmp/some.sock"),
    ],
    ids=["in", "in6", "un"],
)
def test_sockaddr_storage_from_bytes(make: object) -> None:
    original = make()  # type: ignore[operator]
    st = ns.Sockaddr_storage(bytes(original))
    assert st == original
    assert len(st) == len(original)
    assert st.ss_family == original.sa_family
    assert ns.getAddrString(st) == ns.getAddrString(original)
    assert ns.Sockaddr_storage(bytearray(bytes(original))) == original
    assert ns.Sockaddr_storage(memoryview(bytes(original))) == original


@pytest.mark.parametrize(
    ("data", "error"), [(bytes(129), ValueError), ("abc", TypeError), (7, TypeError)]
)
def test_sockaddr_storage_rejects(data: object, error: type) -> None:
    with pytest.raises(error):
        ns.Sockaddr_storage(data)  # type: ignore[arg-type]


def test_addresses_compare_by_content_and_are_unhashable() -> None:
    assert ns.Sockaddr_in("127.0.0.1", 1) == ns.Sockaddr_in("127.0.0.1", 1)
    assert ns.Sockaddr_in("127.0.0.1", 1) != ns.Sockaddr_in("127.0.0.1", 2)
    assert ns.Sockaddr_in() != "0.0.0.0"
    with pytest.raises(TypeError):
        hash(ns.Sockaddr_in())


# --- getAddrString ---------------------------------------------------------------------------

ADDRESS_TEXT = [
    (lambda: ns.Sockaddr_in("127.0.0.1", 80), "127.0.0.1"),
    (lambda: ns.Sockaddr_in("10.20.30.40"), "10.20.30.40"),
    (lambda: ns.Sockaddr_in6("::1", 80), "::1"),
    (lambda: ns.Sockaddr_in6("2001:DB8:0:0:0:0:0:1"), "2001:db8::1"),
    (lambda: ns.Sockaddr_in6("ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255"), None),
    # an IPv4-mapped IPv6 address gives the IPv4 text, as Nim's getAddrString does
    (lambda: ns.Sockaddr_in6("::ffff:127.0.0.1"), "127.0.0.1"),
    (lambda: ns.Sockaddr_in6("::ffff:192.0.2.128", 9), "192.0.2.128"),
    (lambda: ns.Sockaddr_in6("::127.0.0.1"), "::127.0.0.1"),  # v4-compatible: not stripped
    (lambda: ns.makeUnixAddr("/run/x.sock"), "/run/x.sock"),
    (lambda: ns.makeUnixAddr("relative.sock"), "relative.sock"),
]
ADDRESS_IDS = ["in", "in-any", "in6", "in6-long", "in6-max", "mapped", "mapped-2", "compat",
               "un", "un-relative"]  # fmt: skip


@pytest.mark.parametrize(("make", "text"), ADDRESS_TEXT, ids=ADDRESS_IDS)
def test_getAddrString_first_overload(make: object, text: str | None) -> None:
    a = make()  # type: ignore[operator]
    if text is None:
        text = socket.inet_ntop(socket.AF_INET6, a.sin6_addr)
    assert ns.getAddrString(a) == text


@pytest.mark.parametrize(("make", "text"), ADDRESS_TEXT, ids=ADDRESS_IDS)
def test_getAddrString_second_overload_fills_in_place(make: object, text: str | None) -> None:
    a = make()  # type: ignore[operator]
    if text is None:
        text = socket.inet_ntop(socket.AF_INET6, a.sin6_addr)
    out = bytearray(46)
    assert ns.getAddrString(a, out) is None
    assert out == text.encode()


def test_getAddrString_second_overload_takes_the_longest_ipv6_text() -> None:
    a = ns.Sockaddr_in6("ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255")
    out = bytearray(46)
    ns.getAddrString(a, out)
    assert out.decode() == socket.inet_ntop(socket.AF_INET6, a.sin6_addr)
    assert len(out) <= 45


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (("127.0.0.1",), TypeError),
        ((b"\2\0\0\0\x7f\0\0\1",), TypeError),
        ((None,), TypeError),
        ((ns.Sockaddr_in(), bytearray(45)), ValueError),
        ((ns.Sockaddr_in(), bytearray(47)), ValueError),
        ((ns.Sockaddr_in(), bytearray()), ValueError),
        ((ns.Sockaddr_in(), bytes(46)), TypeError),
        ((ns.Sockaddr_in(), memoryview(bytearray(46))), TypeError),
        ((ns.Sockaddr_in(), "x" * 46), TypeError),
    ],
)
def test_getAddrString_rejects(args: tuple, error: type) -> None:
    with pytest.raises(error):
        ns.getAddrString(*args)


def test_getAddrString_unknown_family_raises_EAFNOSUPPORT() -> None:
    out = bytearray(46)
    for args in [(ns.Sockaddr_storage(),), (ns.Sockaddr_storage(), out)]:
        with pytest.raises(OSError) as info:
            ns.getAddrString(*args)
        assert info.value.errno == errno.EAFNOSUPPORT
    assert out == bytearray(46)


def test_getAddrString_short_ip_address_raises() -> None:
    # an AF_INET family in fewer bytes than a sockaddr_in: never read past the length
    short = ns.Sockaddr_storage(bytes(ns.Sockaddr_in("127.0.0.1"))[:8])
    with pytest.raises(OSError) as info:
        ns.getAddrString(short)
    assert info.value.errno == errno.EAFNOSUPPORT


# --- inet_ntoa -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "dotted", ["0.0.0.0", "127.0.0.1", "192.0.2.1", "255.255.255.255", "1.2.3.4", "10.0.0.255"]
)
def test_inet_ntoa(dotted: str) -> None:
    assert ns.inet_ntoa(s_addr(dotted)) == dotted
    assert ns.inet_ntoa(ns.Sockaddr_in(dotted).sin_addr) == dotted


@pytest.mark.parametrize(
    ("value", "error"),
    [(-1, ValueError), (2**32, ValueError), ("1.2.3.4", TypeError), (1.0, TypeError),
     (None, TypeError), (True, TypeError)],
)  # fmt: skip
def test_inet_ntoa_rejects(value: object, error: type) -> None:
    with pytest.raises(error):
        ns.inet_ntoa(value)  # type: ignore[arg-type]


# --- getAddrInfo -----------------------------------------------------------------------------


def test_getAddrInfo_ipv4_literal() -> None:
    with ns.getAddrInfo("127.0.0.1", ns.Port(80)) as ai:
        assert isinstance(ai, ns.AddrInfo)
        assert ai.ai_family == socket.AF_INET
        assert ai.ai_socktype == socket.SOCK_STREAM
        assert ai.ai_protocol == socket.IPPROTO_TCP
        assert ai.ai_addrlen == 16
        assert ai.ai_addr == ns.Sockaddr_in("127.0.0.1", 80)
        assert len(ai.ai_addr) == ai.ai_addrlen
        assert ns.getAddrString(ai.ai_addr) == "127.0.0.1"
        assert ai.ai_canonname is None  # AI_CANONNAME is not asked for
        assert ai.ai_next is None
        assert [n.ai_family for n in ai] == [socket.AF_INET]


@needs_ipv6
def test_getAddrInfo_ipv6_literal() -> None:
    with ns.getAddrInfo("::1", ns.Port(443), ns.AF_INET6) as ai:
        assert ai.ai_family == socket.AF_INET6
        assert ai.ai_addrlen == 28
        assert ai.ai_addr == ns.Sockaddr_in6("::1", 443)
        assert ns.getAddrString(ai.ai_addr) == "::1"


def test_getAddrInfo_ipv4_in_an_ipv6_query_is_mapped() -> None:
    # AF_INET6 hints ask for AI_V4MAPPED (as Nim does); getAddrString strips the mapping.
    with ns.getAddrInfo("127.0.0.1", 80, ns.AF_INET6) as ai:
        assert ai.ai_family == socket.AF_INET6
        assert ai.ai_addr == ns.Sockaddr_in6("::ffff:127.0.0.1", 80)
        assert ns.getAddrString(ai.ai_addr) == "127.0.0.1"


def test_getAddrInfo_localhost_from_etc_hosts() -> None:
    expected = {
        info[4][0] for info in socket.getaddrinfo("localhost", 80, socket.AF_INET,
                                                  socket.SOCK_STREAM, socket.IPPROTO_TCP)
    }  # fmt: skip
    with ns.getAddrInfo("localhost", ns.Port(80)) as ai:
        nodes = list(ai)
        assert nodes and nodes[0].ai_family == ai.ai_family
        assert {ns.getAddrString(n.ai_addr) for n in nodes} == expected
        assert "127.0.0.1" in expected
        assert all(n.ai_socktype == socket.SOCK_STREAM for n in nodes)


@pytest.mark.parametrize(
    ("sockType", "protocol"),
    [(ns.SOCK_STREAM, ns.IPPROTO_TCP), (ns.SOCK_DGRAM, ns.IPPROTO_UDP)],
)
def test_getAddrInfo_types_and_protocols(sockType: ns.SockType, protocol: ns.Protocol) -> None:
    with ns.getAddrInfo("127.0.0.1", 53, ns.AF_INET, sockType, protocol) as ai:
        assert (ai.ai_socktype, ai.ai_protocol) == (sockType, protocol)


def test_getAddrInfo_raw_passes_no_service() -> None:
    # Nim passes "" as the service for SOCK_RAW; a NULL service resolves, with port 0.
    with ns.getAddrInfo("127.0.0.1", 0, ns.AF_INET, ns.SOCK_RAW, ns.IPPROTO_RAW) as ai:
        assert ai.ai_socktype == socket.SOCK_RAW
        assert ai.ai_addr == ns.Sockaddr_in("127.0.0.1", 0)


def test_getAddrInfo_takes_raw_numbers_and_bytes() -> None:
    with ns.getAddrInfo(b"127.0.0.1", 8, socket.AF_INET, socket.SOCK_DGRAM, 0) as ai:
        assert ai.ai_socktype == socket.SOCK_DGRAM
        assert ai.ai_addr == ns.Sockaddr_in("127.0.0.1", 8)


def test_getAddrInfo_unspec_gives_every_family() -> None:
    expected = {
        (i[0], i[4][0])
        for i in socket.getaddrinfo("127.0.0.1", 1, 0, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    }
    with ns.getAddrInfo("127.0.0.1", 1, ns.AF_UNSPEC) as ai:
        assert {(n.ai_family, ns.getAddrString(n.ai_addr)) for n in ai} == expected


def test_ai_next_walks_the_same_nodes_as_iteration() -> None:
    with ns.getAddrInfo("localhost", 1, ns.AF_INET, ns.SOCK_STREAM, ns.IPPROTO_TCP) as ai:
        walked = []
        node: ns.AddrInfo | None = ai
        while node is not None:
            walked.append(bytes(node.ai_addr))
            node = node.ai_next
        assert walked == [bytes(n.ai_addr) for n in ai]


def test_ai_addr_binds(handles: Handles) -> None:
    s = handles.socket()
    with ns.getAddrInfo("127.0.0.1", 0) as ai:
        assert ns.bindAddr(s, ai.ai_addr, ai.ai_addrlen) == 0
    assert ns.getLocalAddr(s, ns.AF_INET)[0] == "127.0.0.1"


def test_freeAddrInfo_is_idempotent_and_use_after_free_raises() -> None:
    ai = ns.getAddrInfo("127.0.0.1", 80)
    node = list(ai)[0]
    kept = ai.ai_addr  # a copy: stays valid
    ns.freeAddrInfo(ai)
    ns.freeAddrInfo(ai)
    ns.freeaddrinfo(node)
    for obj in (ai, node):
        for field in ("ai_family", "ai_socktype", "ai_protocol", "ai_addrlen", "ai_flags",
                      "ai_addr", "ai_canonname", "ai_next"):  # fmt: skip
            with pytest.raises(ValueError):
                getattr(obj, field)
        with pytest.raises(ValueError):
            list(obj)
        with pytest.raises(ValueError):
            with obj:
                pass
        assert repr(obj) == "<AddrInfo freed>"
    assert ns.getAddrString(kept) == "127.0.0.1"


def test_context_manager_frees_even_on_error() -> None:
    with pytest.raises(RuntimeError):
        with ns.getAddrInfo("127.0.0.1", 80) as ai:
            raise RuntimeError
    with pytest.raises(ValueError):
        ai.ai_family  # noqa: B018


def test_a_node_keeps_its_list_alive() -> None:
    # the head object dropped and collected: a node taken from it still reads its list
    node = next(iter(ns.getAddrInfo("127.0.0.1", 80)))
    gc.collect()
    for _ in range(100):
        ns.getAddrInfo("127.0.0.2", 81)
    gc.collect()
    assert node.ai_family == socket.AF_INET
    assert node.ai_addr == ns.Sockaddr_in("127.0.0.1", 80)


def test_freeaddrinfo_is_freeAddrInfo() -> None:
    assert ns.freeaddrinfo is ns.freeAddrInfo


@pytest.mark.parametrize("value", [None, 1, "x", ns.Sockaddr_in()])
def test_freeAddrInfo_rejects(value: object) -> None:
    with pytest.raises(TypeError):
        ns.freeAddrInfo(value)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("args", "error"),
    [
        ((0x7F000001, 80), TypeError),
        ((None, 80, ns.AF_INET, ns.SOCK_STREAM, None, "AI_PASSIVE"), TypeError),
        ((None, 80, ns.AF_INET, ns.SOCK_STREAM, None, 2**40), ValueError),
        (("127.0.0.1\0", 80), ValueError),
        (("127.0.0.1", 65536), ValueError),
        (("127.0.0.1", -1), ValueError),
        (("127.0.0.1", "80"), TypeError),
        (("127.0.0.1", 80.0), TypeError),
        (("127.0.0.1", 80, "AF_INET"), TypeError),
        (("127.0.0.1", 80, 2.0), TypeError),
        (("127.0.0.1", 80, None), TypeError),
        (("127.0.0.1", 80, ns.AF_INET, "SOCK_STREAM"), TypeError),
        (("127.0.0.1", 80, ns.AF_INET, ns.SOCK_STREAM, 6.0), TypeError),
        (("127.0.0.1", 80, 12345), ValueError),
        (("127.0.0.1", 80, ns.AF_INET, 12345), ValueError),
        (("127.0.0.1", 80, ns.AF_INET, ns.SOCK_STREAM, 12345), ValueError),
    ],
)
def test_getAddrInfo_rejects(args: tuple, error: type) -> None:
    with pytest.raises(error):
        ns.getAddrInfo(*args)


# getaddrinfo failures: only in a child without a network, so no query leaves this machine.


@needs_unshare
def test_getAddrInfo_failure_raises_gaierror_offline() -> None:
    r = run_offline(
        """
def stdlib_failure():
    try:
        socket.getaddrinfo("::1", 80, socket.AF_INET, socket.SOCK_STREAM)
    except socket.gaierror as e:
        return [e.errno, e.strerror]
report({
    "name": outcome(ns.getAddrInfo, "no-such-host.invalid", 80),
    "family": outcome(ns.getAddrInfo, "::1", 80, ns.AF_INET),
    "stdlib": stdlib_failure(),
    "eai": [socket.EAI_NONAME, socket.EAI_AGAIN, socket.EAI_FAIL],
})
"""
    )
    for failure in (r["name"], r["family"]):
        assert failure["raised"] == "gaierror" and failure["oserror"], failure
        assert failure["errno"] < 0, failure  # an EAI_* code, not an errno
        assert failure["strerror"].startswith("getAddrInfo("), failure
    assert r["name"]["errno"] in r["eai"]
    assert "no-such-host.invalid" in r["name"]["strerror"]
    # the code and gai_strerror text the stdlib gives for the same failure
    code, text = r["stdlib"]
    assert r["family"]["errno"] == code
    assert r["family"]["strerror"].endswith(": " + text)

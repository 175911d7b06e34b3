"""Argument errors: each names the proc the caller called, says what was wrong and what
would be right, and none speaks cffi. One table over every public proc and class, and every
kind of bad argument each takes (a wrong type, a value out of range, a wrong container)."""

from __future__ import annotations

import re
import socket
import sys
from collections.abc import Iterator
from typing import Any, Callable

import pytest

import nativesockets as ns
from nativesockets.errors import HANDLE_MAX

WINDOWS = sys.platform == "win32"
Port_out = 2**16
# Words of cffi's or the interpreter's own messages that must never reach the user.
FOREIGN = ("cdata", "ctype", "from_buffer", "initializer for", "cffi", "expected str, bytes or os")

# The handles the calls get: a TCP socket (h) and a UDP one (u), made once for the table.
_tcp = socket.socket()
_udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
h, u = _tcp.fileno(), _udp.fileno()
SA = ns.Sockaddr_in
ADDRESS = r"must be a SockAddr such as Sockaddr_in\(host, port\)"

# (proc, args, exception, the message's start as a regex)
TABLE: list[tuple[str, tuple[Any, ...], type[Exception], str]] = [
    ("createNativeSocket", ("x",), TypeError, r"domain must be an int, not str"),
    ("createNativeSocket", (True,), TypeError, r"domain must be an int, not bool"),
    (
        "createNativeSocket",
        (2**40,),
        ValueError,
        r"domain out of range \[-2147483648, 2147483647\]",
    ),
    ("createNativeSocket", (2, "s"), TypeError, r"sockType must be an int, not str"),
    ("createNativeSocket", (2, 1, 2.0), TypeError, r"protocol must be an int, not float"),
    ("createNativeSocket", (2, 1, None, "no"), TypeError, r"inheritable must be a bool, not str"),
    ("close", ("3",), TypeError, r"a socket handle must be an int, not str"),
    ("close", (-1,), ValueError, r"invalid socket handle -1"),
    ("close", (True,), TypeError, r"a socket handle must be an int, not bool"),
    ("setInheritable", (h, "no"), TypeError, r"inheritable must be a bool, not str"),
    ("setBlocking", (h, "no"), TypeError, r"blocking must be a bool, not str"),
    ("setBlocking", (None, True), TypeError, r"a socket handle must be an int, not NoneType"),
    (
        "bindAddr",
        (h, ("127.0.0.1", 0)),
        TypeError,
        r"name " + ADDRESS + r".*not tuple \(the stdlib's",
    ),
    ("bindAddr", (h, SA(), "16"), TypeError, r"namelen must be an int, not str"),
    ("bindAddr", (h, SA(), 999), ValueError, r"namelen out of range \[0, \d+\]: 999"),
    ("listen", (h, "x"), TypeError, r"backlog must be an int, not str"),
    ("listen", (h, 2**40), ValueError, r"backlog out of range"),
    ("connect", (h, None), TypeError, r"name " + ADDRESS + r".*not NoneType"),
    ("shutdown", (h, 7), ValueError, r"how must be SHUT_RD, SHUT_WR or SHUT_RDWR, not 7"),
    ("shutdown", (h, "x"), TypeError, r"how must be SHUT_RD, SHUT_WR or SHUT_RDWR, not str"),
    ("accept", ("x",), TypeError, r"a socket handle must be an int, not str"),
    ("accept", (h, "no"), TypeError, r"inheritable must be a bool, not str"),
    ("send", (h, "text"), TypeError, r"buffer must be a bytes-like object .*not str \(encode"),
    ("send", (h, b"abc", 9), ValueError, r"length out of range \[0, 3\]: 9"),
    ("send", (h, b"abc", None, "x"), TypeError, r"flags must be an int, not str"),
    ("recv", (h, 1024), TypeError, r"buffer must be a writable.*pass bytearray\(1024\)"),
    ("recv", (h, b"abc"), TypeError, r"buffer must be a writable.*not bytes \(bytes and str"),
    ("recv", (h, bytearray(3), 9), ValueError, r"length out of range \[0, 3\]: 9"),
    ("sendto", (u, "text", None, 0, SA()), TypeError, r"buffer must be a bytes-like object"),
    ("sendto", (u, b"x", None, 0, ("127.0.0.1", 9)), TypeError, r"to " + ADDRESS),
    ("sendto", (u, b"x", None, 0, SA(), -1), ValueError, r"tolen out of range"),
    ("recvfrom", (u, 1024), TypeError, r"buffer must be a writable"),
    ("recvfrom", (u, bytearray(3), None, 0, ("127.0.0.1", 9)), TypeError, r"address " + ADDRESS),
    ("getSockOptInt", (h, "x", 1), TypeError, r"level must be an int, not str"),
    ("getSockOptInt", (h, 1, 2**40), ValueError, r"optname out of range \[-2147483648"),
    ("setSockOptInt", (h, 1, 2, 2**40), ValueError, r"optval out of range \[-2147483648"),
    ("setSockOptInt", (h, 1, 2, True), TypeError, r"optval must be an int, not bool"),
    # the hot procs' fast paths hand the handle to C unchecked: every way past them
    ("send", (True, b"x"), TypeError, r"a socket handle must be an int, not bool"),
    ("send", (-1, b"x"), ValueError, r"invalid socket handle -1"),
    ("send", (HANDLE_MAX + 1, b"x"), ValueError, rf"invalid socket handle {HANDLE_MAX + 1}"),
    ("send", (1.5, bytearray(3)), TypeError, r"a socket handle must be an int, not float"),
    ("send", (h, b"x", None, False), TypeError, r"flags must be an int, not bool"),
    ("send", (h, b"x", None, 2**40), ValueError, r"flags out of range \[-2147483648"),
    ("send", (h, b"x", True), TypeError, r"length must be an int, not bool"),
    ("send", (h, bytearray(3), -1), ValueError, r"length out of range \[0, 3\]: -1"),
    ("recv", (False, bytearray(3)), TypeError, r"a socket handle must be an int, not bool"),
    ("recv", (HANDLE_MAX + 1, bytearray(3)), ValueError, r"invalid socket handle"),
    ("recv", (h, bytearray(3), None, True), TypeError, r"flags must be an int, not bool"),
    ("recv", (h, bytearray(3), -2), ValueError, r"length out of range \[0, 3\]: -2"),
    ("sendto", (True, b"x", None, 0, SA()), TypeError, r"a socket handle must be an int, not"),
    ("sendto", (u, b"x", None, 2**40, SA()), ValueError, r"flags out of range"),
    ("sendto", (u, b"x", 5, 0, SA()), ValueError, r"length out of range \[0, 1\]: 5"),
    ("recvfrom", (-5, bytearray(3)), ValueError, r"invalid socket handle -5"),
    ("recvfrom", ("3", bytearray(3)), TypeError, r"a socket handle must be an int, not str"),
    ("recvfrom", (u, bytearray(3), None, False), TypeError, r"flags must be an int, not bool"),
    ("getSockOptInt", (True, 1, 2), TypeError, r"a socket handle must be an int, not bool"),
    ("getSockOptInt", (h, True, 2), TypeError, r"level must be an int, not bool"),
    ("getSockOptInt", (HANDLE_MAX + 1, 1, 2), ValueError, r"invalid socket handle"),
    ("setSockOptInt", (-3, 1, 2, 3), ValueError, r"invalid socket handle -3"),
    ("setSockOptInt", ("x", 1, 2, 3), TypeError, r"a socket handle must be an int, not str"),
    ("setBlocking", (False, True), TypeError, r"a socket handle must be an int, not bool"),
    ("setBlocking", (-1, True), ValueError, r"invalid socket handle -1"),
    ("setBlocking", (HANDLE_MAX + 1, False), ValueError, r"invalid socket handle"),
    ("setBlocking", (h, None), TypeError, r"blocking must be a bool, not NoneType"),
    ("getLocalAddr", (h, "AF_INET"), TypeError, r"domain must be a Domain or its number"),
    ("getPeerAddr", (h, None), TypeError, r"domain must be a Domain or its number"),
    ("getSockName", ("x",), TypeError, r"a socket handle must be an int, not str"),
    ("getSockDomain", (-1,), ValueError, r"invalid socket handle -1"),
    ("selectRead", ((h,),), TypeError, r"the handles must be a list of ints, not tuple"),
    ("selectRead", ([h, "x"],), TypeError, r"a socket handle must be an int, not str"),
    ("selectRead", ([HANDLE_MAX + 1],), ValueError, rf"invalid socket handle {HANDLE_MAX + 1}"),
    ("selectRead", ([h, -3],), ValueError, r"invalid socket handle -3 in the list"),
    ("selectRead", ([True],), TypeError, r"a socket handle must be an int, not bool"),
    ("selectWrite", ([h], "x"), TypeError, r"timeout must be an int, not str"),
    ("selectWrite", ([h], -7), ValueError, r"timeout out of range \[-1, 2147483647\]: -7"),
    ("sendMany", (u, "abc"), TypeError, r"buffers must be a list or tuple, not str"),
    ("sendMany", (u, ["abc"]), TypeError, r"every buffer must be a bytes-like object.*not str"),
    ("sendMany", (u, [b"x"], [SA(), SA()]), ValueError, r"to must hold one SockAddr per buffer"),
    ("sendMany", (u, [b"x"], [("a", 9)]), TypeError, r"every address in to must be a SockAddr"),
    ("recvMany", (u, [bytearray(3)], None), TypeError, r"lengths must be a list"),
    ("recvMany", (u, [b"abc"], []), TypeError, r"every buffer must be a writable.*not bytes"),
    ("recvMany", (u, [bytearray(3)], [], [SA()] * 2), ValueError, r"addresses must hold one"),
    ("recvMany", (u, [bytearray(3)], [], None, 0, ()), TypeError, r"msgFlags must be a list"),
    ("getAddrInfo", (None, "80"), TypeError, r"port must be an int, not str"),
    ("getAddrInfo", ("x", 70000), ValueError, r"port out of range \[0, 65535\]: 70000"),
    ("getAddrInfo", ("x", 80, "AF_INET"), TypeError, r"domain must be a Domain \(AF_"),
    ("getAddrInfo", ("x", 80, 12345), ValueError, r"unknown domain 12345: not one of AF_"),
    ("getAddrInfo", ("x", 80, 2, 1, 12345), ValueError, r"unknown protocol 12345: not one of"),
    ("getAddrInfo", ("x", 80, 2, 1, None, "x"), TypeError, r"flags must be an int, not str"),
    ("getAddrInfo", (1234, 80), TypeError, r"address must be str or bytes, not int"),
    ("getAddrInfo", (b"x\0", 80), ValueError, r"address must not contain NUL bytes"),
    ("freeAddrInfo", ("x",), TypeError, r"ai must be an AddrInfo from getAddrInfo, not str"),
    ("freeaddrinfo", (None,), TypeError, r"ai must be an AddrInfo from getAddrInfo"),
    ("getAddrString", ("127.0.0.1",), TypeError, r"sockAddr " + ADDRESS + r".*not str"),
    ("getAddrString", (SA(), bytearray(3)), ValueError, r"strAddress must have length 46"),
    ("getAddrString", (SA(), "x"), TypeError, r"strAddress must be a bytearray\(46\), not str"),
    ("makeUnixAddr", (b"a\0b",), ValueError, r"path must not contain NUL bytes"),
    ("makeUnixAddr", (1,), TypeError, r"path must be str, bytes or a path-like object, not int"),
    ("makeUnixAddr", ("x" * 200,), ValueError, r"socket path too long: 200 bytes, at most"),
    ("Sockaddr_un", (None,), TypeError, r"path must be str, bytes or a path-like object"),
    ("Sockaddr_in", ("x", 80), ValueError, r"address must be IPv4 text such as '127.0.0.1'"),
    ("Sockaddr_in", ("127.0.0.1", 70000), ValueError, r"port out of range \[0, 65535\]"),
    ("Sockaddr_in", (1, 2), TypeError, r"address must be str or bytes, not int"),
    ("Sockaddr_in6", ("x", 80), ValueError, r"address must be IPv6 text such as '::1'"),
    ("Sockaddr_in6", ("::1", 0, -1), ValueError, r"flowinfo out of range \[0, 4294967295\]"),
    ("Sockaddr_in6", ("::1", 0, 0, "1"), TypeError, r"scope_id must be an int, not str"),
    ("SockAddr", (1,), TypeError, r"data must be the address's raw bytes"),
    ("SockAddr", (bytes(300),), ValueError, r"a socket address holds at most \d+ bytes, got 300"),
    ("Sockaddr_storage", ("x",), TypeError, r"data must be the address's raw bytes"),
    ("AddrInfo", (), TypeError, r"an AddrInfo comes from getAddrInfo\(\); none is made"),
    ("Port", ("80",), TypeError, r"port must be an int, not str"),
    ("Port", (-1,), ValueError, r"port out of range \[0, 65535\]: -1"),
    ("getServByName", (1, "tcp"), TypeError, r"name must be str or bytes, not int"),
    ("getServByName", ("http", None), TypeError, r"proto must be str or bytes, not NoneType"),
    ("getServByPort", ("80", "tcp"), TypeError, r"port must be an int, not str"),
    ("getServByPort", (Port_out, "tcp"), ValueError, r"port out of range"),
    ("getProtoByName", ("a\0",), ValueError, r"name must not contain NUL bytes"),
    ("getHostByName", (None,), TypeError, r"name must be str or bytes, not NoneType"),
    ("getHostByAddr", (None,), TypeError, r"ip must be str or bytes, not NoneType"),
    ("getHostByAddr", ("x",), ValueError, r"ip must be IPv4 or IPv6 text such as '127.0.0.1'"),
    ("inet_ntoa", ("x",), TypeError, r"in_addr must be an int, not str"),
    ("inet_ntoa", (-1,), ValueError, r"in_addr out of range \[0, 4294967295\]: -1"),
    ("toInt", ("x",), TypeError, r"value must be a Domain, SockType or Protocol, not str"),
    ("toKnownDomain", ("x",), TypeError, r"family must be an int, not str"),
    ("toSockType", (1,), TypeError, r"protocol must be a Protocol, not int"),
    ("raiseOSError", ("x",), TypeError, r"code must be an int, not str"),
]
if WINDOWS:
    TABLE += [
        ("ioctlsocket", (h, 1, b"abcd"), TypeError, r"argptr must be a writable"),
        ("ioctlsocket", (h, 1, bytearray(2)), ValueError, r"argptr holds 2 bytes, a u_long"),
        ("ioctlsocket", (h, "x", bytearray(4)), TypeError, r"cmd must be an int, not str"),
    ]
else:
    TABLE += [
        ("fcntl", (h, "x"), TypeError, r"cmd must be an int, not str"),
        ("fcntl", (h, 5, 0), ValueError, r"command 5 does not take an int argument"),
        ("fcntl", (h, 1, 2**40), ValueError, r"arg out of range \[-2147483648, 2147483647\]"),
    ]

# Public callables with no argument to get wrong, or whose errors are not this table's.
NO_ARGUMENTS = {"getHostname", "osLastError"}
TYPES_ONLY = {"Domain", "SockType", "Protocol", "Servent", "Hostent", "SockLen", "SocketHandle"}
# The byte-order functions: their errors are the C conversions' (see test_types.py).
BYTE_ORDER = {"ntohl", "ntohs", "htonl", "htons"}


# An alias names the proc it is (the same function object).
ALIASES = {"freeaddrinfo": "freeAddrInfo"}


def public(name: str) -> Callable[..., Any]:
    return getattr(ns, name) if hasattr(ns, name) else getattr(ns.sockets, name)


@pytest.fixture(scope="module", autouse=True)
def _sockets() -> Iterator[None]:
    yield
    _tcp.close()
    _udp.close()


@pytest.mark.parametrize(("proc", "args", "kind", "message"), TABLE)
def test_argument_errors_name_the_proc_and_what_is_right(
    proc: str, args: tuple[Any, ...], kind: type[Exception], message: str
) -> None:
    with pytest.raises(kind) as info:
        public(proc)(*args)
    text = str(info.value)
    name = ALIASES.get(proc, proc)
    assert re.match(re.escape(f"{name}(): ") + message, text), text
    assert not any(word in text for word in FOREIGN), text


def test_the_table_covers_every_public_callable() -> None:
    callables = {n for n in ns.__all__ if callable(getattr(ns, n))}
    covered = {proc for proc, *_ in TABLE}
    assert callables - covered - NO_ARGUMENTS - TYPES_ONLY - BYTE_ORDER == set()


def test_the_proc_called_is_named_not_a_helper_it_uses() -> None:
    """getAddrInfo(host, 70000) builds a Port on the way: the error names getAddrInfo."""
    with pytest.raises(ValueError, match=r"^getAddrInfo\(\): port out of range"):
        ns.getAddrInfo("x", 70000)
    with pytest.raises(ValueError, match=r"^Sockaddr_un\(\): path must not contain NUL"):
        ns.Sockaddr_un(b"a\0b")

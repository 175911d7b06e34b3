"""The package exports every public name of Nim's nativesockets (the seed docs and issue 2,
item 2), lists each in __all__, and on each platform exports the names Nim's module has there
only (posix: fcntl and its flags, the errno values; winlean: ioctlsocket, the WSAE* codes) and
leaves out the other platform's."""

from __future__ import annotations

import sys

import pytest

import nativesockets as ns

TYPES = ["Port", "Domain", "SockType", "Protocol", "Servent", "Hostent", "AddrInfo",
         "SockAddr", "Sockaddr_in", "Sockaddr_in6", "Sockaddr_storage", "Sockaddr_un"]  # fmt: skip
ALIASES = ["SocketHandle", "SockLen"]  # int on POSIX
PROCS = [
    # the seed's procs and templates
    "toInt", "toKnownDomain", "toSockType", "getProtoByName", "close", "setInheritable",
    "createNativeSocket", "bindAddr", "listen", "getAddrInfo", "ntohl", "ntohs", "htonl",
    "htons", "getServByName", "getServByPort", "getHostByAddr", "getHostByName",
    "getHostname", "getSockDomain", "getAddrString", "getSockName", "getLocalAddr",
    "getPeerAddr", "getSockOptInt", "setSockOptInt", "setBlocking", "selectRead",
    "selectWrite", "accept",
    # the seed's exports
    "inet_ntoa", "recv", "connect", "send", "recvfrom", "sendto", "freeaddrinfo",
    "freeAddrInfo",
    # the error procs Nim users pair with it
    "makeUnixAddr", "osLastError", "raiseOSError",
]  # fmt: skip
CONSTANTS = [
    "IOCPARM_MASK", "IOC_IN", "FIONBIO", "osInvalidSocket", "INADDR_ANY", "SO_ERROR",
    "SOL_SOCKET", "SOMAXCONN", "SO_ACCEPTCONN", "SO_BROADCAST", "SO_DEBUG", "SO_DONTROUTE",
    "SO_KEEPALIVE", "SO_OOBINLINE", "SO_REUSEADDR", "MSG_PEEK", "Sockaddr_un_path_length",
]  # fmt: skip
# SO_REUSEPORT (not on illumos) and SO_NOSIGPIPE (macOS) exist where the system has them:
# tests/test_platforms.py
ENUM_MEMBERS = [
    "AF_UNSPEC", "AF_UNIX", "AF_INET", "AF_INET6",
    "SOCK_STREAM", "SOCK_DGRAM", "SOCK_RAW", "SOCK_SEQPACKET",
    "IPPROTO_TCP", "IPPROTO_UDP", "IPPROTO_IP", "IPPROTO_IPV6", "IPPROTO_RAW", "IPPROTO_ICMP",
    "IPPROTO_ICMPV6",
]  # fmt: skip
# the real module's exports from its posix import, and from winlean
POSIX_ONLY = [
    "fcntl", "F_GETFL", "F_SETFL", "O_NONBLOCK", "EAGAIN", "EWOULDBLOCK", "MSG_NOSIGNAL",
    "EINTR", "EINPROGRESS", "ECONNRESET", "EPIPE", "ENETRESET", "EBADF",
]  # fmt: skip
WINDOWS_ONLY = [
    "ioctlsocket", "WSAEWOULDBLOCK", "WSAECONNRESET", "WSAECONNABORTED", "WSAENETRESET",
    "WSANOTINITIALISED", "WSAENOTSOCK", "WSAEINPROGRESS", "WSAEINTR", "WSAEDISCON",
    "ERROR_NETNAME_DELETED",
]  # fmt: skip
WINDOWS = sys.platform == "win32"
# this platform's own names, and the other platform's
OWN, OTHERS = (WINDOWS_ONLY, POSIX_ONLY) if WINDOWS else (POSIX_ONLY, WINDOWS_ONLY)
OWN_PROC = "ioctlsocket" if WINDOWS else "fcntl"

ALL_NAMES = TYPES + ALIASES + PROCS + CONSTANTS + ENUM_MEMBERS + OWN


@pytest.mark.parametrize("name", ALL_NAMES)
def test_name_is_exported_and_in___all__(name: str) -> None:
    assert hasattr(ns, name)
    assert name in ns.__all__


@pytest.mark.parametrize("name", TYPES)
def test_types_are_classes(name: str) -> None:
    assert isinstance(getattr(ns, name), type)


@pytest.mark.parametrize("name", ALIASES)
def test_aliases_are_int(name: str) -> None:
    assert getattr(ns, name) is int


@pytest.mark.parametrize("name", [*PROCS, OWN_PROC])
def test_procs_are_callable(name: str) -> None:
    proc = getattr(ns, name)
    assert callable(proc) and not isinstance(proc, type)


@pytest.mark.parametrize("name", CONSTANTS + [n for n in OWN if n != OWN_PROC])
def test_constants_are_ints(name: str) -> None:
    assert type(getattr(ns, name)) is int


@pytest.mark.parametrize("name", ENUM_MEMBERS)
def test_enum_members_are_the_enums(name: str) -> None:
    value = getattr(ns, name)
    assert value is getattr(type(value), name)
    assert type(value) in (ns.Domain, ns.SockType, ns.Protocol)


def test_sockaddr_constructors_make_SockAddr() -> None:
    for cls in (ns.Sockaddr_in, ns.Sockaddr_in6, ns.Sockaddr_storage, ns.Sockaddr_un):
        assert issubclass(cls, ns.SockAddr)


def test_port_has_nims_operators() -> None:
    # Nim's `==` and `$` for Port
    assert "__str__" in vars(ns.Port) and "__repr__" in vars(ns.Port)
    assert (ns.Port(80) == ns.Port(80)) is True
    assert str(ns.Port(80)) == "80"


@pytest.mark.parametrize("name", OTHERS)
def test_the_other_platforms_names_are_absent(name: str) -> None:
    assert not hasattr(ns, name)
    assert name not in ns.__all__


def test___all__names_exist_once() -> None:
    assert len(ns.__all__) == len(set(ns.__all__))
    missing = [n for n in ns.__all__ if not hasattr(ns, n)]
    assert missing == []
    assert all(not n.startswith("_") for n in ns.__all__)


def test_star_import_gives___all__() -> None:
    namespace: dict[str, object] = {}
    exec("from nativesockets import *", namespace)
    namespace.pop("__builtins__")
    assert set(namespace) == set(ns.__all__)

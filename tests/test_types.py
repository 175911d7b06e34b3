"""Port, Domain, SockType, Protocol, toInt, toKnownDomain, toSockType, Servent, Hostent, and
the byte-order conversions."""

from __future__ import annotations

import dataclasses
import socket
import struct
import sys
from collections.abc import Callable
from typing import Any

import pytest

import nativesockets as ns

# Native numbers the stdlib's socket module does not export on this platform: Windows
# CPython has no AF_UNIX, whose value in winsock2.h/afunix.h is 1.
NOT_IN_STDLIB = {"AF_UNIX": 1} if sys.platform == "win32" else {}


def stdlib_number(name: str) -> int:
    """The platform's number for a socket constant, from the stdlib where it has it."""
    return int(getattr(socket, name)) if hasattr(socket, name) else NOT_IN_STDLIB[name]


class Index:
    """An int-like object that is not an int (as numpy integers are)."""

    def __init__(self, value: int) -> None:
        self.value = value

    def __index__(self) -> int:
        return self.value


# --- Port ----------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [0, 1, 80, 443, 8080, 65535])
def test_port_holds_its_number(value: int) -> None:
    p = ns.Port(value)
    assert isinstance(p, int)
    assert type(p) is ns.Port
    assert int(p) == value
    assert str(p) == str(value)  # Nim's `$`
    assert repr(p) == f"Port({value})"
    assert p == value and p == ns.Port(value)  # Nim's `==`
    assert hash(p) == hash(value)


def test_port_default_and_conversions() -> None:
    assert ns.Port() == 0
    assert ns.Port(ns.Port(80)) == 80
    assert ns.Port(Index(22)) == 22
    assert f"{ns.Port(80)}" == "80"
    assert ns.Port(80) != ns.Port(81)
    assert {ns.Port(80): "http"}[80] == "http"


@pytest.mark.parametrize(
    ("value", "error"),
    [
        (-1, ValueError),
        (65536, ValueError),
        (2**64, ValueError),
        (-(2**64), ValueError),
        (Index(70000), ValueError),
        ("80", TypeError),
        (b"80", TypeError),
        (80.0, TypeError),
        (None, TypeError),
        (True, TypeError),
        ([80], TypeError),
    ],
)
def test_port_rejects(value: object, error: type[Exception]) -> None:
    with pytest.raises(error):
        ns.Port(value)  # type: ignore[arg-type]


# --- enums: the platform's native numbers -------------------------------------------------

ENUM_MEMBERS = [
    (ns.Domain, "AF_UNSPEC"),
    (ns.Domain, "AF_UNIX"),
    (ns.Domain, "AF_INET"),
    (ns.Domain, "AF_INET6"),
    (ns.SockType, "SOCK_STREAM"),
    (ns.SockType, "SOCK_DGRAM"),
    (ns.SockType, "SOCK_RAW"),
    (ns.SockType, "SOCK_SEQPACKET"),
    (ns.Protocol, "IPPROTO_TCP"),
    (ns.Protocol, "IPPROTO_UDP"),
    (ns.Protocol, "IPPROTO_IP"),
    (ns.Protocol, "IPPROTO_IPV6"),
    (ns.Protocol, "IPPROTO_RAW"),
    (ns.Protocol, "IPPROTO_ICMP"),
    (ns.Protocol, "IPPROTO_ICMPV6"),
]


@pytest.mark.parametrize(("enum", "name"), ENUM_MEMBERS)
def test_enum_value_is_the_stdlib_number(enum: type, name: str) -> None:
    member = enum[name]
    native = stdlib_number(name)
    assert member == native
    assert member.value == int(native)
    assert ns.toInt(member) == native
    assert type(ns.toInt(member)) is int
    # Nim code names the members unqualified: they are module attributes too.
    assert getattr(ns, name) is member


def test_enums_have_exactly_nims_members() -> None:
    assert [d.name for d in ns.Domain] == ["AF_UNSPEC", "AF_UNIX", "AF_INET", "AF_INET6"]
    assert [t.name for t in ns.SockType] == [
        "SOCK_STREAM",
        "SOCK_DGRAM",
        "SOCK_RAW",
        "SOCK_SEQPACKET",
    ]
    assert [p.name for p in ns.Protocol] == [
        "IPPROTO_TCP",
        "IPPROTO_UDP",
        "IPPROTO_IP",
        "IPPROTO_IPV6",
        "IPPROTO_RAW",
        "IPPROTO_ICMP",
        "IPPROTO_ICMPV6",
    ]


@pytest.mark.parametrize("value", [2, socket.AF_INET, "AF_INET", None, 2.0, ns.Port(2)])
def test_toInt_takes_only_the_enums(value: object) -> None:
    with pytest.raises(TypeError):
        ns.toInt(value)  # type: ignore[arg-type]


@pytest.mark.parametrize("domain", list(ns.Domain))
def test_toKnownDomain_round_trips(domain: ns.Domain) -> None:
    assert ns.toKnownDomain(ns.toInt(domain)) is domain
    assert ns.toKnownDomain(stdlib_number(domain.name)) is domain


@pytest.mark.parametrize(
    "family", [-1, 12345, 2**31 - 1, -(2**31), int(getattr(socket, "AF_PACKET", 17))]
)
def test_toKnownDomain_gives_None_for_other_families(family: int) -> None:
    assert family not in {int(d) for d in ns.Domain}
    assert ns.toKnownDomain(family) is None


@pytest.mark.parametrize(
    ("value", "error"),
    [
        ("2", TypeError),
        (2.0, TypeError),
        (None, TypeError),
        (True, TypeError),
        (2**31, ValueError),
        (-(2**31) - 1, ValueError),
    ],
)
def test_toKnownDomain_rejects(value: object, error: type[Exception]) -> None:
    with pytest.raises(error):
        ns.toKnownDomain(value)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("protocol", "expected"),
    [
        (ns.IPPROTO_TCP, ns.SOCK_STREAM),
        (ns.IPPROTO_UDP, ns.SOCK_DGRAM),
        (ns.IPPROTO_IP, ns.SOCK_RAW),
        (ns.IPPROTO_IPV6, ns.SOCK_RAW),
        (ns.IPPROTO_RAW, ns.SOCK_RAW),
        (ns.IPPROTO_ICMP, ns.SOCK_RAW),
        (ns.IPPROTO_ICMPV6, ns.SOCK_RAW),
    ],
)
def test_toSockType(protocol: ns.Protocol, expected: ns.SockType) -> None:
    assert ns.toSockType(protocol) is expected


@pytest.mark.parametrize("value", [6, int(socket.IPPROTO_TCP), "IPPROTO_TCP", None, ns.SOCK_STREAM])
def test_toSockType_takes_only_a_Protocol(value: object) -> None:
    with pytest.raises(TypeError):
        ns.toSockType(value)  # type: ignore[arg-type]


def test_handle_and_length_types_are_int() -> None:
    assert ns.SocketHandle is int
    assert ns.SockLen is int


# --- Servent, Hostent ----------------------------------------------------------------------


def test_servent_fields_and_frozen() -> None:
    s = ns.Servent("http", ["www"], ns.Port(80), "tcp")
    assert [f.name for f in dataclasses.fields(s)] == ["name", "aliases", "port", "proto"]
    assert (s.name, s.aliases, s.port, s.proto) == ("http", ["www"], 80, "tcp")
    assert s == ns.Servent("http", ["www"], ns.Port(80), "tcp")
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.port = ns.Port(81)  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.name = "https"  # type: ignore[misc]


def test_hostent_fields_and_frozen() -> None:
    h = ns.Hostent("localhost", [], ns.AF_INET, 4, ["127.0.0.1"])
    assert [f.name for f in dataclasses.fields(h)] == [
        "name",
        "aliases",
        "addrtype",
        "length",
        "addrList",
    ]
    assert h.addrList == ["127.0.0.1"] and h.addrtype is ns.AF_INET and h.length == 4
    with pytest.raises(dataclasses.FrozenInstanceError):
        h.addrList = []  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        h.length = 16  # type: ignore[misc]


# --- byte order ------------------------------------------------------------------------------

VALUES_16 = [0, 1, 0x00FF, 0x0102, 0x8000, 0xFFFF, 80, 443]
VALUES_32 = [0, 1, 0x01020304, 0x7F000001, 0x80000000, 0xFFFFFFFF, 0xDEADBEEF]


@pytest.mark.parametrize("value", VALUES_16)
@pytest.mark.parametrize("name", ["htons", "ntohs"])
def test_16_bit_byte_order(name: str, value: int) -> None:
    f = getattr(ns, name)
    assert f(value) == getattr(socket, name)(value)
    assert f(value) == struct.unpack("=H", struct.pack("!H", value))[0]
    assert f(f(value)) == value


@pytest.mark.parametrize("value", VALUES_32)
@pytest.mark.parametrize("name", ["htonl", "ntohl"])
def test_32_bit_byte_order(name: str, value: int) -> None:
    f = getattr(ns, name)
    assert f(value) == getattr(socket, name)(value)
    assert f(value) == struct.unpack("=I", struct.pack("!I", value))[0]
    assert f(f(value)) == value


class IntLike:
    def __init__(self, value: int) -> None:
        self.value = value

    def __index__(self) -> int:
        return self.value


class IntConvertible:  # int() takes it; an int argument does not (no __index__)
    def __int__(self) -> int:
        return 80


BYTE_ORDER = [("htons", 16), ("ntohs", 16), ("htonl", 32), ("ntohl", 32)]
# One behaviour on every interpreter (CPython 3.14 changed the stdlib's for a negative value
# to ValueError; the package keeps OverflowError there too).
# (what, the value for a function of `top` (its largest valid value), the exception)
BAD_BYTE_ORDER: list[tuple[str, Callable[[int], Any], type[Exception]]] = [
    ("negative", lambda top: -1, OverflowError),
    ("negative int-like", lambda top: IntLike(-1), OverflowError),
    ("very negative", lambda top: -(2**70), OverflowError),
    ("one too big", lambda top: top + 1, OverflowError),
    ("too big int-like", lambda top: IntLike(top + 1), OverflowError),
    ("2**64", lambda top: 2**64, OverflowError),
    ("2**70", lambda top: 2**70, OverflowError),
    ("float", lambda top: 1.0, TypeError),
    ("str", lambda top: "80", TypeError),
    ("None", lambda top: None, TypeError),
    ("bytes", lambda top: b"\x00\x50", TypeError),
    ("__int__ only", lambda top: IntConvertible(), TypeError),
]


@pytest.mark.parametrize(("name", "bits"), BYTE_ORDER)
@pytest.mark.parametrize(
    ("what", "make", "error"), BAD_BYTE_ORDER, ids=[b[0] for b in BAD_BYTE_ORDER]
)
def test_byte_order_rejects(
    name: str, bits: int, what: str, make: Callable[[int], Any], error: type
) -> None:
    with pytest.raises(Exception) as info:
        getattr(ns, name)(make(2**bits - 1))
    assert type(info.value) is error, (what, info.value)  # the type itself, no subclass


@pytest.mark.parametrize(("name", "bits"), BYTE_ORDER)
def test_byte_order_takes_ints_bools_and_int_likes(name: str, bits: int) -> None:
    f = getattr(ns, name)
    swap = "=H" if bits == 16 else "=I"
    net = "!H" if bits == 16 else "!I"
    for value in (0, 1, 80, 2**bits - 1):
        want = struct.unpack(swap, struct.pack(net, value))[0]
        assert f(value) == want
        assert f(IntLike(value)) == want
        assert type(f(IntLike(value))) is int
    assert f(True) == f(1) and f(False) == 0
    assert f(ns.Port(443)) == f(443)


def test_byte_order_functions_are_the_fastest_c_ones() -> None:
    # The C function itself where it keeps the contract (CPython 3.10-3.13's ntohs and
    # htons), else a wrapper around it; the stdlib's on CPython (they keep the GIL; a cffi
    # call releases it), cffi's on PyPy (its JIT inlines them).
    stdlib = sys.implementation.name == "cpython"
    for name in ("ntohl", "ntohs", "htonl", "htons"):
        f = getattr(ns, name)
        c = getattr(f, "__wrapped__", f)
        assert (c is getattr(socket, name)) is stdlib
        assert f.__name__ == name and f.__doc__ == c.__doc__
    if stdlib and (3, 10) <= sys.version_info < (3, 14):
        assert ns.ntohs is socket.ntohs and ns.htons is socket.htons

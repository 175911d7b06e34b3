"""Port, Domain, SockType, Protocol, Servent, Hostent and their conversions."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from nativesockets._ffi import lib
from nativesockets.errors import _proc, c_int

SocketHandle = int
"""A socket handle: the file descriptor on POSIX, the SOCKET value on Windows."""

SockLen = int
"""The length of a socket address, as ``socklen_t``."""


class Port(int):
    """A port number, 0..65535 (Nim's ``distinct uint16``).

    ``str(Port(80)) == "80"``; ``repr`` shows ``Port(80)``; compares as an int. No system
    call. Raises ValueError out of range, TypeError for a non-int.

    Differs from Nim: an out-of-range value raises instead of wrapping (README, Differences
    from Nim, row 14).
    """

    __slots__ = ()

    def __new__(cls, value: int = 0) -> Port:
        if type(value) is not int:
            value = c_int(value, "port", 0, 65535)
        elif not 0 <= value <= 65535:
            raise ValueError(f"{_proc()}port out of range [0, 65535]: {value}")
        return int.__new__(cls, value)

    def __repr__(self) -> str:
        return f"Port({int(self)})"

    def __str__(self) -> str:
        return int.__repr__(self)


class Domain(enum.IntEnum):
    """Address families, with this platform's native numbers.

    Differs from Nim: Nim's ordinals are fixed (AF_INET6 is 23) and ``toInt`` converts; here
    the values are the native numbers (README, Differences from Nim, row 18).
    """

    AF_UNSPEC = lib.AF_UNSPEC
    AF_UNIX = lib.AF_UNIX
    AF_INET = lib.AF_INET
    AF_INET6 = lib.AF_INET6


class SockType(enum.IntEnum):
    """Socket types, with this platform's native numbers."""

    SOCK_STREAM = lib.SOCK_STREAM
    SOCK_DGRAM = lib.SOCK_DGRAM
    SOCK_RAW = lib.SOCK_RAW
    SOCK_SEQPACKET = lib.SOCK_SEQPACKET


class Protocol(enum.IntEnum):
    """IP protocols, with this platform's native numbers."""

    IPPROTO_TCP = lib.IPPROTO_TCP
    IPPROTO_UDP = lib.IPPROTO_UDP
    IPPROTO_IP = lib.IPPROTO_IP
    IPPROTO_IPV6 = lib.IPPROTO_IPV6
    IPPROTO_RAW = lib.IPPROTO_RAW
    IPPROTO_ICMP = lib.IPPROTO_ICMP
    IPPROTO_ICMPV6 = lib.IPPROTO_ICMPV6


_DOMAINS = {int(d): d for d in Domain}
_SOCKTYPES = {
    Protocol.IPPROTO_TCP: SockType.SOCK_STREAM,
    Protocol.IPPROTO_UDP: SockType.SOCK_DGRAM,
}


_TCP, _UDP, _ANY = Protocol.IPPROTO_TCP, Protocol.IPPROTO_UDP, Protocol(0)  # 0: any
_INET, _INET6, _UNSPEC = Domain.AF_INET, Domain.AF_INET6, Domain.AF_UNSPEC
_STREAM, _DGRAM = SockType.SOCK_STREAM, SockType.SOCK_DGRAM


def fitting_protocol(domain: object, sockType: object) -> Protocol:
    """The protocol a call uses when the caller leaves it out: TCP for an IP stream socket,
    UDP for an IP datagram socket (AF_UNSPEC counting as IP), else 0 (the system's choice:
    a Unix socket's only one). Not checked here: an argument of the wrong type gives 0, and
    the call's own checks reject it. (== and not a dict: hashing an enum runs Python code.)"""
    if domain == _INET or domain == _INET6 or domain == _UNSPEC:
        if sockType == _STREAM:
            return _TCP
        if sockType == _DGRAM:
            return _UDP
    return _ANY


def toInt(value: Domain | SockType | Protocol) -> int:
    """The platform's native number for a Domain, SockType or Protocol: no system call.

    Raises TypeError for another type.

    Differs from Nim: the enums already hold the native numbers, so this is ``int(value)``
    (README, Differences from Nim, row 18).
    """
    if not isinstance(value, (Domain, SockType, Protocol)):
        raise TypeError(
            f"toInt(): value must be a Domain, SockType or Protocol, not {type(value).__name__}"
        )
    return int(value)


def toKnownDomain(family: int) -> Domain | None:
    """The Domain whose native number is ``family``, or None if it is not one of them.

    No system call. Raises TypeError or ValueError if ``family`` is not a C int.
    """
    return _DOMAINS.get(c_int(family, "family"))


def toSockType(protocol: Protocol) -> SockType:
    """SOCK_STREAM for TCP, SOCK_DGRAM for UDP, SOCK_RAW for every other protocol.

    No system call. Raises TypeError if ``protocol`` is not a Protocol.
    """
    if not isinstance(protocol, Protocol):
        raise TypeError(f"toSockType(): protocol must be a Protocol, not {type(protocol).__name__}")
    return _SOCKTYPES.get(protocol, SockType.SOCK_RAW)


@dataclass(frozen=True)
class Servent:
    """A service database entry; ``port`` is in host byte order."""

    name: str
    aliases: list[str]
    port: Port
    proto: str


@dataclass(frozen=True)
class Hostent:
    """A host database entry; ``addrList`` holds the addresses as text."""

    name: str
    aliases: list[str]
    addrtype: Domain
    length: int
    addrList: list[str]

"""Nim's ``nativesockets`` module for Python: a low-level, cross-platform sockets layer.

Every name of Nim's module is here with the same spelling; the mapping is in the README.

Each proc's docstring names the system call it makes on POSIX and on Windows, its errors,
and its difference from Nim, citing the row of the README's "Differences from Nim". A proc
that fails returns -1 (or ``osInvalidSocket``) with ``osLastError()`` set (``errno`` on
POSIX, ``WSAGetLastError()`` on Windows), or raises OSError where its docstring says so.
Bad arguments raise TypeError or ValueError before any C call (README, Differences from
Nim, row 14).

A call works only on what it took at entry. Each container argument (the handle list of
``selectRead``/``selectWrite``, the buffer and address lists of ``sendMany``/``recvMany``)
is read once, into one snapshot, which gives the count, the C arrays and what is written
back; every object whose memory C reads or writes (a buffer, through its export; a
SockAddr) stays referenced until C returns, across retries after a signal. Whatever changes
an argument during the call (another thread, a signal handler, an ``__index__`` or
``__buffer__`` method, a finalizer) gets a correct result from the snapshot or a clean
exception, never a crash or a write outside the caller's objects. None of this relies on
the GIL. An ``AddrInfo`` list is freed for reading by ``freeAddrInfo``, its memory when
the last node object of it goes; it cannot be copied or pickled (TypeError). ``copy``,
``deepcopy`` and ``pickle`` of a SockAddr give an independent object.

``ntohl``, ``ntohs``, ``htonl`` and ``htons`` are C functions: on CPython the stdlib's own
(``socket.ntohl``...: no system call, so no GIL to release, three times as fast as a cffi
call), on PyPy the system's through cffi (``ntohl(3)`` on POSIX, ``ntohl`` from Winsock on
Windows), whose JIT inlines them; each keeps the C function's docstring. They behave the
same on every interpreter: an int, a bool or an int-like object (``__index__``) in range
(16 bits for ``ntohs``/``htons``, 32 for ``ntohl``/``htonl``) converts; a negative or too
large value raises OverflowError; anything else (a float, a str, an object with only
``__int__``) raises TypeError (README, Differences from Nim, row 14). Where the C function
does not already do exactly that (CPython 3.14's raise ValueError for a negative value,
3.10-3.13's ``ntohl``/``htonl`` refuse int-likes, cffi's take ``__int__``), a thin wrapper
(``__wrapped__``: the C function) makes it so.
"""

import operator as _operator
import socket as _socket
import sys as _sys
from collections.abc import Callable
from typing import Any

from nativesockets import constants as _constants
from nativesockets._ffi import lib as _lib
from nativesockets.addresses import (
    INADDR_ANY,
    AddrInfo,
    SockAddr,
    Sockaddr_in,
    Sockaddr_in6,
    Sockaddr_storage,
    Sockaddr_un,
    Sockaddr_un_path_length,
    freeAddrInfo,
    freeaddrinfo,
    getAddrInfo,
    getAddrString,
    inet_ntoa,
    makeUnixAddr,
)
from nativesockets.batch import recvMany, sendMany
from nativesockets.constants import *  # noqa: F403
from nativesockets.errors import osLastError, raiseOSError
from nativesockets.netdb import (
    getHostByAddr,
    getHostByName,
    getHostname,
    getProtoByName,
    getServByName,
    getServByPort,
)
from nativesockets.sockets import (
    accept,
    bindAddr,
    close,
    connect,
    createNativeSocket,
    getLocalAddr,
    getPeerAddr,
    getSockDomain,
    getSockName,
    getSockOptInt,
    listen,
    osInvalidSocket,
    recv,
    recvfrom,
    selectRead,
    selectWrite,
    send,
    sendto,
    setBlocking,
    setInheritable,
    setSockOptInt,
    shutdown,
)
from nativesockets.types import (
    Domain,
    Hostent,
    Port,
    Protocol,
    Servent,
    SocketHandle,
    SockLen,
    SockType,
    toInt,
    toKnownDomain,
    toSockType,
)

# The procs Nim exports on one platform only: fcntl from posix, ioctlsocket from winlean.
if _lib.NS_WINDOWS:
    from nativesockets.sockets import ioctlsocket as ioctlsocket
else:
    from nativesockets.sockets import fcntl as fcntl


def _byte_order(name: str, bits: int) -> Callable[[int], int]:
    """The fastest C function for ``name`` where it keeps the contract in the module's
    docstring (probed here, once), else that function behind a wrapper that keeps it."""
    if _sys.implementation.name == "cpython":  # C functions that keep the GIL
        c: Callable[[int], int] = getattr(_socket, name)
    else:  # PyPy's JIT inlines cffi's calls; its stdlib's htons truncates 0x10000
        c = getattr(_lib, name)
    top = (1 << bits) - 1

    class IntLike:
        def __index__(self) -> int:
            return 1

    class IntConvertible:
        def __int__(self) -> int:
            return 1

    def keeps(f: Callable[[Any], int]) -> bool:
        try:
            if f(IntLike()) != f(1) or f(True) != f(1):
                return False
        except Exception:
            return False
        bad: list[tuple[object, type[Exception]]] = [
            (-1, OverflowError),
            (top + 1, OverflowError),
            (1 << 64, OverflowError),
            (IntConvertible(), TypeError),
            (1.0, TypeError),
            ("1", TypeError),
        ]
        for value, error in bad:
            try:
                f(value)
            except error:
                continue
            except Exception:
                return False
            return False
        return True

    if keeps(c):
        return c
    index = _operator.index

    def convert(x: Any) -> int:  # the rare inputs, checked here
        x = index(x)  # an int from an int-like or a bool; TypeError for anything else
        if 0 <= x <= top:
            return c(x)
        raise OverflowError(f"{name}: {x} is out of range [0, {top}]")

    try:
        c(IntConvertible())  # type: ignore[arg-type]
        takes_int_convertible = True
    except TypeError:
        takes_int_convertible = False

    if not takes_int_convertible:  # the stdlib's: all it takes, the contract takes too

        def wrapper(x: int, /) -> int:
            # C's own checks on the fast path (a `try` costs nothing until it catches): a
            # ValueError (CPython 3.14+'s for a negative value) or a TypeError (an int-like
            # that 3.10-3.13's htonl refuses) goes to convert, which raises or retries.
            try:
                return c(x)
            except (TypeError, ValueError):
                pass
            return convert(x)

    else:  # cffi's takes objects with only __int__ too: only ints reach it

        def wrapper(x: int, /) -> int:
            return c(x) if type(x) is int else convert(x)

    wrapper.__name__ = wrapper.__qualname__ = name
    wrapper.__doc__ = c.__doc__
    wrapper.__wrapped__ = c  # type: ignore[attr-defined]
    return wrapper


ntohl = _byte_order("ntohl", 32)
ntohs = _byte_order("ntohs", 16)
htonl = _byte_order("htonl", 32)
htons = _byte_order("htons", 16)

# The enum members, as Nim code names them unqualified.
AF_UNSPEC, AF_UNIX, AF_INET, AF_INET6 = Domain
SOCK_STREAM, SOCK_DGRAM, SOCK_RAW, SOCK_SEQPACKET = SockType
(IPPROTO_TCP, IPPROTO_UDP, IPPROTO_IP, IPPROTO_IPV6, IPPROTO_RAW, IPPROTO_ICMP, IPPROTO_ICMPV6) = (
    Protocol
)

__all__ = [
    "AF_INET",
    "AF_INET6",
    "AF_UNIX",
    "AF_UNSPEC",
    "AddrInfo",
    "Domain",
    "Hostent",
    "INADDR_ANY",
    "IPPROTO_ICMP",
    "IPPROTO_ICMPV6",
    "IPPROTO_IP",
    "IPPROTO_IPV6",
    "IPPROTO_RAW",
    "IPPROTO_TCP",
    "IPPROTO_UDP",
    "Port",
    "Protocol",
    "SOCK_DGRAM",
    "SOCK_RAW",
    "SOCK_SEQPACKET",
    "SOCK_STREAM",
    "Servent",
    "SockAddr",
    "SockLen",
    "SockType",
    "Sockaddr_in",
    "Sockaddr_in6",
    "Sockaddr_storage",
    "Sockaddr_un",
    "Sockaddr_un_path_length",
    "SocketHandle",
    "accept",
    "bindAddr",
    "close",
    "connect",
    "createNativeSocket",
    "freeAddrInfo",
    "freeaddrinfo",
    "getAddrInfo",
    "getAddrString",
    "getHostByAddr",
    "getHostByName",
    "getHostname",
    "getLocalAddr",
    "getPeerAddr",
    "getProtoByName",
    "getServByName",
    "getServByPort",
    "getSockDomain",
    "getSockName",
    "getSockOptInt",
    "htonl",
    "htons",
    "inet_ntoa",
    "listen",
    "makeUnixAddr",
    "ntohl",
    "ntohs",
    "osInvalidSocket",
    "osLastError",
    "raiseOSError",
    "recv",
    "recvMany",
    "recvfrom",
    "selectRead",
    "selectWrite",
    "send",
    "sendMany",
    "sendto",
    "setBlocking",
    "setInheritable",
    "setSockOptInt",
    "shutdown",
    "toInt",
    "toKnownDomain",
    "toSockType",
]
__all__ += _constants.__all__
if _lib.NS_WINDOWS:
    __all__ += ["ioctlsocket"]
else:
    __all__ += ["fcntl"]

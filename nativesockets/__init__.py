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

``ntohl``, ``ntohs``, ``htonl`` and ``htons`` are C functions: on CPython 3.10 and later the
stdlib's own (``socket.ntohl``...: no system call, so no GIL to release, three times as
fast as a cffi call), elsewhere the system's through cffi (``ntohl(3)`` on POSIX, ``ntohl``
from Winsock on Windows; their docstrings are the C signatures). Either way a value out of
range raises OverflowError and a non-int TypeError (README, Differences from Nim, row 14).
"""

import sys as _sys

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

if _sys.implementation.name == "cpython" and _sys.version_info >= (3, 10):
    # The stdlib's: C functions that keep the GIL, three times as fast as a cffi call
    # (which releases it and saves errno), with the same values and errors from 3.10 on.
    from socket import htonl, htons, ntohl, ntohs
else:  # PyPy's JIT inlines cffi's calls; CPython 3.9's htons truncates 0x10000 and warns
    ntohl = _lib.ntohl
    ntohs = _lib.ntohs
    htonl = _lib.htonl
    htons = _lib.htons

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

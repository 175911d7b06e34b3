"""The constants Nim's nativesockets exports, with this platform's values (from the C headers).

IOCPARM_MASK and IOC_IN are Winsock's ioctl encoding (the seed's values on every platform;
meaningful on Windows only). FIONBIO is this platform's ioctl request.

As in Nim, a few names are the platform's own: on POSIX those Nim exports from its ``posix``
import (fcntl's flags, the errno values); on Windows those it exports from ``winlean`` (the
WSAE* codes, ERROR_NETNAME_DELETED). ``lib.NS_WINDOWS`` chooses.

Names a system may lack are exported only where it has them, each behind an ``NS_HAS_*`` flag
the C shim sets by a feature test (``CONDITIONAL_NAMES``): ``SO_REUSEPORT`` (none on illumos;
on Windows it is ``SO_REUSEADDR``, as in Nim's winlean) and ``SO_NOSIGPIPE`` (Apple's; Nim
exports it on macOS only), ``AI_V4MAPPED`` and ``AI_ALL`` (where the system's getaddrinfo
maps IPv4 answers: not FreeBSD, NetBSD, OpenBSD, whose AF_INET6 lookups this library maps
itself).

Platform values that differ: ``SOMAXCONN`` is the header's (4096 in glibc 2.35 and later, 128
in musl, older glibc, macOS and the BSDs; the kernel may cap a backlog lower or allow more).
``MSG_NOSIGNAL`` is 0 where the system lacks it (older macOS SDKs), as Nim has it on macOS;
there ``SO_NOSIGPIPE``, set on every socket ``createNativeSocket`` and ``accept`` make, keeps
a write to a closed peer from raising SIGPIPE.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from nativesockets._ffi import lib

_win: Any = lib  # for the Windows-only names: the stub types the POSIX lib

# Winsock's ioctl encoding: the headers' values on Windows, the seed's elsewhere.
IOCPARM_MASK: int = _win.IOCPARM_MASK if lib.NS_WINDOWS else 127
IOC_IN: int = _win.IOC_IN if lib.NS_WINDOWS else -2147483648
FIONBIO: int = lib.FIONBIO

SOL_SOCKET: int = lib.SOL_SOCKET
SOMAXCONN: int = lib.SOMAXCONN
SO_ERROR: int = lib.SO_ERROR
SO_ACCEPTCONN: int = lib.SO_ACCEPTCONN
SO_BROADCAST: int = lib.SO_BROADCAST
SO_DEBUG: int = lib.SO_DEBUG
SO_DONTROUTE: int = lib.SO_DONTROUTE
SO_KEEPALIVE: int = lib.SO_KEEPALIVE
SO_OOBINLINE: int = lib.SO_OOBINLINE
SO_REUSEADDR: int = lib.SO_REUSEADDR
SO_RCVBUF: int = lib.SO_RCVBUF
SO_SNDBUF: int = lib.SO_SNDBUF
SO_TYPE: int = lib.SO_TYPE
MSG_PEEK: int = lib.MSG_PEEK
SHUT_RD: int = lib.SHUT_RD
SHUT_WR: int = lib.SHUT_WR
SHUT_RDWR: int = lib.SHUT_RDWR
MSG_OOB: int = lib.MSG_OOB
MSG_DONTROUTE: int = lib.MSG_DONTROUTE
MSG_WAITALL: int = lib.MSG_WAITALL
MSG_TRUNC: int = lib.MSG_TRUNC
SO_RCVLOWAT: int = lib.SO_RCVLOWAT
SO_SNDLOWAT: int = lib.SO_SNDLOWAT
IP_TOS: int = lib.IP_TOS
IP_TTL: int = lib.IP_TTL
IP_MULTICAST_TTL: int = lib.IP_MULTICAST_TTL
IP_MULTICAST_LOOP: int = lib.IP_MULTICAST_LOOP
IPV6_UNICAST_HOPS: int = lib.IPV6_UNICAST_HOPS
IPV6_MULTICAST_HOPS: int = lib.IPV6_MULTICAST_HOPS
IPV6_MULTICAST_LOOP: int = lib.IPV6_MULTICAST_LOOP
AI_PASSIVE: int = lib.AI_PASSIVE
AI_CANONNAME: int = lib.AI_CANONNAME
AI_NUMERICHOST: int = lib.AI_NUMERICHOST
AI_NUMERICSERV: int = lib.AI_NUMERICSERV
AI_ADDRCONFIG: int = lib.AI_ADDRCONFIG
TCP_NODELAY: int = lib.TCP_NODELAY
IPV6_V6ONLY: int = lib.IPV6_V6ONLY

__all__ = [
    "IOCPARM_MASK",
    "IOC_IN",
    "FIONBIO",
    "SOL_SOCKET",
    "SOMAXCONN",
    "SO_ERROR",
    "SO_ACCEPTCONN",
    "SO_BROADCAST",
    "SO_DEBUG",
    "SO_DONTROUTE",
    "SO_KEEPALIVE",
    "SO_OOBINLINE",
    "SO_REUSEADDR",
    "SO_RCVBUF",
    "SO_SNDBUF",
    "SO_TYPE",
    "MSG_PEEK",
    "SHUT_RD",
    "SHUT_WR",
    "SHUT_RDWR",
    "MSG_OOB",
    "MSG_DONTROUTE",
    "MSG_WAITALL",
    "MSG_TRUNC",
    "SO_RCVLOWAT",
    "SO_SNDLOWAT",
    "IP_TOS",
    "IP_TTL",
    "IP_MULTICAST_TTL",
    "IP_MULTICAST_LOOP",
    "IPV6_UNICAST_HOPS",
    "IPV6_MULTICAST_HOPS",
    "IPV6_MULTICAST_LOOP",
    "AI_PASSIVE",
    "AI_CANONNAME",
    "AI_NUMERICHOST",
    "AI_NUMERICSERV",
    "AI_ADDRCONFIG",
    "TCP_NODELAY",
    "IPV6_V6ONLY",
]

# Each NS_HAS_* flag (cdefs/shim.h) and the names exported only where it is 1.
CONDITIONAL_NAMES: dict[str, list[str]] = {
    "NS_HAS_SO_REUSEPORT": ["SO_REUSEPORT"],
    "NS_HAS_SO_NOSIGPIPE": ["SO_NOSIGPIPE"],
    "NS_HAS_AI_V4MAPPED": ["AI_V4MAPPED", "AI_ALL"],  # where getaddrinfo maps itself
}
if TYPE_CHECKING:  # each where the system has it
    SO_REUSEPORT: int
    SO_NOSIGPIPE: int
    AI_V4MAPPED: int
    AI_ALL: int
    __all__ += ["SO_REUSEPORT", "SO_NOSIGPIPE", "AI_V4MAPPED", "AI_ALL"]
else:
    for _flag, _names in CONDITIONAL_NAMES.items():
        if getattr(lib, _flag):
            globals().update({name: int(getattr(lib, name)) for name in _names})
            __all__ += _names

if lib.NS_WINDOWS:
    # Windows names the real module exports from winlean
    WSAEWOULDBLOCK: int = _win.WSAEWOULDBLOCK
    WSAECONNRESET: int = _win.WSAECONNRESET
    WSAECONNABORTED: int = _win.WSAECONNABORTED
    WSAENETRESET: int = _win.WSAENETRESET
    WSANOTINITIALISED: int = _win.WSANOTINITIALISED
    WSAENOTSOCK: int = _win.WSAENOTSOCK
    WSAEINPROGRESS: int = _win.WSAEINPROGRESS
    WSAEINTR: int = _win.WSAEINTR
    WSAEDISCON: int = _win.WSAEDISCON
    ERROR_NETNAME_DELETED: int = _win.ERROR_NETNAME_DELETED
    __all__ += [
        "WSAEWOULDBLOCK",
        "WSAECONNRESET",
        "WSAECONNABORTED",
        "WSAENETRESET",
        "WSANOTINITIALISED",
        "WSAENOTSOCK",
        "WSAEINPROGRESS",
        "WSAEINTR",
        "WSAEDISCON",
        "ERROR_NETNAME_DELETED",
    ]

else:
    # POSIX names the real module exports from its posix import
    F_GETFL: int = lib.F_GETFL
    F_SETFL: int = lib.F_SETFL
    F_GETFD: int = lib.F_GETFD
    F_SETFD: int = lib.F_SETFD
    FD_CLOEXEC: int = lib.FD_CLOEXEC
    MSG_DONTWAIT: int = lib.MSG_DONTWAIT
    O_NONBLOCK: int = lib.O_NONBLOCK
    MSG_NOSIGNAL: int = lib.MSG_NOSIGNAL
    EAGAIN: int = lib.EAGAIN
    EWOULDBLOCK: int = lib.EWOULDBLOCK
    EINTR: int = lib.EINTR
    EINPROGRESS: int = lib.EINPROGRESS
    ECONNRESET: int = lib.ECONNRESET
    EPIPE: int = lib.EPIPE
    ENETRESET: int = lib.ENETRESET
    EBADF: int = lib.EBADF
    __all__ += [
        "F_GETFL",
        "F_SETFL",
        "F_GETFD",
        "F_SETFD",
        "FD_CLOEXEC",
        "MSG_DONTWAIT",
        "O_NONBLOCK",
        "MSG_NOSIGNAL",
        "EAGAIN",
        "EWOULDBLOCK",
        "EINTR",
        "EINPROGRESS",
        "ECONNRESET",
        "EPIPE",
        "ENETRESET",
        "EBADF",
    ]

"""The service, protocol and host databases, and the host's name.

``getservbyname(3)`` and its kin return static storage, so each call and the copy of its
result run under one lock: threads never see each other's results.
"""

from __future__ import annotations

import socket as _stdlib_socket
import threading
from typing import Any

from nativesockets._ffi import ffi, lib
from nativesockets.errors import c_string, fail
from nativesockets.types import Domain, Hostent, Port, Servent

_lock = threading.Lock()


def _text(p: Any) -> str:
    return ffi.string(p).decode("utf-8", "surrogateescape")


def _strings(array: Any) -> list[str]:
    out = []
    i = 0
    while array[i] != ffi.NULL:
        out.append(_text(array[i]))
        i += 1
    return out


def _servent(s: Any) -> Servent:
    return Servent(
        # s_port: the port in network order; a short on Windows, so mask off its sign
        _text(s.s_name),
        _strings(s.s_aliases),
        Port(lib.ntohs(s.s_port & 0xFFFF)),
        _text(s.s_proto),
    )


def getServByName(name: str, proto: str) -> Servent:
    """The first service entry named ``name`` for protocol ``proto``; ``port`` in host order.

    POSIX: ``getservbyname(3)`` (reads /etc/services). Windows: ``getservbyname``.

    Raises OSError (with no errno) if none matches; TypeError or ValueError (a NUL byte) for
    a bad argument.

    Differs from Nim: the port is in host order, the error carries no stale errno, and the
    call runs under a lock (README, Differences from Nim, rows 4, 11 and 12).
    """
    cname, cproto = c_string(name, "name"), c_string(proto, "proto")
    with _lock:
        s = lib.getservbyname(cname, cproto)
        if s != ffi.NULL:
            return _servent(s)
    raise OSError(f"getServByName({name!r}, {proto!r}): service not found")


def getServByPort(port: int, proto: str) -> Servent:
    """The first service entry for ``port`` (host order) and ``proto``.

    POSIX: ``getservbyport(3)`` (reads /etc/services). Windows: ``getservbyport``.

    Raises OSError (with no errno) if none matches; TypeError or ValueError for a bad
    argument (a port outside 0..65535, a NUL byte).

    Differs from Nim: the port is in host order, the error carries no stale errno, and the
    call runs under a lock (README, Differences from Nim, rows 4, 11 and 12).
    """
    number = Port(port)
    cproto = c_string(proto, "proto")
    with _lock:
        s = lib.getservbyport(lib.htons(number), cproto)
        if s != ffi.NULL:
            return _servent(s)
    raise OSError(f"getServByPort({int(number)}, {proto!r}): service not found")


def getProtoByName(name: str) -> int:
    """The protocol number for ``name``.

    POSIX: ``getprotobyname(3)`` (reads /etc/protocols). Windows: ``getprotobyname``.

    Raises OSError (with no errno) if ``name`` is unknown; TypeError or ValueError (a NUL
    byte) for a bad argument.

    Differs from Nim: the error carries no stale errno, and the call runs under a lock
    (README, Differences from Nim, rows 11 and 12).
    """
    cname = c_string(name, "name")
    with _lock:
        p = lib.getprotobyname(cname)
        if p != ffi.NULL:
            return int(p.p_proto)
    raise OSError(f"getProtoByName({name!r}): protocol not found")


def _hostent(h: Any) -> Hostent:
    family = int(h.h_addrtype)
    if family not in (lib.AF_INET, lib.AF_INET6):
        raise OSError(f"unknown h_addrtype {family}")
    text = ffi.new("char[]", lib.INET6_ADDRSTRLEN)
    addrs = []
    i = 0
    while h.h_addr_list[i] != ffi.NULL:
        lib.inet_ntop(family, h.h_addr_list[i], text, lib.INET6_ADDRSTRLEN)
        addrs.append(ffi.string(text).decode("ascii"))
        i += 1
    return Hostent(_text(h.h_name), _strings(h.h_aliases), Domain(family), int(h.h_length), addrs)


def _herror(call: str) -> OSError:
    code = lib.ns_h_errno()
    return _stdlib_socket.herror(code, f"{call}: {_text(lib.hstrerror(code))}")


def getHostByName(name: str) -> Hostent:
    """Look up a host by name (IPv4 addresses only, as the C call gives).

    POSIX: ``gethostbyname(3)``, then ``inet_ntop(3)``. Windows: ``gethostbyname``, then
    ``inet_ntop``.

    Raises ``socket.herror`` (an OSError) if the lookup fails: its errno is ``h_errno``
    (``WSAGetLastError()`` on Windows), its text ``hstrerror``'s (``FormatMessage``'s on
    Windows). TypeError or ValueError (a NUL byte) for a bad ``name``.

    Differs from Nim: ``socket.herror`` with the lookup's own error, not OSError with a stale
    errno; the call runs under a lock (README, Differences from Nim, rows 6 and 12).
    """
    cname = c_string(name, "name")
    with _lock:
        h = lib.gethostbyname(cname)
        if h != ffi.NULL:
            return _hostent(h)
        raise _herror(f"getHostByName({name!r})")


def getHostByAddr(ip: str) -> Hostent:
    """Look up the host name of an IPv4 or IPv6 address given as text.

    POSIX: ``inet_pton(3)``, ``gethostbyaddr(3)``, then ``inet_ntop(3)``. Windows:
    ``inet_pton``, ``gethostbyaddr``, then ``inet_ntop``.

    Raises ValueError if ``ip`` is not an address; ``socket.herror`` (an OSError) if the
    lookup fails (errno ``h_errno``, ``WSAGetLastError()`` on Windows); TypeError for an
    ``ip`` that is not text.

    Differs from Nim: IPv6 works, IPv6 addresses come as text, failures raise
    ``socket.herror``; the call runs under a lock (README, Differences from Nim, rows 5, 6
    and 12).
    """
    cip = c_string(ip, "ip")
    raw = ffi.new("struct in6_addr *")
    if lib.inet_pton(lib.AF_INET, cip, raw) == 1:
        family, size = lib.AF_INET, 4
    elif lib.inet_pton(lib.AF_INET6, cip, raw) == 1:
        family, size = lib.AF_INET6, 16
    else:
        raise ValueError(f"getHostByAddr: not an IPv4 or IPv6 address: {ip!r}")
    with _lock:
        h = lib.gethostbyaddr(ffi.cast("char *", raw), size, family)  # Windows: char *
        if h != ffi.NULL:
            return _hostent(h)
        raise _herror(f"getHostByAddr({ip!r})")


def getHostname() -> str:
    """The local host name, not the FQDN.

    POSIX: ``gethostname(2)``. Windows: ``gethostname``.

    Raises OSError if the call fails.
    """
    buf = ffi.new("char[]", 256)
    if lib.gethostname(buf, 256) != 0:
        fail("getHostname()")
    return _text(buf)

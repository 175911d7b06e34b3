"""The service, protocol and host databases, and the host's name.

``getservbyname(3)`` and its kin return static storage. No lock is held in Python around
them: each lookup is one C helper (csrc/netdb.c) that makes the call and copies the entry into
a buffer this call owns before it returns. The helper uses the reentrant ``_r`` call where the
C library has one (glibc; musl, but for protocols), else the classic call under a C mutex it
takes and releases itself; on POSIX, ``fork()`` waits for the lookups in progress
(``pthread_atfork``), so a child inherits none half done and its lookups work. Winsock's calls
keep their results per thread. So a fork while another thread is in a lookup, or a signal
handler that makes a lookup while its own thread is in one, cannot deadlock, and threads never
see each other's results. A failed host lookup's error is taken in the same C call (never read
later from ``h_errno``, a process-wide global on macOS and OpenBSD).
"""

from __future__ import annotations

import errno
import socket as _stdlib_socket
from typing import Any, Callable

from nativesockets._ffi import ffi, lib
from nativesockets.errors import c_string, fail
from nativesockets.types import Domain, Hostent, Port, Servent

# The first buffer for an entry; doubled (up to _MAX_SIZE) while the entry does not fit.
# Each call has its own: one shared per thread could be overwritten by a signal handler's
# lookup between the C call and the parse.
_FIRST_SIZE = 2048
_MAX_SIZE = 1 << 24


def _lookup(call: str, helper: Callable[..., int], *args: Any) -> tuple[int, Any, list[str]]:
    """Run ``helper(*args, buf, size, ent)``: (its result, the ``struct ns_ent``, the strings
    it wrote). The result is > 0 when found, 0 when not, -2 for a host of another family."""
    ent = ffi.new("struct ns_ent *")
    size = _FIRST_SIZE
    while True:
        buf = ffi.new("char[]", size)
        n = helper(*args, buf, size, ent)
        if n != -1:
            break
        if size >= _MAX_SIZE:
            raise OSError(errno.ERANGE, f"{call}: the entry is larger than {_MAX_SIZE} bytes")
        size *= 2
    if n <= 0:
        return n, ent, []
    raw = ffi.unpack(buf, n).split(b"\0")
    return n, ent, [part.decode("utf-8", "surrogateescape") for part in raw]


def _text(p: Any) -> str:
    return ffi.string(p).decode("utf-8", "surrogateescape")


def _servent(ent: Any, strings: list[str]) -> Servent:
    # name, proto, the aliases
    name, proto = strings[0], strings[1]
    return Servent(name, strings[2 : 2 + ent.aliases], Port(ent.number), proto)


def getServByName(name: str, proto: str) -> Servent:
    """The first service entry named ``name`` for protocol ``proto``; ``port`` in host order.

    POSIX: ``getservbyname_r(3)`` (glibc, musl), elsewhere ``getservbyname(3)`` under a C
    mutex (reads /etc/services). Windows: ``getservbyname``.

    Raises OSError (with no errno) if none matches; TypeError or ValueError (a NUL byte) for
    a bad argument.

    Differs from Nim: the port is in host order, the error carries no stale errno, and the
    lookup is one C call (reentrant, or under a C mutex), copied out before it returns
    (README, Differences from Nim, rows 4, 11 and 12).
    """
    cname, cproto = c_string(name, "name"), c_string(proto, "proto")
    call = f"getServByName({name!r}, {proto!r})"
    n, ent, strings = _lookup(call, lib.ns_getservbyname, cname, cproto)
    if n > 0:
        return _servent(ent, strings)
    raise OSError(f"{call}: service not found")


def getServByPort(port: int, proto: str) -> Servent:
    """The first service entry for ``port`` (host order) and ``proto``.

    POSIX: ``getservbyport_r(3)`` (glibc, musl), elsewhere ``getservbyport(3)`` under a C
    mutex (reads /etc/services). Windows: ``getservbyport``.

    Raises OSError (with no errno) if none matches; TypeError or ValueError for a bad
    argument (a port outside 0..65535, a NUL byte).

    Differs from Nim: the port is in host order, the error carries no stale errno, and the
    lookup is one C call (reentrant, or under a C mutex), copied out before it returns
    (README, Differences from Nim, rows 4, 11 and 12).
    """
    number = Port(port)
    cproto = c_string(proto, "proto")
    call = f"getServByPort({int(number)}, {proto!r})"
    n, ent, strings = _lookup(call, lib.ns_getservbyport, int(number), cproto)
    if n > 0:
        return _servent(ent, strings)
    raise OSError(f"{call}: service not found")


def getProtoByName(name: str) -> int:
    """The protocol number for ``name``.

    POSIX: ``getprotobyname_r(3)`` (glibc), elsewhere ``getprotobyname(3)`` under a C mutex
    (reads /etc/protocols). Windows: ``getprotobyname``.

    Raises OSError (with no errno) if ``name`` is unknown; TypeError or ValueError (a NUL
    byte) for a bad argument.

    Differs from Nim: the error carries no stale errno, and the lookup is one C call
    (reentrant, or under a C mutex), copied out before it returns (README, Differences from
    Nim, rows 11 and 12).
    """
    cname = c_string(name, "name")
    call = f"getProtoByName({name!r})"
    n, ent, _ = _lookup(call, lib.ns_getprotobyname, cname)
    if n > 0:
        return int(ent.number)
    raise OSError(f"{call}: protocol not found")


def _host(call: str, n: int, ent: Any, strings: list[str]) -> Hostent:
    """The Hostent of a host lookup's result, or the error it raises."""
    if n == -2:
        raise OSError(f"{call}: unknown h_addrtype {ent.family} (h_length {ent.length})")
    if n == 0:  # the lookup's own h_errno (Windows: WSAGetLastError()), from the same C call
        code = int(ent.error)
        raise _stdlib_socket.herror(code, f"{call}: {_text(lib.hstrerror(code))}")
    # name, the aliases, the addresses as text
    aliases = strings[1 : 1 + ent.aliases]
    addrs = strings[1 + ent.aliases : 1 + ent.aliases + ent.addrs]
    return Hostent(strings[0], aliases, Domain(ent.family), int(ent.length), addrs)


def getHostByName(name: str) -> Hostent:
    """Look up a host by name (IPv4 addresses only, as the C call gives).

    POSIX: ``gethostbyname_r(3)`` (glibc, musl), elsewhere ``gethostbyname(3)`` under a C
    mutex; then ``inet_ntop(3)``. Windows: ``gethostbyname``, then ``inet_ntop``.

    Raises ``socket.herror`` (an OSError) if the lookup fails: its errno is ``h_errno``
    (``WSAGetLastError()`` on Windows), its text ``hstrerror``'s (``FormatMessage``'s on
    Windows). TypeError or ValueError (a NUL byte) for a bad ``name``.

    Differs from Nim: ``socket.herror`` with the lookup's own error, not OSError with a stale
    errno; the lookup is one C call (reentrant, or under a C mutex) that copies the entry
    out and takes its error before it returns (README, Differences from Nim, rows 6 and 12).
    """
    cname = c_string(name, "name")
    call = f"getHostByName({name!r})"
    return _host(call, *_lookup(call, lib.ns_gethostbyname, cname))


def getHostByAddr(ip: str) -> Hostent:
    """Look up the host name of an IPv4 or IPv6 address given as text.

    POSIX: ``inet_pton(3)``, ``gethostbyaddr_r(3)`` (glibc, musl), elsewhere
    ``gethostbyaddr(3)`` under a C mutex; then ``inet_ntop(3)``. Windows: ``inet_pton``,
    ``gethostbyaddr``, then ``inet_ntop``.

    Raises ValueError if ``ip`` is not an address; ``socket.herror`` (an OSError) if the
    lookup fails (errno ``h_errno``, ``WSAGetLastError()`` on Windows); TypeError for an
    ``ip`` that is not text.

    Differs from Nim: IPv6 works, IPv6 addresses come as text, failures raise
    ``socket.herror``; the lookup is one C call (reentrant, or under a C mutex) that copies
    the entry out and takes its error before it returns (README, Differences from Nim, rows
    5, 6 and 12).
    """
    cip = c_string(ip, "ip")
    raw = ffi.new("struct in6_addr *")
    if lib.inet_pton(lib.AF_INET, cip, raw) == 1:
        family, size = lib.AF_INET, 4
    elif lib.inet_pton(lib.AF_INET6, cip, raw) == 1:
        family, size = lib.AF_INET6, 16
    else:
        raise ValueError(
            f"getHostByAddr(): ip must be IPv4 or IPv6 text such as '127.0.0.1', not {ip!r}"
        )
    call = f"getHostByAddr({ip!r})"
    return _host(call, *_lookup(call, lib.ns_gethostbyaddr, raw, size, family))


def getHostname() -> str:
    """The local host name, not the FQDN.

    POSIX: ``gethostname(2)``. Windows: ``gethostname``.

    Raises OSError if the call fails.
    """
    buf = ffi.new("char[]", 256)
    if lib.gethostname(buf, 256) != 0:
        fail("getHostname()")
    return _text(buf)

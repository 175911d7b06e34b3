"""Socket handles: create, bind, listen, accept, connect, send, receive, options, close.

Each proc checks its arguments before any C call (TypeError, ValueError), runs the system
call without the GIL, and retries it after Python's signal handlers ran when a signal
interrupted it (PEP 475).
"""

from __future__ import annotations

import sys
from operator import index as _index
from struct import error as _StructError
from struct import pack_into as _pack_into
from time import monotonic
from typing import Any, Union, overload

from nativesockets._ffi import ffi, lib
from nativesockets.addresses import SockAddr, name_text, sockaddr
from nativesockets.errors import HANDLE_MAX, c_int, fail, handle
from nativesockets.types import Domain, Port, Protocol, SockType, toKnownDomain

osInvalidSocket: int = lib.NS_INVALID_SOCKET
SOMAXCONN: int = lib.SOMAXCONN
_EINTR = lib.EINTR
_INT_MIN = -(2**31)
_INT_MAX = 2**31 - 1
_SO_ERROR = lib.SO_ERROR
_SOL_SOCKET = lib.SOL_SOCKET
_STORAGE = ffi.sizeof("struct sockaddr_storage")
# The C functions and cffi helpers of the hot paths, bound once: looking a name up on
# ``lib`` costs nearly as much as calling it (benchmarks/run.py measures these paths).
_send, _recv, _sendto = lib.send, lib.recv, lib.sendto
_from_buffer, _release, _new = ffi.from_buffer, ffi.release, ffi.new
_ns_socket, _ns_close = lib.ns_socket, lib.ns_close
_ns_blocking, _ns_nonblocking = lib.ns_blocking, lib.ns_nonblocking
_ns_getsockopt_int, _ns_poll, _ns_poll1 = lib.ns_getsockopt_int, lib.ns_poll, lib.ns_poll1
_ns_recvfrom = lib.ns_recvfrom
_HANDLE_SIZE = ffi.sizeof("ns_handle")
_HANDLE_FORMAT = "i" if _HANDLE_SIZE == 4 else "q"
_PACK_HANDLES = sys.implementation.name == "cpython"  # PyPy's JIT converts faster itself

Buffer = Union[bytes, bytearray, memoryview]


def _buffer(data: Any, length: int | None, writable: bool) -> tuple[Any, int]:
    """A C view of a Python buffer, without a copy, and the length checked against it."""
    try:  # positional arguments: cffi parses keywords slowly
        view = _from_buffer("char[]", data, True) if writable else _from_buffer(data)
    except BufferError as e:  # read-only where writable is needed, or not contiguous
        raise TypeError(f"a contiguous bytes-like object is needed: {e}") from None
    size = len(view)
    if length is None:
        return view, size
    if type(length) is not int or not 0 <= length <= size:
        try:
            c_int(length, "length", 0, size)
        except BaseException:
            # An export must not outlive a failed call: a traceback in a reference cycle
            # would keep it, and CPython < 3.12.6 crashes collecting a memoryview with one.
            ffi.release(view)
            raise
    return view, length


def fcntl(fd: int, cmd: int, arg: int = 0) -> int:
    """``fcntl`` with an integer argument (POSIX only).

    POSIX: ``fcntl(2)``. Windows: not there (``ioctlsocket`` is its counterpart).

    Returns its result, or -1 with ``osLastError()`` set. Raises TypeError or ValueError for
    a bad argument, before any C call.
    """
    if type(fd) is not int or not 0 <= fd <= HANDLE_MAX:
        fd = handle(fd)
    return int(lib.ns_fcntl(fd, c_int(cmd, "cmd"), c_int(arg, "arg", -(2**63), 2**63 - 1)))


def ioctlsocket(s: int, cmd: int, argptr: bytearray | memoryview) -> int:
    """The request ``cmd`` (``FIONBIO``...) on the handle (Windows only). ``argptr`` is a
    writable buffer holding the C ``u_long`` argument, read and written in place
    (``array.array("L", [1])``, or ``bytearray(4)``).

    POSIX: not there (``fcntl`` is its counterpart). Windows: ``ioctlsocket``.

    Returns 0, or -1 with ``osLastError()`` (``WSAGetLastError()``) set. Raises TypeError if
    ``argptr`` is not a writable buffer, ValueError if it is shorter than a ``u_long``, and
    either for a bad handle or ``cmd``.
    """
    if type(s) is not int or not 0 <= s <= HANDLE_MAX:
        s = handle(s)
    request = c_int(cmd, "cmd")
    arg, _ = _buffer(argptr, None, True)
    if len(arg) < 4:
        raise ValueError(f"argptr holds {len(arg)} bytes, a u_long needs 4")
    winsock: Any = lib  # the stub types the POSIX lib
    return int(winsock.ioctlsocket(s, request, ffi.cast("u_long *", arg)))


def createNativeSocket(
    domain: Domain | int = Domain.AF_INET,
    sockType: SockType | int = SockType.SOCK_STREAM,
    protocol: Protocol | int = Protocol.IPPROTO_TCP,
    inheritable: bool = False,
) -> int:
    """Create a socket. Takes the enums or raw native numbers.

    POSIX: ``socket(2)`` with ``SOCK_CLOEXEC`` unless ``inheritable`` (on macOS and where
    ``SOCK_CLOEXEC`` is missing, ``socket`` then ``fcntl(2)`` ``FD_CLOEXEC``); on macOS also
    ``setsockopt(2)`` ``SO_NOSIGPIPE``, so that a write to a closed peer fails with EPIPE
    instead of raising SIGPIPE. Windows: ``WSASocketW`` with ``WSA_FLAG_NO_HANDLE_INHERIT``
    unless ``inheritable`` (where Windows lacks that flag, ``WSASocketW`` then
    ``SetHandleInformation``).

    Returns the handle, or ``osInvalidSocket`` on failure with ``osLastError()`` set. Raises
    TypeError or ValueError for an argument that is not a C int.

    Differs from Nim: SO_NOSIGPIPE on macOS (Nim's net module sets it, its nativesockets
    does not) (README, Differences from Nim, row 24).
    """
    try:
        return _ns_socket(domain, sockType, protocol, inheritable)
    except OverflowError as e:
        raise ValueError(f"createNativeSocket: {e}") from None


def close(socket: int) -> None:
    """Close the handle.

    POSIX: ``close(2)``. EINTR counts as success (Linux and macOS have released the handle),
    and so does ECONNRESET, as in CPython (bpo-30319): FreeBSD has then released it. FreeBSD
    releases the handle on every error but EBADF: never close a handle twice. Windows:
    ``closesocket`` (WSAECONNRESET counts as success too).

    Raises OSError when the system reports another error; TypeError or ValueError for a bad
    handle.

    Differs from Nim: Nim discards the error (README, Differences from Nim, row 3).
    """
    if type(socket) is not int or not 0 <= socket <= HANDLE_MAX:
        socket = handle(socket)
    if _ns_close(socket) == -1:
        fail(f"close({socket})")


def setInheritable(s: int, inheritable: bool) -> bool:
    """Set whether child processes inherit the handle.

    POSIX: ``fcntl(2)`` ``F_GETFD`` then ``F_SETFD`` (``FD_CLOEXEC``). Windows:
    ``SetHandleInformation`` (``HANDLE_FLAG_INHERIT``).

    Returns True on success, False with ``osLastError()`` set on failure. Raises TypeError or
    ValueError for a bad handle.
    """
    if type(s) is not int or not 0 <= s <= HANDLE_MAX:
        s = handle(s)
    return lib.ns_set_inheritable(s, bool(inheritable)) == 0


def bindAddr(socket: int, name: SockAddr, namelen: int | None = None) -> int:
    """Bind the handle to ``name``. ``namelen`` defaults to ``len(name)``.

    POSIX: ``bind(2)``. Windows: ``bind``.

    Returns 0, or -1 with ``osLastError()`` set. Raises TypeError (``name`` not a SockAddr)
    or ValueError (``namelen`` out of range), and either for a bad handle, before any C call.
    """
    if type(socket) is not int or not 0 <= socket <= HANDLE_MAX:
        socket = handle(socket)
    sa, length = sockaddr(name, namelen)
    return lib.bind(socket, sa, length)


def listen(socket: int, backlog: int = SOMAXCONN) -> int:
    """Mark the handle as accepting connections.

    POSIX: ``listen(2)``. Windows: ``listen``. ``backlog`` defaults to the header's
    ``SOMAXCONN``: 4096 in glibc 2.35 and later, 128 in musl, older glibc, macOS and the BSDs
    (the kernel may cap it further).

    Returns 0, or -1 with ``osLastError()`` set. Raises TypeError or ValueError for a bad
    handle or ``backlog``.
    """
    if type(socket) is not int or not 0 <= socket <= HANDLE_MAX:
        socket = handle(socket)
    return lib.listen(socket, c_int(backlog, "backlog"))


def connect(s: int, name: SockAddr, namelen: int | None = None) -> int:
    """Connect the handle to ``name``.

    POSIX: ``connect(2)``; interrupted by a signal, ``poll(2)`` until the connection is done,
    then ``getsockopt(2)`` ``SO_ERROR``, as PEP 475 prescribes. Windows: ``connect``.

    Returns 0, or -1 with ``osLastError()`` set (EINPROGRESS on a non-blocking handle;
    ``WSAEWOULDBLOCK`` on Windows). Raises TypeError or ValueError for a bad argument.

    Differs from Nim: a signal does not fail the call (README, Differences from Nim, row 13).
    """
    if type(s) is not int or not 0 <= s <= HANDLE_MAX:
        s = handle(s)
    sa, length = sockaddr(name, namelen)
    if lib.connect(s, sa, length) == 0:
        return 0
    if ffi.errno != _EINTR:
        return -1
    if _wait(s, True, -1) == -1:
        return -1
    error = lib.ns_getsockopt_int(s, _SOL_SOCKET, _SO_ERROR)
    if error < _INT_MIN:
        return -1
    if error:
        ffi.errno = error
        return -1
    return 0


def send(socket: int, buffer: Buffer, length: int | None = None, flags: int = 0) -> int:
    """Send from a bytes-like object without copying.

    POSIX: ``send(2)``, retried after a signal. Windows: ``send``.

    ``length`` defaults to the whole buffer and may not exceed it. Returns the count sent, or
    -1 with ``osLastError()`` set. Raises TypeError (not a contiguous buffer) or ValueError
    (``length`` beyond the buffer), and either for a bad handle or ``flags``.

    Differs from Nim: takes a Python buffer, not a pointer; a signal does not fail the call
    (README, Differences from Nim, rows 13 and 19).
    """
    if type(socket) is not int or not 0 <= socket <= HANDLE_MAX:
        socket = handle(socket)
    if type(flags) is not int or not _INT_MIN <= flags <= _INT_MAX:
        flags = c_int(flags, "flags")
    if length is None and type(buffer) is bytes:  # cffi passes bytes as they are
        while True:
            r: int = _send(socket, buffer, len(buffer), flags)
            if r >= 0 or ffi.errno != _EINTR:
                return r
    if length is None and type(buffer) is bytearray:
        data, size = _from_buffer(buffer), len(buffer)
    else:
        data, size = _buffer(buffer, length, False)
    try:
        while True:
            r = _send(socket, data, size, flags)
            if r >= 0 or ffi.errno != _EINTR:
                return r
    except BaseException:  # a signal handler raised: end the export now (see _buffer)
        _release(data)
        raise


def recv(
    socket: int, buffer: bytearray | memoryview, length: int | None = None, flags: int = 0
) -> int:
    """Receive into a writable buffer without copying.

    POSIX: ``recv(2)``, retried after a signal. Windows: ``recv``.

    Returns the count received (0 at end of stream), or -1 with ``osLastError()`` set. Raises
    TypeError (not a writable contiguous buffer) or ValueError (``length`` beyond the
    buffer), and either for a bad handle or ``flags``.

    Differs from Nim: takes a Python buffer, not a pointer; a signal does not fail the call
    (README, Differences from Nim, rows 13 and 19).
    """
    if type(socket) is not int or not 0 <= socket <= HANDLE_MAX:
        socket = handle(socket)
    if type(flags) is not int or not _INT_MIN <= flags <= _INT_MAX:
        flags = c_int(flags, "flags")
    if length is None and type(buffer) is bytearray:  # always writable, always contiguous
        data, size = _from_buffer(buffer), len(buffer)
    else:
        data, size = _buffer(buffer, length, True)
    try:
        while True:
            r: int = _recv(socket, data, size, flags)
            if r >= 0 or ffi.errno != _EINTR:
                return r
    except BaseException:  # a signal handler raised: end the export now (see _buffer)
        _release(data)
        raise


def sendto(
    socket: int,
    buffer: Buffer,
    length: int | None,
    flags: int,
    to: SockAddr,
    tolen: int | None = None,
) -> int:
    """Send a datagram to ``to``.

    POSIX: ``sendto(2)``, retried after a signal. Windows: ``sendto``.

    Returns the count sent, or -1 with ``osLastError()`` set. Raises TypeError (not a
    contiguous buffer, ``to`` not a SockAddr) or ValueError (``length`` beyond the buffer,
    ``tolen`` out of range), and either for a bad handle or ``flags``.

    Differs from Nim: takes a Python buffer, not a pointer; a signal does not fail the call
    (README, Differences from Nim, rows 13 and 19).
    """
    if type(socket) is not int or not 0 <= socket <= HANDLE_MAX:
        socket = handle(socket)
    if type(flags) is not int or not _INT_MIN <= flags <= _INT_MAX:
        flags = c_int(flags, "flags")
    if tolen is None and isinstance(to, SockAddr):
        sa, salen = to._sa, to._len
    else:
        sa, salen = sockaddr(to, tolen)
    if length is None and type(buffer) is bytes:  # cffi passes bytes as they are
        while True:
            r: int = _sendto(socket, buffer, len(buffer), flags, sa, salen)
            if r >= 0 or ffi.errno != _EINTR:
                return r
    data, size = _buffer(buffer, length, False)
    try:
        while True:
            r = _sendto(socket, data, size, flags, sa, salen)
            if r >= 0 or ffi.errno != _EINTR:
                return r
    except BaseException:  # a signal handler raised: end the export now (see _buffer)
        _release(data)
        raise


def recvfrom(
    socket: int,
    buffer: bytearray | memoryview,
    length: int | None = None,
    flags: int = 0,
    address: SockAddr | None = None,
) -> int:
    """Receive a datagram; the sender is written into ``address`` (a ``Sockaddr_storage``),
    whose length is updated.

    POSIX: ``recvfrom(2)``, retried after a signal. Windows: ``recvfrom`` (a datagram longer
    than the buffer fails with ``WSAEMSGSIZE``; POSIX truncates it).

    Returns the count received, or -1 with ``osLastError()`` set. Raises TypeError (not a
    writable contiguous buffer, ``address`` not a SockAddr) or ValueError (``length`` beyond
    the buffer), and either for a bad handle or ``flags``.

    Differs from Nim: takes a Python buffer, not a pointer; a signal does not fail the call
    (README, Differences from Nim, rows 13 and 19).
    """
    if type(socket) is not int or not 0 <= socket <= HANDLE_MAX:
        socket = handle(socket)
    if type(flags) is not int or not _INT_MIN <= flags <= _INT_MAX:
        flags = c_int(flags, "flags")
    if address is None:
        sa = ffi.NULL
    else:
        sa = address._sa if isinstance(address, SockAddr) else sockaddr(address, None)[0]
    if length is None and type(buffer) is bytearray:  # always writable, always contiguous
        data, size = _from_buffer(buffer), len(buffer)
    else:
        data, size = _buffer(buffer, length, True)
    try:
        while True:  # ns_recvfrom: recvfrom(2) giving count | sender's length << 32
            r: int = _ns_recvfrom(socket, data, size, flags, sa)
            if r >= 0 or ffi.errno != _EINTR:
                break
    except BaseException:  # a signal handler raised: end the export now (see _buffer)
        _release(data)
        raise
    if r < 0:
        return -1
    if address is not None:
        address._len = r >> 32
    return r & 0xFFFFFFFF


@overload
def accept(fd: int, inheritable: bool = False) -> tuple[int, str]: ...
@overload
def accept(fd: int, inheritable: SockAddr) -> int: ...


def accept(fd: int, inheritable: bool | SockAddr = False) -> tuple[int, str] | int:
    """Accept a connection.

    POSIX: ``accept4(2)`` with ``SOCK_CLOEXEC`` unless ``inheritable`` (on macOS and where
    accept4 is missing, ``accept(2)`` then ``fcntl(2)``), retried after a signal; on macOS
    also ``setsockopt(2)`` ``SO_NOSIGPIPE``. Windows: ``accept`` then
    ``SetHandleInformation``.

    Returns ``(handle, peer address text)`` (IPv4, IPv6 or the Unix path: "" for an unnamed
    peer on every system; on Linux an abstract name, from its leading NUL), or
    ``(osInvalidSocket, "")`` on failure with ``osLastError()`` set. Raises TypeError or
    ValueError for a bad handle.

    POSIX's raw form, ``accept(fd, addr)`` with a ``Sockaddr_storage``, returns the handle
    (or ``osInvalidSocket``) and writes the peer into ``addr`` (``getpeername``).

    Differs from Nim: the peer text is right for IPv6 and Unix peers (Nim formats every peer
    as IPv4); a signal does not fail the call; SO_NOSIGPIPE on macOS (README, Differences
    from Nim, rows 2, 13 and 24).
    """
    if type(fd) is not int or not 0 <= fd <= HANDLE_MAX:
        fd = handle(fd)
    peer = ffi.new("struct ns_name *")
    raw = isinstance(inheritable, SockAddr)
    while True:
        c: int = lib.ns_accept(fd, 0 if raw else bool(inheritable), peer)
        if c != osInvalidSocket or ffi.errno != _EINTR:
            break
    if raw:
        if c != osInvalidSocket:
            _peer_into(c, inheritable)  # type: ignore[arg-type]
        return c
    if c == osInvalidSocket:
        return osInvalidSocket, ""
    return c, name_text(peer)


def _peer_into(s: int, addr: SockAddr) -> None:
    salen = ffi.new("socklen_t *", ffi.sizeof("struct sockaddr_storage"))
    if lib.getpeername(s, addr._sa, salen) == 0:
        addr._len = min(salen[0], ffi.sizeof("struct sockaddr_storage"))


def getSockDomain(socket: int) -> Domain:
    """The handle's address family.

    POSIX: ``getsockname(2)``. Windows: ``getsockopt`` ``SO_PROTOCOL_INFOW`` (which works
    before ``bind`` too).

    Raises OSError if the call fails or the family is not a Domain; TypeError or ValueError
    for a bad handle.
    """
    if type(socket) is not int or not 0 <= socket <= HANDLE_MAX:
        socket = handle(socket)
    family: int = lib.ns_sockfamily(socket)
    if family == -1:
        fail(f"getSockDomain({socket})")
    domain = toKnownDomain(family)
    if domain is None:
        raise OSError(f"getSockDomain({socket}): unknown socket family {family}")
    return domain


def getSockName(socket: int) -> Port:
    """The handle's local port.

    POSIX: ``getsockname(2)``. Windows: ``getsockname`` (on a socket not bound yet, port 0 of
    the family ``getsockopt`` ``SO_PROTOCOL_INFOW`` gives, as POSIX does).

    Raises OSError if the call fails, OSError(EAFNOSUPPORT) for a socket that is neither IPv4
    nor IPv6; TypeError or ValueError for a bad handle.

    Differs from Nim: Nim returns garbage for a non-IP socket (README, Differences from Nim,
    row 10).
    """
    if type(socket) is not int or not 0 <= socket <= HANDLE_MAX:
        socket = handle(socket)
    port: int = lib.ns_sockport(socket)
    if port == -1:
        fail(f"getSockName({socket})")
    return Port(port)


def _name(socket: int, domain: Domain, peer: int, proc: str) -> tuple[str, Port]:
    if type(socket) is not int or not 0 <= socket <= HANDLE_MAX:
        socket = handle(socket)
    if not isinstance(domain, Domain):
        raise TypeError(f"{proc}: domain must be a Domain, not {type(domain).__name__}")
    name = ffi.new("struct ns_name *")
    if lib.ns_getname(socket, peer, name) == -1:
        fail(f"{proc}({socket}, {domain.name})")
    return name_text(name), Port(name.port)


def getLocalAddr(socket: int, domain: Domain) -> tuple[str, Port]:
    """The handle's local address and port: IPv4, IPv6 or Unix (the path and Port(0)), read
    from the family the system returns, whatever ``domain`` says. An unnamed Unix socket
    gives "" on every system (macOS and the BSDs return a zeroed path, Linux none); on Linux
    an abstract name is given whole, from its leading NUL.

    POSIX: ``getsockname(2)``, then ``inet_ntop(3)``. Windows: ``getsockname`` (a socket not
    bound yet gives its family's unspecified address), then ``inet_ntop``.

    Raises OSError if the call fails (EAFNOSUPPORT for another family); TypeError if
    ``domain`` is not a Domain; TypeError or ValueError for a bad handle.

    Differs from Nim: Unix sockets work and ``domain`` is not trusted (README, Differences
    from Nim, row 9).
    """
    return _name(socket, domain, 0, "getLocalAddr")


def getPeerAddr(socket: int, domain: Domain) -> tuple[str, Port]:
    """The connected peer's address and port: IPv4, IPv6 or Unix (the path and Port(0)), read
    from the family the system returns, whatever ``domain`` says. An unnamed Unix peer gives
    "" on every system, as for ``getLocalAddr``.

    POSIX: ``getpeername(2)``, then ``inet_ntop(3)``. Windows: ``getpeername``, then
    ``inet_ntop``.

    Raises OSError if the call fails (ENOTCONN for a handle with no peer, EAFNOSUPPORT for
    another family); TypeError if ``domain`` is not a Domain; TypeError or ValueError for a
    bad handle.

    Differs from Nim: Unix sockets work and ``domain`` is not trusted (README, Differences
    from Nim, row 9).
    """
    return _name(socket, domain, 1, "getPeerAddr")


def getSockOptInt(socket: int, level: int, optname: int) -> int:
    """An integer socket option.

    POSIX: ``getsockopt(2)``. Windows: ``getsockopt``.

    Raises OSError if the call fails; TypeError or ValueError for a bad argument.
    """
    if type(socket) is not int or not 0 <= socket <= HANDLE_MAX:
        socket = handle(socket)
    if type(level) is not int or type(optname) is not int:  # cffi would take a bool
        level, optname = c_int(level, "level"), c_int(optname, "optname")
    try:
        value: int = _ns_getsockopt_int(socket, level, optname)
    except OverflowError as e:
        raise ValueError(f"getSockOptInt: {e}") from None
    if value < _INT_MIN:
        fail(f"getSockOptInt({socket}, {level}, {optname})")
    return value


def setSockOptInt(socket: int, level: int, optname: int, optval: int) -> None:
    """Set an integer socket option.

    POSIX: ``setsockopt(2)``. Windows: ``setsockopt``.

    Raises OSError if the call fails; TypeError or ValueError for a bad argument.
    """
    if type(socket) is not int or not 0 <= socket <= HANDLE_MAX:
        socket = handle(socket)
    if type(level) is not int or type(optname) is not int or type(optval) is not int:
        # cffi would take a bool
        level, optname = c_int(level, "level"), c_int(optname, "optname")
        optval = c_int(optval, "optval")
    try:
        r = lib.ns_setsockopt_int(socket, level, optname, optval)
    except OverflowError as e:
        raise ValueError(f"setSockOptInt: {e}") from None
    if r == -1:
        fail(f"setSockOptInt({socket}, {level}, {optname}, {optval})")


def setBlocking(s: int, blocking: bool) -> None:
    """Set blocking mode.

    POSIX: one ``ioctl(2)`` ``FIONBIO``. Windows: ``ioctlsocket`` ``FIONBIO``.

    Raises OSError if the call fails; TypeError or ValueError for a bad handle.

    Differs from Nim: Nim makes two ``fcntl`` calls, with the same result (README, Differences
    from Nim, row 15).
    """
    if type(s) is not int or not 0 <= s <= HANDLE_MAX:
        s = handle(s)
    if (_ns_blocking(s) if blocking else _ns_nonblocking(s)) == -1:
        fail(f"setBlocking({s}, {blocking})")


def _wait(s: int, for_write: bool, timeout: int) -> int:
    while True:
        r: int = _ns_poll1(s, for_write, timeout)
        if r != -1 or ffi.errno != _EINTR:
            return r


def _handle_array(fds: list[int], n: int) -> Any:
    """The list as a C array of handles. Ints and int-like objects (``__index__``) are
    handles, as everywhere; anything else is a TypeError, a number out of range a
    ValueError (a negative one is found in C)."""
    if _PACK_HANDLES:  # CPython: struct packs a list three times as fast as cffi converts it
        packed = bytearray(n * _HANDLE_SIZE)
        try:
            _pack_into(f"{n}{_HANDLE_FORMAT}", packed, 0, *fds)
            return _from_buffer("ns_handle[]", packed)
        except _StructError:  # cffi's conversion says what is wrong
            pass
    try:
        try:
            return _new("ns_handle[]", fds)
        except TypeError:  # cffi takes no __index__: convert, or raise the TypeError
            return _new("ns_handle[]", list(map(_index, fds)))
    except OverflowError:
        raise ValueError("invalid socket handle in the list") from None


def _select(fds: list[int], timeout: int, for_write: bool) -> int:
    if type(fds) is not list:
        raise TypeError(f"the handles must be a list, not {type(fds).__name__}")
    if type(timeout) is not int or not -1 <= timeout <= 2**31 - 1:
        timeout = c_int(timeout, "timeout", -1)
    n = len(fds)
    if n == 1 and type(fds[0]) is int and 0 <= fds[0] <= HANDLE_MAX:
        # one valid handle: a scalar for the C side, no array to fill and read back
        one = fds[0]
        deadline = monotonic() + timeout / 1000 if timeout > 0 else 0.0
        while True:
            r: int = _ns_poll1(one, for_write, timeout)
            if r != -1 or ffi.errno != _EINTR:
                break
            if timeout > 0:
                timeout = max(0, int((deadline - monotonic()) * 1000 + 0.999))
        if r == 0:
            fds.clear()
        return r
    arr = _handle_array(fds, n)
    deadline = monotonic() + timeout / 1000 if timeout > 0 else 0.0
    try:
        while True:
            r = _ns_poll(arr, n, for_write, timeout)
            if r != -1 or ffi.errno != _EINTR:
                break
            if timeout > 0:
                timeout = max(0, int((deadline - monotonic()) * 1000 + 0.999))
    except BaseException:  # a signal handler raised: end the export now (see _buffer)
        _release(arr)
        raise
    if r == -2:
        raise ValueError(f"invalid socket handle in the list: {min(ffi.unpack(arr, n))}")
    if r > 0:
        fds[:] = ffi.unpack(arr, r)
    elif r == 0:
        fds.clear()
    return r


def selectRead(readfds: list[int], timeout: int = 500) -> int:
    """Wait until handles in ``readfds`` are readable.

    POSIX: ``poll(2)``, so any handle number works. Windows: ``select`` with an ``fd_set``
    sized to the list.

    Removes the handles that are not readable from the list in place, keeping the order of
    the others, and returns their count; 0 on timeout; -1 with ``osLastError()`` set on
    failure (the list then unchanged; a closed handle gives EBADF on POSIX). ``timeout`` in
    milliseconds, -1 for none; a signal does not end the wait early. Raises TypeError if
    ``readfds`` is not a list of ints, ValueError for a negative handle or a bad ``timeout``.

    Differs from Nim: Nim's ``select(2)`` writes past ``fd_set`` for handles >=
    ``FD_SETSIZE`` and reorders the list (README, Differences from Nim, rows 1 and 13).
    """
    return _select(readfds, timeout, False)


def selectWrite(writefds: list[int], timeout: int = 500) -> int:
    """As ``selectRead``, for handles that are writable (a failed connect counts as ready).

    POSIX: ``poll(2)``. Windows: ``select`` with an ``fd_set`` sized to the list, and the
    exception set for failed connects.

    Raises TypeError if ``writefds`` is not a list of ints, ValueError for a negative handle
    or a bad ``timeout``.

    Differs from Nim: as ``selectRead`` (README, Differences from Nim, rows 1 and 13).
    """
    return _select(writefds, timeout, True)

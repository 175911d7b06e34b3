"""Socket handles: create, bind, listen, accept, connect, send, receive, options, close.

Each proc checks its arguments before any C call (TypeError, ValueError), runs the system
call without the GIL, and retries it after Python's signal handlers ran when a signal
interrupted it (PEP 475).
"""

from __future__ import annotations

import sys
from operator import index as _index
from struct import Struct
from struct import error as _StructError
from time import monotonic
from typing import Any, NoReturn, Union, overload

from nativesockets._ffi import ffi, lib
from nativesockets.addresses import SockAddr, name_text, sockaddr
from nativesockets.errors import HANDLE_MAX, _proc, bad_buffer, c_int, fail, flag, handle
from nativesockets.types import Domain, Port, Protocol, SockType, fitting_protocol, toKnownDomain

osInvalidSocket: int = lib.NS_INVALID_SOCKET
SOMAXCONN: int = lib.SOMAXCONN
_EINTR = lib.EINTR
_INT_MIN = -(2**31)
_INT_MAX = 2**31 - 1
_SO_ERROR = lib.SO_ERROR
_SOL_SOCKET = lib.SOL_SOCKET
_STORAGE = ffi.sizeof("struct sockaddr_storage")
_SHUT = {lib.SHUT_RD, lib.SHUT_WR, lib.SHUT_RDWR}
# The C functions and cffi helpers of the hot paths, bound once: looking a name up on
# ``lib`` costs nearly as much as calling it (benchmarks/run.py measures these paths).
_sys_send, _sys_recv, _sys_sendto = lib.send, lib.recv, lib.sendto
_from_buffer, _release, _new, _memmove = ffi.from_buffer, ffi.release, ffi.new, ffi.memmove
_ns_socket, _ns_close = lib.ns_socket, lib.ns_close
_ns_blocking, _ns_nonblocking = lib.ns_blocking, lib.ns_nonblocking
_ns_getsockopt_int, _ns_poll, _ns_poll1 = lib.ns_getsockopt_int, lib.ns_poll, lib.ns_poll1
_ns_recvfrom, _ns_accept = lib.ns_recvfrom, lib.ns_accept
_ns_send, _ns_recv, _ns_sendto = lib.ns_send, lib.ns_recv, lib.ns_sendto
_ns_setsockopt_int = lib.ns_setsockopt_int
# The fast paths of the hot procs hand the handle to C unchecked, with low 2: C returns
# _CHECK (_CHECK_OPT for getSockOptInt), before any system call, for a handle below 2 (a
# negative one, or 0 or 1, which may be a bool), and the proc then takes its slow path,
# which checks every argument in Python. cffi itself refuses a handle that is not an int
# or out of its C range (TypeError, OverflowError): the slow path then raises the error
# that names the proc, or converts an int-like (__index__) handle and makes the call.
_LOW = 2
_CHECK = lib.NS_CHECK
_CHECK_OPT = lib.NS_CHECK_OPT
# ``flags is _ZERO``: the one test the default flags pay (False is never this object; any
# other value is checked by type).
_ZERO = 0
_HANDLE_MIN = -HANDLE_MAX - 1  # the C type's range (cffi's OverflowError outside it)
_NULL = ffi.NULL
_new_unzeroed = ffi.new_allocator(should_clear_after_alloc=False)  # filled at once by cffi
_HANDLE_SIZE = ffi.sizeof("ns_handle")
_HANDLE_FORMAT = "i" if _HANDLE_SIZE == 4 else "q"
_PACK_HANDLES = sys.implementation.name == "cpython"  # PyPy's JIT converts faster itself
_PACKERS: dict[int, Any] = {}
_UNSET: Any = object()

Buffer = Union[bytes, bytearray, memoryview]


def _buffer(data: Any, length: int | None, writable: bool, what: str = "buffer") -> tuple[Any, int]:
    """A C view of a Python buffer, without a copy, and the length checked against it."""
    try:  # positional arguments: cffi parses keywords slowly
        view = _from_buffer("char[]", data, True) if writable else _from_buffer(data)
    except (BufferError, TypeError):  # not a buffer, read-only, or not contiguous
        raise bad_buffer(data, writable, what) from None
    size = len(view)
    if length is None:
        return view, size
    if type(length) is not int or not 0 <= length <= size:
        try:
            length = c_int(length, "length", 0, size)  # an int-like one converted
        except BaseException:
            # An export must not outlive a failed call: a traceback in a reference cycle
            # would keep it, and CPython < 3.12.6 crashes collecting a memoryview with one.
            ffi.release(view)
            raise
    return view, length


def _took(socket: object, *ints: object) -> bool:
    """Whether cffi took these arguments: a handle and C ints in their C ranges. Then a
    TypeError or OverflowError at a fast path's C call came from a signal handler that ran
    when the call returned (the system call done): it must propagate, not start a retry."""
    if not isinstance(socket, int) or not _HANDLE_MIN <= socket <= HANDLE_MAX:
        return False
    return all(isinstance(v, int) and _INT_MIN <= v <= _INT_MAX for v in ints)


def fcntl(fd: int, cmd: int, arg: int = 0) -> int:
    """``fcntl`` for the commands whose argument is an int (POSIX only): ``F_GETFD``,
    ``F_SETFD``, ``F_GETFL``, ``F_SETFL``, ``F_DUPFD``, ``F_DUPFD_CLOEXEC``, ``F_GETOWN``,
    ``F_SETOWN``, and on Linux ``F_GETSIG``, ``F_SETSIG``, ``F_GETPIPE_SZ``,
    ``F_SETPIPE_SZ``, ``F_GETLEASE`` and ``F_SETLEASE``, where the platform has them.

    POSIX: ``fcntl(2)``. Windows: not there (``ioctlsocket`` is its counterpart).

    Returns its result, or -1 with ``osLastError()`` set. Raises ValueError for any other
    command (``F_GETLK`` and the other commands that take a pointer), and TypeError or
    ValueError for an argument that is not a C int, before any system call.

    Differs from Nim: Nim's ``fcntl`` passes any command with any arguments (README,
    Differences from Nim, row 25).
    """
    if type(fd) is not int or not 0 <= fd <= HANDLE_MAX:
        fd = handle(fd)
    command = c_int(cmd, "cmd")
    r = int(lib.ns_fcntl(fd, command, c_int(arg, "arg")))
    if r == lib.NS_FCNTL_NOT_INT:
        raise ValueError(f"fcntl(): command {command} does not take an int argument")
    return r


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
    arg, size = _buffer(argptr, None, True, "argptr")
    if size < 4:
        ffi.release(arg)
        raise ValueError(f"ioctlsocket(): argptr holds {size} bytes, a u_long needs 4")
    winsock: Any = lib  # the stub types the POSIX lib
    return int(winsock.ioctlsocket(s, request, ffi.cast("u_long *", arg)))


def createNativeSocket(
    domain: Domain | int = Domain.AF_INET,
    sockType: SockType | int = SockType.SOCK_STREAM,
    protocol: Protocol | int | None = None,
    inheritable: bool = False,
) -> int:
    """Create a socket. Takes the enums or raw native numbers.

    ``protocol`` left out (None) is the one that fits ``domain`` and ``sockType``:
    IPPROTO_TCP for an IP stream socket, IPPROTO_UDP for an IP datagram socket, else 0 (the
    system's choice: a Unix socket's only one). ``inheritable`` is a bool (or an int, by
    its truth value).

    POSIX: ``socket(2)`` with ``SOCK_CLOEXEC`` unless ``inheritable`` (on macOS and where
    ``SOCK_CLOEXEC`` is missing, ``socket`` then ``fcntl(2)`` ``FD_CLOEXEC``); on macOS also
    ``setsockopt(2)`` ``SO_NOSIGPIPE``, so that a write to a closed peer fails with EPIPE
    instead of raising SIGPIPE. Windows: ``WSASocketW`` with ``WSA_FLAG_NO_HANDLE_INHERIT``
    unless ``inheritable`` (where Windows lacks that flag, ``WSASocketW`` then
    ``SetHandleInformation``).

    Returns the handle, or ``osInvalidSocket`` on failure with ``osLastError()`` set. Raises
    TypeError or ValueError for an argument that is not a C int (or a bool for
    ``inheritable``).

    Differs from Nim: the protocol left out fits the type, not always IPPROTO_TCP, so that
    ``createNativeSocket(AF_INET, SOCK_DGRAM)`` and ``createNativeSocket(AF_UNIX)`` work;
    SO_NOSIGPIPE on macOS (Nim's net module sets it, its nativesockets does not) (README,
    Differences from Nim, rows 24 and 26).
    """
    if protocol is None:
        protocol = fitting_protocol(domain, sockType)
    if type(inheritable) is not bool:
        inheritable = flag(inheritable, "inheritable")
    if type(domain) is bool or type(sockType) is bool or type(protocol) is bool:
        _socket_args(domain, sockType, protocol)
    try:
        return _ns_socket(domain, sockType, protocol, inheritable)
    except (TypeError, OverflowError):
        _socket_args(domain, sockType, protocol)
        raise


def _socket_args(domain: object, sockType: object, protocol: object) -> None:
    """Raise the TypeError or ValueError for the first of these that is not a C int."""
    c_int(domain, "domain")
    c_int(sockType, "sockType")
    c_int(protocol, "protocol")


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
    if type(inheritable) is not bool:
        inheritable = flag(inheritable, "inheritable")
    return lib.ns_set_inheritable(s, inheritable) == 0


def bindAddr(socket: int, name: SockAddr, namelen: int | None = None) -> int:
    """Bind the handle to ``name``. ``namelen`` defaults to ``len(name)``.

    POSIX: ``bind(2)``. Windows: ``bind``.

    Returns 0, or -1 with ``osLastError()`` set. Raises TypeError (``name`` not a SockAddr)
    or ValueError (``namelen`` out of range), and either for a bad handle, before any C call.
    """
    if type(socket) is not int or not 0 <= socket <= HANDLE_MAX:
        socket = handle(socket)
    sa, length = sockaddr(name, namelen, "name")
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


def shutdown(socket: int, how: int) -> int:
    """Shut down part of a full-duplex connection: ``SHUT_RD`` (no more receiving),
    ``SHUT_WR`` (no more sending: the peer reads end of stream, a half-close) or
    ``SHUT_RDWR`` (both). The handle stays open; ``close`` it as usual.

    POSIX: ``shutdown(2)``. Windows: ``shutdown`` with ``SD_RECEIVE``, ``SD_SEND`` or
    ``SD_BOTH`` (the same numbers as the ``SHUT_*`` constants there).

    Returns 0, or -1 with ``osLastError()`` set (ENOTCONN on a socket that is not
    connected). Raises ValueError if ``how`` is not one of the three, TypeError or
    ValueError for a bad handle, before any C call. Not in Nim's module.
    """
    if type(socket) is not int or not 0 <= socket <= HANDLE_MAX:
        socket = handle(socket)
    if type(how) is not int or how not in _SHUT:
        what = "shutdown(): how must be SHUT_RD, SHUT_WR or SHUT_RDWR"
        if type(how) is bool or not hasattr(how, "__index__"):
            raise TypeError(f"{what}, not {type(how).__name__}")
        how = _index(how)
        if how not in _SHUT:
            raise ValueError(f"{what}, not {how}")
    return lib.shutdown(socket, how)


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
    sa, length = sockaddr(name, namelen, "name")
    if lib.connect(s, sa, length) == 0:
        return 0
    if ffi.errno != _EINTR:
        return -1
    if _wait(s, True, -1) == -1:
        return -1
    error = lib.ns_getsockopt_int(s, _SOL_SOCKET, _SO_ERROR, 0)
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
    if flags is _ZERO or type(flags) is int:  # not a bool (cffi refuses what is not an int)
        kind = type(buffer)
        if kind is bytes or kind is bytearray:
            data: Any = (
                buffer if kind is bytes else _from_buffer(buffer)
            )  # bytes: passed as they are
            size = len(data)  # from the snapshot: the bytes, or the export
            if length is not None:
                if type(length) is not int or length > size:  # negative: cffi refuses it
                    size = -1
                else:
                    size = length
            try:
                while size >= 0:
                    r: int = _ns_send(socket, data, size, flags, _LOW)
                    if r >= 0 or (r != _CHECK and ffi.errno != _EINTR):
                        return r
                    if r == _CHECK:
                        break
            except BaseException:
                _fast_failed(data, buffer, socket, flags, size)
            else:
                _end(data, buffer)
    return _send(socket, buffer, length, flags)


def _send(socket: Any, buffer: Any, length: Any, flags: Any) -> int:
    """send's slow path: every argument checked in Python, then send(2) itself."""
    if type(socket) is not int or not 0 <= socket <= HANDLE_MAX:
        socket = handle(socket)
    if type(flags) is not int or not _INT_MIN <= flags <= _INT_MAX:
        flags = c_int(flags, "flags")
    if length is None and type(buffer) is bytes:  # cffi passes bytes as they are
        while True:
            r: int = _sys_send(socket, buffer, len(buffer), flags)
            if r >= 0 or ffi.errno != _EINTR:
                return r
    if length is None and type(buffer) is bytearray:
        data = _from_buffer(buffer)
        size = len(data)
    else:
        data, size = _buffer(buffer, length, False)
    try:
        while True:
            r = _sys_send(socket, data, size, flags)
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
    if (flags is _ZERO or type(flags) is int) and type(buffer) is bytearray:
        data = _from_buffer(buffer)  # writable and contiguous; its size fixed while exported
        size = len(data)
        if length is not None:
            size = length if type(length) is int and length <= size else -1
        try:
            while size >= 0:
                r: int = _ns_recv(socket, data, size, flags, _LOW)
                if r >= 0 or (r != _CHECK and ffi.errno != _EINTR):
                    return r
                if r == _CHECK:
                    break
        except BaseException:
            _fast_failed(data, buffer, socket, flags, size)
        else:
            _release(data)
    return _recv(socket, buffer, length, flags)


def _recv(socket: Any, buffer: Any, length: Any, flags: Any) -> int:
    """recv's slow path: every argument checked in Python, then recv(2) itself."""
    if type(socket) is not int or not 0 <= socket <= HANDLE_MAX:
        socket = handle(socket)
    if type(flags) is not int or not _INT_MIN <= flags <= _INT_MAX:
        flags = c_int(flags, "flags")
    if length is None and type(buffer) is bytearray:  # always writable, always contiguous
        data = _from_buffer(buffer)
        size = len(data)
    else:
        data, size = _buffer(buffer, length, True)
    try:
        while True:
            r: int = _sys_recv(socket, data, size, flags)
            if r >= 0 or ffi.errno != _EINTR:
                return r
    except BaseException:  # a signal handler raised: end the export now (see _buffer)
        _release(data)
        raise


def sendto(
    socket: int,
    buffer: Buffer,
    length: int | None = None,
    flags: int = 0,
    to: SockAddr | None = None,
    tolen: int | None = None,
) -> int:
    """Send a datagram to ``to``: ``sendto(h, data, to=addr)``, or Nim's
    ``sendto(h, data, length, flags, addr)``. ``length`` defaults to the whole buffer and
    ``flags`` to 0, as in ``send``; ``to`` None sends on a connected socket (as ``send``).

    POSIX: ``sendto(2)``, retried after a signal. Windows: ``sendto``.

    Returns the count sent, or -1 with ``osLastError()`` set. Raises TypeError (not a
    contiguous buffer, ``to`` not a SockAddr) or ValueError (``length`` beyond the buffer,
    ``tolen`` out of range), and either for a bad handle or ``flags``.

    Differs from Nim: takes a Python buffer, not a pointer; a signal does not fail the call
    (README, Differences from Nim, rows 13 and 19).
    """
    if (flags is _ZERO or type(flags) is int) and tolen is None and isinstance(to, SockAddr):
        kind = type(buffer)
        if kind is bytes or kind is bytearray:
            data: Any = buffer if kind is bytes else _from_buffer(buffer)
            size = len(data)
            if length is not None:
                size = length if type(length) is int and length <= size else -1
            sa, salen = to._sa, to._len
            try:
                while size >= 0:
                    r: int = _ns_sendto(socket, data, size, flags, sa, salen, _LOW)
                    if r >= 0 or (r != _CHECK and ffi.errno != _EINTR):
                        return r
                    if r == _CHECK:
                        break
            except BaseException:
                _fast_failed(data, buffer, socket, flags, size)
            else:
                _end(data, buffer)
    return _sendto(socket, buffer, length, flags, to, tolen)


def _sendto(socket: Any, buffer: Any, length: Any, flags: Any, to: Any, tolen: Any) -> int:
    """sendto's slow path: every argument checked in Python, then sendto(2) itself."""
    if type(socket) is not int or not 0 <= socket <= HANDLE_MAX:
        socket = handle(socket)
    if type(flags) is not int or not _INT_MIN <= flags <= _INT_MAX:
        flags = c_int(flags, "flags")
    sa: Any
    if tolen is None and isinstance(to, SockAddr):
        sa, salen = to._sa, to._len
    elif to is None and tolen is None:
        sa, salen = _NULL, 0
    else:
        sa, salen = sockaddr(to, tolen, "to")
    if length is None and type(buffer) is bytes:  # cffi passes bytes as they are
        while True:
            r: int = _sys_sendto(socket, buffer, len(buffer), flags, sa, salen)
            if r >= 0 or ffi.errno != _EINTR:
                return r
    data, size = _buffer(buffer, length, False)
    try:
        while True:
            r = _sys_sendto(socket, data, size, flags, sa, salen)
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
    if (flags is _ZERO or type(flags) is int) and type(buffer) is bytearray:
        if address is None:
            sa = _NULL
        elif isinstance(address, SockAddr):
            sa = address._sa
        else:
            return _recvfrom(socket, buffer, length, flags, address)
        data = _from_buffer(buffer)
        size = len(data)
        if length is not None:
            size = length if type(length) is int and length <= size else -1
        try:
            while size >= 0:  # ns_recvfrom: recvfrom(2) giving count | sender's length << 32
                r: int = _ns_recvfrom(socket, data, size, flags, sa, _LOW)
                if r >= 0:
                    if address is not None:
                        address._len = r >> 32
                    return r & 0xFFFFFFFF
                if r != _CHECK and ffi.errno != _EINTR:
                    return -1
                if r == _CHECK:
                    break
        except BaseException:
            _fast_failed(data, buffer, socket, flags, size)
        else:
            _release(data)
    return _recvfrom(socket, buffer, length, flags, address)


def _recvfrom(socket: Any, buffer: Any, length: Any, flags: Any, address: Any) -> int:
    """recvfrom's slow path: every argument checked in Python, then recvfrom(2) itself."""
    if type(socket) is not int or not 0 <= socket <= HANDLE_MAX:
        socket = handle(socket)
    if type(flags) is not int or not _INT_MIN <= flags <= _INT_MAX:
        flags = c_int(flags, "flags")
    if address is None:
        sa = ffi.NULL
    else:
        sa = address._sa if isinstance(address, SockAddr) else sockaddr(address, None, "address")[0]
    if length is None and type(buffer) is bytearray:  # always writable, always contiguous
        data = _from_buffer(buffer)
        size = len(data)
    else:
        data, size = _buffer(buffer, length, True)
    try:
        while True:  # ns_recvfrom: recvfrom(2) giving count | sender's length << 32
            r: int = _ns_recvfrom(socket, data, size, flags, sa, 0)
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


def _end(data: Any, buffer: object) -> None:
    """End the export a fast path made of a bytearray (bytes are passed as they are)."""
    if data is not buffer:
        _release(data)


def _fast_failed(data: Any, buffer: object, socket: object, flags: object, size: int) -> None:
    """A fast path's ``except`` clause: end the export now (see _buffer), then re-raise what
    is being handled unless it is cffi refusing an argument (no system call was made, and
    the slow path raises the error that names the proc, or converts an int-like). An error
    raised when the C call returned (a signal handler's, the system call done) propagates.
    ``size`` -1: a bad length, checked by the slow path."""
    _end(data, buffer)
    error = sys.exc_info()[1]
    if not isinstance(error, (TypeError, OverflowError)) or (size >= 0 and _took(socket, flags)):
        raise  # noqa: PLE0704 - the exception of the caller's except clause


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
    (or ``osInvalidSocket``, ``addr`` then unchanged) and writes into ``addr`` the peer that
    the accept call itself returned, setting its length.

    Differs from Nim: the peer text is right for IPv6 and Unix peers (Nim formats every peer
    as IPv4); a signal does not fail the call; SO_NOSIGPIPE on macOS (README, Differences
    from Nim, rows 2, 13 and 24).
    """
    if type(fd) is not int or not 0 <= fd <= HANDLE_MAX:
        fd = handle(fd)
    if isinstance(inheritable, SockAddr):  # raw: the peer's bytes, as accept gave them
        addr = inheritable
        rawlen: Any = _new("int *")
        while True:
            c: int = _ns_accept(fd, 0, _NULL, addr._sa, rawlen)
            if c != osInvalidSocket or ffi.errno != _EINTR:
                break
        if c != osInvalidSocket:
            addr._len = rawlen[0]
        return c
    if type(inheritable) is not bool:
        inheritable = flag(inheritable, "inheritable")
    peer = _new("struct ns_name *")
    while True:
        c = _ns_accept(fd, inheritable, peer, _NULL, _NULL)
        if c != osInvalidSocket or ffi.errno != _EINTR:
            break
    if c == osInvalidSocket:
        return osInvalidSocket, ""
    return c, name_text(peer)


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


def _name(socket: int, domain: Domain | int, peer: int, proc: str) -> tuple[str, Port]:
    if type(socket) is not int or not 0 <= socket <= HANDLE_MAX:
        socket = handle(socket)
    if type(domain) is not Domain and (type(domain) is bool or not isinstance(domain, int)):
        raise TypeError(
            f"{proc}(): domain must be a Domain or its number (AF_INET...), "
            f"not {type(domain).__name__}"
        )
    name = ffi.new("struct ns_name *")
    if lib.ns_getname(socket, peer, name) == -1:
        known = toKnownDomain(int(domain))
        fail(f"{proc}({socket}, {known.name if known else int(domain)})")
    return name_text(name), Port(name.port)


def getLocalAddr(socket: int, domain: Domain | int) -> tuple[str, Port]:
    """The handle's local address and port: IPv4, IPv6 or Unix (the path and Port(0)), read
    from the family the system returns, whatever ``domain`` says. An unnamed Unix socket
    gives "" on every system (macOS and the BSDs return a zeroed path, Linux none); on Linux
    an abstract name is given whole, from its leading NUL.

    POSIX: ``getsockname(2)``, then ``inet_ntop(3)``. Windows: ``getsockname`` (a socket not
    bound yet gives its family's unspecified address), then ``inet_ntop``.

    Raises OSError if the call fails (EAFNOSUPPORT for another family); TypeError if
    ``domain`` is neither a Domain nor an int (it is only named in the error message);
    TypeError or ValueError for a bad handle.

    Differs from Nim: Unix sockets work and ``domain`` is not trusted (README, Differences
    from Nim, row 9).
    """
    return _name(socket, domain, 0, "getLocalAddr")


def getPeerAddr(socket: int, domain: Domain | int) -> tuple[str, Port]:
    """The connected peer's address and port: IPv4, IPv6 or Unix (the path and Port(0)), read
    from the family the system returns, whatever ``domain`` says. An unnamed Unix peer gives
    "" on every system, as for ``getLocalAddr``.

    POSIX: ``getpeername(2)``, then ``inet_ntop(3)``. Windows: ``getpeername``, then
    ``inet_ntop``.

    Raises OSError if the call fails (ENOTCONN for a handle with no peer, EAFNOSUPPORT for
    another family); TypeError if ``domain`` is neither a Domain nor an int; TypeError or
    ValueError for a bad handle.

    Differs from Nim: Unix sockets work and ``domain`` is not trusted (README, Differences
    from Nim, row 9).
    """
    return _name(socket, domain, 1, "getPeerAddr")


def getSockOptInt(socket: int, level: int, optname: int) -> int:
    """An integer socket option: ``level`` ``SOL_SOCKET`` with ``SO_RCVBUF``, ``SO_SNDBUF``,
    ``SO_TYPE``, ``SO_ERROR``, ``SO_REUSEADDR``, ``SO_KEEPALIVE``, ``SO_RCVLOWAT``...;
    ``IPPROTO_TCP`` with ``TCP_NODELAY``; ``IPPROTO_IP`` with ``IP_TTL``, ``IP_TOS``;
    ``IPPROTO_IPV6`` with ``IPV6_V6ONLY``, ``IPV6_UNICAST_HOPS``. Options whose value is not
    an int are not for this proc: ``SO_LINGER`` (a ``struct linger``), ``SO_RCVTIMEO`` and
    ``SO_SNDTIMEO`` (a ``struct timeval`` on POSIX, a DWORD on Windows); the stdlib's
    ``socket.socket(fileno=h).getsockopt(level, name, size)`` reads those.

    POSIX: ``getsockopt(2)``. Windows: ``getsockopt``.

    Raises OSError if the call fails; TypeError or ValueError for a bad argument.
    """
    if type(level) is int and type(optname) is int:  # not bools (cffi refuses non-ints)
        try:
            value: int = _ns_getsockopt_int(socket, level, optname, _LOW)
        except (TypeError, OverflowError):
            if _took(socket, level, optname):
                raise  # a signal handler's, when the call returned
            value = _CHECK_OPT
        if value >= _INT_MIN:
            return value
        if value != _CHECK_OPT:
            fail(f"getSockOptInt({socket}, {level}, {optname})")
    return _getSockOptInt(socket, level, optname)


def _getSockOptInt(socket: Any, level: Any, optname: Any) -> int:
    """getSockOptInt's slow path: every argument checked in Python."""
    if type(socket) is not int or not 0 <= socket <= HANDLE_MAX:
        socket = handle(socket)
    level, optname = c_int(level, "level"), c_int(optname, "optname")
    value: int = _ns_getsockopt_int(socket, level, optname, 0)
    if value < _INT_MIN:
        fail(f"getSockOptInt({socket}, {level}, {optname})")
    return value


def setSockOptInt(socket: int, level: int, optname: int, optval: int) -> None:
    """Set an integer socket option (see ``getSockOptInt`` for which options are ints;
    ``SO_LINGER``, ``SO_RCVTIMEO`` and ``SO_SNDTIMEO`` are not).

    POSIX: ``setsockopt(2)``. Windows: ``setsockopt``.

    Raises OSError if the call fails; TypeError or ValueError for a bad argument.
    """
    if type(level) is int and type(optname) is int and type(optval) is int:  # not bools
        try:
            r: int = _ns_setsockopt_int(socket, level, optname, optval, _LOW)
        except (TypeError, OverflowError):
            if _took(socket, level, optname, optval):
                raise  # a signal handler's, when the call returned
            r = _CHECK
        if r == 0:
            return
        if r != _CHECK:
            fail(f"setSockOptInt({socket}, {level}, {optname}, {optval})")
    _setSockOptInt(socket, level, optname, optval)


def _setSockOptInt(socket: Any, level: Any, optname: Any, optval: Any) -> None:
    """setSockOptInt's slow path: every argument checked in Python."""
    if type(socket) is not int or not 0 <= socket <= HANDLE_MAX:
        socket = handle(socket)
    level, optname = c_int(level, "level"), c_int(optname, "optname")
    optval = c_int(optval, "optval")
    if _ns_setsockopt_int(socket, level, optname, optval, 0) == -1:
        fail(f"setSockOptInt({socket}, {level}, {optname}, {optval})")


def setBlocking(s: int, blocking: bool) -> None:
    """Set blocking mode: ``blocking`` False makes calls on the handle return at once
    (-1 with EAGAIN/EWOULDBLOCK) instead of waiting; True makes them wait again.

    POSIX: one ``ioctl(2)`` ``FIONBIO``. Windows: ``ioctlsocket`` ``FIONBIO``.

    Raises OSError if the call fails; TypeError if ``blocking`` is not a bool (or an int,
    by its truth value); TypeError or ValueError for a bad handle.

    Differs from Nim: Nim makes two ``fcntl`` calls, with the same result (README, Differences
    from Nim, row 15).
    """
    try:  # ns_blocking and ns_nonblocking check the handle as with _LOW
        if blocking is True:
            r: int = _ns_blocking(s)
        elif blocking is False:
            r = _ns_nonblocking(s)
        else:
            r = _CHECK  # an int by its truth value, or not a bool: the slow path's flag()
    except (TypeError, OverflowError):
        if _took(s):
            raise  # a signal handler's, when the call returned
        r = _CHECK
    if r:
        _setBlocking(s, blocking, r)


def _setBlocking(s: Any, blocking: Any, r: int) -> None:
    """setBlocking's slow path: every argument checked in Python after a _CHECK; the error."""
    if r == _CHECK:
        if type(s) is not int or not 0 <= s <= HANDLE_MAX:
            s = handle(s)
        if type(blocking) is not bool:
            blocking = flag(blocking, "blocking")
        r = lib.ns_set_blocking(s, blocking)
    if r == -1:
        fail(f"setBlocking({s}, {blocking})")


def _wait(s: int, for_write: bool, timeout: int) -> int:
    while True:
        r: int = _ns_poll1(s, for_write, timeout, 0)
        if r != -1 or ffi.errno != _EINTR:
            return r


def _packer(n: int) -> Any:
    """struct's packer of ``n`` handles, compiled once per list size (a few sizes recur)."""
    pack = _PACKERS.get(n)
    if pack is None:
        if len(_PACKERS) >= 64:
            _PACKERS.clear()
        pack = _PACKERS[n] = Struct(f"{n}{_HANDLE_FORMAT}").pack
    return pack


def _handle_array(handles: list[Any], n: int) -> Any:
    """The snapshot of the list as a C array of handles. Ints and int-like objects
    (``__index__``) are handles, as everywhere; anything else is a TypeError, a number out
    of range a ValueError (a negative one, or a bool, is found in C: see ``_select``)."""
    if _PACK_HANDLES:  # CPython: struct packs a list three times as fast as cffi converts it
        try:
            data = _packer(n)(*handles)  # our own copy: nothing else can change it
        except _StructError:
            _bad_handle(handles)
        arr = _new("ns_handle[]", n)
        _memmove(arr, data, n * _HANDLE_SIZE)
        return arr
    try:  # our own copy: converting the caller's list would run its items' __index__, which
        # can change it mid-conversion (PyPy's cffi then reads past it: tests/test_mutation.py)
        return _new_unzeroed("ns_handle[]", handles)
    except (TypeError, OverflowError):  # cffi takes no __index__: convert each handle once
        return _new("ns_handle[]", [handle(h) for h in handles])


def _bad_handle(handles: list[Any]) -> NoReturn:
    """Raise the TypeError or ValueError for the first element that is not a handle."""
    for h in handles:
        if type(h) is bool:
            raise TypeError(f"{_proc()}a socket handle must be an int, not bool")
        handle(h)
    raise ValueError(f"{_proc()}an invalid socket handle in the list")  # an __index__ changed


def _select(fds: list[int], timeout: int, for_write: bool) -> int:
    if type(fds) is not list:
        raise TypeError(f"{_proc()}the handles must be a list of ints, not {type(fds).__name__}")
    if type(timeout) is not int or not -1 <= timeout <= 2**31 - 1:
        timeout = c_int(timeout, "timeout", -1)
    # One snapshot: the count, the C array and what is written back all come from it, so
    # nothing that changes the list during the call (an __index__, a signal handler,
    # another thread) can make C read past the array.
    one: Any = _UNSET
    if len(fds) == 1:
        try:
            (one,) = fds  # the snapshot of a one-handle list
        except ValueError:  # another thread changed it since len()
            pass
    if type(one) is int and 0 <= one <= HANDLE_MAX:
        # one valid handle: a scalar for the C side, no array to fill and read back
        deadline = monotonic() + timeout / 1000 if timeout > 0 else 0.0
        while True:
            r: int = _ns_poll1(one, for_write, timeout, 0)
            if r != -1 or ffi.errno != _EINTR:
                break
            if timeout > 0:
                timeout = max(0, int((deadline - monotonic()) * 1000 + 0.999))
        if r == 0:
            fds.clear()
        return r
    # list(): no allocation between reading the length and the items (tuple() has one on
    # CPython 3.11 and earlier, where a finalizer could shrink the list in between)
    handles = list(fds) if one is _UNSET else [one]
    n = len(handles)
    arr = _handle_array(handles, n)
    deadline = monotonic() + timeout / 1000 if timeout > 0 else 0.0
    low = 2  # handles 0 and 1 may be bools: checked below, only when one is there
    try:
        while True:
            r = _ns_poll(arr, n, for_write, timeout, low)
            if r == -2 and low:
                if any(type(h) is bool for h in handles):
                    _bad_handle(handles)
                low = 0
                continue
            if r != -1 or ffi.errno != _EINTR:
                break
            if timeout > 0:
                timeout = max(0, int((deadline - monotonic()) * 1000 + 0.999))
    except BaseException:  # a signal handler raised: end the export now (see _buffer)
        _release(arr)
        raise
    if r == -2:
        raise ValueError(f"{_proc()}invalid socket handle {min(ffi.unpack(arr, n))} in the list")
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
    if type(readfds) is list and type(timeout) is int and timeout <= 0 and len(readfds) == 1:
        try:
            (one,) = readfds  # the snapshot of a one-handle list
        except ValueError:  # another thread changed it since len()
            return _select(readfds, timeout, False)
        try:  # the handle and the timeout checked by C; 0 or -1: no deadline to keep
            r: int = _ns_poll1(one, 0, timeout, _LOW)
        except (TypeError, OverflowError):
            if _took(one, timeout):
                raise  # a signal handler's, when the call returned
            r = _CHECK
        if r >= 0 or (r == -1 and ffi.errno != _EINTR):
            if r == 0:
                readfds.clear()
            return r
    return _select(readfds, timeout, False)


def selectWrite(writefds: list[int], timeout: int = 500) -> int:
    """As ``selectRead``, for handles that are writable (a failed connect counts as ready).

    POSIX: ``poll(2)``. Windows: ``select`` with an ``fd_set`` sized to the list, and the
    exception set for failed connects.

    Raises TypeError if ``writefds`` is not a list of ints, ValueError for a negative handle
    or a bad ``timeout``.

    Differs from Nim: as ``selectRead`` (README, Differences from Nim, rows 1 and 13).
    """
    if type(writefds) is list and type(timeout) is int and timeout <= 0 and len(writefds) == 1:
        try:
            (one,) = writefds  # the snapshot of a one-handle list
        except ValueError:  # another thread changed it since len()
            return _select(writefds, timeout, True)
        try:  # the handle and the timeout checked by C; 0 or -1: no deadline to keep
            r: int = _ns_poll1(one, 1, timeout, _LOW)
        except (TypeError, OverflowError):
            if _took(one, timeout):
                raise  # a signal handler's, when the call returned
            r = _CHECK
        if r >= 0 or (r == -1 and ffi.errno != _EINTR):
            if r == 0:
                writefds.clear()
            return r
    return _select(writefds, timeout, True)

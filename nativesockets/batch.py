"""Batches of datagrams: ``sendMany`` and ``recvMany``, one system call for many datagrams.

Not in Nim's module; named in its style. ``sendmmsg(2)``/``recvmmsg(2)`` where the system
has them (Linux, FreeBSD, NetBSD: ``NS_HAS_MMSG``), a loop over ``sendto``/``recvfrom`` in C
elsewhere (macOS, Windows). The datagrams go out of and into the caller's buffers, which
are not copied and can be reused from call to call.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Union

from nativesockets._ffi import ffi, lib
from nativesockets.addresses import SockAddr
from nativesockets.errors import HANDLE_MAX, _proc, bad_buffer, c_int, handle

__all__ = ["recvMany", "sendMany"]

Buffer = Union[bytes, bytearray, memoryview]
WritableBuffer = Union[bytearray, memoryview]

_EINTR = lib.EINTR
_INT_MIN = -(2**31)
_INT_MAX = 2**31 - 1
_NULL = ffi.NULL
_from_buffer = ffi.from_buffer
_new = ffi.new
_unpack = ffi.unpack
_release_view = ffi.release
_BYTEARRAY = {bytearray}
_ADDRESS_TYPES: set[type] = set()  # SockAddr and its subclasses, learnt as they come
# The C entry points; tests swap in the loops (ns_*_loop) to run the fallback path too.
_send_many = lib.ns_send_many
_recv_many = lib.ns_recv_many


def _snapshot(items: object, what: str) -> Sequence[Any]:
    """One snapshot of a list or tuple argument: the count, the C arrays and the write-back
    of a call all come from it, and it holds every element (each buffer, each SockAddr whose
    memory C reads or writes) until the call returns, whatever changes the caller's list in
    the meantime (an __index__ or __buffer__ hook, a signal handler, another thread, a
    finalizer). A list is copied by list(), which reads its length and items with no
    allocation between them; tuple() allocates there on CPython 3.11 and earlier, where a
    finalizer could shrink the list under it."""
    if type(items) is tuple:
        return items
    if type(items) is list:
        return list(items)
    raise TypeError(f"{_proc()}{what} must be a list or tuple, not {type(items).__name__}")


def _views(buffers: Sequence[Any], writable: bool) -> list[Any]:
    """C views of each buffer, without copies. The last step that can fail: once the
    views exist, only a signal handler's exception can leave before the C call returns."""
    try:
        if not writable or {*map(type, buffers)} == _BYTEARRAY:  # bytearray: always writable
            return list(map(_from_buffer, buffers))  # on failure the views made so far die here
        views: list[Any] = []
        try:
            for b in buffers:
                views.append(_from_buffer(b, require_writable=True))
        except BaseException:
            _release(views)
            raise
        return views
    except (BufferError, TypeError):  # not a buffer, read-only, or not contiguous
        for b in buffers:  # which one (the error path only: no C call follows)
            try:
                _release_view(_from_buffer("char[]", b, writable))
            except (BufferError, TypeError):
                raise bad_buffer(b, writable, "every buffer") from None
        raise


def _release(views: list[Any]) -> None:
    """End the buffer exports now, on an exception: a traceback kept in a reference cycle
    would keep them, and CPython < 3.12.6 crashes collecting a memoryview that still has
    one. On the normal way out they end with the call (CPython frees the views there; PyPy
    has no exports that block anything)."""
    for view in views:
        _release_view(view)


def _sizes(views: list[Any]) -> tuple[Any, int]:
    """``(NULL, size)`` when every view has the same size, else ``(size_t array, 0)``."""
    sizes = list(map(len, views))
    if sizes.count(sizes[0]) == len(sizes):
        return _NULL, sizes[0]
    return _new("size_t[]", sizes), 0


def _addresses(addresses: object, n: int, what: str) -> Sequence[Any]:
    """The snapshot of a list or tuple of ``n`` SockAddr objects, checked."""
    snapshot = _snapshot(addresses, what)
    if len(snapshot) != n:
        raise ValueError(
            f"{_proc()}{what} must hold one SockAddr per buffer: "
            f"{len(snapshot)} addresses for {n} buffers"
        )
    if not {*map(type, snapshot)} <= _ADDRESS_TYPES:
        for a in snapshot:
            if not isinstance(a, SockAddr):
                raise TypeError(
                    f"{_proc()}every address in {what} must be a SockAddr such as "
                    f"Sockaddr_in(host, port), not {type(a).__name__}"
                )
            _ADDRESS_TYPES.add(type(a))
    return snapshot


def sendMany(
    socket: int,
    buffers: Sequence[Buffer],
    to: SockAddr | Sequence[SockAddr] | None = None,
    flags: int = 0,
) -> int:
    """Send each buffer of ``buffers`` (a list or tuple of bytes-like objects) as one
    datagram, in order, with as few system calls as the platform allows.

    POSIX: ``sendmmsg(2)`` on Linux, FreeBSD and NetBSD, ``sendto(2)`` once per datagram
    elsewhere (macOS...). Windows: ``sendto`` once per datagram.

    ``to`` is where every datagram goes (a SockAddr), or a list or tuple with one SockAddr
    per buffer, or None on a connected socket. The buffers are not copied.

    Returns the number of datagrams sent: all of them on a blocking socket, unless an error
    came after the first (the error is then dropped; the next call reports it); on a
    non-blocking socket those that fit. Returns -1 with ``osLastError()`` set when none was
    sent (EAGAIN when a non-blocking socket is full). An empty list sends nothing and
    returns 0. Interrupted by a signal before sending anything, it retries after Python's
    signal handlers ran.

    Raises TypeError (``buffers`` not a list or tuple of contiguous buffers, an address not
    a SockAddr) or ValueError (as many addresses as buffers needed), and either for a bad
    handle or ``flags``. Not in Nim's module.
    """
    if type(socket) is not int or not 0 <= socket <= HANDLE_MAX:
        socket = handle(socket)
    if type(flags) is not int or not _INT_MIN <= flags <= _INT_MAX:
        flags = c_int(flags, "flags")
    items = _snapshot(buffers, "buffers")
    n = len(items)
    sa: Any = _NULL
    salen = 0
    addrs: Any = _NULL
    addrlens: Any = _NULL
    if to is None:
        pass
    elif isinstance(to, SockAddr):
        sa, salen = to._sa, to._len
    else:  # the snapshot keeps each SockAddr, so its memory, until the call returns
        targets = _addresses(to, n, "to")
        addrs = _new("struct sockaddr *[]", [a._sa for a in targets])
        addrlens = _new("socklen_t[]", [a._len for a in targets])
    if n == 0:
        return 0
    views = _views(items, False)
    try:
        bufs = _new("void *[]", views)
        lens, size = _sizes(views)
        while True:
            r: int = _send_many(socket, bufs, lens, size, n, sa, salen, addrs, addrlens, flags)
            if r >= 0 or ffi.errno != _EINTR:
                return r
    except BaseException:  # a signal handler raised: end the exports now (see _release)
        _release(views)
        raise


def recvMany(
    socket: int,
    buffers: Sequence[WritableBuffer],
    lengths: list[int],
    addresses: Sequence[SockAddr] | None = None,
    flags: int = 0,
    msgFlags: list[int] | None = None,
) -> int:
    """Receive up to ``len(buffers)`` datagrams with as few system calls as the platform
    allows.

    POSIX: ``recvmmsg(2)`` with ``MSG_WAITFORONE`` on Linux, FreeBSD and NetBSD,
    ``recvfrom(2)`` once per datagram elsewhere (macOS...; ``MSG_DONTWAIT`` after the first).
    Windows: ``recvfrom`` once per datagram, with ``select`` (no wait) before each after the
    first; a datagram longer than its buffer fills it and counts (``WSAEMSGSIZE``).

    It waits for the first datagram as the socket and ``flags`` say (not at all on a
    non-blocking socket or with ``MSG_DONTWAIT``), then takes the datagrams already queued,
    without waiting for more. Datagram ``i`` lands in ``buffers[i]`` (a list or tuple of
    writable buffers, not copied); a datagram longer than its buffer is cut to it, the
    rest discarded, as ``recvfrom`` does. ``lengths`` (a list) is replaced in place by the
    byte count of each datagram received. With ``addresses`` (a list or tuple of one
    ``Sockaddr_storage`` or other SockAddr per buffer), the sender of datagram ``i`` is
    written into ``addresses[i]``, whose length is updated. With ``msgFlags`` (a list), it
    is replaced in place by each datagram's flags: ``flags & MSG_TRUNC`` says that datagram
    was longer than its buffer and was cut (POSIX: ``recvmsg``'s ``msg_flags``; Windows:
    ``WSAEMSGSIZE``).

    Returns the number of datagrams received, or -1 with ``osLastError()`` set when none
    was (EAGAIN on a non-blocking socket with nothing queued); ``lengths``,
    ``addresses`` and ``msgFlags`` are then unchanged. An empty list receives nothing and returns 0.
    Interrupted by a signal before receiving anything, it retries after Python's signal
    handlers ran.

    Raises TypeError (``buffers`` not a list or tuple of writable contiguous buffers,
    ``lengths`` or ``msgFlags`` not a list, an address not a SockAddr) or ValueError (as
    many addresses as buffers needed), and either for a bad handle or ``flags``. Not in
    Nim's module.
    """
    if type(socket) is not int or not 0 <= socket <= HANDLE_MAX:
        socket = handle(socket)
    if type(lengths) is not list:
        raise TypeError(
            f"recvMany(): lengths must be a list (filled with each datagram's length), "
            f"not {type(lengths).__name__}"
        )
    if msgFlags is not None and type(msgFlags) is not list:
        raise TypeError(
            f"recvMany(): msgFlags must be a list or None, not {type(msgFlags).__name__}"
        )
    if type(flags) is not int or not _INT_MIN <= flags <= _INT_MAX:
        flags = c_int(flags, "flags")
    items = _snapshot(buffers, "buffers")
    n = len(items)
    addrs: Any = _NULL
    addrlens: Any = _NULL
    senders: Sequence[Any] = ()
    if addresses is not None:  # the snapshot keeps each SockAddr until the call returns
        senders = _addresses(addresses, n, "addresses")
        addrs = _new("struct sockaddr *[]", [a._sa for a in senders])
        addrlens = _new("socklen_t[]", n)
    if n == 0:
        lengths.clear()
        if msgFlags is not None:
            msgFlags.clear()
        return 0
    views = _views(items, True)
    try:
        bufs = _new("void *[]", views)
        lens, size = _sizes(views)
        got: Any = _new("size_t[]", n)
        out_flags: Any = _NULL if msgFlags is None else _new("int[]", n)
        while True:
            r: int = _recv_many(socket, bufs, lens, size, n, got, addrs, addrlens, flags, out_flags)
            if r >= 0 or ffi.errno != _EINTR:
                break
    except BaseException:  # a signal handler raised: end the exports now (see _release)
        _release(views)
        raise
    if r > 0:
        lengths[:] = _unpack(got, r)
        if msgFlags is not None:
            msgFlags[:] = _unpack(out_flags, r)
        if senders:
            for a, length in zip(senders, _unpack(addrlens, r)):  # at most the storage size
                a._len = length
    return r

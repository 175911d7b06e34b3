"""selectRead and selectWrite: poll(2) behind Nim's select contract. The list is pruned in
place to the ready handles (in their order), the count is returned, a failure returns -1 and
leaves the list alone, and any handle number works, FD_SETSIZE (1024) and above included."""

from __future__ import annotations

import errno
import os
import socket
import sys
from collections.abc import Iterator

import pytest
from conftest import WAIT_MS, Family, Handles, Pair, make_pair, set_nonblocking

import nativesockets as ns

WINDOWS = sys.platform == "win32"
FD_SETSIZE = 1024
# osLastError() after a select on a closed handle: EBADF on POSIX, WSAENOTSOCK on Windows
CLOSED_HANDLE_ERROR = 10038 if WINDOWS else errno.EBADF
# the smallest number above the largest handle: INT_MAX on POSIX, a SOCKET is a UINT_PTR
# (the package takes up to INTPTR_MAX) on Windows
TOO_BIG_HANDLE = 2**63 if WINDOWS else 2**31
SELECTS = [
    pytest.param(ns.selectRead, id="selectRead"),
    pytest.param(ns.selectWrite, id="selectWrite"),
]


def make_readable(pair: Pair) -> int:
    """Send to the server side and wait until it is readable; return it."""
    assert ns.send(pair.client, b"x") == 1
    probe = [pair.server]
    assert ns.selectRead(probe, WAIT_MS) == 1
    return pair.server


def test_selectRead_keeps_the_readable_handles(pair: Pair) -> None:
    idle = pair.client  # nothing was sent to it
    ready = make_readable(pair)
    handles = [idle, ready]
    assert ns.selectRead(handles, 0) == 1
    assert handles == [ready]


def test_selectRead_keeps_the_order(family: Family) -> None:
    pairs = [make_pair(family) for _ in range(3)]
    for p in pairs[::2]:
        make_readable(p)
    handles = [pairs[2].server, pairs[1].server, pairs[0].server, pairs[1].client]
    original = handles
    assert ns.selectRead(handles, 10) == 2
    assert handles is original  # pruned in place, not replaced
    assert handles == [pairs[2].server, pairs[0].server]  # Nim swaps with the last


def test_selectRead_count_matches_the_list(family: Family) -> None:
    pairs = [make_pair(family) for _ in range(4)]
    for p in pairs:
        make_readable(p)
    handles = [p.server for p in pairs] + [p.client for p in pairs]
    count = ns.selectRead(handles, -1)
    assert count == 4 == len(handles)
    assert handles == [p.server for p in pairs]


def test_selectRead_timeout_empties_the_list(pair: Pair) -> None:
    for timeout in (0, 1, 20):
        handles = [pair.client, pair.server]
        assert ns.selectRead(handles, timeout) == 0
        assert handles == []


def test_selectRead_default_timeout(pair: Pair) -> None:
    make_readable(pair)
    handles = [pair.server]
    assert ns.selectRead(handles) == 1
    assert handles == [pair.server]


def test_selectRead_waits_forever_only_when_needed(pair: Pair) -> None:
    ready = make_readable(pair)
    handles = [pair.client, ready]
    assert ns.selectRead(handles, -1) == 1
    assert handles == [ready]


def test_selectRead_end_of_stream_is_readable(pair: Pair, handles: Handles) -> None:
    handles.close(pair.client)
    waiting = [pair.server]
    assert ns.selectRead(waiting, WAIT_MS) == 1
    assert waiting == [pair.server]
    assert ns.recv(pair.server, bytearray(1)) == 0


def test_selectRead_pending_connection_is_readable(pair: Pair, handles: Handles) -> None:
    listener = [pair.listener]
    assert ns.selectRead(listener, 0) == 0
    client = pair.family.socket()
    assert ns.connect(client, pair.address) == 0
    listener = [pair.listener]
    assert ns.selectRead(listener, WAIT_MS) == 1
    conn, _ = ns.accept(pair.listener)
    handles.track(conn)


def test_selectWrite_keeps_the_writable_handles(pair: Pair) -> None:
    handles = [pair.listener, pair.client, pair.server]  # a listener is never writable
    assert ns.selectWrite(handles, 0) == 2
    assert handles == [pair.client, pair.server]


def test_selectWrite_full_buffer_is_not_writable(pair: Pair) -> None:
    set_nonblocking(pair.client)
    ns.setSockOptInt(pair.client, ns.SOL_SOCKET, ns.SO_SNDBUF, 4096)
    chunk = bytes(65536)
    while ns.send(pair.client, chunk) > 0:
        pass
    assert ns.osLastError() in (errno.EAGAIN, errno.EWOULDBLOCK)
    handles = [pair.client]
    assert ns.selectWrite(handles, 0) == 0
    assert handles == []


@pytest.mark.parametrize("select", SELECTS)
def test_empty_list(select: object) -> None:
    handles: list[int] = []
    assert select(handles, 0) == 0  # type: ignore[operator]
    assert handles == []


@pytest.mark.parametrize("select", SELECTS)
def test_a_closed_handle_fails_with_EBADF(pair: Pair, select: object, closed_handle: int) -> None:
    make_readable(pair)
    handles = [pair.server, closed_handle, pair.client]
    before = list(handles)
    assert select(handles, 0) == -1  # type: ignore[operator]
    assert ns.osLastError() == CLOSED_HANDLE_ERROR
    assert handles == before
    alone = [closed_handle]
    assert select(alone, -1) == -1  # type: ignore[operator]
    assert ns.osLastError() == CLOSED_HANDLE_ERROR
    assert alone == [closed_handle]


@pytest.mark.parametrize("select", SELECTS)
@pytest.mark.parametrize(
    ("bad", "error"),
    [
        (-1, ValueError),
        (ns.osInvalidSocket, ValueError),
        (-(2**31), ValueError),
        (TOO_BIG_HANDLE, ValueError),
        (-(2**40), ValueError),
        ("3", TypeError),
        (3.5, TypeError),
        (None, TypeError),
    ],
)
def test_a_bad_handle_raises_and_leaves_the_list(
    pair: Pair, select: object, bad: object, error: type
) -> None:
    handles = [pair.client, bad, pair.server]
    with pytest.raises(error):
        select(handles, 0)  # type: ignore[operator]
    assert handles == [pair.client, bad, pair.server]


class IntLike:
    """A handle as an int-like object (numpy's integers are such): every proc takes one
    through ``__index__``."""

    def __init__(self, value: int) -> None:
        self.value = value

    def __index__(self) -> int:
        return self.value


def test_int_like_handles_in_the_list(pair: Pair) -> None:
    ready = make_readable(pair)
    handles = [IntLike(pair.client), IntLike(ready), pair.client]
    assert ns.selectRead(handles, 0) == 1  # type: ignore[arg-type]
    assert handles == [ready]  # the ready ones come back as ints
    assert type(handles[0]) is int
    assert ns.selectWrite([IntLike(pair.client), IntLike(ready)], 0) == 2  # type: ignore[list-item]


@pytest.mark.parametrize("select", SELECTS)
@pytest.mark.parametrize("bad", [-1, TOO_BIG_HANDLE, 3.0, "3"])
def test_a_bad_handle_among_many(pair: Pair, select: object, bad: object) -> None:
    # 100 handles: the list goes to C as an array (one handle goes as a number)
    handles = [pair.client] * 50 + [bad] + [pair.server] * 49
    before = list(handles)
    with pytest.raises(TypeError if isinstance(bad, (float, str)) else ValueError):
        select(handles, 0)  # type: ignore[operator]
    assert handles == before


@pytest.mark.parametrize("select", SELECTS)
@pytest.mark.parametrize(
    ("container", "timeout", "error"),
    [
        (tuple, 0, TypeError),
        (set, 0, TypeError),
        (lambda x: iter(x), 0, TypeError),
        (list, "0", TypeError),
        (list, 0.5, TypeError),
        (list, None, TypeError),
        (list, -2, ValueError),
        (list, 2**31, ValueError),
    ],
)
def test_select_rejects(
    pair: Pair, select: object, container: object, timeout: object, error: type
) -> None:
    with pytest.raises(error):
        select(container([pair.client]), timeout)  # type: ignore[operator]


# --- handle numbers from FD_SETSIZE up -------------------------------------------------------


@pytest.fixture
def room_for_handles() -> Iterator[int]:
    """Make sure handle numbers up to 4096 can exist; give the highest usable number."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = 4096
    if soft < wanted:
        top = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        if top <= FD_SETSIZE + 16:
            pytest.skip(f"RLIMIT_NOFILE hard limit {hard} leaves no handles above FD_SETSIZE")
        resource.setrlimit(resource.RLIMIT_NOFILE, (top, hard))
    try:
        yield resource.getrlimit(resource.RLIMIT_NOFILE)[0] - 1
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def free_number(low: int, high: int) -> int:
    for fd in range(low, high):
        try:
            os.fstat(fd)
        except OSError:
            return fd
    raise AssertionError(f"no free handle number in {low}..{high}")


@pytest.mark.skipif(WINDOWS, reason="POSIX only: chosen handle numbers (os.dup2) and RLIMIT_NOFILE")
@pytest.mark.parametrize("offset", [0, 1, 500])
def test_handles_above_FD_SETSIZE(
    pair: Pair, handles: Handles, room_for_handles: int, offset: int
) -> None:
    high_server = free_number(FD_SETSIZE + offset, room_for_handles)
    os.dup2(pair.server, high_server, inheritable=False)
    handles.track(high_server)
    high_client = free_number(high_server + 1, room_for_handles + 1)
    os.dup2(pair.client, high_client, inheritable=False)
    handles.track(high_client)
    assert high_server >= FD_SETSIZE and high_client > high_server

    waiting = [high_client, high_server]
    assert ns.selectRead(waiting, 0) == 0
    assert ns.send(high_client, b"hi") == 2
    waiting = [high_client, high_server]
    assert ns.selectRead(waiting, WAIT_MS) == 1
    assert waiting == [high_server]
    writable = [high_client, high_server]
    assert ns.selectWrite(writable, WAIT_MS) == 2
    assert writable == [high_client, high_server]


def duplicate(fd: int) -> int:
    """A new handle for the same socket: dup(2) on POSIX, WSADuplicateSocket on Windows
    (a socket handle is no C runtime descriptor there)."""
    if not WINDOWS:
        return os.dup(fd)
    s = socket.socket(fileno=fd)  # fd is connected: the stdlib can read its family
    try:
        return s.dup().detach()
    finally:
        s.detach()


def test_many_handles(pair: Pair, handles: Handles) -> None:
    # more than the C helper keeps on its stack (64)
    copies = [handles.track(duplicate(pair.client)) for _ in range(100)]
    make_readable(pair)
    waiting = copies + [pair.server] + copies
    assert ns.selectRead(waiting, -1) == 1
    assert waiting == [pair.server]
    writable = list(copies)
    assert ns.selectWrite(writable, 0) == 100
    assert writable == copies


def test_stdlib_sockets_lend_their_handles() -> None:
    a, b = socket.socketpair()
    with a, b:
        a.sendall(b"x")
        waiting = [a.fileno(), b.fileno()]
        assert ns.selectRead(waiting, WAIT_MS) == 1
        assert waiting == [b.fileno()]

"""sendMany and recvMany on real loopback datagram sockets (IPv4, IPv6, Unix): counts,
contents, lengths, sender addresses, truncation, partial batches, errors and bad input.

Every test runs twice: through the platform's path (sendmmsg/recvmmsg where NS_HAS_MMSG)
and through the C loop over sendto/recvfrom that other platforms use."""

from __future__ import annotations

import errno
import signal
import socket
import struct
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Callable

import pytest
from conftest import Family, Handles, make_family

import nativesockets as ns
from nativesockets import batch
from nativesockets._ffi import lib

WINDOWS = sys.platform == "win32"
# The codes the system gives: POSIX errno | Windows (Winsock's, which osLastError gives there)
EAGAIN = {errno.EAGAIN, errno.EWOULDBLOCK}  # Windows: errno.EWOULDBLOCK is WSAEWOULDBLOCK
CLOSED = 10038 if WINDOWS else errno.EBADF  # WSAENOTSOCK: a handle that is no socket
# SO_RCVTIMEO: a struct timeval on POSIX, a DWORD of milliseconds on Windows
RCVTIMEO_10S = struct.pack("<L", 10_000) if WINDOWS else struct.pack("ll", 10, 0)


@pytest.fixture(params=["system", "loop"])
def impl(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The platform's batch calls, then the C loop over sendto/recvfrom."""
    if request.param == "loop":
        monkeypatch.setattr(batch, "_send_many", lib.ns_send_many_loop)
        monkeypatch.setattr(batch, "_recv_many", lib.ns_recv_many_loop)
    yield request.param


def guard(fd: int) -> int:
    """A receive timeout (SO_RCVTIMEO, 10 s), so that a broken recvMany fails, not hangs."""
    s = socket.socket(fileno=fd)
    try:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, RCVTIMEO_10S)
    finally:
        s.detach()
    return fd


def dgram(fam: Family, name: str) -> tuple[int, ns.SockAddr]:
    fd, addr = fam.bound(ns.SOCK_DGRAM, name)
    return guard(fd), addr


def receive(fd: int, count: int, size: int = 64) -> tuple[list[bytes], list[ns.SockAddr]]:
    """``count`` datagrams and their senders, over as many recvMany calls as it takes."""
    data: list[bytes] = []
    senders: list[ns.SockAddr] = []
    while len(data) < count:
        room = count - len(data) + 2  # more buffers than datagrams left
        bufs = [bytearray(size) for _ in range(room)]
        addrs = [ns.Sockaddr_storage() for _ in range(room)]
        lengths: list[int] = [-1]
        n = ns.recvMany(fd, bufs, lengths, addrs)
        assert 0 < n <= count - len(data), (n, ns.osLastError())
        assert len(lengths) == n
        data += [bytes(b[:k]) for b, k in zip(bufs, lengths)]
        senders += addrs[:n]
    return data, senders


def test_the_platform_path_is_the_batch_call() -> None:
    if sys.platform.startswith("linux"):
        assert lib.NS_HAS_MMSG == 1
    assert "sendmmsg" in (ns.sendMany.__doc__ or "")
    assert "recvmmsg" in (ns.recvMany.__doc__ or "")
    assert {"sendMany", "recvMany"} <= set(ns.__all__)


def test_round_trip_with_addresses(family: Family, impl: str) -> None:
    a, addr_a = dgram(family, "a")
    b, addr_b = dgram(family, "b")
    msgs = [b"one", bytearray(b"two!"), memoryview(b"three"), b"", b"x" * 60]
    assert ns.sendMany(a, msgs, addr_b) == len(msgs)
    data, senders = receive(b, len(msgs))
    assert data == [bytes(m) for m in msgs]
    for sender in senders:
        assert sender == addr_a
        assert ns.getAddrString(sender) == family.text("a")

    # and back to each sender, from a tuple of buffers, to a list of addresses
    assert ns.sendMany(b, (b"back1", b"back2"), senders[:2]) == 2
    data, senders = receive(a, 2)
    assert data == [b"back1", b"back2"]
    assert senders == [addr_b, addr_b]


def test_each_datagram_to_its_own_address(family: Family, impl: str) -> None:
    a, _ = dgram(family, "a")
    b, addr_b = dgram(family, "b")
    c, addr_c = dgram(family, "c")
    assert ns.sendMany(a, [b"to-b", b"to-c", b"to-b again"], [addr_b, addr_c, addr_b]) == 3
    assert receive(b, 2)[0] == [b"to-b", b"to-b again"]
    assert receive(c, 1)[0] == [b"to-c"]


def test_connected_socket_needs_no_address(family: Family, impl: str) -> None:
    a, _ = dgram(family, "a")
    b, addr_b = dgram(family, "b")
    assert ns.connect(a, addr_b) == 0
    assert ns.sendMany(a, [b"p", b"q"]) == 2
    bufs = [bytearray(4), bytearray(4)]
    lengths: list[int] = []
    got = ns.recvMany(b, bufs[:1], lengths)  # no addresses asked for
    assert got == 1 and lengths == [1] and bufs[0] == b"p\0\0\0"
    assert receive(b, 1)[0] == [b"q"]


def test_recvMany_takes_what_is_queued_and_does_not_wait(
    sock_dir: Path, handles: Handles, impl: str
) -> None:
    # Unix datagrams are queued by the time sendMany returns: the count is exact. A receive
    # that waited for all 8 buffers would get the watchdog's datagram, 10 s on, and fail.
    unix = make_family("unix", sock_dir, handles)
    a, addr_a = dgram(unix, "a")
    b, addr_b = unix.bound(ns.SOCK_DGRAM, "b")
    assert ns.sendMany(a, [b"1", b"22", b"333"], addr_b) == 3
    bufs = [bytearray(b"........") for _ in range(8)]
    addrs = [ns.Sockaddr_storage() for _ in range(8)]
    lengths: list[int] = [99, 98]
    returned = threading.Event()

    def watchdog() -> None:
        if not returned.wait(10):
            ns.sendMany(a, [b"late"], addr_b)

    t = threading.Thread(target=watchdog)
    t.start()
    try:
        n = ns.recvMany(b, bufs, lengths, addrs)
    finally:
        returned.set()
        t.join()
    assert n == 3
    assert lengths == [1, 2, 3]
    assert [bytes(x) for x in bufs[:3]] == [b"1.......", b"22......", b"333....."]
    assert all(x == b"........" for x in bufs[3:])  # untouched
    assert addrs[:3] == [addr_a] * 3
    assert all(len(x) == 128 and bytes(x) == bytes(128) for x in addrs[3:])


def test_nonblocking_with_nothing_queued(family: Family, impl: str) -> None:
    b, _ = dgram(family, "b")
    ns.setBlocking(b, False)
    lengths = [7]
    sender = ns.Sockaddr_storage()
    assert ns.recvMany(b, [bytearray(4)], lengths, [sender]) == -1
    assert ns.osLastError() in EAGAIN
    assert lengths == [7]
    assert len(sender) == 128 and bytes(sender) == bytes(128)


@pytest.mark.skipif(WINDOWS, reason="POSIX only: MSG_DONTWAIT")
def test_dontwait_flag(family: Family, impl: str) -> None:
    b, _ = dgram(family, "b")
    assert ns.recvMany(b, [bytearray(4)], [], None, lib.MSG_DONTWAIT) == -1
    assert ns.osLastError() in EAGAIN


def test_a_long_datagram_is_cut_to_its_buffer(family: Family, impl: str) -> None:
    a, _ = dgram(family, "a")
    b, addr_b = dgram(family, "b")
    assert ns.sendMany(a, [b"0123456789", b"abc"], addr_b) == 2
    data, _ = receive(b, 2, size=4)
    assert data == [b"0123", b"abc"]  # the rest of the first is dropped, not carried over


def test_buffers_are_filled_in_place(ip_family: Family, impl: str) -> None:
    a, _ = dgram(ip_family, "a")
    b, addr_b = dgram(ip_family, "b")
    out = bytearray(b"AAAABBBBCCCC")
    view = memoryview(out)
    assert ns.sendMany(a, [view[0:4], view[4:8], view[8:12]], addr_b) == 3
    whole = bytearray(12)
    slots = memoryview(whole)
    received = 0
    while received < 3:
        lengths: list[int] = []
        n = ns.recvMany(b, [slots[4 * i : 4 * i + 4] for i in range(received, 3)], lengths)
        assert n > 0 and lengths == [4] * n
        received += n
    assert whole == b"AAAABBBBCCCC"  # written straight into the one bytearray


def test_more_datagrams_than_one_system_call_takes(handles: Handles, impl: str) -> None:
    # 200 datagrams: several chunks of the C side's stack arrays, in order.
    fam = make_family("ipv4", Path("."), handles)
    a, _ = dgram(fam, "a")
    b, addr_b = dgram(fam, "b")
    ns.setSockOptInt(b, ns.SOL_SOCKET, ns.SO_RCVBUF, 1 << 20)
    msgs = [b"%d" % i for i in range(200)]
    assert ns.sendMany(a, msgs, addr_b) == 200
    data, senders = receive(b, 200, size=8)
    assert data == msgs


def test_stdlib_interop(ip_family: Family, impl: str) -> None:
    b, addr_b = dgram(ip_family, "b")
    with socket.socket(ip_family.stdlib_family, socket.SOCK_DGRAM) as s:
        s.bind((ip_family.host, 0))
        dest = (ip_family.host, ns.getSockName(b))
        for m in (b"s1", b"s2", b"s3"):
            s.sendto(m, dest)
        data, senders = receive(b, 3)
        assert data == [b"s1", b"s2", b"s3"]
        assert {ns.getAddrString(x) for x in senders} == {ip_family.host}
        assert ns.sendMany(b, [b"r1", b"r2"], senders[:2]) == 2
        s.settimeout(10)
        first, peer = s.recvfrom(16)
        second, _ = s.recvfrom(16)
        assert (first, second) == (b"r1", b"r2")
        assert peer[1] == ns.getSockName(b)


def test_an_error_after_the_first_ends_the_batch(
    sock_dir: Path, handles: Handles, impl: str
) -> None:
    unix = make_family("unix", sock_dir, handles)
    a, _ = dgram(unix, "a")
    b, addr_b = dgram(unix, "b")
    nobody = unix.addr(name="nobody")
    assert ns.sendMany(a, [b"ok", b"lost", b"never"], [addr_b, nobody, addr_b]) == 1
    assert ns.sendMany(a, [b"lost"], [nobody]) == -1
    assert ns.osLastError() == errno.ENOENT
    assert receive(b, 1)[0] == [b"ok"]
    ns.setBlocking(b, False)
    assert ns.recvMany(b, [bytearray(8)], []) == -1  # the third was never sent


def test_send_without_an_address_on_an_unconnected_socket(family: Family, impl: str) -> None:
    a, _ = dgram(family, "a")
    assert ns.sendMany(a, [b"x"]) == -1
    assert ns.osLastError() in {errno.EDESTADDRREQ, errno.ENOTCONN}


def test_closed_handle(closed_handle: int, impl: str) -> None:
    assert ns.sendMany(closed_handle, [b"x"], ns.Sockaddr_in("127.0.0.1", 9)) == -1
    assert ns.osLastError() == CLOSED
    assert ns.recvMany(closed_handle, [bytearray(4)], []) == -1
    assert ns.osLastError() == CLOSED


def test_empty_batches(family: Family, impl: str) -> None:
    a, _ = dgram(family, "a")
    b, addr_b = dgram(family, "b")
    assert ns.sendMany(a, [], addr_b) == 0
    lengths = [1, 2]
    assert ns.recvMany(b, [], lengths) == 0
    assert lengths == []


def test_recvMany_retries_after_a_signal(sock_dir: Path, handles: Handles, impl: str) -> None:
    unix = make_family("unix", sock_dir, handles)
    a, _ = dgram(unix, "a")
    b, addr_b = dgram(unix, "b")
    ran = threading.Event()
    main = threading.get_ident()

    def poke() -> None:  # signal the main thread until its handler ran, then send
        while not ran.is_set():
            signal.pthread_kill(main, signal.SIGUSR1)
            ran.wait(0.05)
        ns.sendMany(a, [b"after"], addr_b)

    old = signal.signal(signal.SIGUSR1, lambda *_: ran.set())
    t = threading.Thread(target=poke)
    t.start()
    try:
        buf = bytearray(8)
        lengths: list[int] = []
        assert ns.recvMany(b, [buf], lengths) == 1
    finally:
        t.join()
        signal.signal(signal.SIGUSR1, old)
    assert ran.is_set()
    assert buf[: lengths[0]] == b"after"


@pytest.mark.skipif(not hasattr(signal, "setitimer"), reason="no setitimer")
def test_an_exception_from_a_signal_handler_ends_the_exports(
    sock_dir: Path, handles: Handles, impl: str
) -> None:
    unix = make_family("unix", sock_dir, handles)
    b, _ = dgram(unix, "b")

    class Stop(Exception):
        pass

    def stop(*_: object) -> None:
        raise Stop

    old = signal.signal(signal.SIGALRM, stop)
    try:
        view = memoryview(bytearray(8))
        signal.setitimer(signal.ITIMER_REAL, 0.05)
        with pytest.raises(Stop) as caught:  # holds the traceback: recvMany's frame lives on
            ns.recvMany(b, [view, bytearray(8)], [])
        view.release()  # BufferError if recvMany left an export on it
        assert caught.type is Stop
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def test_a_bad_argument_leaves_no_export(handles: Handles, impl: str) -> None:
    # The views are released by hand: a temporary one would hold its own export on `data`
    # until the collector runs on PyPy (no reference counts), whatever the call did.
    fd = handles.socket(ns.AF_INET, ns.SOCK_DGRAM, ns.IPPROTO_UDP)
    data = bytearray(8)
    view = memoryview(data)
    with pytest.raises(TypeError):
        ns.recvMany(fd, [view, bytes(8)], [])  # the second is read-only
    view.release()  # BufferError if the call left an export on the view
    view = memoryview(data)
    with pytest.raises(ValueError):
        ns.sendMany(fd, [view], [SA, SA])
    view.release()
    data.extend(b"more")  # BufferError if an export was left on `data` itself


SA = ns.Sockaddr_in("127.0.0.1", 9)


@pytest.mark.parametrize(
    ("proc", "args", "error"),
    [
        (ns.sendMany, (b"x",), TypeError),
        (ns.sendMany, (bytearray(b"x"),), TypeError),
        (ns.sendMany, (["x"], SA), TypeError),
        (ns.sendMany, ([b"x", 1], SA), TypeError),
        (ns.sendMany, ([b"x"], "127.0.0.1"), TypeError),
        (ns.sendMany, ([b"x"], (SA, SA)), ValueError),
        (ns.sendMany, ([b"x"], [b"\2\0\0\11\177\0\0\1"]), TypeError),
        (ns.sendMany, ([b"x"], SA, 2**40), ValueError),
        (ns.sendMany, ([b"x"], SA, "0"), TypeError),
        (ns.recvMany, ([bytes(4)], []), TypeError),
        (ns.recvMany, ([memoryview(b"abcd")], []), TypeError),
        (ns.recvMany, ([bytearray(4), "x"], []), TypeError),
        (ns.recvMany, (bytearray(4), []), TypeError),
        (ns.recvMany, ([bytearray(4)], ()), TypeError),
        (ns.recvMany, ([bytearray(4)], None), TypeError),
        (ns.recvMany, ([bytearray(4)], [], [ns.Sockaddr_storage()] * 2), ValueError),
        (ns.recvMany, ([bytearray(4)], [], ["address"]), TypeError),
        (ns.recvMany, ([bytearray(4)], [], ns.Sockaddr_storage()), TypeError),
        (ns.recvMany, ([bytearray(4)], [], None, 2**40), ValueError),
    ],
)
def test_bad_arguments_raise_before_any_call(
    handles: Handles, impl: str, proc: Callable[..., Any], args: tuple, error: type
) -> None:
    fd = handles.socket(ns.AF_INET, ns.SOCK_DGRAM, ns.IPPROTO_UDP)
    ns.setBlocking(fd, False)
    with pytest.raises(error):
        proc(fd, *args)


@pytest.mark.parametrize(
    ("handle", "error"), [(-1, ValueError), (True, TypeError), ("3", TypeError), (3.0, TypeError)]
)
def test_bad_handles(handle: object, error: type) -> None:
    with pytest.raises(error):
        ns.sendMany(handle, [b"x"], SA)  # type: ignore[arg-type]
    with pytest.raises(error):
        ns.recvMany(handle, [bytearray(1)], [])  # type: ignore[arg-type]

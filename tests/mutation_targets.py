"""Scenarios that change a container argument while a call uses it, run in a child process.

tests/test_mutation.py runs this file as a script, one scenario per child, so that a crash
(a signal, an AddressSanitizer abort) fails one test instead of killing pytest:

    python tests/mutation_targets.py SCENARIO      (or --list)

A scenario calls one proc (selectRead, selectWrite, sendMany, recvMany) while one of its
container arguments (the handle list, the buffer list, the ``to``/``addresses`` list) is
changed under it by

- ``index``/``buffer``: an ``__index__`` (a handle) or ``__buffer__`` (a buffer, 3.12+)
  method of one of its elements;
- ``signal``: a Python signal handler that runs while the call is blocked in the system
  call (SIGUSR1 sent with pthread_kill once /proc shows the main thread asleep there), then
  returns, so that the call retries after EINTR;
- ``thread``: another thread rewriting the list, with ``sys.setswitchinterval(1e-6)``;
- ``gc``: the finalizer (``__del__``) of objects in reference cycles, run by the collector
  in whatever allocation the call makes (CPython: ``gc.set_threshold(1)``).

The call works on what it took at entry (the GUIDE's rule): each scenario asserts no crash,
nothing written outside the objects the container held at entry (buffers, SockAddr objects
made later stay as they were; datagrams reach only the receivers named at entry), and
either the result computed from that snapshot or a clean TypeError/ValueError/OSError. The
outcome is the same whatever the interleaving. The lists only shrink down to half their
length, and the test keeps its own references to buffers, so that no interpreter-internal
copy of a list can itself read a freed item; SockAddr objects of ``to``/``addresses`` are
held by the list alone where the scenario checks that removing them frees nothing C uses.

The last line is "ok SCENARIO" (exit 0); a failed check is an AssertionError (exit 1).
"""

from __future__ import annotations

import gc
import os
import random
import signal
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import nativesockets as ns

SCENARIOS: dict[str, Callable[[], None]] = {}
CPYTHON = sys.implementation.name == "cpython"
ALLOWED = (TypeError, ValueError, OSError)
N = 16  # entries of a list a scenario changes (select lists: 64)
ROUNDS = int(os.environ.get("NATIVESOCKETS_MUTATION_ROUNDS", "1500"))  # thread scenarios
RANDOM = random.Random(9)


def scenario(name: str) -> Callable[[Callable[[], None]], Callable[[], None]]:
    def register(f: Callable[[], None]) -> Callable[[], None]:
        assert name not in SCENARIOS, name
        SCENARIOS[name] = f
        return f

    return register


# --- ways to change a list during a call ----------------------------------------------------

MAIN_TID = threading.get_native_id()


def _main_asleep_in_call() -> bool:
    """The main thread sleeps in a system call other than a futex wait (the GIL)."""
    base = f"/proc/self/task/{MAIN_TID}"
    with open(f"{base}/stat") as f:
        if f.read().rsplit(")", 1)[1].split()[0] != "S":
            return False
    with open(f"{base}/wchan") as f:
        wchan = f.read().strip()
    return wchan not in ("", "0") and "futex" not in wchan


@contextmanager
def signal_when_blocked(handler: Callable[[], None]) -> Iterator[None]:
    """Run ``handler`` (SIGUSR1) once the main thread is asleep in the call of the with
    block: a thread sends the signal with pthread_kill when /proc shows it asleep."""
    done = threading.Event()

    def on_signal(signum: int, frame: Any) -> None:
        handler()

    def sender() -> None:
        deadline = time.monotonic() + 30
        while not _main_asleep_in_call():
            if time.monotonic() > deadline or done.is_set():
                return
            time.sleep(0.0005)
        signal.pthread_kill(threading.main_thread().ident or 0, signal.SIGUSR1)

    previous = signal.signal(signal.SIGUSR1, on_signal)
    t = threading.Thread(target=sender)
    t.start()
    try:
        yield
    finally:
        done.set()
        t.join()
        signal.signal(signal.SIGUSR1, previous)


@contextmanager
def hammering(mutate: Callable[[], None]) -> Iterator[None]:
    """Another thread calls ``mutate`` in a loop, switching threads every microsecond."""
    stop = threading.Event()

    def run() -> None:
        while not stop.is_set():
            mutate()

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    t = threading.Thread(target=run)
    t.start()
    try:
        yield
    finally:
        stop.set()
        t.join()
        sys.setswitchinterval(interval)


class _Finalized:
    """Garbage in a reference cycle whose finalizer calls ``action`` and makes the next one,
    as long as ``armed`` holds."""

    armed = False
    action: Callable[[], None] = staticmethod(lambda: None)
    runs = 0

    def __init__(self) -> None:
        self.cycle = self

    def __del__(self) -> None:
        if _Finalized.armed:
            _Finalized.runs += 1
            _Finalized.action()
            _Finalized()


@contextmanager
def finalizers(action: Callable[[], None]) -> Iterator[None]:
    """The collector runs ``action`` from a finalizer at the allocations of the with block
    (on CPython at nearly every allocation of a tracked object: threshold 1)."""
    _Finalized.action = staticmethod(action)  # type: ignore[assignment]
    _Finalized.runs = 0
    _Finalized.armed = True
    thresholds = gc.get_threshold() if CPYTHON else None
    _Finalized()
    if CPYTHON:
        gc.set_threshold(1)
    try:
        yield
    finally:
        _Finalized.armed = False
        if thresholds is not None:
            gc.set_threshold(*thresholds)
        gc.collect()


def jitter() -> None:
    """Python work of a random length, so that the other thread's request for the GIL
    (every switch interval) lands at a random point of the next call, not always at the
    same one."""
    for _ in range(RANDOM.randrange(10_000)):
        pass


def behead(lst: list[Any], floor: int) -> Callable[[], None]:
    """A mutation that drops the first entry, down to ``floor`` entries (at least half, so
    the list's array is not reallocated). A call that takes one snapshot works on a suffix
    of the list; one that reads the list while it changes sees every other entry."""

    def drop() -> None:
        if len(lst) > floor:
            del lst[0]

    return drop


def check_clean(e: BaseException) -> None:
    assert isinstance(e, ALLOWED), f"not a clean exception: {type(e).__name__}: {e}"


# --- selectRead / selectWrite -----------------------------------------------------------------

KEEP: list[Any] = []  # sockets kept open for the life of the child


def select_handles() -> tuple[list[int], list[int]]:
    """Handles ready for reading and writing (a Unix stream end with data queued), and
    handles ready for neither (listening TCP sockets with no connection queued)."""
    ready, idle = [], []
    for _ in range(3):
        a, b = socket.socketpair()
        b.send(b"x")
        KEEP.extend((a, b))
        ready.append(a.fileno())
        lst = socket.socket()
        lst.bind(("127.0.0.1", 0))
        lst.listen()
        KEEP.append(lst)
        idle.append(lst.fileno())
    return ready, idle


def select_list(n: int = 64) -> tuple[list[int], set[int]]:
    ready, idle = select_handles()
    handles = [(ready + idle)[i % 6] for i in range(n)]
    return handles, set(ready)


class Handle:
    """An int-like handle whose ``__index__`` runs ``hook`` first."""

    def __init__(self, fd: int, hook: Callable[[], None]) -> None:
        self.fd, self.hook = fd, hook

    def __index__(self) -> int:
        self.hook()
        return self.fd


SELECTS = {"selectRead": ns.selectRead, "selectWrite": ns.selectWrite}


def expect_ready(proc: str, lst: list[Any], snapshot: list[Any], ready: set[int]) -> None:
    """Call the proc on ``lst`` (no wait) and check the result against ``snapshot``."""
    try:
        r = SELECTS[proc](lst, 0)
    except Exception as e:
        raise AssertionError(f"{proc} raised on a list of valid handles: {e!r}") from e
    fds = [h.fd if isinstance(h, Handle) else h for h in snapshot]  # no hook runs here
    want = [h for h in fds if h in ready]
    assert r == len(want), f"{proc} returned {r}, the snapshot has {len(want)} ready"
    assert lst == want and all(type(h) is int for h in lst), f"{proc} left {lst!r}"


def select_index_empties_bad(proc: str) -> None:
    """The first handle's __index__ cuts the list to that handle; the snapshot ends with a
    str, so the only right outcome is TypeError. Before snapshots, the list given to C was
    shorter than the count taken first: ns_poll read past its end (garbage in a ValueError
    message, a wrong count, or a crash)."""
    handles, ready = select_list(63)
    lst: list[Any] = []
    first = Handle(handles[0], lambda: lst.__delitem__(slice(1, None)))
    lst[:] = [first, *handles[1:], "not a handle"]
    try:
        r = SELECTS[proc](lst, 0)
    except TypeError:
        return
    except Exception as e:
        raise AssertionError(f"{proc}: not TypeError for a str in the list: {e!r}") from e
    raise AssertionError(f"{proc} returned {r} for a list holding a str, left {lst!r}")


def select_index_empties(proc: str) -> None:
    """The first handle's __index__ empties the list (valid handles only): the result is
    the snapshot's."""
    handles, ready = select_list()
    lst: list[Any] = []
    lst[:] = [Handle(handles[0], lst.clear), *handles[1:]]
    snapshot = list(lst)
    expect_ready(proc, lst, snapshot, ready)


def select_index_grows(proc: str) -> None:
    """Every int-like handle's __index__ appends to the list: the result is the snapshot's."""
    handles, ready = select_list()
    lst: list[Any] = []
    grow = [min(ready)]
    lst[:] = [Handle(h, lambda: lst.extend(grow * 4)) for h in handles]
    snapshot = list(lst)
    expect_ready(proc, lst, snapshot, ready)


def select_thread(proc: str) -> None:
    """Another thread sets the list to all its handles, cuts it, empties it: any snapshot
    holds valid handles only, so each call returns a count, never -1 or an exception."""
    handles, ready = select_list()
    lst: list[int] = []

    def mutate() -> None:
        lst[:] = handles
        del lst[len(handles) // 2 :]
        lst.clear()

    with hammering(mutate):
        for _ in range(ROUNDS):
            jitter()
            try:
                r = SELECTS[proc](lst, 0)
            except Exception as e:
                raise AssertionError(f"{proc} raised on valid handles: {e!r}") from e
            assert 0 <= r <= len(handles), f"{proc} returned {r} ({ns.osLastError()})"


def select_gc(proc: str) -> None:
    """Finalizers drop handles from the front of the list while the call converts and
    polls it: the result is that of a suffix of the list (the snapshot), and the list ends
    as (a suffix of) that suffix's ready handles, as ints."""
    handles, ready = select_list()
    for _ in range(20):
        lst = list(handles)
        with finalizers(behead(lst, len(handles) // 2)):
            try:
                r = SELECTS[proc](lst, 0)
            except Exception as e:
                raise AssertionError(f"{proc} raised on valid handles: {e!r}") from e
        assert all(type(h) is int for h in lst), lst
        results = [[h for h in handles[k:] if h in ready] for k in range(len(handles) // 2 + 1)]
        assert any(r == len(want) and want[len(want) - len(lst) :] == lst for want in results), (
            f"{proc} returned {r} and left {lst}: not the result of a suffix of the list"
        )


def select_signal() -> None:
    """selectRead blocked on handles none ready; a signal handler replaces the list by junk
    and makes one of the handles readable; the retry polls the handles of the snapshot and
    the list ends as that handle."""
    ready, idle = select_handles()
    a, b = socket.socketpair()
    KEEP.extend((a, b))
    lst: list[Any] = [*idle, a.fileno(), *idle]

    def handler() -> None:
        lst[:] = ["junk", -5, 10**30]
        b.send(b"x")

    with signal_when_blocked(handler):
        r = ns.selectRead(lst, 30_000)
    assert (r, lst) == (1, [a.fileno()]), (r, lst)


for _proc in SELECTS:
    for _kind, _f in [
        ("index-empties-bad", select_index_empties_bad),
        ("index-empties", select_index_empties),
        ("index-grows", select_index_grows),
        ("thread", select_thread),
        ("gc", select_gc),
    ]:
        scenario(f"{_proc}-handles-{_kind}")(lambda f=_f, p=_proc: f(p))
scenario("selectRead-handles-signal")(select_signal)


# --- sendMany / recvMany ----------------------------------------------------------------------


def udp(blocking: bool = False) -> socket.socket:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    s.setblocking(blocking)
    KEEP.append(s)
    return s


def drain(s: socket.socket) -> list[tuple[bytes, Any]]:
    got = []
    s.setblocking(False)
    while True:
        try:
            got.append(s.recvfrom(65536))
        except BlockingIOError:
            return got


def payload(i: int) -> bytes:
    return b"datagram %02d" % i


def addr_of(s: socket.socket) -> ns.SockAddr:
    host, port = s.getsockname()[:2]
    return ns.Sockaddr_in(host, port)


class Sentinels:
    """SockAddr objects made while a call runs, which it must never write: each stays as
    made. The ring is refilled by every mutation, so freed memory gets reused."""

    def __init__(self, make: Callable[[], ns.SockAddr], size: int = 64) -> None:
        self.make, self.ring, self.i = make, [None] * size, 0
        self.first: bytes | None = None

    def add(self) -> None:
        a = self.make()
        self.ring[self.i % len(self.ring)] = a  # type: ignore[call-overload]
        self.i += 1
        self.first = self.first or bytes(a)

    def fill(self) -> None:
        for _ in range(len(self.ring)):
            self.add()

    def check(self) -> None:
        for a in self.ring:
            if a is not None:
                assert bytes(a) == self.first and len(a) == len(self.first or b""), (
                    f"a SockAddr made during the call was written: {a!r}"
                )


def check_sender(a: ns.SockAddr, initial: bytes, senders: set[int]) -> bool:
    """True if ``a`` holds one of the senders, False if it is as it was; else fail."""
    if bytes(a) == initial and len(a) == len(initial):
        return False
    assert len(a) == 16 and a.sa_family == socket.AF_INET, f"half-written address {a!r}"
    port = int.from_bytes(bytes(a)[2:4], "big")
    assert ns.getAddrString(a) == "127.0.0.1" and port in senders, f"wrong sender {a!r}"
    return True


def queue(receiver: socket.socket, senders: list[socket.socket], count: int) -> None:
    for i in range(count):
        senders[i % len(senders)].sendto(payload(i), receiver.getsockname())


def check_received(
    bufs: list[bytearray], lengths: list[int], r: int, receiver: socket.socket, count: int
) -> None:
    """Datagrams 0..r-1 are in bufs[0..r-1], lengths says so, the others are untouched
    or still queued, in order."""
    assert 0 <= r <= len(bufs), r
    assert lengths == [len(payload(i)) for i in range(r)], (r, lengths)
    for i, b in enumerate(bufs):
        want = payload(i) if i < r else b""
        assert bytes(b[: len(want)]) == want and not any(b[len(want) :]), (i, r, bytes(b))
    rest = [d for d, _ in drain(receiver)]
    assert rest == [payload(i) for i in range(r, count)], (r, rest)


def buffers_gc(proc: str) -> None:
    """Finalizers drop buffers from the front of the list while the call takes views of
    them: the call uses its snapshot, a suffix of the list, all of it (enough datagrams
    are queued). Reading the list as it changes would give every other buffer."""
    rx, tx = udp(), udp()
    for kind in (bytearray, memoryview):
        for _ in range(10):
            bufs = [bytearray(32) for _ in range(N)]
            lst: list[Any] = list(bufs) if kind is bytearray else [kind(b) for b in bufs]
            keep = list(lst)  # no entry is freed when dropped
            if proc == "recvMany":
                queue(rx, [tx], N)
                lengths: list[int] = []
                with finalizers(behead(lst, N // 2)):
                    r = ns.recvMany(rx.fileno(), lst, lengths)
                k = N - r  # the snapshot: bufs[k:]
                assert r >= N // 2, r
                assert not any(map(any, bufs[:k])), f"{r} received, into buffers before {k}"
                check_received(bufs[k:], lengths, r, rx, N)
            else:
                for i, b in enumerate(bufs):
                    b[:] = payload(i).ljust(32, b"\0")
                to = addr_of(rx)
                with finalizers(behead(lst, N // 2)):
                    r = ns.sendMany(tx.fileno(), lst, to)
                got = [d for d, _ in drain(rx)]
                assert N // 2 <= r <= N and got == [bytes(b) for b in bufs[N - r :]], (r, got)
            del keep


def buffers_thread(proc: str) -> None:
    """Another thread cuts and refills the buffer list: each call uses one snapshot of it."""
    rx, tx = udp(), udp()
    to = addr_of(rx)
    bufs = [bytearray(32) for _ in range(N)]
    lst: list[Any] = []

    def mutate() -> None:
        lst[:] = bufs
        del lst[N // 2 :]
        lst.clear()

    with hammering(mutate):
        for _ in range(ROUNDS):
            if proc == "recvMany":
                for b in bufs:
                    b[:] = bytes(32)
                queue(rx, [tx], N)
                lengths: list[int] = []
                jitter()
                try:
                    r = ns.recvMany(rx.fileno(), lst, lengths)
                except Exception as e:
                    raise AssertionError(f"recvMany raised: {e!r}") from e
                check_received(bufs, lengths, r, rx, N)
            else:
                for i, b in enumerate(bufs):
                    b[:] = payload(i).ljust(32, b"\0")
                jitter()
                try:
                    r = ns.sendMany(tx.fileno(), lst, to)
                except Exception as e:
                    raise AssertionError(f"sendMany raised: {e!r}") from e
                got = [d for d, _ in drain(rx)]
                assert 0 <= r <= N and got == [bytes(b) for b in bufs[:r]], (r, got)


def buffers_hook(proc: str) -> None:
    """The first buffer's ``__buffer__`` (3.12+) cuts the list to that buffer: the call
    uses the snapshot, all of it."""
    if sys.version_info < (3, 12):
        print("skip: __buffer__ (PEP 688) needs Python 3.12")
        return
    rx, tx = udp(), udp()
    bufs = [bytearray(32) for _ in range(N)]
    lst: list[Any] = []

    class Cutting:
        def __buffer__(self, flags: int) -> memoryview:
            del lst[1:]
            return memoryview(bufs[0])

    lst[:] = [Cutting(), *bufs[1:]]
    if proc == "recvMany":
        queue(rx, [tx], N)
        lengths: list[int] = []
        r = ns.recvMany(rx.fileno(), lst, lengths)
        assert r == N, r
        check_received(bufs, lengths, r, rx, N)
    else:
        for i, b in enumerate(bufs):
            b[:] = payload(i).ljust(32, b"\0")
        r = ns.sendMany(tx.fileno(), lst, addr_of(rx))
        got = [d for d, _ in drain(rx)]
        assert r == N and got == [bytes(b) for b in bufs], (r, got)


def recv_buffers_signal() -> None:
    """recvMany blocked; a signal handler replaces the buffer list by new buffers and sends
    two datagrams: they land in the buffers of the snapshot, the new ones stay zero."""
    rx, tx = udp(blocking=True), udp()
    bufs = [bytearray(32) for _ in range(N)]
    lst: list[Any] = list(bufs)
    new = [bytearray(32) for _ in range(N)]

    lengths: list[int] = []

    def handler() -> None:
        lst[:] = new
        lengths[:] = [-1] * 40  # replaced as a whole by the call's count
        queue(rx, [tx], 2)

    with signal_when_blocked(handler):
        r = ns.recvMany(rx.fileno(), lst, lengths)
    assert r in (1, 2), r
    check_received(bufs, lengths, r, rx, 2)
    assert not any(map(any, new)), "a buffer put in the list during the call was written"


for _proc in ("sendMany", "recvMany"):
    scenario(f"{_proc}-buffers-gc")(lambda p=_proc: buffers_gc(p))
    scenario(f"{_proc}-buffers-thread")(lambda p=_proc: buffers_thread(p))
    scenario(f"{_proc}-buffers-buffer")(lambda p=_proc: buffers_hook(p))
scenario("recvMany-buffers-signal")(recv_buffers_signal)


# recvMany: the addresses list


def recv_addresses_signal() -> None:
    """recvMany blocked; a signal handler replaces the addresses by new SockAddr objects
    and sends two datagrams from two senders. The senders land in the SockAddr objects of
    the snapshot, lengths updated; the new objects stay as made."""
    rx = udp(blocking=True)
    tx = [udp(), udp()]
    entry = [ns.Sockaddr_storage() for _ in range(N)]
    initial = bytes(entry[0])
    lst: list[Any] = list(entry)
    sentinels = Sentinels(ns.Sockaddr_storage, N)
    bufs = [bytearray(32) for _ in range(N)]

    def handler() -> None:
        sentinels.fill()
        lst[:] = sentinels.ring
        queue(rx, tx, 2)

    lengths: list[int] = []
    with signal_when_blocked(handler):
        r = ns.recvMany(rx.fileno(), bufs, lengths, lst)
    assert r in (1, 2), r
    ports = [s.getsockname()[1] for s in tx]
    for i, a in enumerate(entry):
        assert check_sender(a, initial, {ports[i]} if i < r else set()) == (i < r), (i, r, a)
    sentinels.check()
    check_received(bufs, lengths, r, rx, 2)


def recv_addresses_thread() -> None:
    """Another thread sets the addresses list to new SockAddr objects and empties it: each
    call either raises ValueError (a snapshot of another length than the buffers) or writes
    the senders into the objects of its snapshot, lengths updated, and no other."""
    rx = udp()
    tx = [udp(), udp()]
    ports = {s.getsockname()[1] for s in tx}
    bufs = [bytearray(32) for _ in range(N)]
    lst: list[Any] = []
    sentinels = Sentinels(ns.Sockaddr_storage)
    initial = bytes(ns.Sockaddr_storage())
    made: list[list[ns.SockAddr]] = []

    def mutate() -> None:
        batch = [ns.Sockaddr_storage() for _ in range(N)]
        made.append(batch)
        lst[:] = batch
        lst.clear()
        sentinels.add()

    with hammering(mutate):
        for _ in range(ROUNDS):
            for b in bufs:
                b[:] = bytes(32)
            queue(rx, tx, N)
            lengths: list[int] = []
            jitter()
            try:
                r = ns.recvMany(rx.fileno(), bufs, lengths, lst)
            except ValueError:
                r = 0
            except Exception as e:
                raise AssertionError(f"recvMany raised: {e!r}") from e
            if r:
                check_received(bufs, lengths, r, rx, N)
            else:
                drain(rx)
    sentinels.check()
    for batch in made:
        written = [check_sender(a, initial, ports) for a in batch]
        assert written in ([False] * N, [True] * N), written


def recv_addresses_gc() -> None:
    """Finalizers cut the addresses list to half (held by the list alone: the objects dropped
    are then freed) and make new SockAddr objects while the call runs. The call raises
    ValueError (cut before its snapshot) or receives; no new object changes."""
    rx = udp()
    tx = [udp(), udp()]
    bufs = [bytearray(32) for _ in range(N)]
    sentinels = Sentinels(ns.Sockaddr_storage)
    for _ in range(20):
        lst: list[Any] = [ns.Sockaddr_storage() for _ in range(N)]

        def cut(lst: list[Any] = lst) -> None:
            del lst[N // 2 :]
            sentinels.fill()

        for b in bufs:
            b[:] = bytes(32)
        queue(rx, tx, N)
        lengths: list[int] = []
        with finalizers(cut):
            try:
                r = ns.recvMany(rx.fileno(), bufs, lengths, lst)
            except ValueError:
                r = 0
        sentinels.check()
        if r:
            check_received(bufs, lengths, r, rx, N)
        else:
            drain(rx)


scenario("recvMany-addresses-signal")(recv_addresses_signal)
scenario("recvMany-addresses-thread")(recv_addresses_thread)
scenario("recvMany-addresses-gc")(recv_addresses_gc)


# sendMany: the to list


def unix_dgram(directory: str, name: str) -> tuple[socket.socket, ns.SockAddr]:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    path = os.path.join(directory, name)
    s.bind(path)
    KEEP.append(s)
    return s, ns.Sockaddr_un(path)


def full_unix_receivers() -> tuple[str, list[socket.socket], socket.socket]:
    """Unix datagram receivers A, B, C in a new directory, A's queue full, and an unbound
    sender: a blocking send to A waits until A is drained."""
    directory = tempfile.mkdtemp(prefix="ns-mut-")
    receivers = [unix_dgram(directory, name)[0] for name in "abc"]
    filler = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    KEEP.append(filler)
    filler.setblocking(False)
    try:
        while True:
            filler.sendto(b"filler", receivers[0].getsockname())
    except BlockingIOError:
        pass
    tx = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    KEEP.append(tx)
    return directory, receivers, tx


def send_buffers_signal() -> None:
    """sendMany blocked on a full receiver; a signal handler replaces the buffer list by
    other buffers and drains the receiver: the retry sends the buffers of the snapshot."""
    directory, (a, _, _), tx = full_unix_receivers()
    count = 4  # fewer than a Unix datagram queue holds (net.unix.max_dgram_qlen: 10)
    bufs = [bytearray(payload(i)) for i in range(count)]
    lst: list[Any] = list(bufs)
    drained: list[Any] = []

    def handler() -> None:
        lst[:] = [bytearray(b"not given") for _ in range(count // 2)]
        drained.extend(drain(a))

    to = ns.Sockaddr_un(os.path.join(directory, "a"))
    with signal_when_blocked(handler):
        r = ns.sendMany(tx.fileno(), lst, to)
    assert drained, "the signal handler did not run during the call"
    got = [d for d, _ in drain(a)]
    assert r == count and got == [payload(i) for i in range(r)], (r, got)


def send_to_signal() -> None:
    """sendMany blocked on a full Unix datagram receiver A; a signal handler empties ``to``
    (held by the list alone: its SockAddr objects are freed), makes SockAddr objects for a
    third receiver C, and drains A. The retry sends datagram 0 to A and 1 to B, as given at
    entry; C gets nothing."""
    directory, (a, b, c), tx = full_unix_receivers()
    to: list[Any] = [ns.Sockaddr_un(os.path.join(directory, n)) for n in "ab"]
    sentinels = Sentinels(lambda: ns.Sockaddr_un(os.path.join(directory, "c")), 1024)
    drained: list[Any] = []

    def handler() -> None:
        to.clear()
        sentinels.fill()
        drained.extend(drain(a))

    with signal_when_blocked(handler):
        r = ns.sendMany(tx.fileno(), [b"zero", b"one"], to)
    assert drained, "the signal handler did not run during the call"
    assert r == 2, (r, ns.osLastError())
    got = [[d for d, _ in drain(s)] for s in (a, b, c)]
    assert got == [[b"zero"], [b"one"], []], f"received by A, B, C: {got}"
    sentinels.check()


def send_to_thread() -> None:
    """Another thread sets ``to`` to new SockAddr objects for A and B and empties it (the
    old ones freed), making SockAddr objects for C meanwhile: each call sends datagram 0 to
    A and 1 to B, or raises ValueError; C gets nothing."""
    rx = [udp(), udp()]
    c = udp()
    tx = udp()
    to: list[Any] = []
    sentinels = Sentinels(lambda: addr_of(c))

    def mutate() -> None:
        to[:] = [addr_of(s) for s in rx]
        to.clear()
        sentinels.add()

    sent = 0
    data = [b"zero", b"one"]
    with hammering(mutate):
        for i in range(ROUNDS):
            jitter()
            try:
                r = ns.sendMany(tx.fileno(), data, to)
            except ValueError:
                r = 0
            except Exception as e:
                raise AssertionError(f"sendMany raised: {e!r}") from e
            assert r in (0, 2), (r, ns.osLastError())
            sent += r // 2
            if i % 16 == 15:
                assert drain(c) == [], "sendMany sent to an address it was not given"
    got = [[d for d, _ in drain(s)] for s in rx]
    assert got == [[b"zero"] * sent, [b"one"] * sent], (sent, got)
    assert drain(c) == [], "sendMany sent to an address it was not given"
    sentinels.check()


def send_to_gc() -> None:
    """Finalizers cut ``to`` to its first address (the second, held by the list alone, is
    freed) and make SockAddr objects for C while the call runs: it sends to A and B as
    given, or raises ValueError (cut before its snapshot); C gets nothing."""
    rx = [udp(), udp()]
    c = udp()
    tx = udp()
    sentinels = Sentinels(lambda: addr_of(c))
    sent = 0
    for _ in range(20):
        to: list[Any] = [addr_of(s) for s in rx]

        def cut(to: list[Any] = to) -> None:
            del to[1:]
            sentinels.fill()

        data = [b"zero", b"one"]
        with finalizers(cut):
            try:
                r = ns.sendMany(tx.fileno(), data, to)
            except ValueError:
                r = 0
        assert r in (0, 2), (r, ns.osLastError())
        sent += r // 2
        assert drain(c) == [], "sendMany sent to an address it was not given"
    got = [[d for d, _ in drain(s)] for s in rx]
    assert got == [[b"zero"] * sent, [b"one"] * sent], (sent, got)
    sentinels.check()


scenario("sendMany-buffers-signal")(send_buffers_signal)
scenario("sendMany-to-signal")(send_to_signal)
scenario("sendMany-to-thread")(send_to_thread)
scenario("sendMany-to-gc")(send_to_gc)


# --- AddrInfo lifetimes (run by tests/test_lifetimes.py) ---------------------------------------

LIFETIMES: dict[str, Callable[[], None]] = {}


def lifetime(name: str) -> Callable[[Callable[[], None]], Callable[[], None]]:
    def register(f: Callable[[], None]) -> Callable[[], None]:
        LIFETIMES[name] = f
        return f

    return register


def lookup() -> ns.AddrInfo:
    """A one-node list for 127.0.0.1:80 (a literal: no resolver query leaves the machine)."""
    return ns.getAddrInfo("127.0.0.1", 80, ns.AF_INET, ns.SOCK_STREAM, ns.IPPROTO_TCP)


WANT_ADDR = bytes(ns.Sockaddr_in("127.0.0.1", 80))
READS: list[tuple[str, Callable[[ns.AddrInfo], Any], Any]] = [
    ("ai_family", lambda ai: ai.ai_family, socket.AF_INET),
    ("ai_socktype", lambda ai: ai.ai_socktype, socket.SOCK_STREAM),
    ("ai_protocol", lambda ai: ai.ai_protocol, socket.IPPROTO_TCP),
    ("ai_addrlen", lambda ai: ai.ai_addrlen, 16),
    ("ai_addr", lambda ai: bytes(ai.ai_addr), WANT_ADDR),
    ("ai_canonname", lambda ai: ai.ai_canonname, None),
    ("ai_next", lambda ai: ai.ai_next, None),
    ("iteration", lambda ai: [bytes(n.ai_addr) for n in ai], [WANT_ADDR]),
]


def read_checked(ai: ns.AddrInfo) -> int:
    """Read every field of ``ai``: each gives its right value or raises ValueError (used
    after freeAddrInfo). Returns how many gave a value."""
    values = 0
    for name, read, want in READS:
        try:
            got = read(ai)
        except ValueError as e:
            assert "after freeAddrInfo" in str(e), f"{name}: {e!r}"
            continue
        assert got == want, f"{name} read {got!r}, not {want!r}: freed memory?"
        values += 1
    return values


@lifetime("AddrInfo-copy")
def addrinfo_copy() -> None:
    """copy.copy, copy.deepcopy and pickle of an AddrInfo raise TypeError. (A copy that
    shared the C list: freeing it left the original reading freed memory.)"""
    import copy
    import pickle

    for f in (copy.copy, copy.deepcopy, pickle.dumps):
        ai = lookup()
        try:
            c = f(ai)
        except TypeError:
            ns.freeAddrInfo(ai)
            continue
        if isinstance(c, ns.AddrInfo):
            ns.freeAddrInfo(c)
            try:
                after = [read(ai) for _, read, _ in READS[:4]]
            except ValueError as e:
                after = [repr(e)]
            raise AssertionError(
                f"{f.__name__} of an AddrInfo did not raise TypeError; after freeing the "
                f"copy, the original reads {after}"
            )
        raise AssertionError(f"{f.__name__} of an AddrInfo did not raise TypeError")


@lifetime("AddrInfo-free-thread")
def addrinfo_free_thread() -> None:
    """Another thread reads the fields of a list while this one frees it (freeAddrInfo, or
    the end of a with block): every read gives the right value or ValueError."""
    current: list[ns.AddrInfo] = [lookup()]
    stop = threading.Event()
    errors: list[BaseException] = []

    def reader() -> None:
        try:
            while not stop.is_set():
                read_checked(current[0])
        except BaseException as e:
            errors.append(e)

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    t = threading.Thread(target=reader)
    t.start()
    try:
        for i in range(ROUNDS // 3):
            ai = lookup()
            current[0] = ai
            jitter()
            if i % 2:
                ns.freeAddrInfo(ai)
            else:
                with ai:
                    pass
            if errors:
                break
    finally:
        stop.set()
        t.join()
        sys.setswitchinterval(interval)
    if errors:
        raise errors[0]


@lifetime("AddrInfo-free-gc")
def addrinfo_free_gc() -> None:
    """A finalizer frees the list while a getter of one of its nodes runs: every read gives
    the right value or ValueError."""
    runs = 0
    for i in range(len(READS) * 4):
        ai = lookup()
        name, read, want = READS[i % len(READS)]
        with finalizers(lambda ai=ai: ns.freeAddrInfo(ai)):
            try:
                got = read(ai)
            except ValueError as e:
                assert "after freeAddrInfo" in str(e), f"{name}: {e!r}"
            else:
                assert got == want, f"{name} read {got!r}, not {want!r}: freed memory?"
        runs += _Finalized.runs
        ns.freeAddrInfo(ai)
        assert read_checked(ai) == 0, "the list still reads after freeAddrInfo"
    # CPython's collector runs at allocations (threshold 1); PyPy's when it chooses
    assert runs or not CPYTHON, "no finalizer ran during a read"


def main(argv: list[str]) -> int:
    if argv == ["--list"]:
        print("\n".join([*SCENARIOS, *LIFETIMES]))
        return 0
    for name in argv:
        print(f"scenario {name} ...", flush=True)
        (SCENARIOS.get(name) or LIFETIMES[name])()
        print(f"ok {name}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Memory and handle safety: an AddrInfo cannot be used after free nor freed twice, dropped
getAddrInfo results do not grow the process, failed calls leave no handle open, and a buffer
export never outlives a failed call (CPython < 3.12.6 crashes collecting a memoryview that
still has one, which a traceback kept in a reference cycle would keep)."""

from __future__ import annotations

import errno
import gc
import json
import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

import nativesockets as ns

ATTEMPTS = 10_000
# getAddrInfo calls per window. The steady-state growth of the process is the smallest
# growth of windows 2 to 4 after a warm-up window: a leak grows every window by the same
# amount, while caches, free lists, arenas, PyPy's GC heap and JIT code settle early, and a
# busy machine or an unlucky collection lands in one window, not in all three.
CALLS = 50_000
WINDOWS = 4
# glibc gets each addrinfo node and its address in one malloc chunk of >= 80 bytes, so a
# window of leaked lists grows by >= 3.8 MiB (test_a_planted_leak_is_caught plants the
# smallest such leak). The bounds leave room for what settles late: PyPy's collector
# (told of the C memory by a size hint) keeps more garbage between its major collections.
RSS_BOUND = {"cpython": 1 << 20, "pypy": 2 << 20}
LEAK_BYTES = 80


def run_child(code: str, env: dict[str, str] | None = None, timeout: float = 300) -> Any:
    """Run `code` in a child Python that imports this package; return what it printed last
    as JSON. A signal exit (a crash) fails with the child's output."""
    full_env = dict(os.environ, **(env or {}))
    package_parent = str(Path(ns.__file__).resolve().parent.parent)
    full_env["PYTHONPATH"] = os.pathsep.join(
        filter(None, [package_parent, full_env.get("PYTHONPATH")])
    )
    r = subprocess.run(
        [sys.executable, "-X", "faulthandler", "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=full_env,
    )
    assert r.returncode == 0, f"exit {r.returncode}\n{r.stdout}\n{r.stderr}"
    return json.loads(r.stdout.strip().splitlines()[-1])


# --- AddrInfo: use after free, double free ---------------------------------------------------

FIELDS = [
    "ai_flags",
    "ai_family",
    "ai_socktype",
    "ai_protocol",
    "ai_addrlen",
    "ai_addr",
    "ai_canonname",
    "ai_next",
]


def localhost_addresses(socktype: int, proto: int) -> set[str]:
    """What the stdlib's resolver gives for localhost: 127.0.0.1, and ::1 where the hosts
    file lists localhost for it too (a stock Debian one does)."""
    return {a[4][0] for a in socket.getaddrinfo("localhost", 80, 0, socktype, proto)}


def test_every_use_after_free_raises() -> None:
    ai = ns.getAddrInfo("localhost", 80, ns.AF_UNSPEC, ns.SOCK_STREAM, ns.IPPROTO_TCP)
    nodes = list(ai)
    addr = ai.ai_addr  # a copy: still good after the free
    text = ns.getAddrString(addr)
    assert text in localhost_addresses(socket.SOCK_STREAM, socket.IPPROTO_TCP)
    ns.freeAddrInfo(ai)
    for node in nodes:
        for field in FIELDS:
            with pytest.raises(ValueError, match="after freeAddrInfo"):
                getattr(node, field)
    with pytest.raises(ValueError):
        list(ai)
    with pytest.raises(ValueError):
        ai.__enter__()
    assert repr(ai) == "<AddrInfo freed>"
    assert ns.getAddrString(addr) == text


@pytest.mark.parametrize("how", ["freeAddrInfo", "freeaddrinfo", "node", "with", "collect"])
def test_a_second_free_does_nothing(how: str) -> None:
    ai = ns.getAddrInfo("127.0.0.1", 80)
    node = list(ai)[-1]
    if how == "with":
        with ai:
            assert ai.ai_family == ns.AF_INET
    elif how == "node":
        ns.freeAddrInfo(node)  # any node frees the whole list
    else:
        getattr(ns, "freeAddrInfo" if how == "collect" else how)(ai)
    for _ in range(3):
        ns.freeAddrInfo(ai)
        ns.freeaddrinfo(node)
        ai.__exit__(None, None, None)
    with pytest.raises(ValueError):
        ai.ai_family  # noqa: B018
    del ai, node
    gc.collect()  # the collector's destructor must not free it again


def test_nodes_keep_the_list_alive() -> None:
    ai = ns.getAddrInfo("localhost", 80, ns.AF_UNSPEC, ns.SOCK_DGRAM, ns.IPPROTO_UDP)
    last = list(ai)[-1]
    text = ns.getAddrString(last.ai_addr)
    assert text in localhost_addresses(socket.SOCK_DGRAM, socket.IPPROTO_UDP)
    del ai
    gc.collect()
    assert last.ai_socktype == ns.SOCK_DGRAM  # the list was not freed under the node
    assert ns.getAddrString(last.ai_addr) == text


def test_use_after_free_and_double_free_under_malloc_checks() -> None:
    """The same in a child whose malloc fills freed memory (MALLOC_PERTURB_) and aborts on a
    double free (glibc's tcache check): a read of freed memory would give wrong values."""
    out = run_child(
        """
        import gc, json
        import nativesockets as ns
        wrong = 0
        for i in range(2000):
            ai = ns.getAddrInfo("127.0.0.1", i % 65536)
            nodes = list(ai)
            ns.freeAddrInfo(ai)
            ns.freeAddrInfo(nodes[-1])
            try:
                nodes[0].ai_family
                wrong += 1
            except ValueError:
                pass
            del ai, nodes
            if i % 500 == 0:
                gc.collect()
        print(json.dumps({"wrong": wrong}))
        """,
        env={"MALLOC_PERTURB_": "165", "MALLOC_CHECK_": "3"},
    )
    assert out == {"wrong": 0}


# --- memory stays bounded -----------------------------------------------------------------


def window_growths(leak: int = 0) -> list[int]:
    """In a child, so the figures are its loop's alone: the resident size after a warm-up
    window and after each of WINDOWS windows of CALLS getAddrInfo calls; their growths.
    With ``leak``, each call also leaks a malloc chunk of that many bytes, written to.
    AddressSanitizer's quarantine of freed memory is turned off there (it holds up to
    256 MB by design)."""
    asan = os.environ.get("ASAN_OPTIONS", "")
    sizes = run_child(
        f"""
        import ctypes, gc, json, os, sys
        import nativesockets as ns

        def rss():
            if sys.platform == "win32":  # the working set (GetProcessMemoryInfo)
                from ctypes import wintypes

                class Counters(ctypes.Structure):
                    _fields_ = [("cb", wintypes.DWORD), ("PageFaultCount", wintypes.DWORD)] + [
                        (name, ctypes.c_size_t)
                        for name in ("PeakWorkingSetSize", "WorkingSetSize", "QuotaPeakPaged",
                                     "QuotaPaged", "QuotaPeakNonPaged", "QuotaNonPaged",
                                     "PagefileUsage", "PeakPagefileUsage")
                    ]

                kernel32 = ctypes.WinDLL("kernel32")
                kernel32.GetCurrentProcess.restype = wintypes.HANDLE
                c = Counters(cb=ctypes.sizeof(Counters))
                assert kernel32.K32GetProcessMemoryInfo(
                    wintypes.HANDLE(kernel32.GetCurrentProcess()), ctypes.byref(c), c.cb
                )
                return c.WorkingSetSize
            with open("/proc/self/statm") as f:
                return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

        LEAK = {leak}
        libc = ctypes.cdll.msvcrt if sys.platform == "win32" else ctypes.CDLL(None)
        libc.malloc.restype = ctypes.c_void_p
        libc.malloc.argtypes = [ctypes.c_size_t]

        def work(n):
            for i in range(n):
                port = i % 65536
                if i % 3 == 0:
                    ns.getAddrInfo("127.0.0.1", port)
                elif i % 3 == 1:
                    with ns.getAddrInfo("127.0.0.1", port) as ai:
                        ai.ai_family
                else:
                    for node in ns.getAddrInfo("127.0.0.1", port, ns.AF_INET6, ns.SOCK_DGRAM,
                                               ns.IPPROTO_UDP):
                        node.ai_addr
                if LEAK:  # as if the list were never freed
                    ctypes.memset(libc.malloc(LEAK), 1, LEAK)
            gc.collect()

        work({CALLS})  # warm-up: caches, free lists, arenas, the size of PyPy's GC heap
        sizes = [rss()]
        for _ in range({WINDOWS}):
            work({CALLS})
            sizes.append(rss())
        print(json.dumps(sizes))
        """,
        env={"ASAN_OPTIONS": f"{asan}:quarantine_size_mb=0:thread_local_quarantine_size_kb=0"},
    )
    return [b - a for a, b in zip(sizes, sizes[1:])]


def steady_growth(growths: list[int]) -> int:
    return min(growths[1:])


def report(capsys: pytest.CaptureFixture[str], what: str, growths: list[int]) -> None:
    with capsys.disabled():
        kib = ", ".join(f"{g / 1024:.0f}" for g in growths)
        bound = RSS_BOUND[sys.implementation.name] >> 10
        print(
            f"\nRSS growth per window of {CALLS:,} getAddrInfo calls{what}: {kib} KiB "
            f"(steady: {steady_growth(growths) / 1024:.0f} KiB, bound {bound} KiB)"
        )


def test_dropped_getaddrinfo_results_keep_rss_bounded(capsys: pytest.CaptureFixture[str]) -> None:
    growths = window_growths()
    report(capsys, "", growths)
    assert steady_growth(growths) < RSS_BOUND[sys.implementation.name]


def test_a_planted_leak_is_caught(capsys: pytest.CaptureFixture[str]) -> None:
    """The measurement above sees a leak of one malloc chunk of LEAK_BYTES per call (what
    one never-freed list leaks at the least): each window grows by at least that."""
    growths = window_growths(leak=LEAK_BYTES)
    report(capsys, f" leaking {LEAK_BYTES} bytes each", growths)
    assert steady_growth(growths) >= CALLS * LEAK_BYTES > RSS_BOUND[sys.implementation.name]


# --- failed calls leave no handle ---------------------------------------------------------


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


@pytest.mark.skipif(sys.platform != "linux", reason="Linux only: /proc/self/fd, AF_UNIX")
def test_failed_calls_leave_the_handle_count_unchanged(
    capsys: pytest.CaptureFixture[str], sock_dir: Path
) -> None:
    with (
        socket.socket() as unused,  # bound, not listening: connecting to it is refused
        socket.socket() as listener,
        socket.socket() as idle,
        socket.socket() as client,
        socket.socket(socket.AF_UNIX) as unix_client,
    ):
        unused.bind(("127.0.0.1", 0))
        refused = ns.Sockaddr_in("127.0.0.1", unused.getsockname()[1])
        missing = ns.makeUnixAddr(sock_dir / "nobody-listens")
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        listener.setblocking(False)
        raw_peer = ns.Sockaddr_storage()
        before = open_fds()
        errors: dict[str, set[int]] = {}

        def failed(name: str, r: Any) -> None:
            assert r == -1 or r == (-1, ""), (name, r)
            errors.setdefault(name, set()).add(ns.osLastError())

        for _ in range(ATTEMPTS):
            failed("socket(bad family)", ns.createNativeSocket(12345, ns.SOCK_STREAM, 0))
            failed(
                "socket(TCP over UDP)",
                ns.createNativeSocket(ns.AF_INET, ns.SOCK_STREAM, ns.IPPROTO_UDP),
            )
            failed("connect(refused)", ns.connect(client.fileno(), refused))
            failed("connect(no such file)", ns.connect(unix_client.fileno(), missing))
            failed("accept(nothing pending)", ns.accept(listener.fileno()))
            failed("accept(not listening)", ns.accept(idle.fileno()))
            failed("accept(raw, nothing pending)", ns.accept(listener.fileno(), raw_peer))
        after = open_fds()
    with capsys.disabled():
        print(
            f"\nopen handles: {before} before and {after} after "
            f"{ATTEMPTS:,} rounds of {len(errors)} failing calls"
        )
    assert after == before
    assert errors == {
        "socket(bad family)": {errno.EAFNOSUPPORT},
        "socket(TCP over UDP)": {errno.EPROTONOSUPPORT},
        "connect(refused)": {errno.ECONNREFUSED},
        "connect(no such file)": {errno.ENOENT},
        "accept(nothing pending)": {errno.EAGAIN},
        "accept(not listening)": {errno.EINVAL},
        "accept(raw, nothing pending)": {errno.EAGAIN},
    }


# --- buffer exports do not outlive a failed call ------------------------------------------


def test_exports_end_with_the_call_even_when_a_cycle_keeps_the_traceback() -> None:
    """Each call fails after it exported the buffer; the exception is put in a reference
    cycle, which keeps the call's frames, and so their locals, until the collector runs.
    The memoryview must be releasable right after the call; before the fix it was not, and
    collecting it crashed the interpreter (a SIGSEGV)."""
    out = run_child(
        """
        import gc, json, socket
        import nativesockets as ns

        # Windows' stdlib has no AF_UNIX: a TCP pair there (every call fails before sending)
        unix = (socket.AF_UNIX, socket.SOCK_DGRAM) if hasattr(socket, "AF_UNIX") else ()
        a, b = socket.socketpair(*unix)
        s, u = a.fileno(), ns.Sockaddr_storage()
        calls = {
            "send(length too long)": lambda v: ns.send(s, v, 99),
            "recv(length too long)": lambda v: ns.recv(s, v, 99),
            "sendto(length too long)": lambda v: ns.sendto(s, v, 99, 0, u),
            "sendto(not an address)": lambda v: ns.sendto(s, v, None, 0, "x"),
            "recvfrom(length too long)": lambda v: ns.recvfrom(s, v, 99),
            "recvfrom(not an address)": lambda v: ns.recvfrom(s, v, None, 0, "x"),
            "sendMany(address count)": lambda v: ns.sendMany(s, [v], [u, u]),
            "recvMany(address count)": lambda v: ns.recvMany(s, [v], [], [u, u]),
        }
        raised = {}
        for name, call in calls.items():
            for _ in range(3):
                data = bytearray(10)
                view = memoryview(data)
                try:
                    call(view)
                except (TypeError, ValueError) as e:
                    e.cycle = e  # exception -> traceback -> frames -> exception
                    raised[name] = type(e).__name__
                view.release()  # BufferError if the call left an export on it
            gc.collect()
        print(json.dumps(raised))
        """
    )
    assert out == {
        "send(length too long)": "ValueError",
        "recv(length too long)": "ValueError",
        "sendto(length too long)": "ValueError",
        "sendto(not an address)": "TypeError",
        "recvfrom(length too long)": "ValueError",
        "recvfrom(not an address)": "TypeError",
        "sendMany(address count)": "ValueError",
        "recvMany(address count)": "ValueError",
    }


@pytest.mark.skipif(not hasattr(__import__("signal"), "setitimer"), reason="no setitimer")
def test_an_exception_from_a_signal_handler_ends_the_export() -> None:
    """recv blocks; a signal handler raises out of its EINTR retry loop."""
    out = run_child(
        """
        import gc, json, signal, socket
        import nativesockets as ns

        class Stop(Exception):
            pass

        def handler(signum, frame):
            raise Stop

        signal.signal(signal.SIGALRM, handler)
        a, b = socket.socketpair()
        kept = []
        for _ in range(3):
            data = bytearray(10)
            view = memoryview(data)
            signal.setitimer(signal.ITIMER_REAL, 0.05)
            try:
                ns.recv(a.fileno(), view)
            except Stop as e:
                e.cycle = e
                kept.append(type(e).__name__)
            view.release()  # BufferError if the call left an export on it
        gc.collect()
        print(json.dumps(kept))
        """
    )
    assert out == ["Stop"] * 3

"""Signals: a blocking call interrupted by a signal whose handler returns is resumed
(PEP 475), a finite selectRead timeout still runs its course, and SIGINT during a call that
would block forever raises KeyboardInterrupt at once.

The signals are sent with pthread_kill to the main thread while /proc shows it asleep in the
call, so each one does interrupt the system call."""

from __future__ import annotations

import json
import os
import signal
import socket
import struct
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import nativesockets as ns

pytestmark = [
    pytest.mark.skipif(
        sys.platform == "win32",
        reason="POSIX only: signals that interrupt a system call (Windows has no SIGUSR1, "
        "setitimer or pthread_kill, and its SIGINT is a console event, not a signal sent to "
        "a process)",
    ),
    pytest.mark.skipif(not hasattr(signal, "pthread_kill"), reason="needs pthread_kill"),
    # sys.platform, not os.path.isdir: wine shows the Linux host's /proc to Windows processes
    pytest.mark.skipif(
        sys.platform != "linux" or not os.path.isdir("/proc/self/task"),
        reason="needs Linux's /proc/self/task to see a thread asleep in its call",
    ),
]
SIGNALS = 3


def state(tid: int, pid: str = "self") -> str:
    with open(f"/proc/{pid}/task/{tid}/stat") as f:
        return f.read().rsplit(")", 1)[1].split()[0]


def wait_asleep(tid: int, pid: str = "self") -> None:
    """Until the thread sleeps (in the blocking call); 30 s at most."""
    deadline = time.monotonic() + 30
    while state(tid, pid) != "S":
        assert time.monotonic() < deadline, "the thread never blocked"
        time.sleep(0.001)


@pytest.fixture
def handled() -> Iterator[list[int]]:
    """SIGUSR1 with a Python handler that records each call and returns."""
    calls: list[int] = []
    old = signal.signal(signal.SIGUSR1, lambda signum, frame: calls.append(signum))
    try:
        yield calls
    finally:
        signal.signal(signal.SIGUSR1, old)


def interrupt_then(finish: Callable[[], object], delay: float = 0.05) -> threading.Thread:
    """A thread that sends SIGNALS x SIGUSR1 to the main thread, each while it sleeps in its
    call, then runs ``finish`` (which ends the call)."""
    main = threading.main_thread()
    tid = main.native_id
    assert tid is not None

    def run() -> None:
        for _ in range(SIGNALS):
            wait_asleep(tid)
            time.sleep(delay)
            signal.pthread_kill(main.ident, signal.SIGUSR1)  # type: ignore[arg-type]
            time.sleep(delay)
        wait_asleep(tid)
        finish()

    t = threading.Thread(target=run)
    t.start()
    return t


def test_recv_resumes_after_handlers(handled: list[int]) -> None:
    a, b = socket.socketpair()
    with a, b:
        helper = interrupt_then(lambda: b.send(b"after the signals"))
        buf = bytearray(64)
        n = ns.recv(a.fileno(), buf)
        helper.join()
    assert n == len(b"after the signals") and buf[:n] == b"after the signals"
    assert len(handled) == SIGNALS


def test_accept_resumes_after_handlers(handled: list[int]) -> None:
    with socket.socket() as lst:
        lst.bind(("127.0.0.1", 0))
        lst.listen()
        clients: list[socket.socket] = []
        helper = interrupt_then(lambda: clients.append(socket.create_connection(lst.getsockname())))
        c, peer = ns.accept(lst.fileno())
        helper.join()
        try:
            assert c != ns.osInvalidSocket, os.strerror(ns.osLastError())
            assert peer == "127.0.0.1"
            assert ns.getPeerAddr(c, ns.AF_INET)[1] == clients[0].getsockname()[1]
        finally:
            ns.close(c)
            clients[0].close()
    assert len(handled) == SIGNALS


def test_select_with_data_after_the_signals(handled: list[int]) -> None:
    a, b = socket.socketpair()
    with a, b:
        helper = interrupt_then(lambda: b.send(b"x"))
        fds = [b.fileno(), a.fileno()]
        r = ns.selectRead(fds, 60_000)
        helper.join()
        assert (r, fds) == (1, [a.fileno()])
    assert len(handled) == SIGNALS


def test_select_timeout_runs_its_course_despite_signals(handled: list[int]) -> None:
    timeout_ms = 1000
    a, b = socket.socketpair()
    with a, b:
        helper = interrupt_then(lambda: None, delay=0.1)
        fds = [a.fileno()]
        start = time.monotonic()
        r = ns.selectRead(fds, timeout_ms)
        waited = time.monotonic() - start
        helper.join()
    assert len(handled) == SIGNALS
    assert (r, fds) == (0, [])
    # Not early: each retry waited for what was left (a lower bound only; 20 ms of slack
    # for the clock's and poll's rounding).
    assert waited >= timeout_ms / 1000 - 0.02, waited


# --- SIGINT: KeyboardInterrupt, promptly --------------------------------------------------

INTERRUPTED = """
import json, signal, socket, sys, threading, time
import nativesockets as ns

# Python installs its SIGINT handler only where SIGINT was not ignored at startup, and a
# run in the background (`nox &`, nohup, some CI runners) passes SIGINT on ignored.
signal.signal(signal.SIGINT, signal.default_int_handler)

what = sys.argv[1]
lst = socket.socket()
lst.bind(("127.0.0.1", 0))
lst.listen()
a, b = socket.socketpair()
print(json.dumps({"tid": threading.get_native_id()}), flush=True)
start = time.monotonic()
try:
    if what == "accept":
        r = ns.accept(lst.fileno())
    elif what == "recv":
        r = ns.recv(a.fileno(), bytearray(8))
    else:
        r = ns.selectRead([a.fileno()], -1)
except KeyboardInterrupt:
    print(json.dumps({"raised": "KeyboardInterrupt", "after": time.monotonic() - start}))
    sys.exit(0)
print(json.dumps({"returned": repr(r), "errno": ns.osLastError()}))
sys.exit(3)
"""


@pytest.mark.parametrize("what", ["selectRead", "accept", "recv"])
def test_sigint_raises_keyboardinterrupt(what: str, capsys: pytest.CaptureFixture[str]) -> None:
    env = dict(os.environ)
    package_parent = str(Path(ns.__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_parent, env.get("PYTHONPATH")]))
    child = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(INTERRUPTED), what],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert child.stdout is not None
        tid = json.loads(child.stdout.readline())["tid"]
        wait_asleep(tid, str(child.pid))
        time.sleep(0.05)
        child.send_signal(signal.SIGINT)
        sent = time.monotonic()
        out, err = child.communicate(timeout=30)  # the call would block forever
        took = time.monotonic() - sent
    finally:
        if child.poll() is None:
            child.kill()
            child.communicate()
    assert child.returncode == 0, out + err
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    assert result["raised"] == "KeyboardInterrupt"
    with capsys.disabled():
        print(f"\nSIGINT in {what}: KeyboardInterrupt, child gone {took * 1000:.0f} ms later")


@pytest.mark.parametrize("error", [TypeError, OverflowError])
@pytest.mark.parametrize("proc", ["recv", "recvfrom"])
def test_a_handlers_type_error_is_not_taken_for_a_bad_argument(
    proc: str, error: type[Exception]
) -> None:
    """The fast paths take a TypeError or OverflowError at their C call for cffi refusing an
    argument, and retry through the slow path. One that a signal handler raised when the
    call returned (every argument fine) must propagate instead: a retry would receive again
    (here it would wait for data that never comes; SO_RCVTIMEO ends it with -1)."""

    def raising(signum: int, frame: object) -> None:
        raise error("from the handler")

    old = signal.signal(signal.SIGUSR1, raising)
    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
    try:
        a.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, struct.pack("ll", 10, 0))
        main = threading.main_thread()
        tid = main.native_id
        assert tid is not None

        def interrupt() -> None:
            wait_asleep(tid)
            time.sleep(0.05)
            signal.pthread_kill(main.ident, signal.SIGUSR1)  # type: ignore[arg-type]

        t = threading.Thread(target=interrupt)
        t.start()
        buf = bytearray(64)
        with pytest.raises(error, match="from the handler"):
            if proc == "recv":
                ns.recv(a.fileno(), buf)
            else:
                ns.recvfrom(a.fileno(), buf, None, 0, ns.Sockaddr_storage())
        t.join()
    finally:
        signal.signal(signal.SIGUSR1, old)
        a.close()
        b.close()

"""The database lookups (getServByName, getServByPort, getProtoByName, getHostByName,
getHostByAddr) under fork, signals and threads.

No Python lock may be held across bytecodes around a lookup: a fork while another thread held
one would deadlock the child's first lookup, and a signal handler doing a lookup while its own
thread held one would deadlock forever. Each scenario runs in a child Python, so a deadlock
fails one test (by the child's timeout) instead of hanging the run, and a crash fails one
test instead of ending it.

Expected answers come from the stdlib in the same process; the lookups use only
/etc/services, /etc/protocols, "localhost" and 127.0.0.1, which every hosts file answers.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path
from typing import Any

import pytest
from conftest import needs_unshare, run_offline

import nativesockets as ns
import nativesockets.netdb as netdb

# A bound on a child that should finish at once; only a deadlock reaches it.
CHILD_TIMEOUT = 180

# The lookups each child makes, and the stdlib's answers to compare them with.
PRELUDE = """
import json, os, socket, sys, threading, time, warnings
import nativesockets as ns

warnings.simplefilter("ignore", DeprecationWarning)  # 3.12+: fork() with threads running

def known(names, lookup):
    found = []
    for name in names:
        try:
            lookup(name)
        except OSError:
            continue
        found.append(name)
    return found

# services the stdlib finds both ways (wine's getservbyport misses ports >= 0x8000 in
# network order, such as 443)
SERVICES = known(["ssh", "http", "smtp", "domain", "ftp", "telnet", "https", "pop3"],
                 lambda n: socket.getservbyport(socket.getservbyname(n, "tcp"), "tcp"))
PROTOCOLS = known(["tcp", "udp", "icmp", "ip", "ipv6", "gre", "esp", "ah"],
                  socket.getprotobyname)
assert len(SERVICES) >= 2 and len(PROTOCOLS) >= 2, (SERVICES, PROTOCOLS)

def plan(i):
    # (call, expected) pairs with arguments of their own for i: one caller's result
    # showing up as another's is a wrong answer
    service = SERVICES[i % len(SERVICES)]
    other = SERVICES[(i + 1) % len(SERVICES)]
    port = socket.getservbyname(other, "tcp")
    proto = PROTOCOLS[i % len(PROTOCOLS)]
    host = "localhost" if i % 2 == 0 else f"127.0.0.{i + 1}"
    return [
        (lambda: ns.getServByName(service, "tcp").port, socket.getservbyname(service, "tcp")),
        (lambda: ns.getServByPort(port, "tcp").name, socket.getservbyport(port, "tcp")),
        (lambda: ns.getProtoByName(proto), socket.getprotobyname(proto)),
        (lambda: ns.getHostByName(host).addrList, socket.gethostbyname_ex(host)[2]),
        (lambda: ns.getHostByAddr("127.0.0.1").name, socket.gethostbyaddr("127.0.0.1")[0]),
    ]

def wrong_answers(calls):
    # the calls whose answer differs from the stdlib's (a raise is a wrong answer too)
    wrong = []
    for k, (call, want) in enumerate(calls):
        try:
            got = call()
        except Exception as e:
            got = repr(e)
        if got != want:
            wrong.append([k, repr(got), repr(want)])
    return wrong
"""


def run_child(code: str) -> Any:
    """Run PRELUDE + code in a child Python importing this package; return the JSON it
    printed last. A child that does not finish within CHILD_TIMEOUT has deadlocked."""
    env = dict(os.environ)
    package_parent = str(Path(ns.__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_parent, env.get("PYTHONPATH")]))
    try:
        r = subprocess.run(
            [sys.executable, "-c", PRELUDE + textwrap.dedent(code)],
            capture_output=True,
            text=True,
            timeout=CHILD_TIMEOUT,
            env=env,
            cwd=tempfile.gettempdir(),
        )
    except subprocess.TimeoutExpired as e:
        pytest.fail(f"deadlock: the child did not finish in {CHILD_TIMEOUT} s\n{e.stderr!r}")
    assert r.returncode == 0, r.stdout + r.stderr
    return json.loads(r.stdout.strip().splitlines()[-1])


posix_only = pytest.mark.skipif(
    sys.platform == "win32", reason="POSIX only: Windows has no fork() and no setitimer"
)


# --- fork ----------------------------------------------------------------------------------

FORK = """
CHILDREN = 20
HANG_BOUND = 60.0   # seconds a child may take; only a deadlock comes near it
calls = plan(0)
stop = False
rounds = [0]
thread_wrong = []

def lookups():
    while not stop:
        thread_wrong.extend(wrong_answers(calls))
        rounds[0] += 1

t = threading.Thread(target=lookups)
t.start()
pids = []
for _ in range(CHILDREN):
    seen = rounds[0]
    while rounds[0] == seen:  # fork only while the thread is busy in its lookups
        time.sleep(0)
    pid = os.fork()
    if pid == 0:  # the child: the lookup thread is gone, whatever it held stays held
        os._exit(1 if wrong_answers(calls) else 0)
    pids.append(pid)
stop = True
t.join()

status = {}
deadline = time.monotonic() + HANG_BOUND
while len(status) < len(pids) and time.monotonic() < deadline:
    for pid in pids:
        if pid not in status:
            done, code = os.waitpid(pid, os.WNOHANG)
            if done:
                status[pid] = os.waitstatus_to_exitcode(code)
    time.sleep(0.01)
hung = [pid for pid in pids if pid not in status]
for pid in hung:
    os.kill(pid, 9)
    os.waitpid(pid, 0)
print(json.dumps({"hung": len(hung), "codes": sorted(status.values()),
                  "rounds": rounds[0], "thread_wrong": thread_wrong[:5]}))
"""


@posix_only
def test_fork_while_a_thread_is_in_lookups_leaves_the_childs_lookups_working() -> None:
    """A thread does lookups in a loop while the main thread forks 20 children; each child
    does every lookup at once. With a Python lock around the lookups, a child forked while
    the thread held it waits forever on its copy."""
    r = run_child(FORK)
    assert r["hung"] == 0, f"{r['hung']} of 20 fork children deadlocked in their first lookup"
    assert r["codes"] == [0] * 20, r  # 1: a wrong answer in the child
    assert r["thread_wrong"] == [], r
    assert r["rounds"] >= 20, r


# --- signals -------------------------------------------------------------------------------

SIGNALS = """
import signal

calls = plan(0)
inner = plan(1)       # other arguments: the handler's answers differ from the main loop's
WANT = 300            # lookups by each side before the run ends
depth = [0]
count = {"main": 0, "handler": 0, "nested": 0}
wrong = []

def handler(signum, frame):
    if depth[0] >= 3:  # a handler that signals interrupt again nests; keep the stack short
        return
    depth[0] += 1
    try:
        if depth[0] > 1:
            count["nested"] += 1
        wrong.extend(["handler", *w] for w in wrong_answers(inner))
        count["handler"] += 1
    finally:
        depth[0] -= 1

signal.signal(signal.SIGALRM, handler)
signal.setitimer(signal.ITIMER_REAL, 0.0003, 0.0003)
try:
    while count["main"] < WANT or count["handler"] < WANT:
        wrong.extend(["main", *w] for w in wrong_answers(calls))
        count["main"] += 1
finally:
    signal.setitimer(signal.ITIMER_REAL, 0, 0)
print(json.dumps({"count": count, "wrong": wrong[:5]}))
"""


@posix_only
def test_a_signal_handler_doing_lookups_interrupts_lookups() -> None:
    """SIGALRM at a high rate runs a handler that does every lookup, while the main thread
    does them in a loop: both get their own right answers, and the run ends. With a Python
    lock around the lookups, a handler that runs while its own thread holds it (between the
    bytecodes of the copy) waits forever."""
    r = run_child(SIGNALS)
    assert r["wrong"] == [], r
    assert r["count"]["main"] >= 300 and r["count"]["handler"] >= 300, r


# --- threads -------------------------------------------------------------------------------

THREADS = """
THREADS, ROUNDS = 8, 300
plans = [plan(i) for i in range(THREADS)]
answers = [[want for _, want in p] for p in plans]
distinct = len({repr(a) for a in answers})
start = threading.Barrier(THREADS)
wrong = []
done = [0] * THREADS

def worker(i):
    start.wait()
    for r in range(ROUNDS):
        k = (i + r) % 5
        calls = plans[i][k:] + plans[i][:k]  # each thread in its own order
        wrong.extend([i, *w] for w in wrong_answers(calls))
        done[i] += 1

threads = [threading.Thread(target=worker, args=(i,)) for i in range(THREADS)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(json.dumps({"wrong": wrong[:5], "done": done, "distinct": distinct}))
"""


def test_eight_threads_of_lookups_get_their_own_answers() -> None:
    """Eight threads, each with arguments of its own, do every lookup 300 times: each gets
    its own answers. Lookups that return static storage, copied without a guard, hand one
    thread's entry to another."""
    r = run_child(THREADS)
    assert r["distinct"] >= 2, r  # the threads do ask different questions
    assert r["wrong"] == [], r
    assert r["done"] == [300] * 8, r


# --- the buffer grows until the entry fits ------------------------------------------------


def test_a_first_buffer_too_small_for_the_entry_grows_until_it_fits(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each lookup copies its entry into a buffer the caller owns; when the entry does not
    fit (ERANGE from the reentrant call, or the copy's own check) the call is made again
    with a buffer twice as large. Starting from 8 bytes, every entry needs several rounds."""
    import socket

    def lookups() -> dict[str, object]:
        return {
            "serv": ns.getServByName("http", "tcp"),
            "port": ns.getServByPort(ns.Port(80), "tcp"),
            "proto": ns.getProtoByName("udp"),
            "host": ns.getHostByName("localhost"),
            "addr": ns.getHostByAddr("127.0.0.1"),
        }

    big = lookups()
    monkeypatch.setattr(netdb, "_FIRST_SIZE", 8)
    small = lookups()
    assert small == big
    assert big["serv"].port == socket.getservbyname("http", "tcp")
    assert big["proto"] == socket.getprotobyname("udp")
    assert big["host"].addrList == socket.gethostbyname_ex("localhost")[2]
    with pytest.raises(OSError, match="not found"):
        ns.getServByName("no-such-service", "tcp")  # not found is no reason to grow


# --- a failed host lookup's error is its own ----------------------------------------------

HOST_ERRORS = """
import threading

def failure(call, arg):
    try:
        call(arg)
    except socket.herror as e:
        return [e.errno, e.strerror]
    return None

CASES = [(ns.getHostByName, "no-such-host.invalid"), (ns.getHostByAddr, "192.0.2.99")]
alone = [failure(c, a) for c, a in CASES]
want_host = socket.gethostbyname_ex("localhost")[2]
wrong = []
start = threading.Barrier(8)

def worker(i):
    start.wait()
    for _ in range(100):
        if i % 2:  # failing lookups, each with the error it had alone
            for (call, arg), expected in zip(CASES, alone):
                got = failure(call, arg)
                if got != expected:
                    wrong.append([i, got, expected])
        else:  # lookups that succeed meanwhile
            try:
                got = ns.getHostByName("localhost").addrList
            except OSError as e:
                got = repr(e)
            if got != want_host:
                wrong.append([i, got, want_host])

threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
for t in threads:
    t.start()
for t in threads:
    t.join()
report({"alone": alone, "wrong": wrong[:5]})
"""


@needs_unshare
def test_a_failed_host_lookup_carries_its_own_error_among_threads() -> None:
    """Offline, four threads make host lookups that fail while four make ones that succeed:
    each failure raises socket.herror with the error it has alone, each success succeeds.
    The error comes back from the C call that failed (h_errno is one global for the whole
    process on macOS and OpenBSD, so reading it later could give another lookup's)."""
    r = run_offline(HOST_ERRORS)
    for code, text in r["alone"]:
        assert code in (1, 2, 3, 4), r  # HOST_NOT_FOUND, TRY_AGAIN, NO_RECOVERY, NO_DATA
        assert text.startswith(("getHostByName(", "getHostByAddr(")), r
    assert r["wrong"] == [], r

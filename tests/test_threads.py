"""Threads: lookups that return static storage give every thread its own right answer, and a
thread blocked in accept, recv or selectRead(timeout=-1) lets the others run (the C calls
release the GIL)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
import threading
from pathlib import Path
from typing import Any, Callable

import pytest

import nativesockets as ns

THREADS = 8
ROUNDS = int(os.environ.get("NATIVESOCKETS_THREAD_ROUNDS", "2000"))

SERVICES = ["http", "ssh", "smtp", "domain", "ftp", "telnet", "https", "pop3"]
PROTOCOLS = ["ip", "icmp", "tcp", "udp", "ipv6", "gre", "esp", "ah"]


def _known(names: list[str], lookup: Callable[[str], Any]) -> list[str]:
    found = []
    for name in names:
        try:
            lookup(name)
        except OSError:
            continue
        found.append(name)
    return found


def thread_calls(i: int) -> list[tuple[str, Callable[[], Any]]]:
    """The six lookups thread ``i`` makes, with arguments of its own where the databases
    allow it, so that one thread's static result showing up in another is a wrong answer."""
    services = _known(SERVICES, lambda n: socket.getservbyname(n, "tcp"))
    protocols = _known(PROTOCOLS, socket.getprotobyname)
    service = services[i % len(services)]
    port = socket.getservbyname(services[(i + 1) % len(services)], "tcp")
    host = f"127.0.0.{i + 1}"  # a numeric name: no lookup, but the same static hostent
    return [
        ("getServByName", lambda: ns.getServByName(service, "tcp")),
        ("getServByPort", lambda: ns.getServByPort(port, "tcp")),
        ("getProtoByName", lambda: ns.getProtoByName(protocols[i % len(protocols)])),
        ("getHostByName", lambda: ns.getHostByName(host if i % 2 else "localhost")),
        ("getHostByAddr", lambda: ns.getHostByAddr("127.0.0.1")),
        (
            "getAddrInfo",
            lambda: [
                (n.ai_family, n.ai_socktype, ns.getAddrString(n.ai_addr), bytes(n.ai_addr))
                for n in ns.getAddrInfo(host, 1000 + i, ns.AF_INET, ns.SOCK_DGRAM, ns.IPPROTO_UDP)
            ],
        ),
    ]


def test_eight_threads_of_lookups_get_their_own_answers() -> None:
    services = _known(SERVICES, lambda n: socket.getservbyname(n, "tcp"))
    assert len(services) >= 2, "/etc/services lacks the common services"
    plans = [thread_calls(i) for i in range(THREADS)]
    expected = [[(name, call()) for name, call in plan] for plan in plans]
    # The answers differ from thread to thread, and match the stdlib's. What localhost maps
    # to is the hosts file's business (a stock Debian one lists it for ::1 too, and
    # gethostbyname then gives 127.0.0.1 twice): the stdlib's answer is the expectation.
    assert expected[0][0][1].port == socket.getservbyname(services[0], "tcp")
    assert expected[1][3][1].addrList == ["127.0.0.2"]
    name, aliases, addresses = socket.gethostbyname_ex("localhost")
    assert (expected[0][3][1].name, expected[0][3][1].aliases) == (name, aliases)
    assert expected[0][3][1].addrList == addresses and "127.0.0.1" in addresses
    assert expected[0][4][1].name == socket.gethostbyaddr("127.0.0.1")[0]
    assert expected[3][5][1][0][2] == "127.0.0.4"
    assert len({repr(e) for e in expected}) == THREADS

    start = threading.Barrier(THREADS)
    wrong: list[tuple[int, str, Any]] = []
    done = [0] * THREADS

    def worker(i: int) -> None:
        plan = plans[i]
        want = dict(expected[i])
        start.wait()
        for r in range(ROUNDS):
            for k in range(len(plan)):
                name, call = plan[(k + i + r) % len(plan)]  # each thread in its own order
                try:
                    got = call()
                except Exception as e:  # noqa: BLE001 - any failure is a wrong answer
                    got = e
                if got != want[name]:
                    wrong.append((i, name, got))
            done[i] += 1

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert wrong == []
    assert done == [ROUNDS] * THREADS


# --- one thread blocked, the others run ------------------------------------------------------

BLOCKED = """
import json, os, socket, sys, threading, time
import nativesockets as ns

what = sys.argv[1]
lst = socket.socket()
lst.bind(("127.0.0.1", 0))
lst.listen()
a, b = socket.socketpair()
result = {}
entered = threading.Event()

def blocked():
    result["tid"] = threading.get_native_id()
    entered.set()
    if what == "accept":
        c, peer = ns.accept(lst.fileno())
        result["value"] = peer
        ns.close(c)
    elif what == "recv":
        buf = bytearray(16)
        n = ns.recv(a.fileno(), buf)
        result["value"] = buf[:n].decode()
    else:
        fds = [a.fileno()]
        result["value"] = [ns.selectRead(fds, -1), fds == [a.fileno()]]

def state(tid):
    with open(f"/proc/self/task/{tid}/stat") as f:
        return f.read().rsplit(")", 1)[1].split()[0]

t = threading.Thread(target=blocked)
t.start()
entered.wait()
while state(result["tid"]) != "S":  # until the thread sleeps in the system call
    time.sleep(0.001)
# This thread runs while the other is blocked: count what it gets done.
progress = 0
states = set()
deadline = time.monotonic() + 0.3
while time.monotonic() < deadline:
    progress += 1
    if progress % 1000 == 0:
        states.add(state(result["tid"]))
blocked_throughout = t.is_alive() and states == {"S"}
if what == "accept":
    c = socket.create_connection(lst.getsockname())
else:
    b.send(b"wake up")
t.join(30)
print(json.dumps({"progress": progress, "blocked_throughout": blocked_throughout,
                  "alive": t.is_alive(), "value": result.get("value")}))
os._exit(0)
"""


# sys.platform, not os.path.isdir: wine shows the Linux host's /proc to Windows processes
@pytest.mark.skipif(
    sys.platform != "linux" or not os.path.isdir("/proc/self/task"),
    reason="needs Linux's /proc/self/task to see the thread asleep in its call",
)
@pytest.mark.parametrize(
    "what, value",
    [("accept", "127.0.0.1"), ("recv", "wake up"), ("selectRead", [1, True])],
)
def test_a_blocked_call_lets_other_threads_run(what: str, value: Any) -> None:
    # A child: were the GIL held, the main thread would never run again and only the
    # timeout would end it.
    env = dict(os.environ)
    package_parent = str(Path(ns.__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_parent, env.get("PYTHONPATH")]))
    r = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(BLOCKED), what],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    out = json.loads(r.stdout.strip().splitlines()[-1])
    assert out["blocked_throughout"], out
    assert out["progress"] > 1000, out
    assert not out["alive"] and out["value"] == value, out

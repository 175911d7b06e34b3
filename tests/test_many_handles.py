"""Many handles: selectRead/selectWrite on handle numbers above 4096 (where Nim's fd_set
would be written out of bounds) and on 10,000 handles at once.

On POSIX each runs in a child process that raises its RLIMIT_NOFILE soft limit up to the hard
limit. Windows has neither handle numbers a process can choose (dup2) nor RLIMIT_NOFILE: there
the test is one list of 200 sockets, beyond Winsock's FD_SETSIZE of 64 (Nim's fd_set holds 64
handles there)."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

import nativesockets as ns

WINDOWS = sys.platform == "win32"
# osLastError() after a select over a handle that is closed
CLOSED_HANDLE_ERROR = 10038 if WINDOWS else errno.EBADF  # WSAENOTSOCK on Windows

if WINDOWS:
    HARD = 0
else:
    import resource

    HARD = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
HIGH = 4100  # handle numbers used: 4100 and up
MANY = 10_000
posix_only = pytest.mark.skipif(
    WINDOWS,
    reason="POSIX only: handle numbers chosen with dup2 and RLIMIT_NOFILE (a Winsock "
    "SOCKET is a kernel handle the process cannot choose; see the Windows test below)",
)


def limit_at_least(n: int) -> pytest.MarkDecorator:
    return pytest.mark.skipif(
        not WINDOWS and HARD != resource.RLIM_INFINITY and HARD < n,
        reason=f"the hard RLIMIT_NOFILE ({HARD}) is below {n}: no process here can hold "
        f"that many handles",
    )


PRELUDE = """
import errno, json, os, resource, socket, sys
import nativesockets as ns

soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
want = hard if hard != resource.RLIM_INFINITY else 1 << 16
resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
"""
WINDOWS_PRELUDE = """
import json, random, select, socket, sys
import nativesockets as ns
"""


def run_child(code: str, prelude: str = PRELUDE) -> Any:
    env = dict(os.environ)
    package_parent = str(Path(ns.__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_parent, env.get("PYTHONPATH")]))
    r = subprocess.run(
        [sys.executable, "-X", "faulthandler", "-c", prelude + textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert r.returncode == 0, f"exit {r.returncode}\n{r.stdout}\n{r.stderr}"
    return json.loads(r.stdout.strip().splitlines()[-1])


@posix_only
@limit_at_least(HIGH + 100)
def test_select_on_handles_above_4096() -> None:
    out = run_child(
        f"""
        def pair(at):
            a, b = socket.socketpair()
            os.dup2(a.fileno(), at)
            os.dup2(b.fileno(), at + 1)
            a.close()
            b.close()
            return at, at + 1

        ready_r, ready_w = pair({HIGH})        # ready_r will have data
        idle_r, idle_w = pair({HIGH} + 50)     # nothing to read
        full_r, full_w = pair({HIGH} + 90)     # full_w cannot write: its buffer is full
        os.set_blocking(full_w, False)
        try:
            while True:
                os.write(full_w, b"x" * 65536)
        except BlockingIOError:
            pass
        os.write(ready_w, b"data")
        closed = {HIGH} + 70                   # never opened

        out = {{}}
        fds = [idle_r, ready_r, full_w]
        out["read"] = [ns.selectRead(fds, 0), fds]
        fds = [full_w, idle_w, ready_r]
        out["write"] = [ns.selectWrite(fds, 0), fds]
        fds = [idle_r, ready_r]
        out["read_forever"] = [ns.selectRead(fds, -1), fds]
        fds = [idle_r, closed]
        out["closed"] = [ns.selectRead(fds, 0), ns.osLastError() == {CLOSED_HANDLE_ERROR}, fds]
        fds = [idle_r, full_w]
        out["timeout"] = [ns.selectWrite(fds, 10), fds]
        print(json.dumps(out))
        """
    )
    h = HIGH
    assert out == {
        "read": [1, [h]],
        "write": [2, [h + 51, h]],
        "read_forever": [1, [h]],
        "closed": [-1, True, [h + 50, h + 70]],
        "timeout": [1, [h + 50]],
    }


@posix_only
@limit_at_least(MANY + 300)
def test_select_on_10000_handles_at_once() -> None:
    out = run_child(
        f"""
        import random
        pairs = [socket.socketpair() for _ in range(100)]
        for k, (a, b) in enumerate(pairs):
            if k % 2 == 0:
                b.send(b"x")                      # the even pairs' a ends are readable
        handles, readable = [], set()
        for k, (a, b) in enumerate(pairs):
            for _ in range({MANY} // len(pairs)):
                h = os.dup(a.fileno())
                handles.append(h)
                if k % 2 == 0:
                    readable.add(h)
        random.Random(7).shuffle(handles)
        expected = [h for h in handles if h in readable]  # in the list's order

        out = {{"n": len(handles), "max": max(handles)}}
        fds = list(handles)
        out["read"] = ns.selectRead(fds, 0) == len(expected) and fds == expected
        fds = list(handles)
        out["write"] = ns.selectWrite(fds, 0) == len(handles) and fds == handles
        fds = list(handles)
        out["read_forever"] = ns.selectRead(fds, -1) == len(expected) and fds == expected
        fds = [handles[0]] * {MANY}                 # one handle, 10,000 times
        r = ns.selectWrite(fds, 0)
        out["repeated"] = r == {MANY} and fds == [handles[0]] * {MANY}
        closed = handles.pop(5000)
        os.close(closed)
        fds = handles[:5000] + [closed] + handles[5000:]
        before = list(fds)
        r = ns.selectRead(fds, 0)
        out["closed"] = r == -1 and ns.osLastError() == {CLOSED_HANDLE_ERROR} and fds == before
        for h in handles:
            os.close(h)
        print(json.dumps(out))
        """
    )
    assert out.pop("n") == MANY
    assert out.pop("max") >= MANY
    assert out == {
        "read": True,
        "write": True,
        "read_forever": True,
        "repeated": True,
        "closed": True,
    }


@pytest.mark.skipif(not WINDOWS, reason="Windows only: Winsock's select and its FD_SETSIZE")
def test_select_on_200_sockets_beyond_fd_setsize() -> None:
    out = run_child(
        """
        pairs = [socket.socketpair() for _ in range(100)]
        for k, (a, b) in enumerate(pairs):
            if k % 2 == 0:
                b.send(b"x")                      # the even pairs' a ends become readable
                assert select.select([a], [], [], 30)[0] == [a]  # arrived (one at a time)
        handles = [s.fileno() for pair in pairs for s in pair]
        readable = {a.fileno() for k, (a, b) in enumerate(pairs) if k % 2 == 0}
        random.Random(7).shuffle(handles)
        expected = [h for h in handles if h in readable]  # in the list's order

        out = {"n": len(set(handles))}
        fds = list(handles)
        out["read"] = [ns.selectRead(fds, 0) == len(expected), fds == expected]
        fds = list(handles)
        out["write"] = [ns.selectWrite(fds, 0) == len(handles), fds == handles]
        fds = list(handles)
        out["read_forever"] = [ns.selectRead(fds, -1) == len(expected), fds == expected]
        fds = [handles[0]] * 1000                  # one handle, 1,000 times
        out["repeated"] = [ns.selectWrite(fds, 0) == 1000, fds == [handles[0]] * 1000]
        a, b = pairs[1]
        closed = a.fileno()
        handles.remove(closed)
        a.close()
        fds = handles[:100] + [closed] + handles[100:]
        before = list(fds)
        out["closed"] = [ns.selectRead(fds, 0), ns.osLastError(), fds == before]
        print(json.dumps(out))
        """,
        WINDOWS_PRELUDE,
    )
    assert out == {
        "n": 200,
        "read": [True, True],
        "write": [True, True],
        "read_forever": [True, True],
        "repeated": [True, True],
        "closed": [-1, CLOSED_HANDLE_ERROR, True],
    }

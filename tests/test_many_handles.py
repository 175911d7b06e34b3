"""Many handles: selectRead/selectWrite on handle numbers above 4096 (where Nim's fd_set
would be written out of bounds) and on 10,000 handles at once.

Each runs in a child process that raises its RLIMIT_NOFILE soft limit up to the hard limit."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

import nativesockets as ns

HARD = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
HIGH = 4100  # handle numbers used: 4100 and up
MANY = 10_000


def limit_at_least(n: int) -> pytest.MarkDecorator:
    return pytest.mark.skipif(
        HARD != resource.RLIM_INFINITY and HARD < n,
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


def run_child(code: str) -> Any:
    env = dict(os.environ)
    package_parent = str(Path(ns.__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_parent, env.get("PYTHONPATH")]))
    r = subprocess.run(
        [sys.executable, "-X", "faulthandler", "-c", PRELUDE + textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert r.returncode == 0, f"exit {r.returncode}\n{r.stdout}\n{r.stderr}"
    return json.loads(r.stdout.strip().splitlines()[-1])


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
        out["closed"] = [ns.selectRead(fds, 0), ns.osLastError() == errno.EBADF, fds]
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
        out["closed"] = r == -1 and ns.osLastError() == errno.EBADF and fds == before
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

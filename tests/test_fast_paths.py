"""The hot procs' fast paths (nativesockets/sockets.py, csrc/common.c): C checks the handle
and returns NS_CHECK for one below 2, so that the handles 0 and 1 (which may be bools),
negative handles and whatever cffi refuses take the slow path, where Python checks every
argument. The argument table (test_argument_errors.py) covers the refusals; these tests take
the other ways: real sockets on the handles 0 and 1, int-like handles, and (in
test_signals.py) an exception that a signal handler raises when the C call returns."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import nativesockets as ns

ON_0_AND_1 = r"""
import errno, json, os, socket, sys
import nativesockets as ns
a = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
b = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
a.bind(("127.0.0.1", 0))
b.bind(("127.0.0.1", 0))
os.dup2(a.fileno(), 0)  # stdin and stdout become the two sockets
os.dup2(b.fileno(), 1)
to_b = ns.Sockaddr_in("127.0.0.1", b.getsockname()[1])
sender = ns.Sockaddr_storage()
buf = bytearray(16)
out = {}
out["sendto"] = ns.sendto(0, b"one", to=to_b)
out["recvfrom"] = ns.recvfrom(1, buf, None, 0, sender)
out["sender_len"] = len(sender)
out["sendto_length"] = ns.sendto(0, b"three", 3, 0, to_b)
out["recvfrom_length"] = ns.recvfrom(1, buf, 8, 0, sender)
out["connect"] = ns.connect(0, to_b)
out["send"] = ns.send(0, b"four")
out["recv"] = ns.recv(1, buf)
out["send_bytearray_length"] = ns.send(0, bytearray(b"fivefive"), 5)
out["recv_length"] = ns.recv(1, buf, 16)
ns.setBlocking(1, False)
out["recv_nonblocking"] = [ns.recv(1, buf), ns.osLastError() in (errno.EAGAIN, errno.EWOULDBLOCK)]
ns.setBlocking(1, True)
ns.setSockOptInt(0, ns.SOL_SOCKET, ns.SO_RCVBUF, 65536)
out["rcvbuf"] = ns.getSockOptInt(0, ns.SOL_SOCKET, ns.SO_RCVBUF)
os.write(2, json.dumps(out).encode())
"""


@pytest.mark.skipif(sys.platform == "win32", reason="Windows: a SOCKET is never 0 or 1")
def test_sockets_on_the_handles_0_and_1() -> None:
    """0 and 1 are valid handles: the slow path checks them (not bools) and makes the call."""
    env = dict(os.environ)
    parent = str(Path(ns.__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [parent, env.get("PYTHONPATH")]))
    child = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(ON_0_AND_1)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        timeout=60,
    )
    assert child.returncode == 0, child.stderr
    out = json.loads(child.stderr)
    assert out["sendto"] == 3 and out["recvfrom"] == 3 and out["sender_len"] == 16
    assert out["sendto_length"] == 3 and out["recvfrom_length"] == 3
    assert out["connect"] == 0 and out["send"] == 4 and out["recv"] == 4
    assert out["send_bytearray_length"] == 5 and out["recv_length"] == 5
    assert out["recv_nonblocking"] == [-1, True]
    assert out["rcvbuf"] >= 65536


class Handle:
    """An int-like handle: cffi refuses it, the slow path converts it."""

    def __init__(self, value: int) -> None:
        self.value = value

    def __index__(self) -> int:
        return self.value


def test_int_like_handles_and_flags_take_the_slow_path() -> None:
    a = ns.createNativeSocket(ns.AF_INET, ns.SOCK_DGRAM)
    b = ns.createNativeSocket(ns.AF_INET, ns.SOCK_DGRAM)
    try:
        assert ns.bindAddr(b, ns.Sockaddr_in("127.0.0.1", 0)) == 0
        to = ns.Sockaddr_in("127.0.0.1", ns.getSockName(b))
        assert ns.sendto(Handle(a), b"abc", None, Handle(0), to) == 3
        buf = bytearray(8)
        assert ns.recvfrom(Handle(b), buf, Handle(8), Handle(0), ns.Sockaddr_storage()) == 3
        assert ns.connect(a, to) == 0
        assert ns.send(Handle(a), memoryview(b"defg")[1:], None, Handle(0)) == 3
        assert ns.recv(Handle(b), memoryview(buf)[2:], None, Handle(0)) == 3
        assert buf[:5] == b"abefg"
        ns.setSockOptInt(Handle(a), Handle(ns.SOL_SOCKET), ns.SO_SNDBUF, Handle(65536))
        assert ns.getSockOptInt(Handle(a), ns.SOL_SOCKET, Handle(ns.SO_SNDBUF)) >= 65536
        ns.setBlocking(Handle(b), 0)  # an int by its truth value
        assert ns.recv(b, buf) == -1
        ns.setBlocking(Handle(b), 7)
    finally:
        ns.close(a)
        ns.close(b)

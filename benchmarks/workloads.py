"""The workloads W1-W9: each one through nativesockets, the stdlib, and bare cffi calls.

A workload owns its sockets (``setup``/``close``) and has three loops, ``ours(n)``,
``stdlib(n)`` and ``bare(n)``, that do the same work ``n`` times through our public API,
the stdlib, and the compiled module's ``lib`` functions called directly (the C call(s) our
proc makes, with the C arguments made in the loop the plainest cffi way: ``ffi.from_buffer``
per buffer, ``ffi.new`` per array, no checks but the result's); ``per_iter`` says how many
operations one time is; ``icount`` is the iteration count of the instruction count
(``run.py --instructions``). Both loops run on the very same sockets (the stdlib's
``socket.socket`` objects wrap our handles), so the kernel's share of the work is the same.
Every loop checks each result, so a failing call can never pass for a fast one. The stdlib
side is the counterpart a careful user would pick: ``socket.socket`` methods,
``recv_into``/``recvfrom_into`` into a reused buffer as ours receives into one,
``select.select`` (``select.poll`` where ``select`` cannot take the handles),
``socket.getaddrinfo`` with the same hints.
"""

from __future__ import annotations

import os
import select
import shutil
import socket
import struct
import tempfile
import threading
from typing import Any, Callable

import nativesockets as ns
from nativesockets._ffi import ffi, lib

MSG = b"m" * 64
LOOPBACK = "127.0.0.1"


class Workload:
    key = ""  # the row's name in the table
    unit = "ops"  # what per_iter counts
    per_iter = 1
    target = 1.0  # ours/stdlib to meet on CPython (PyPy: 1.0 for every row)
    versus = ""  # the stdlib counterpart, for the notes under the table
    calibrate = True  # False: n is 1 and one sample is one fixed-size run (W7)
    icount = 0  # iterations per instruction count (0: not counted); run.py runs icount and 2*icount
    bare_does = ""  # the bare cffi loop, for the notes under the table

    def setup(self) -> None:
        pass

    def close(self) -> None:
        pass

    def ours(self, n: int) -> None:
        raise NotImplementedError

    def stdlib(self, n: int) -> None:
        raise NotImplementedError

    def bare(self, n: int) -> None:
        raise NotImplementedError


def _c(name: str, nargs: int) -> Callable[..., Any]:
    """``lib.<name>``, checked to still take ``nargs`` arguments: when a C helper changes,
    the bare loop must fail loudly, never time another call."""
    fn = getattr(lib, name, None)
    if fn is None:
        raise RuntimeError(f"bare cffi loop out of date: lib.{name} is gone")
    ctype = ffi.typeof(ffi.addressof(lib, name))
    if len(ctype.args) != nargs:
        raise RuntimeError(
            f"bare cffi loop out of date: lib.{name} is now {ctype.cname}, "
            f"the loop passes {nargs} arguments"
        )
    return fn  # type: ignore[no-any-return]


def _check(ok: bool, what: str) -> None:
    if not ok:
        raise RuntimeError(f"benchmark step failed: {what} (errno {ns.osLastError()})")


def _ours_tcp_pair() -> tuple[int, int, int]:
    """A listening socket and a connected TCP pair on 127.0.0.1, TCP_NODELAY on both ends."""
    server = ns.createNativeSocket(ns.AF_INET, ns.SOCK_STREAM, ns.IPPROTO_TCP)
    ns.setSockOptInt(server, ns.SOL_SOCKET, ns.SO_REUSEADDR, 1)
    _check(ns.bindAddr(server, ns.Sockaddr_in(LOOPBACK, 0)) == 0, "bindAddr")
    _check(ns.listen(server) == 0, "listen")
    port = ns.getSockName(server)
    client = ns.createNativeSocket(ns.AF_INET, ns.SOCK_STREAM, ns.IPPROTO_TCP)
    _check(ns.connect(client, ns.Sockaddr_in(LOOPBACK, port)) == 0, "connect")
    peer, _ = ns.accept(server)
    _check(peer != ns.osInvalidSocket, "accept")
    for s in (client, peer):
        ns.setSockOptInt(s, ns.IPPROTO_TCP, ns.TCP_NODELAY, 1)
    return server, client, peer


def _wrap(*handles: int) -> list[socket.socket]:
    """stdlib socket objects on our handles (detached again by _unwrap, before ns.close)."""
    return [socket.socket(fileno=h) for h in handles]


def _unwrap(socks: list[socket.socket]) -> None:
    for s in socks:
        s.detach()


class PingPong(Workload):
    """W1: a 64-byte message there and back over a connected pair, one thread."""

    unit = "round trips"
    versus = "sock.send / sock.recv_into on the same connected pair"

    icount = 600
    bare_does = "lib.ns_send(h, msg, 64, 0, 2) / lib.ns_recv(h, ffi.from_buffer(buf), 64, 0, 2)"

    def __init__(self, unix: bool, length: bool = False) -> None:
        self.unix = unix
        self.length = length  # Nim's form: the length passed (recv_into's nbytes)
        self.key = "W1 ping-pong Unix" if unix else "W1 ping-pong TCP"
        self.target = 0.90 if unix else 0.95
        if length:
            self.key += ", length passed"
            self.target = 0.0
            self.versus = "sock.send / sock.recv_into(buf, 64) on the same connected pair"

    def setup(self) -> None:
        if self.unix:
            self.tmp = tempfile.mkdtemp(prefix="nsbench")
            path = os.path.join(self.tmp, "s")
            server = ns.createNativeSocket(ns.AF_UNIX, ns.SOCK_STREAM, ns.IPPROTO_IP)
            _check(ns.bindAddr(server, ns.makeUnixAddr(path)) == 0, "bindAddr")
            _check(ns.listen(server) == 0, "listen")
            client = ns.createNativeSocket(ns.AF_UNIX, ns.SOCK_STREAM, ns.IPPROTO_IP)
            _check(ns.connect(client, ns.makeUnixAddr(path)) == 0, "connect")
            peer, _ = ns.accept(server)
            _check(peer != ns.osInvalidSocket, "accept")
            self.handles = (server, client, peer)
        else:
            self.handles = _ours_tcp_pair()
        self.socks = _wrap(*self.handles[1:])
        self.buf_a = bytearray(64)
        self.buf_b = bytearray(64)

    def close(self) -> None:
        _unwrap(self.socks)
        for h in self.handles:
            ns.close(h)
        if self.unix:
            shutil.rmtree(self.tmp)

    def ours(self, n: int) -> None:
        _, a, b = self.handles
        buf_a, buf_b = self.buf_a, self.buf_b
        send, recv = ns.send, ns.recv
        if self.length:
            for _ in range(n):
                if send(a, MSG, 64) != 64 or recv(b, buf_b, 64) != 64:
                    raise RuntimeError("ping")
                if send(b, buf_b, 64) != 64 or recv(a, buf_a, 64) != 64:
                    raise RuntimeError("pong")
            return
        for _ in range(n):
            if send(a, MSG) != 64 or recv(b, buf_b) != 64:
                raise RuntimeError("ping")
            if send(b, buf_b) != 64 or recv(a, buf_a) != 64:
                raise RuntimeError("pong")

    def stdlib(self, n: int) -> None:
        a, b = self.socks
        buf_a, buf_b = self.buf_a, self.buf_b
        if self.length:
            for _ in range(n):
                if a.send(MSG) != 64 or b.recv_into(buf_b, 64) != 64:
                    raise RuntimeError("ping")
                if b.send(buf_b) != 64 or a.recv_into(buf_a, 64) != 64:
                    raise RuntimeError("pong")
            return
        for _ in range(n):
            if a.send(MSG) != 64 or b.recv_into(buf_b) != 64:
                raise RuntimeError("ping")
            if b.send(buf_b) != 64 or a.recv_into(buf_a) != 64:
                raise RuntimeError("pong")

    def bare(self, n: int) -> None:  # the same with or without the length: C takes one
        _, a, b = self.handles
        buf_a, buf_b = self.buf_a, self.buf_b
        send, recv, view = _c("ns_send", 5), _c("ns_recv", 5), ffi.from_buffer
        for _ in range(n):
            if send(a, MSG, 64, 0, 2) != 64 or recv(b, view(buf_b), 64, 0, 2) != 64:
                raise RuntimeError("ping")
            if send(b, view(buf_b), 64, 0, 2) != 64 or recv(a, view(buf_a), 64, 0, 2) != 64:
                raise RuntimeError("pong")


class CreateClose(Workload):
    """W2: a TCP socket created and closed."""

    key = "W2 createNativeSocket+close"
    unit = "sockets"
    target = 1.05
    versus = "socket.socket(AF_INET, SOCK_STREAM, IPPROTO_TCP).close()"
    icount = 2000
    bare_does = "lib.ns_close(lib.ns_socket(af, type, proto, 0))"

    def ours(self, n: int) -> None:
        create, close = ns.createNativeSocket, ns.close
        af, st, pr = ns.AF_INET, ns.SOCK_STREAM, ns.IPPROTO_TCP
        for _ in range(n):
            close(create(af, st, pr))

    def stdlib(self, n: int) -> None:
        sock = socket.socket
        af, st, pr = socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP
        for _ in range(n):
            sock(af, st, pr).close()

    def bare(self, n: int) -> None:
        create, close = _c("ns_socket", 4), _c("ns_close", 1)
        af, st, pr = int(ns.AF_INET), int(ns.SOCK_STREAM), int(ns.IPPROTO_TCP)
        for _ in range(n):
            if close(create(af, st, pr, 0)) != 0:
                raise RuntimeError("ns_socket/ns_close")


class AcceptClose(Workload):
    """W2 accept+close: a listening TCP socket on 127.0.0.1; each iteration one client
    connects, the listener's side accepts it and closes the accepted handle, then the client
    closes. The client's part (bare cffi calls: ``ns_socket``, ``connect``, ``ns_close``, the
    cheapest) is the same code on the three sides, so only the accept and the close of the
    accepted handle differ. One connection in, one accepted: the backlog never holds more
    than one, so no accept waits. The listener has SO_LINGER 0, which the accepted sockets
    inherit: their close resets the connection, so no TIME_WAIT piles up over the run."""

    key = "W2 accept+close"
    unit = "connections"
    target = 0.0
    versus = "server_sock.accept() then .close() of the accepted socket"
    icount = 500
    bare_does = (
        'lib.ns_accept(fd, 0, ffi.new("struct ns_name *"), NULL, NULL), lib.ns_close '
        "(the peer's text is made in Python: ffi.buffer, os.fsdecode)"
    )

    def setup(self) -> None:
        server = ns.createNativeSocket(ns.AF_INET, ns.SOCK_STREAM, ns.IPPROTO_TCP)
        _check(ns.bindAddr(server, ns.Sockaddr_in(LOOPBACK, 0)) == 0, "bindAddr")
        _check(ns.listen(server) == 0, "listen")
        self.server = server
        self.to = ns.Sockaddr_in(LOOPBACK, ns.getSockName(server))
        self.socks = _wrap(server)
        self.socks[0].setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self._socket, self._connect = _c("ns_socket", 4), _c("connect", 3)
        self._close = _c("ns_close", 1)
        self.client_args = int(ns.AF_INET), int(ns.SOCK_STREAM), int(ns.IPPROTO_TCP), 0

    def close(self) -> None:
        _unwrap(self.socks)
        ns.close(self.server)

    def _connected(self) -> int:
        """The client, connected: the listener has one connection waiting."""
        c: int = self._socket(*self.client_args)
        if c < 0 or self._connect(c, self.to._sa, self.to._len) != 0:
            raise RuntimeError(f"client connect (errno {ffi.errno})")
        return c

    def _done(self, c: int) -> None:
        if self._close(c) != 0:
            raise RuntimeError("client close")

    def ours(self, n: int) -> None:
        server, accept, close, invalid = self.server, ns.accept, ns.close, ns.osInvalidSocket
        connected, done = self._connected, self._done
        for _ in range(n):
            c = connected()
            peer, text = accept(server)
            if peer == invalid:
                raise RuntimeError("accept")
            close(peer)
            if text != LOOPBACK:
                raise RuntimeError("accept's peer")
            done(c)

    def stdlib(self, n: int) -> None:
        accept = self.socks[0].accept
        connected, done = self._connected, self._done
        for _ in range(n):
            c = connected()
            peer, addr = accept()
            peer.close()
            if addr[0] != LOOPBACK:
                raise RuntimeError("accept's peer")
            done(c)

    def bare(self, n: int) -> None:
        fd, accept, close = self.server, _c("ns_accept", 5), _c("ns_close", 1)
        new, null, size = ffi.new, ffi.NULL, len(LOOPBACK)
        connected, done = self._connected, self._done
        for _ in range(n):
            c = connected()
            peer = new("struct ns_name *")
            h = accept(fd, 0, peer, null, null)
            if h < 0 or peer.len != size:
                raise RuntimeError("ns_accept")
            if close(h) != 0:
                raise RuntimeError("ns_close")
            done(c)


class SelectIdle(Workload):
    """W3: selectRead on idle UDP sockets, timeout 0.

    selectRead prunes its list to the ready handles, so each call gets a fresh copy of the
    list (the copy is counted against us). The stdlib side is ``select.select`` on the same
    handles while they are below FD_SETSIZE; at 5,000 ``select`` cannot take them and the
    counterpart is a ``select.poll`` object with the handles registered once, outside the
    loop (the stdlib's best case: it polls a ready-made array). A second 5,000 row, without
    a target, registers them in each call, as a one-shot check of a list must.
    """

    unit = "calls"

    def __init__(self, count: int, register_each_call: bool = False) -> None:
        self.count = count
        self.use_poll = count > 1000
        self.register_each_call = register_each_call
        self.key = f"W3 selectRead {count:,} idle"
        self.target = 0.80 if count == 1 else 1.0 if count >= 1000 else 0.0
        self.icount = {1: 3000, 64: 800, 1000: 80}.get(count, 20)
        self.bare_does = (
            "lib.ns_poll1(h, 0, 0, 2) on the copy's one handle"
            if count == 1
            else 'lib.ns_poll(ffi.new("ns_handle[]", copy), n, 0, 0, 2)'
        )
        self.versus = (
            "select.poll registered once, .poll(0) (select.select takes no handle >= 1024)"
            if self.use_poll
            else "select.select(handles, [], [], 0)"
        )
        if register_each_call:  # what selectRead does: a list in, one call, the ready out
            self.key += ", poll per call"
            self.target = 0.0
            self.versus = "a select.poll object made, the handles registered, .poll(0)"

    def setup(self) -> None:
        self.handles = [
            ns.createNativeSocket(ns.AF_INET, ns.SOCK_DGRAM, ns.IPPROTO_UDP)
            for _ in range(self.count)
        ]
        _check(min(self.handles) >= 0, "createNativeSocket")
        if self.use_poll:
            self.poll = select.poll()
            for h in self.handles:
                self.poll.register(h, select.POLLIN)
        elif max(self.handles) >= 1024:
            raise RuntimeError("W3: handles above FD_SETSIZE; close other files first")

    def close(self) -> None:
        for h in self.handles:
            ns.close(h)

    def ours(self, n: int) -> None:
        handles, select_read = self.handles, ns.selectRead
        for _ in range(n):
            fds = handles[:]
            if select_read(fds, 0) != 0:
                raise RuntimeError("selectRead")

    def stdlib(self, n: int) -> None:
        handles = self.handles
        if self.register_each_call:
            make_poll, pollin = select.poll, select.POLLIN
            for _ in range(n):
                poller = make_poll()
                register = poller.register
                for h in handles:
                    register(h, pollin)
                if poller.poll(0):
                    raise RuntimeError("poll")
        elif self.use_poll:
            poll = self.poll.poll
            for _ in range(n):
                if poll(0):
                    raise RuntimeError("poll")
        else:
            sel = select.select
            for _ in range(n):
                if sel(handles, [], [], 0)[0]:
                    raise RuntimeError("select")

    def bare(self, n: int) -> None:
        """The same copy of the list as ours makes (so ours/bare is the proc alone), then
        the C call selectRead makes: ns_poll1 for one handle, else ns_poll on the array
        cffi converts from the list."""
        handles = self.handles
        if len(handles) == 1:
            poll1 = _c("ns_poll1", 4)
            for _ in range(n):
                fds = handles[:]
                if poll1(fds[0], 0, 0, 2) != 0:
                    raise RuntimeError("ns_poll1")
            return
        poll, new, count = _c("ns_poll", 5), ffi.new, len(handles)
        for _ in range(n):
            fds = handles[:]
            if poll(new("ns_handle[]", fds), count, 0, 0, 2) != 0:
                raise RuntimeError("ns_poll")


class SelectWritable(Workload):
    """W3 selectWrite: one idle UDP socket, which is writable, timeout 0. The call returns 1
    and leaves the list as it was (its one handle is ready), so the loops need no copy."""

    key = "W3 selectWrite 1 writable"
    unit = "calls"
    target = 0.0
    versus = "select.select([], [h], [], 0)"
    icount = 3000
    bare_does = "lib.ns_poll1(h, 1, 0, 2)"

    def setup(self) -> None:
        self.handle = ns.createNativeSocket(ns.AF_INET, ns.SOCK_DGRAM, ns.IPPROTO_UDP)
        _check(self.handle >= 0, "createNativeSocket")
        if self.handle >= 1024:
            raise RuntimeError("W3: handle above FD_SETSIZE; close other files first")
        self.fds = [self.handle]

    def close(self) -> None:
        ns.close(self.handle)

    def ours(self, n: int) -> None:
        fds, select_write = self.fds, ns.selectWrite
        for _ in range(n):
            if select_write(fds, 0) != 1:  # the list is left with its one handle
                raise RuntimeError("selectWrite")

    def stdlib(self, n: int) -> None:
        fds, sel = self.fds, select.select
        for _ in range(n):
            if not sel([], fds, [], 0)[1]:
                raise RuntimeError("select")

    def bare(self, n: int) -> None:
        h, poll1 = self.handle, _c("ns_poll1", 4)
        for _ in range(n):
            if poll1(h, 1, 0, 2) != 1:
                raise RuntimeError("ns_poll1")


class Resolve(Workload):
    """W4: getAddrInfo with AF_INET/SOCK_STREAM/IPPROTO_TCP hints, the result freed."""

    unit = "lookups"

    def __init__(self, host: str) -> None:
        self.host = host
        self.key = f"W4 getAddrInfo {host}"
        self.target = 2.0 if host == "127.0.0.1" else 1.1
        self.versus = f"socket.getaddrinfo({host!r}, 80, AF_INET, SOCK_STREAM, IPPROTO_TCP)"
        self.icount = 1000 if host == "127.0.0.1" else 600
        self.bare_does = "lib.freeaddrinfo(lib.ns_getaddrinfo(b'host', 80, af, type, proto, 0))"

    def ours(self, n: int) -> None:
        host, port = self.host, ns.Port(80)
        get, free = ns.getAddrInfo, ns.freeAddrInfo
        af, st, pr = ns.AF_INET, ns.SOCK_STREAM, ns.IPPROTO_TCP
        for _ in range(n):
            free(get(host, port, af, st, pr))

    def stdlib(self, n: int) -> None:
        host, get = self.host, socket.getaddrinfo
        af, st, pr = socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP
        for _ in range(n):
            get(host, 80, af, st, pr)

    def bare(self, n: int) -> None:
        get, free = _c("ns_getaddrinfo", 6), _c("freeaddrinfo", 1)
        host, null = self.host.encode(), ffi.NULL
        af, st, pr = int(ns.AF_INET), int(ns.SOCK_STREAM), int(ns.IPPROTO_TCP)
        for _ in range(n):
            res = get(host, 80, af, st, pr, 0)
            if res == null:
                raise RuntimeError("ns_getaddrinfo")
            free(res)


class ByteOrder(Workload):
    """W5: one ntohl and one htons, four of each per loop. The results are folded into one
    value and the arguments change, as in real code, so that PyPy's JIT cannot drop or
    constant-fold the stdlib's pure functions (it must still call ours)."""

    key = "W5 ntohl+htons"
    unit = "pairs"
    per_iter = 4
    target = 1.0
    versus = "socket.ntohl, socket.htons"
    icount = 2000
    bare_does = "lib.ntohl, lib.htons"

    @staticmethod
    def _loop(ntohl: Callable[[int], int], htons: Callable[[int], int], n: int) -> int:
        acc = 0
        for i in range(n):
            v = i & 0x3FFF
            acc ^= ntohl(v) ^ htons(v) ^ ntohl(v + 1) ^ htons(v + 1)
            acc ^= ntohl(v + 2) ^ htons(v + 2) ^ ntohl(v + 3) ^ htons(v + 3)
        return acc

    def ours(self, n: int) -> None:
        self.sink = self._loop(ns.ntohl, ns.htons, n)  # stored: the work cannot be dropped

    def stdlib(self, n: int) -> None:
        self.sink = self._loop(socket.ntohl, socket.htons, n)

    def bare(self, n: int) -> None:
        self.sink = self._loop(_c("ntohl", 1), _c("htons", 1), n)


class SockOpt(Workload):
    """W6: getSockOptInt(SOL_SOCKET, SO_RCVBUF) on a TCP socket."""

    key = "W6 getSockOptInt"
    unit = "calls"
    per_iter = 4
    target = 0.80
    versus = "sock.getsockopt(SOL_SOCKET, SO_RCVBUF) on the same socket"
    icount = 1000
    bare_does = "lib.ns_getsockopt_int(h, SOL_SOCKET, SO_RCVBUF, 2)"

    def setup(self) -> None:
        self.handle = ns.createNativeSocket()
        self.socks = _wrap(self.handle)

    def close(self) -> None:
        _unwrap(self.socks)
        ns.close(self.handle)

    def ours(self, n: int) -> None:
        h, get = self.handle, ns.getSockOptInt
        level, opt = ns.SOL_SOCKET, ns.SO_RCVBUF
        for _ in range(n):
            get(h, level, opt)
            get(h, level, opt)
            get(h, level, opt)
            get(h, level, opt)

    def stdlib(self, n: int) -> None:
        get = self.socks[0].getsockopt
        level, opt = socket.SOL_SOCKET, socket.SO_RCVBUF
        for _ in range(n):
            get(level, opt)
            get(level, opt)
            get(level, opt)
            get(level, opt)

    def bare(self, n: int) -> None:
        h, get = self.handle, _c("ns_getsockopt_int", 4)
        level, opt = int(ns.SOL_SOCKET), int(ns.SO_RCVBUF)
        for _ in range(n):
            get(h, level, opt, 2)
            get(h, level, opt, 2)
            get(h, level, opt, 2)
            if get(h, level, opt, 2) < 0:  # a failure is below INT_MIN; the size is positive
                raise RuntimeError("ns_getsockopt_int")


class SetSockOpt(SockOpt):
    """W6 setSockOptInt: setSockOptInt(SOL_SOCKET, SO_RCVBUF, 65536) on a TCP socket (W6's
    socket, set up and closed as there)."""

    key = "W6 setSockOptInt"
    unit = "calls"
    per_iter = 4
    target = 0.0
    versus = "sock.setsockopt(SOL_SOCKET, SO_RCVBUF, 65536) on the same socket"
    icount = 1000
    bare_does = "lib.ns_setsockopt_int(h, SOL_SOCKET, SO_RCVBUF, 65536, 2)"
    value = 65536

    def ours(self, n: int) -> None:  # a failure raises OSError
        h, set_opt, v = self.handle, ns.setSockOptInt, self.value
        level, opt = ns.SOL_SOCKET, ns.SO_RCVBUF
        for _ in range(n):
            set_opt(h, level, opt, v)
            set_opt(h, level, opt, v)
            set_opt(h, level, opt, v)
            set_opt(h, level, opt, v)

    def stdlib(self, n: int) -> None:  # a failure raises OSError
        set_opt, v = self.socks[0].setsockopt, self.value
        level, opt = socket.SOL_SOCKET, socket.SO_RCVBUF
        for _ in range(n):
            set_opt(level, opt, v)
            set_opt(level, opt, v)
            set_opt(level, opt, v)
            set_opt(level, opt, v)

    def bare(self, n: int) -> None:
        h, set_opt, v = self.handle, _c("ns_setsockopt_int", 5), self.value
        level, opt = int(ns.SOL_SOCKET), int(ns.SO_RCVBUF)
        for _ in range(n):
            # each 0 on success: `or` goes on to the next call, a failure stops at once
            if (
                set_opt(h, level, opt, v, 2)
                or set_opt(h, level, opt, v, 2)
                or set_opt(h, level, opt, v, 2)
                or set_opt(h, level, opt, v, 2)
            ):
                raise RuntimeError("ns_setsockopt_int")


CHUNK = 64 * 1024


class Bulk(Workload):
    """W7: bulk transfer over TCP loopback, 64 KiB reads into a reused buffer.

    The sender is a child process (a thread where there is no fork) writing 64 KiB at a
    time through the same API as the receiver; one sample is one whole transfer.
    """

    key = "W7 bulk TCP"
    unit = "MiB"
    target = 0.95
    calibrate = False
    versus = "sock.sendall / sock.recv_into(buf) on the same TCP pair"
    bare_does = (
        "lib.ns_send(h, data, 65536, 0, 2) / lib.ns_recv(h, ffi.from_buffer(buf), 65536, 0, 2)"
    )

    def __init__(self, mib: int) -> None:
        self.total = mib * 1024 * 1024
        self.per_iter = mib
        if mib != 1024:
            self.key = f"W7 bulk TCP {mib} MiB"

    def setup(self) -> None:
        self.handles = _ours_tcp_pair()
        self.socks = _wrap(*self.handles[1:])
        self.buf = bytearray(CHUNK)

    def close(self) -> None:
        _unwrap(self.socks)
        for h in self.handles:
            ns.close(h)

    def _run(self, send: Callable[[], None], receive: Callable[[], None]) -> None:
        if hasattr(os, "fork"):
            pid = os.fork()
            if pid == 0:
                code = 1
                try:
                    send()
                    code = 0
                finally:
                    os._exit(code)
            receive()
            _, status = os.waitpid(pid, 0)
            _check(status == 0, "sender process")
        else:
            t = threading.Thread(target=send)
            t.start()
            receive()
            t.join()

    def ours(self, n: int) -> None:
        _, a, b = self.handles
        total, buf = self.total, self.buf
        send, recv = ns.send, ns.recv
        data = bytes(CHUNK)

        def sender() -> None:
            left = total
            while left:
                sent = send(a, data, CHUNK if left >= CHUNK else left)
                if sent <= 0:
                    raise RuntimeError("send")
                left -= sent

        def receiver() -> None:
            got = 0
            while got < total:
                r = recv(b, buf)
                if r <= 0:
                    raise RuntimeError("recv")
                got += r

        self._run(sender, receiver)

    def stdlib(self, n: int) -> None:
        a, b = self.socks
        total, buf = self.total, self.buf
        data = bytes(CHUNK)

        def sender() -> None:
            left = total
            while left >= CHUNK:
                a.sendall(data)
                left -= CHUNK
            if left:
                a.sendall(data[:left])

        def receiver() -> None:
            got = 0
            recv_into = b.recv_into
            while got < total:
                r = recv_into(buf)
                if r <= 0:
                    raise RuntimeError("recv_into")
                got += r

        self._run(sender, receiver)

    def bare(self, n: int) -> None:
        _, a, b = self.handles
        total, buf = self.total, self.buf
        send, recv, view = _c("ns_send", 5), _c("ns_recv", 5), ffi.from_buffer
        data = bytes(CHUNK)

        def sender() -> None:
            left = total
            while left:
                sent = send(a, data, CHUNK if left >= CHUNK else left, 0, 2)
                if sent <= 0:
                    raise RuntimeError("send")
                left -= sent

        def receiver() -> None:
            got = 0
            while got < total:
                r = recv(b, view(buf), CHUNK, 0, 2)
                if r <= 0:
                    raise RuntimeError("recv")
                got += r

        self._run(sender, receiver)


BATCH = 32


class Datagrams(Workload):
    """W8: 64-byte UDP datagrams over loopback, sent to an address and received with the
    sender's address, 32 sent then 32 received per iteration.

    ``batched``: ours through sendMany/recvMany (sendmmsg/recvmmsg), one call each per 32;
    the stdlib still one datagram per call (it has no batch call).
    """

    unit = "datagrams"
    per_iter = BATCH
    versus = "sock.sendto(msg, addr) / sock.recvfrom_into(buf) on the same sockets, one each"

    icount = 50

    def __init__(self, batched: bool, length: bool = False) -> None:
        self.batched = batched
        self.length = length  # Nim's form: sendto(h, msg, 64, 0, to), recvfrom(h, buf, 2048...)
        self.key = "W8 UDP sendMany/recvMany" if batched else "W8 UDP sendto/recvfrom"
        self.target = 1.15 if batched else 0.90
        if batched:
            self.icount = 80
        self.bare_does = (
            'lib.ns_send_many(h, ffi.new("void *[]", [ffi.from_buffer(m)...]), NULL, 64, 32, '
            "sa, salen, NULL, NULL, 0) / lib.ns_recv_many(h, bufs likewise, NULL, 2048, 32, "
            'ffi.new("size_t[]", 32), ffi.new("struct sockaddr *[]", [a._sa...]), '
            'ffi.new("socklen_t[]", 32), 0, NULL)'
            if batched
            else "lib.ns_sendto(h, msg, 64, 0, sa, salen, 2) / "
            "lib.ns_recvfrom(h, ffi.from_buffer(buf), 2048, 0, sa, 2)"
        )
        if length:
            self.key += ", length passed"
            self.target = 0.0
            self.versus = "sock.sendto(msg, addr) / sock.recvfrom_into(buf, 2048), one each"

    def setup(self) -> None:
        self.receiver = ns.createNativeSocket(ns.AF_INET, ns.SOCK_DGRAM, ns.IPPROTO_UDP)
        self.sender = ns.createNativeSocket(ns.AF_INET, ns.SOCK_DGRAM, ns.IPPROTO_UDP)
        _check(ns.bindAddr(self.receiver, ns.Sockaddr_in(LOOPBACK, 0)) == 0, "bindAddr")
        self.to = ns.Sockaddr_in(LOOPBACK, ns.getSockName(self.receiver))
        self.socks = _wrap(self.receiver, self.sender)
        self.addr = (LOOPBACK, ns.getSockName(self.receiver))
        self.buf = bytearray(2048)
        self.bufs = [bytearray(2048) for _ in range(BATCH)]
        self.msgs = [MSG] * BATCH
        self.senders = [ns.Sockaddr_storage() for _ in range(BATCH)]
        self.lengths: list[int] = []

    def close(self) -> None:
        _unwrap(self.socks)
        ns.close(self.receiver)
        ns.close(self.sender)

    def ours(self, n: int) -> None:
        r, s, to, buf = self.receiver, self.sender, self.to, self.buf
        if self.batched:
            send_many, recv_many = ns.sendMany, ns.recvMany
            msgs, bufs, lengths, senders = self.msgs, self.bufs, self.lengths, self.senders
            for _ in range(n):
                if send_many(s, msgs, to) != BATCH:
                    raise RuntimeError("sendMany")
                got = 0
                while got < BATCH:  # recvMany may return before the last ones are queued
                    k = recv_many(r, bufs, lengths, senders)
                    if k <= 0:
                        raise RuntimeError("recvMany")
                    got += k
            return
        sendto, recvfrom = ns.sendto, ns.recvfrom
        sender = self.senders[0]
        if self.length:
            for _ in range(n):
                for _ in range(BATCH):
                    if sendto(s, MSG, 64, 0, to) != 64:
                        raise RuntimeError("sendto")
                for _ in range(BATCH):
                    if recvfrom(r, buf, 2048, 0, sender) != 64:
                        raise RuntimeError("recvfrom")
            return
        for _ in range(n):
            for _ in range(BATCH):
                if sendto(s, MSG, None, 0, to) != 64:
                    raise RuntimeError("sendto")
            for _ in range(BATCH):
                if recvfrom(r, buf, None, 0, sender) != 64:
                    raise RuntimeError("recvfrom")

    def stdlib(self, n: int) -> None:
        r_sock, s_sock = self.socks
        addr = self.addr
        sendto, recvfrom_into = s_sock.sendto, r_sock.recvfrom_into
        buf = self.buf
        if self.length:
            for _ in range(n):
                for _ in range(BATCH):
                    if sendto(MSG, addr) != 64:
                        raise RuntimeError("sendto")
                for _ in range(BATCH):
                    if recvfrom_into(buf, 2048)[0] != 64:
                        raise RuntimeError("recvfrom_into")
            return
        for _ in range(n):
            for _ in range(BATCH):
                if sendto(MSG, addr) != 64:
                    raise RuntimeError("sendto")
            for _ in range(BATCH):
                if recvfrom_into(buf)[0] != 64:
                    raise RuntimeError("recvfrom_into")

    def bare(self, n: int) -> None:
        r, s, to, buf = self.receiver, self.sender, self.to, self.buf
        view, new, null = ffi.from_buffer, ffi.new, ffi.NULL
        sa, salen = to._sa, to._len
        if self.batched:
            send_many, recv_many = _c("ns_send_many", 10), _c("ns_recv_many", 10)
            msgs, bufs, senders = self.msgs, self.bufs, self.senders
            for _ in range(n):
                views = [view(m) for m in msgs]
                if (
                    send_many(s, new("void *[]", views), null, 64, BATCH, sa, salen, null, null, 0)
                    != BATCH
                ):
                    raise RuntimeError("ns_send_many")
                got = 0
                while got < BATCH:
                    views = [view(b) for b in bufs]
                    k = recv_many(
                        r,
                        new("void *[]", views),
                        null,
                        2048,
                        BATCH,
                        new("size_t[]", BATCH),
                        new("struct sockaddr *[]", [a._sa for a in senders]),
                        new("socklen_t[]", BATCH),
                        0,
                        null,
                    )
                    if k <= 0:
                        raise RuntimeError("ns_recv_many")
                    got += k
            return
        sendto, recvfrom = _c("ns_sendto", 7), _c("ns_recvfrom", 6)
        sender = self.senders[0]._sa
        for _ in range(n):
            for _ in range(BATCH):
                if sendto(s, MSG, 64, 0, sa, salen, 2) != 64:
                    raise RuntimeError("sendto")
            for _ in range(BATCH):
                if recvfrom(r, view(buf), 2048, 0, sender, 2) & 0xFFFFFFFF != 64:
                    raise RuntimeError("ns_recvfrom")


class Blocking(Workload):
    """W9: setBlocking toggled off and on."""

    key = "W9 setBlocking"
    unit = "calls"
    per_iter = 2
    target = 0.80
    versus = "sock.setblocking(False/True) on the same socket"
    icount = 3000
    bare_does = "lib.ns_nonblocking(h), lib.ns_blocking(h)"

    def setup(self) -> None:
        self.handle = ns.createNativeSocket()
        self.socks = _wrap(self.handle)

    def close(self) -> None:
        _unwrap(self.socks)
        ns.close(self.handle)

    def ours(self, n: int) -> None:
        h, set_blocking = self.handle, ns.setBlocking
        for _ in range(n):
            set_blocking(h, False)
            set_blocking(h, True)

    def stdlib(self, n: int) -> None:
        set_blocking = self.socks[0].setblocking
        for _ in range(n):
            set_blocking(False)
            set_blocking(True)

    def bare(self, n: int) -> None:
        h, off, on = self.handle, _c("ns_nonblocking", 1), _c("ns_blocking", 1)
        for _ in range(n):
            if off(h) or on(h):
                raise RuntimeError("ns_nonblocking/ns_blocking")


def all_workloads(bulk_mib: int) -> list[Workload]:
    return [
        PingPong(unix=False),
        PingPong(unix=True),
        PingPong(unix=True, length=True),
        CreateClose(),
        AcceptClose(),
        SelectIdle(1),
        SelectIdle(64),
        SelectIdle(1000),
        SelectIdle(5000),
        SelectIdle(5000, register_each_call=True),
        SelectWritable(),
        Resolve("127.0.0.1"),
        Resolve("localhost"),
        ByteOrder(),
        SockOpt(),
        SetSockOpt(),
        Bulk(bulk_mib),
        Datagrams(batched=False),
        Datagrams(batched=False, length=True),
        Datagrams(batched=True),
        Blocking(),
    ]

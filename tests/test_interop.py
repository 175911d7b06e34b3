"""Handles move between nativesockets and the stdlib: socket.socket(fileno=h) adopts one and
detach() gives it back, sock.fileno() lends one to these procs; handles work in selectors
and in asyncio (add_reader on a raw handle, sock_recv/sock_sendall and sock_accept through an
adopted socket, an echo server whose listening handle comes from createNativeSocket)."""

from __future__ import annotations

import asyncio
import errno
import selectors
import socket
import sys
from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

import pytest
from conftest import HAS_IPV6, Family, Handles, make_family

import nativesockets as ns

T = TypeVar("T")
TIMEOUT = 30.0  # only a guard against a hang: no test asserts a time

WINDOWS = sys.platform == "win32"
# What differs on Windows: POSIX | Windows
CLOSED = 10038 if WINDOWS else errno.EBADF  # WSAENOTSOCK: a handle that is no socket
# socket.socket(fileno=h) reads the protocol with SO_PROTOCOL, which Windows lacks: it says 0
ADOPTED_TCP_PROTO = 0 if WINDOWS else socket.IPPROTO_TCP
# ... and the family with getsockname, which fails on an unbound socket there (WSAEINVAL)
UNBOUND_ADOPT_ERROR = 10022 if WINDOWS else None


def run(main: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run main() on a selector event loop (add_reader needs one; Windows' default has none)."""
    loop = asyncio.SelectorEventLoop()
    try:
        return loop.run_until_complete(asyncio.wait_for(main(), TIMEOUT))
    finally:
        loop.run_until_complete(loop.shutdown_default_executor())
        loop.close()


def listener(fam: Family, name: str = "listener", blocking: bool = True) -> tuple[int, Any]:
    """A listening handle made the Nim way: createNativeSocket + bindAddr + listen.

    Returns the handle and the stdlib address a client connects to."""
    h = fam.socket()
    if fam.domain != ns.AF_UNIX:
        ns.setSockOptInt(h, ns.SOL_SOCKET, ns.SO_REUSEADDR, 1)
    assert ns.bindAddr(h, fam.addr(0, name)) == 0, ns.osLastError()
    assert ns.listen(h) == 0, ns.osLastError()
    if not blocking:
        ns.setBlocking(h, False)
    if fam.domain == ns.AF_UNIX:
        return h, fam.stdlib_addr(0, name)
    return h, (fam.host, int(ns.getSockName(h)))


def adopt(handles: Handles, h: int) -> socket.socket:
    """socket.socket(fileno=h); the socket object owns the handle from now on."""
    sock = socket.socket(fileno=h)
    handles._open.pop(h, None)
    return sock


def adopt_unbound(handles: Handles, fam: Family, h: int) -> socket.socket:
    """adopt() an unbound handle: on Windows the stdlib refuses it (its family comes from
    getsockname), so it is bound to the loopback first."""
    if UNBOUND_ADOPT_ERROR is not None:
        with pytest.raises(OSError) as info:
            socket.socket(fileno=h)
        assert info.value.winerror == UNBOUND_ADOPT_ERROR  # type: ignore[attr-defined]
        assert ns.bindAddr(h, fam.addr(0)) == 0, ns.osLastError()
    return adopt(handles, h)


def client_of(fam: Family) -> socket.socket:
    return socket.socket(fam.stdlib_family, socket.SOCK_STREAM)


# --- socket.socket(fileno=h) and back ---------------------------------------------------------


def test_adopted_handle_keeps_family_type_protocol_and_address(
    family: Family, handles: Handles
) -> None:
    h, where = listener(family)
    sock = adopt(handles, h)
    try:
        assert sock.fileno() == h
        assert sock.family == family.stdlib_family
        assert sock.type == socket.SOCK_STREAM
        if family.domain != ns.AF_UNIX:
            assert sock.proto == ADOPTED_TCP_PROTO
        host, port = ns.getLocalAddr(h, family.domain)
        if family.domain == ns.AF_UNIX:
            assert sock.getsockname() == host == where
        else:
            assert sock.getsockname()[:2] == (host, port) == where
    finally:
        sock.close()


@pytest.mark.parametrize(
    ("sockType", "stdlib_type"),
    [(ns.SOCK_STREAM, socket.SOCK_STREAM), (ns.SOCK_DGRAM, socket.SOCK_DGRAM)],
)
def test_adopt_detects_each_socket_type(
    family: Family, handles: Handles, sockType: ns.SockType, stdlib_type: int
) -> None:
    with adopt_unbound(handles, family, family.socket(sockType)) as sock:
        assert (sock.family, sock.type) == (family.stdlib_family, stdlib_type)


def test_detach_gives_the_same_handle_back_still_open(family: Family, handles: Handles) -> None:
    h, _ = listener(family)
    sock = adopt(handles, h)
    assert sock.detach() == h
    handles.track(h)
    assert sock.fileno() == -1
    # the handle is still the listening socket: ours to use and close
    assert ns.getSockOptInt(h, ns.SOL_SOCKET, ns.SO_ACCEPTCONN) == 1
    assert ns.getSockDomain(h) == family.domain
    handles.close(h)


def test_closing_the_adopted_socket_closes_the_handle(handles: Handles) -> None:
    h = handles.socket()
    adopt_unbound(handles, make_family("ipv4", Path("."), handles), h).close()
    with pytest.raises(OSError) as info:
        ns.getSockOptInt(h, ns.SOL_SOCKET, ns.SO_TYPE)
    assert info.value.errno == CLOSED


def test_accepted_handle_serves_through_an_adopted_socket(family: Family, handles: Handles) -> None:
    h, where = listener(family)
    with client_of(family) as cli:
        cli.connect(where)
        conn, peer = ns.accept(h)
        assert conn != ns.osInvalidSocket, ns.osLastError()
        if family.domain == ns.AF_UNIX:
            assert peer == ""  # the client is unnamed
        else:
            assert peer == cli.getsockname()[0]
        with socket.socket(fileno=conn) as srv:
            assert srv.getpeername() == cli.getsockname()
            cli.sendall(b"ping")
            assert srv.recv(16) == b"ping"
            srv.sendall(b"pong")
            assert cli.recv(16) == b"pong"


def test_stdlib_handles_lent_by_fileno_work_with_every_proc(
    family: Family, handles: Handles
) -> None:
    with socket.socket(family.stdlib_family, socket.SOCK_STREAM) as lst:
        assert ns.bindAddr(lst.fileno(), family.addr(0, "lst")) == 0
        assert ns.listen(lst.fileno()) == 0
        host, port = ns.getLocalAddr(lst.fileno(), family.domain)
        if family.domain == ns.AF_UNIX:
            assert lst.getsockname() == host
        else:
            assert lst.getsockname()[:2] == (host, port)
        with client_of(family) as cli:
            cli.connect(lst.getsockname())
            conn, _ = ns.accept(lst.fileno())
            assert conn != ns.osInvalidSocket, ns.osLastError()
            handles.track(conn)
            assert ns.send(cli.fileno(), b"via fileno") == 10
            buf = bytearray(32)
            assert ns.recv(conn, buf) == 10
            assert bytes(buf[:10]) == b"via fileno"
            handles.close(conn)
        assert lst.fileno() != -1  # the procs borrowed the handle, the object still owns it


def test_raw_accept_into_sockaddr_storage_then_adopt(ip_family: Family, handles: Handles) -> None:
    h, where = listener(ip_family)
    with client_of(ip_family) as cli:
        cli.connect(where)
        peer = ns.Sockaddr_storage()
        conn = ns.accept(h, peer)
        assert conn != ns.osInvalidSocket, ns.osLastError()
        with socket.socket(fileno=conn) as srv:
            assert ns.getAddrString(peer) == srv.getpeername()[0] == cli.getsockname()[0]


# --- selectors -------------------------------------------------------------------------------

SELECTORS = [
    getattr(selectors, name)
    for name in ("DefaultSelector", "SelectSelector", "PollSelector", "EpollSelector")
    if hasattr(selectors, name)
]


@pytest.mark.parametrize("selector_class", SELECTORS, ids=lambda c: c.__name__)
def test_raw_handles_in_a_selector(
    family: Family, handles: Handles, selector_class: type[selectors.BaseSelector]
) -> None:
    h, where = listener(family, blocking=False)
    with selector_class() as sel, client_of(family) as cli:
        sel.register(h, selectors.EVENT_READ, "listener")
        assert sel.select(0) == []  # nobody is connecting yet
        cli.connect(where)
        ready = sel.select(TIMEOUT)
        assert [(key.fd, key.data, events) for key, events in ready] == [
            (h, "listener", selectors.EVENT_READ)
        ]
        conn, _ = ns.accept(h)
        assert conn != ns.osInvalidSocket, ns.osLastError()
        handles.track(conn)
        sel.register(conn, selectors.EVENT_READ | selectors.EVENT_WRITE, "conn")
        # a fresh connection is writable and not readable
        events = {key.data: ev for key, ev in sel.select(TIMEOUT)}
        assert events == {"conn": selectors.EVENT_WRITE}
        sel.modify(conn, selectors.EVENT_READ, "conn")
        cli.sendall(b"x")
        events = {key.data: ev for key, ev in sel.select(TIMEOUT)}
        assert events == {"conn": selectors.EVENT_READ}
        assert sel.get_key(conn).fileobj == conn
        sel.unregister(conn)
        handles.close(conn)


def test_selector_and_selectRead_agree_on_the_same_handles(
    family: Family, handles: Handles
) -> None:
    h, where = listener(family, blocking=False)
    idle, _ = listener(family, "idle", blocking=False)
    with selectors.DefaultSelector() as sel, client_of(family) as cli:
        sel.register(h, selectors.EVENT_READ)
        sel.register(idle, selectors.EVENT_READ)
        cli.connect(where)
        from_selector = [key.fd for key, _ in sel.select(TIMEOUT)]
        fds = [idle, h]
        assert ns.selectRead(fds, int(TIMEOUT * 1000)) == 1
        assert fds == from_selector == [h]
        conn, _ = ns.accept(h)
        handles.track(conn)
        handles.close(conn)


# --- asyncio -----------------------------------------------------------------------------------


def test_add_reader_on_a_raw_listening_handle_accepts_with_ns(
    family: Family, handles: Handles
) -> None:
    h, where = listener(family, blocking=False)

    async def main() -> tuple[int, str]:
        loop = asyncio.get_running_loop()
        accepted: asyncio.Future[tuple[int, str]] = loop.create_future()

        def on_readable() -> None:
            if accepted.done():
                return
            conn, peer = ns.accept(h)
            if conn != ns.osInvalidSocket:
                accepted.set_result((handles.track(conn), peer))
            elif ns.osLastError() not in (ns.EAGAIN, ns.EWOULDBLOCK):
                accepted.set_exception(OSError(ns.osLastError(), "accept"))

        loop.add_reader(h, on_readable)
        try:
            cli = client_of(family)
            cli.setblocking(False)
            with cli:
                await loop.sock_connect(cli, where)
                conn, peer = await accepted
                await loop.sock_sendall(cli, b"hello")
                got = await read_raw(loop, conn, 5)
                assert got == b"hello"
                return conn, peer
        finally:
            assert loop.remove_reader(h)

    conn, peer = run(main)
    assert peer == ("" if family.domain == ns.AF_UNIX else family.host)
    handles.close(conn)


async def read_raw(loop: asyncio.AbstractEventLoop, h: int, count: int) -> bytes:
    """Read `count` bytes from a raw non-blocking handle with add_reader and ns.recv."""
    ns.setBlocking(h, False)
    out = bytearray()
    while len(out) < count:
        ready: asyncio.Future[None] = loop.create_future()
        loop.add_reader(h, lambda f=ready: f.done() or f.set_result(None))
        try:
            await ready
        finally:
            loop.remove_reader(h)
        buf = bytearray(count - len(out))
        n = ns.recv(h, buf)
        if n == -1 and ns.osLastError() in (ns.EAGAIN, ns.EWOULDBLOCK):
            continue
        assert n > 0, ns.osLastError()
        out += buf[:n]
    return bytes(out)


def test_sock_recv_and_sock_sendall_through_an_adopted_accepted_handle(
    family: Family, handles: Handles
) -> None:
    h, where = listener(family)
    with client_of(family) as cli:
        cli.connect(where)
        conn, _ = ns.accept(h)
        assert conn != ns.osInvalidSocket, ns.osLastError()
        ns.setBlocking(conn, False)
        srv = socket.socket(fileno=conn)
        srv.setblocking(False)  # the object tracks its own mode; asyncio requires timeout 0
        payload = bytes(range(256)) * 512  # 128 KiB: more than one socket buffer's worth

        async def main() -> bytes:
            loop = asyncio.get_running_loop()
            with srv:
                sender = asyncio.ensure_future(loop.sock_sendall(srv, payload))
                got = bytearray()
                while len(got) < len(payload):
                    chunk = await loop.run_in_executor(None, cli.recv, 65536)
                    assert chunk
                    got += chunk
                await sender
                cli.sendall(b"reply")
                return bytes(got) + await loop.sock_recv(srv, 16)

        assert run(main) == payload + b"reply"
        assert srv.fileno() == -1


async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(4096):
            writer.write(data)
            await writer.drain()
    finally:
        writer.close()


async def talk(open_connection: Awaitable[Any], messages: list[bytes]) -> list[bytes]:
    reader, writer = await open_connection
    replies = []
    try:
        for message in messages:
            writer.write(message)
            await writer.drain()
            replies.append(await reader.readexactly(len(message)))
    finally:
        writer.close()
        await writer.wait_closed()
    return replies


def test_asyncio_echo_server_on_a_createNativeSocket_listener(
    family: Family, handles: Handles
) -> None:
    h, where = listener(family, blocking=False)
    messages = [b"one", b"two" * 1000, bytes(range(256))]

    async def main() -> list[list[bytes]]:
        sock = adopt(handles, h)
        if family.domain == ns.AF_UNIX:
            server = await asyncio.start_unix_server(echo, sock=sock)
        else:
            server = await asyncio.start_server(echo, sock=sock)
        async with server:
            assert [s.fileno() for s in server.sockets] == [h]

            def connect() -> Awaitable[Any]:
                if family.domain == ns.AF_UNIX:
                    return asyncio.open_unix_connection(where)
                return asyncio.open_connection(*where)

            clients = [talk(connect(), messages) for _ in range(5)]
            return list(await asyncio.gather(*clients))

    assert run(main) == [messages] * 5


def test_asyncio_sock_accept_on_an_adopted_listener(family: Family, handles: Handles) -> None:
    h, where = listener(family, blocking=False)

    async def main() -> tuple[bytes, Any]:
        loop = asyncio.get_running_loop()
        with adopt(handles, h) as lst:
            lst.setblocking(False)
            cli = client_of(family)
            cli.setblocking(False)
            with cli:
                connecting = asyncio.ensure_future(loop.sock_connect(cli, where))
                srv, peer = await loop.sock_accept(lst)
                await connecting
                with srv:
                    # the accepted stdlib socket's handle goes to the ns procs
                    assert ns.getPeerAddr(srv.fileno(), family.domain)[0] == (
                        cli.getsockname() if family.domain == ns.AF_UNIX else family.host
                    )
                    await loop.sock_sendall(cli, b"abc")
                    data = await read_raw(loop, srv.fileno(), 3)
                    return data, peer

    data, peer = run(main)
    assert data == b"abc"
    if family.domain != ns.AF_UNIX:
        assert peer[0] == family.host


def test_echo_server_on_every_family_at_once(sock_dir: Path, handles: Handles) -> None:
    """One loop serving IPv4, IPv6 (where ::1 exists) and Unix listeners made with ns."""
    names = ["ipv4"] + ["ipv6"] * HAS_IPV6 + ["unix"] * hasattr(socket, "AF_UNIX")
    fams = [make_family(n, sock_dir, handles) for n in names]
    made = [listener(f, f"l-{f.name}", blocking=False) for f in fams]

    async def main() -> list[list[bytes]]:
        servers: list[asyncio.AbstractServer] = []
        calls = []
        for fam, (h, where) in zip(fams, made):
            sock = adopt(handles, h)
            if fam.domain == ns.AF_UNIX:
                servers.append(await asyncio.start_unix_server(echo, sock=sock))
                calls.append(talk(asyncio.open_unix_connection(where), [fam.name.encode()]))
            else:
                servers.append(await asyncio.start_server(echo, sock=sock))
                calls.append(talk(asyncio.open_connection(*where), [fam.name.encode()]))
        try:
            return list(await asyncio.gather(*calls))
        finally:
            for server in servers:
                server.close()
                await server.wait_closed()

    assert run(main) == [[f.name.encode()] for f in fams]

"""Hypothesis fuzz targets for every public proc of nativesockets, run in a child process.

tests/test_fuzz.py runs this file as a script, so that a crash (a signal) fails a test
instead of killing pytest:

    python tests/fuzz_targets.py [--netns] [--examples N] [--seed S] [--list] [TARGET ...]

Each target calls one proc (or a small family of them) with arguments drawn from wrong types,
out-of-range integers, strings with NUL bytes and non-ASCII text, negative, closed and
never-opened handles, random bytes as socket addresses, lists of thousands of handles and
buffers shorter than the length given. A call must return a documented value or raise
TypeError, ValueError or OSError (OverflowError too for ntohl/ntohs/htonl/htons); a bad
argument must raise its TypeError or ValueError. Anything else fails the target, printed with
hypothesis's smallest example. The last lines are "fuzz: N examples" and "fuzz: ok" (exit 0)
or "fuzz: FAILED <targets>" (exit 1).

Nothing may leave the machine. With --netns the process runs in a network namespace of its
own (``unshare -n``): it brings up that namespace's loopback and lets host names, addresses
and socket addresses be random, since nothing can get out. Without it, nothing that could
reach the network is random: host names are IPv4/IPv6 literals (glibc parses them before any
NSS lookup), getHostByAddr only gets 127.0.0.1 (answered by /etc/hosts) or text that is not
an address (rejected before the C call), and random socket addresses of the IP families get
a loopback address written over theirs.

In both modes the process works in a temporary directory, and random Unix socket paths have
their "/" replaced, so bind() can only create files there. fcntl is fuzzed with the commands
whose argument is an integer (F_DUPFD, F_GETFD, F_SETFD, F_GETFL, F_SETFL, F_DUPFD_CLOEXEC)
and with unknown numbers: the others take a pointer or arm signals (F_SETOWN, F_SETSIG), which
the proc cannot check and Nim's cannot either.
"""

from __future__ import annotations

import argparse
import errno
import faulthandler
import gc
import itertools
import os
import random
import socket
import struct
import sys
import tempfile
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import hypothesis
from hypothesis import HealthCheck, given
from hypothesis import strategies as st

import nativesockets as ns

WINDOWS = sys.platform == "win32"
if WINDOWS:  # closesocket and getsockopt(SO_TYPE) for the handle pool, not through ns
    import ctypes

    _ws2: Any = ctypes.WinDLL("ws2_32")
    _ws2.closesocket.argtypes = [ctypes.c_size_t]
    _ws2.getsockopt.argtypes = [ctypes.c_size_t, ctypes.c_int, ctypes.c_int]
    _ws2.getsockopt.argtypes += [ctypes.c_void_p, ctypes.c_void_p]
else:
    import resource
    from fcntl import F_GETFL, F_SETFL

BAD_ARGS = (TypeError, ValueError)
ALLOWED = (TypeError, ValueError, OSError)
NETNS = False  # set by main(): running in a network namespace of our own
EXAMPLES = 0  # examples run, over all targets
SEED = 0
SERIAL = itertools.count()
TARGETS: dict[str, tuple[Callable[[], None], tuple[str, ...]]] = {}
# The targets whose handles come from the pool below (on Windows: sockets only, no AF_UNIX).
POOL_TARGETS: set[str] = set()
# target -> why it is listed but not run on Windows
NOT_ON_WINDOWS: dict[str, str] = {}

HANDLE_MAX = ns.errors.HANDLE_MAX
# osLastError() for a handle number that is not open
DEAD_HANDLE_ERROR = 10038 if WINDOWS else errno.EBADF  # WSAENOTSOCK on Windows
# bind/connect on such a handle: Winsock may check the address first (WSAEFAULT for a length
# too short, WSAEAFNOSUPPORT for an unknown family; seen under wine), POSIX the handle
DEAD_HANDLE_OR_BAD_ADDRESS = {DEAD_HANDLE_ERROR, *((10014, 10047) if WINDOWS else ())}
SOFT_LIMIT = 0 if WINDOWS else resource.getrlimit(resource.RLIMIT_NOFILE)[0]
NEVER_OPENED_LOW = max(SOFT_LIMIT, 1 << 16)  # far above any handle this process opens
SA_FAMILY_SIZE = ns._ffi.ffi.sizeof("ADDRESS_FAMILY" if WINDOWS else "sa_family_t")
STORAGE = ns._ffi.ffi.sizeof("struct sockaddr_storage")
SUN_PATH_OFFSET = ns._ffi.ffi.offsetof("struct sockaddr_un", "sun_path")
SIN_ADDR_OFFSET = ns._ffi.ffi.offsetof("struct sockaddr_in", "sin_addr")
SIN6_ADDR_OFFSET = ns._ffi.ffi.offsetof("struct sockaddr_in6", "sin6_addr")


def target(*procs: str, pool: bool = False) -> Callable[[Callable[[], None]], Callable[[], None]]:
    """Register a fuzz target that covers the public names ``procs``; ``pool``: its
    handles come from Pool (see POOL_TARGETS)."""

    def register(fn: Callable[[], None]) -> Callable[[], None]:
        name = fn.__name__.removeprefix("fuzz_")
        TARGETS[name] = (fn, procs)
        if pool:
            POOL_TARGETS.add(name)
        return fn

    return register


def fuzz(*strategies: Any) -> Callable[[Callable[..., None]], Callable[[], None]]:
    """hypothesis.given with this run's seed."""

    def wrap(fn: Callable[..., None]) -> Callable[[], None]:
        test: Callable[[], None] = hypothesis.seed(SEED)(given(*strategies)(fn))  # type: ignore[no-untyped-call]
        return test

    return wrap


def count() -> None:
    global EXAMPLES
    EXAMPLES += 1


# --- values ---------------------------------------------------------------------------------


class Weird:
    """An object no proc accepts."""

    def __repr__(self) -> str:
        return "Weird()"


WRONG_TYPES = st.one_of(
    st.none(),
    st.floats(allow_nan=True),
    st.complex_numbers(),
    st.text(max_size=4),
    st.binary(max_size=4),
    st.lists(st.integers(-5, 5), max_size=3),
    st.tuples(st.integers()),
    st.dictionaries(st.integers(), st.integers(), max_size=2),
    st.builds(Weird),
    st.builds(object),
    st.sampled_from([1.0, float("nan"), float("inf"), "0", b"\x00", bytearray(b"1"), 2j, ...]),
)
EDGE_INTS = st.sampled_from(
    [0, 1, -1, 2**15, 2**16 - 1, 2**16, 2**31 - 1, 2**31, -(2**31), -(2**31) - 1]
    + [2**32 - 1, 2**32, 2**63 - 1, 2**63, -(2**63), -(2**63) - 1, 2**64, 2**64 - 1, 10**30]
)
INTS = st.one_of(st.integers(), st.integers(-(2**70), 2**70), EDGE_INTS)
ANY = st.one_of(INTS, st.booleans(), WRONG_TYPES)

NUL_TEXT = st.builds(lambda a, b: a + "\0" + b, st.text(max_size=8), st.text(max_size=8))
NON_ASCII = st.text(st.characters(min_codepoint=0x80), min_size=1, max_size=12)
TEXTS = st.one_of(
    st.text(max_size=40),  # any code point, surrogates included
    st.binary(max_size=40),
    NUL_TEXT,
    NUL_TEXT.map(lambda s: s.encode("utf-8", "surrogatepass")),
    NON_ASCII,
    st.sampled_from(["", "tcp", "udp", "http", "ssh", "ip", "icmp", "localhost", "\udcff"]),
)


def expected_for_int(value: Any, low: int, high: int) -> type[Exception] | None:
    """TypeError, ValueError or None: what a checked int argument must raise."""
    if isinstance(value, bool) or not isinstance(value, int):
        return TypeError
    return None if low <= value <= high else ValueError


def expected_for_flag(value: Any) -> type[Exception] | None:
    """A boolean argument: a bool or an int, else TypeError."""
    return None if isinstance(value, int) else TypeError


def expected_for_text(value: Any) -> type[Exception] | None:
    if isinstance(value, bytes):
        return ValueError if b"\0" in value else None
    if isinstance(value, str):
        try:
            value.encode("utf-8", "surrogateescape")
        except UnicodeEncodeError:  # a lone surrogate that is not an escaped byte
            return ValueError
        return ValueError if "\0" in value else None
    return TypeError


# --- handles --------------------------------------------------------------------------------


class Kind(str):
    """A handle made fresh for each example: one of Pool.MAKERS, or "closed"."""


class Pool:
    """The handles one example uses, made on demand (one per kind) and closed at the end."""

    def __init__(self, tmp: str) -> None:
        self.tmp = tmp
        self.owned: set[int] = set()
        self.made: dict[str, int] = {}
        self.paths: list[str] = []

    def _own(self, *fds: int) -> int:
        self.owned.update(fds)
        return fds[0]

    def _sock(self, family: int, kind: int) -> socket.socket:
        if WINDOWS:  # no SOCK_NONBLOCK, SOCK_CLOEXEC; sockets are not inherited
            s = socket.socket(family, kind)
            s.setblocking(False)
            return s
        return socket.socket(family, kind | socket.SOCK_NONBLOCK | socket.SOCK_CLOEXEC)

    def _listener(self, family: int, host: str) -> socket.socket:
        s = self._sock(family, socket.SOCK_STREAM)
        s.bind((host, 0))
        s.listen(8)
        return s

    def make(self, kind: str) -> int:
        if kind == "tcp":
            return self._own(self._sock(socket.AF_INET, socket.SOCK_STREAM).detach())
        if kind == "tcp6":
            return self._own(self._sock(socket.AF_INET6, socket.SOCK_STREAM).detach())
        if kind == "udp":
            s = self._sock(socket.AF_INET, socket.SOCK_DGRAM)
            s.bind(("127.0.0.1", 0))
            return self._own(s.detach())
        if kind == "udp6":
            return self._own(self._sock(socket.AF_INET6, socket.SOCK_DGRAM).detach())
        if kind == "listener":
            return self._own(self._listener(socket.AF_INET, "127.0.0.1").detach())
        if kind == "listener6":
            return self._own(self._listener(socket.AF_INET6, "::1").detach())
        if kind in ("pending", "connected"):  # a listener with a client waiting; the client
            lst = self._listener(socket.AF_INET, "127.0.0.1")
            cli = self._sock(socket.AF_INET, socket.SOCK_STREAM)
            cli.connect_ex(lst.getsockname())
            if kind == "pending":
                return self._own(lst.detach(), cli.detach())
            lst.setblocking(True)
            srv, _ = lst.accept()
            srv.send(b"hello")
            lst.close()
            return self._own(cli.detach(), srv.detach())
        if kind == "unix_stream":
            s = self._sock(socket.AF_UNIX, socket.SOCK_STREAM)
            return self._own(s.detach())
        if kind == "unix_dgram":
            s = self._sock(socket.AF_UNIX, socket.SOCK_DGRAM)
            path = os.path.join(self.tmp, f"dgram{next(SERIAL)}")
            s.bind(path)
            self.paths.append(path)
            return self._own(s.detach())
        if kind in ("pair_ready", "pair_hup", "pair_idle"):
            # Windows: a TCP pair on 127.0.0.1 (the stdlib's socketpair has no AF_UNIX there)
            a, b = socket.socketpair() if WINDOWS else socket.socketpair(socket.AF_UNIX)
            a.setblocking(False)
            if kind == "pair_ready":
                b.send(b"x" * 100)
            if kind == "pair_hup":
                b.close()
                return self._own(a.detach())
            return self._own(a.detach(), b.detach())
        if kind == "file":
            return self._own(os.open(os.devnull, os.O_RDWR | os.O_CLOEXEC))
        if kind == "pipe":
            r, w = os.pipe()
            return self._own(r, w)
        raise AssertionError(kind)

    def resolve(self, *values: Any) -> list[Any]:
        """Replace each Kind (also inside lists) with a handle; closed ones are made last,
        so that no handle made after them reuses their number."""
        kinds = {v for v in _flatten(values) if isinstance(v, Kind)}
        for kind in sorted(kinds - {"closed"}):
            self.made[kind] = self.make(kind)
        if "closed" in kinds:
            if WINDOWS:
                s = socket.socket()
                fd = s.fileno()
                s.close()
            else:
                fd = os.open(os.devnull, os.O_RDONLY)
                os.close(fd)
            self.made["closed"] = fd
        return [self._subst(v) for v in values]

    def _subst(self, v: Any) -> Any:
        if isinstance(v, Kind):
            return self.made[v]
        if isinstance(v, list):
            return [self._subst(x) for x in v]
        return v

    def forget(self, fd: int) -> None:
        """The proc under test closed ``fd``."""
        self.owned.discard(fd)

    def close(self) -> None:
        for fd in self.owned:
            try:
                if WINDOWS:
                    _ws2.closesocket(fd)
                else:
                    os.close(fd)
            except OSError:
                pass
        self.owned.clear()
        for path in self.paths:
            os.unlink(path)


def _flatten(values: Any) -> Iterator[Any]:
    for v in values:
        if isinstance(v, list):
            yield from _flatten(v)
        else:
            yield v


@contextmanager
def pool() -> Iterator[Pool]:
    p = Pool(os.getcwd())
    try:
        yield p
    finally:
        p.close()


SOCKET_KINDS = [
    "tcp",
    "tcp6",
    "udp",
    "udp6",
    "listener",
    "listener6",
    "pending",
    "connected",
    "unix_stream",
    "unix_dgram",
    "pair_ready",
    "pair_hup",
    "pair_idle",
]
if WINDOWS:  # Winsock takes sockets only; wine has no AF_UNIX
    SOCKET_KINDS = [k for k in SOCKET_KINDS if not k.startswith("unix_")]
    KINDS = st.sampled_from([*SOCKET_KINDS, "closed"]).map(Kind)
else:
    KINDS = st.sampled_from([*SOCKET_KINDS, "file", "pipe", "closed"]).map(Kind)
NEGATIVE = st.one_of(st.integers(max_value=-1), st.sampled_from([-1, -(2**31), -(2**63)]))
HUGE = st.integers(min_value=HANDLE_MAX + 1, max_value=2**80)
NEVER_OPENED = st.integers(min_value=NEVER_OPENED_LOW, max_value=HANDLE_MAX)
HANDLES = st.one_of(KINDS, KINDS, KINDS, NEGATIVE, HUGE, NEVER_OPENED, st.booleans(), WRONG_TYPES)
# Lists: mostly cheap numbers, a few real handles (each kind made once per example).
LIST_ITEM = st.one_of(KINDS, NEVER_OPENED, st.sampled_from([Kind("pair_ready"), Kind("pair_idle")]))
HANDLE_LISTS = st.one_of(
    st.lists(LIST_ITEM, max_size=8),
    st.lists(LIST_ITEM, min_size=1000, max_size=3000),
    st.lists(st.one_of(LIST_ITEM, NEGATIVE, HUGE, WRONG_TYPES), max_size=3000),
)


def expected_for_handle(h: Any) -> type[Exception] | None:
    return expected_for_int(h, 0, HANDLE_MAX)


def is_dead(h: Any) -> bool:
    """A valid number that names no open handle."""
    return (
        isinstance(h, int) and not isinstance(h, bool) and 0 <= h <= HANDLE_MAX and not _is_open(h)
    )


def _is_open(fd: int) -> bool:
    if fd > HANDLE_MAX:
        return False
    try:
        if WINDOWS:  # an open socket (the stdlib's socket(fileno=) fails on unbound ones)
            value, size = ctypes.c_int(), ctypes.c_int(4)
            return _ws2.getsockopt(fd, 0xFFFF, 0x1008, ctypes.byref(value), ctypes.byref(size)) == 0
        os.fstat(fd)
    except OSError:
        return False
    return True


def dead_error(exc: BaseException | None) -> bool:
    """``exc`` is the OSError for a handle that is not open (EBADF; Windows: WSAENOTSOCK)."""
    if not isinstance(exc, OSError):
        return False
    return exc.winerror == DEAD_HANDLE_ERROR if WINDOWS else exc.errno == DEAD_HANDLE_ERROR


# --- socket addresses -----------------------------------------------------------------------


def sanitize(raw: bytes) -> bytes:
    """Random address bytes made harmless: a Unix path cannot leave the working directory,
    and outside a network namespace an IPv4/IPv6/unspecified address is loopback."""
    if len(raw) < SA_FAMILY_SIZE:
        return raw
    family = int.from_bytes(raw[:SA_FAMILY_SIZE], sys.byteorder)
    data = bytearray(raw)
    if family == ns.AF_UNIX:  # not socket.AF_UNIX: Windows' stdlib may lack it
        data[SUN_PATH_OFFSET:] = data[SUN_PATH_OFFSET:].replace(b"/", b"_")
    elif not NETNS and family in (socket.AF_UNSPEC, socket.AF_INET):
        loop = socket.inet_aton("127.0.0.1")
        data[SIN_ADDR_OFFSET : SIN_ADDR_OFFSET + 4] = loop
        if family == socket.AF_UNSPEC and len(data) >= SIN6_ADDR_OFFSET + 16:
            data[SIN6_ADDR_OFFSET : SIN6_ADDR_OFFSET + 16] = socket.inet_pton(
                socket.AF_INET6, "::1"
            )
    elif not NETNS and family == socket.AF_INET6:
        data[SIN6_ADDR_OFFSET : SIN6_ADDR_OFFSET + 16] = socket.inet_pton(socket.AF_INET6, "::1")
    return bytes(data[: len(raw)])


def v4_text() -> st.SearchStrategy[str]:
    if NETNS:
        return st.ip_addresses(v=4).map(str)
    return st.sampled_from(["127.0.0.1", "127.1.2.3", "0.0.0.0"])


def v6_text() -> st.SearchStrategy[str]:
    if NETNS:
        return st.ip_addresses(v=6).map(str)
    return st.sampled_from(["::1", "::"])


class Addr:
    """A socket address to build inside the example (its constructor may raise)."""

    def __init__(self, how: str, *args: Any) -> None:
        self.how, self.args = how, args

    def __repr__(self) -> str:
        return f"Addr({self.how!r}, {', '.join(map(repr, self.args))})"

    def build(self) -> Any:
        if self.how == "raw":
            return ns.Sockaddr_storage(sanitize(self.args[0]))
        if self.how == "in":
            return ns.Sockaddr_in(*self.args)
        if self.how == "in6":
            return ns.Sockaddr_in6(*self.args)
        if self.how == "un":
            return ns.makeUnixAddr(self.args[0])
        return self.args[0]


PORTS = st.one_of(st.integers(0, 65535), st.sampled_from([0, 1, 7, 80, 65535]))


def addresses() -> st.SearchStrategy[Addr]:
    return st.one_of(
        st.binary(max_size=STORAGE + 8).map(lambda b: Addr("raw", b)),
        st.builds(
            lambda b, fam: Addr("raw", fam + b),
            st.binary(max_size=STORAGE),
            st.sampled_from([socket.AF_INET, socket.AF_INET6, ns.AF_UNIX, 0]).map(
                lambda f: f.to_bytes(SA_FAMILY_SIZE, sys.byteorder)
            ),
        ),
        st.builds(lambda a, p: Addr("in", a, p), v4_text(), PORTS),
        st.builds(lambda a, p: Addr("in6", a, p), v6_text(), PORTS),
        st.text(
            st.characters(codec="utf-8", blacklist_characters="/\0"),
            min_size=1,
            max_size=40,
        ).map(lambda p: Addr("un", p)),
        ANY.map(lambda x: Addr("other", x)),
    )


BUFFERS = st.one_of(
    st.binary(max_size=300),
    st.binary(max_size=300).map(bytearray),
    st.binary(max_size=300).map(lambda b: memoryview(b)),
    st.binary(max_size=300).map(lambda b: memoryview(bytearray(b))),
    st.binary(min_size=4, max_size=300).map(lambda b: memoryview(bytearray(b))[::2]),
    st.binary(min_size=1, max_size=300).map(lambda b: memoryview(b).cast("B", (len(b),))),
    st.binary(max_size=64).map(lambda b: __import__("array").array("b", b)),
    st.text(max_size=8),
    WRONG_TYPES,
)
LENGTHS = st.one_of(st.none(), st.integers(0, 400), INTS, st.booleans(), WRONG_TYPES)


def check_rc(r: Any, *, allow_positive: bool = False, high: int | None = None) -> None:
    """A documented return code: 0, -1 with osLastError() set, or a count."""
    assert type(r) is int, r
    if r == -1:
        assert ns.osLastError() != 0
    elif allow_positive:
        assert r >= 0 and (high is None or r <= high), r
    else:
        assert r == 0, r


def settle(bad: set[type[Exception] | None], exc: BaseException | None) -> None:
    """A call with bad arguments must have raised one of their exceptions."""
    bad.discard(None)
    if bad:
        assert exc is not None, f"no exception, expected one of {bad}"
        assert isinstance(exc, tuple(bad)), f"{exc!r}, expected one of {bad}"  # type: ignore[arg-type]


def attempt(
    proc: Callable[..., Any], *args: Any, allowed: tuple[type[BaseException], ...] = ALLOWED
) -> tuple[Any, BaseException | None]:
    """Run proc(*args): (result, None), or (None, the exception) for an allowed kind; any
    other exception escapes and fails the example."""
    try:
        return proc(*args), None
    except allowed as e:
        return None, e


# --- targets: values ------------------------------------------------------------------------


@target("ntohl", "ntohs", "htonl", "htons")
def fuzz_byte_order() -> None:
    @fuzz(ANY, st.sampled_from(["ntohl", "ntohs", "htonl", "htons"]))
    def run(value: Any, name: str) -> None:
        count()
        proc = getattr(ns, name)
        r, exc = attempt(proc, value, allowed=(TypeError, OverflowError))
        bits = 32 if name.endswith("l") else 16
        if isinstance(value, int):  # bool included, as the stdlib's
            if 0 <= value < 2**bits:
                assert exc is None and 0 <= r < 2**bits
                if bits == 32:
                    assert ns.ntohl(ns.htonl(value)) == value
                else:
                    assert ns.ntohs(ns.htons(value)) == value
            else:
                assert isinstance(exc, OverflowError), exc
        else:
            assert isinstance(exc, TypeError), exc

    run()


@target("Port", "Domain", "SockType", "Protocol", "toInt", "toKnownDomain", "toSockType")
def fuzz_types() -> None:
    @fuzz(
        ANY,
        st.sampled_from(
            ["Port", "Domain", "SockType", "Protocol", "toInt", "toKnownDomain", "toSockType"]
        ),
    )
    def run(value: Any, name: str) -> None:
        count()
        r, exc = attempt(getattr(ns, name), value)
        if name == "Port":
            settle({expected_for_int(value, 0, 65535)}, exc)
            if exc is None:
                assert r == value and str(r) == str(int(value)) and repr(r) == f"Port({r})"
        elif name == "toKnownDomain":
            settle({expected_for_int(value, -(2**31), 2**31 - 1)}, exc)
            assert exc is not None or r is None or isinstance(r, ns.Domain)
        elif name in ("toInt", "toSockType"):
            assert exc is None or isinstance(exc, TypeError)
        else:
            assert exc is None or isinstance(exc, (ValueError, TypeError)), exc

    run()
    for member in [*ns.Domain, *ns.SockType, *ns.Protocol]:
        assert ns.toInt(member) == int(member)
    for proto in ns.Protocol:
        assert isinstance(ns.toSockType(proto), ns.SockType)


@target("osLastError", "raiseOSError")
def fuzz_errors() -> None:
    @fuzz(ANY, st.one_of(TEXTS, ANY))
    def run(code: Any, info: Any) -> None:
        count()
        assert type(ns.osLastError()) is int
        r, exc = attempt(ns.raiseOSError, code, info)
        assert exc is not None
        if isinstance(code, int):  # bool is an int here, as for OSError(True, ...)
            assert isinstance(exc, OSError), exc
            if WINDOWS and -(2**31) <= code <= 2**31 - 1:  # errno: its errno equivalent
                assert exc.winerror == code, exc
            else:
                assert exc.errno == code, exc
        else:
            assert isinstance(exc, TypeError), exc

    run()


@target("inet_ntoa")
def fuzz_inet_ntoa() -> None:
    @fuzz(ANY)
    def run(value: Any) -> None:
        count()
        r, exc = attempt(ns.inet_ntoa, value)
        settle({expected_for_int(value, 0, 2**32 - 1)}, exc)
        if exc is None:
            assert r == socket.inet_ntoa(value.to_bytes(4, sys.byteorder))

    run()


# --- targets: addresses ---------------------------------------------------------------------


def poke(addr: Any) -> None:
    """Everything a user can do with a SockAddr; only documented exceptions."""
    assert len(addr) == len(bytes(addr)) and 0 <= len(addr) <= STORAGE
    repr(addr)
    assert addr == addr and type(addr.sa_family) is int
    r, exc = attempt(ns.getAddrString, addr)
    assert exc is None or isinstance(exc, OSError), exc
    assert exc is not None or type(r) is str
    out = bytearray(46)
    r, exc = attempt(ns.getAddrString, addr, out)
    assert exc is None or isinstance(exc, OSError), exc


@target("SockAddr", "Sockaddr_storage")
def fuzz_sockaddr_raw() -> None:
    @fuzz(
        st.one_of(st.binary(max_size=STORAGE + 20), BUFFERS, ANY),
        st.sampled_from([ns.SockAddr, ns.Sockaddr_storage]),
    )
    def run(data: Any, cls: Any) -> None:
        count()
        addr, exc = attempt(cls, data)
        if isinstance(data, bytes):
            settle({ValueError if len(data) > STORAGE else None}, exc)
        if exc is None:
            poke(addr)

    run()


@target("Sockaddr_in", "Sockaddr_in6", "Sockaddr_un", "makeUnixAddr", "getAddrString")
def fuzz_sockaddr_build() -> None:
    ctor = st.sampled_from(["Sockaddr_in", "Sockaddr_in6", "Sockaddr_un", "makeUnixAddr"])
    addr_text = st.one_of(TEXTS, st.ip_addresses().map(str), ANY)

    @fuzz(
        ctor,
        addr_text,
        st.one_of(PORTS, ANY),
        st.one_of(INTS, ANY),
        st.one_of(INTS, ANY),
        st.integers(0, 3),
    )
    def run(name: str, text: Any, port: Any, flow: Any, scope: Any, nargs: int) -> None:
        count()
        proc = getattr(ns, name)
        if name in ("Sockaddr_un", "makeUnixAddr"):
            addr, exc = attempt(proc, text)
            if isinstance(text, bytes):
                settle({ValueError if b"\0" in text or len(text) >= 108 else None}, exc)
        else:
            args = (text, port, flow, scope)[: nargs + 1 if name == "Sockaddr_in6" else 2]
            addr, exc = attempt(proc, *args)
            bad = {expected_for_text(text)}
            if len(args) > 1:
                bad.add(expected_for_int(port, 0, 65535))
            bad.update(expected_for_int(v, 0, 2**32 - 1) for v in args[2:])
            settle(bad, exc)
        if exc is None:
            poke(addr)

    run()

    @fuzz(
        st.sampled_from(
            [
                ("in", "sin_port"),
                ("in", "sin_family"),
                ("in", "sin_addr"),
                ("in6", "sin6_port"),
                ("in6", "sin6_flowinfo"),
                ("in6", "sin6_scope_id"),
                ("un", "sun_path"),
                ("un", "sun_family"),
                ("raw", "ss_family"),
                ("raw", "sa_family"),
            ]
        ),
        st.one_of(INTS, ANY, st.binary(max_size=120), st.binary(max_size=120).map(bytearray)),
    )
    def fields(which: tuple[str, str], value: Any) -> None:
        count()
        kind, field = which
        makers: dict[str, Callable[[], ns.SockAddr]] = {
            "in": lambda: ns.Sockaddr_in("127.0.0.1", 80),
            "in6": lambda: ns.Sockaddr_in6("::1", 80),
            "un": lambda: ns.Sockaddr_un("sock"),
            "raw": lambda: ns.Sockaddr_storage(b""),
        }
        addr = makers[kind]()
        _, exc = attempt(setattr, addr, field, value)
        assert exc is None or isinstance(exc, BAD_ARGS), exc
        getattr(addr, field)
        poke(addr)

    fields()


@target("getAddrInfo", "AddrInfo", "freeAddrInfo", "freeaddrinfo")
def fuzz_addrinfo() -> None:
    if NETNS:
        hosts = st.one_of(TEXTS, st.ip_addresses().map(str), st.just("localhost"), ANY)
    else:  # literals: parsed before any lookup, so no name query can be sent
        hosts = st.one_of(st.ip_addresses().map(str), NUL_TEXT, WRONG_TYPES, st.booleans())
    enum_or_int = st.one_of(
        st.sampled_from([*ns.Domain, *ns.SockType, *ns.Protocol]), INTS, WRONG_TYPES
    )

    @fuzz(
        hosts,
        st.one_of(PORTS, ANY),
        enum_or_int,
        enum_or_int,
        enum_or_int,
        st.lists(
            st.sampled_from(["free", "free_node", "with", "iter", "fields", "gc"]), max_size=5
        ),
    )
    def run(host: Any, port: Any, domain: Any, stype: Any, proto: Any, ops: list[str]) -> None:
        count()
        ai, exc = attempt(ns.getAddrInfo, host, port, domain, stype, proto)
        host_error = None if host is None else expected_for_text(host)  # None: no host
        settle({host_error, expected_for_int(port, 0, 65535)}, exc)
        if exc is not None:
            return
        nodes = list(ai)
        freed = False
        for op in ops:
            if op == "free":
                ns.freeAddrInfo(ai)
                freed = True
            elif op == "free_node":
                ns.freeaddrinfo(nodes[-1])
                freed = True
            elif op == "with":
                r, exc = attempt(ai.__enter__)
                assert (exc is None) != freed, exc
                if exc is None:
                    with ai:
                        pass
                freed = True
            elif op == "gc":
                gc.collect()
            else:
                for node in nodes:
                    try:
                        values = (
                            node.ai_family,
                            node.ai_socktype,
                            node.ai_protocol,
                            node.ai_addrlen,
                            node.ai_flags,
                            node.ai_canonname,
                            node.ai_next,
                        )
                        addr = node.ai_addr
                        assert not freed, "a freed AddrInfo gave its fields"
                        assert len(addr) == values[3]
                        poke(addr)
                        repr(node)
                    except ValueError:
                        assert freed
                if op == "iter":
                    try:
                        assert len(list(ai)) == len(nodes) and not freed
                    except ValueError:
                        assert freed
        assert "freed" in repr(ai) or not freed

    run()

    @fuzz(ANY)
    def wrong(value: Any) -> None:
        count()
        _, exc = attempt(ns.freeAddrInfo, value)
        assert isinstance(exc, TypeError)

    wrong()


# --- targets: databases ---------------------------------------------------------------------


@target("getServByName", "getServByPort", "getProtoByName", "getHostname")
def fuzz_services() -> None:
    @fuzz(
        st.one_of(TEXTS, ANY),
        st.one_of(TEXTS, ANY),
        st.one_of(PORTS, ANY),
        st.sampled_from(["name", "port", "proto"]),
    )
    def run(name: Any, proto: Any, port: Any, which: str) -> None:
        count()
        if which == "name":
            r, exc = attempt(ns.getServByName, name, proto)
            settle({expected_for_text(name), expected_for_text(proto)}, exc)
        elif which == "port":
            r, exc = attempt(ns.getServByPort, port, proto)
            settle({expected_for_int(port, 0, 65535), expected_for_text(proto)}, exc)
        else:
            r, exc = attempt(ns.getProtoByName, name)
            settle({expected_for_text(name)}, exc)
            assert exc is not None or type(r) is int
            return
        if exc is None:
            assert isinstance(r, ns.Servent) and isinstance(r.port, ns.Port)
            assert all(type(a) is str for a in r.aliases)
        elif not isinstance(exc, BAD_ARGS):
            assert isinstance(exc, OSError) and exc.errno is None  # no stale errno

    run()
    assert ns.getHostname() == socket.gethostname()


@target("getHostByName", "getHostByAddr")
def fuzz_hosts() -> None:
    if NETNS:
        names = st.one_of(TEXTS, st.just("localhost"), st.ip_addresses().map(str), ANY)
        ips = st.one_of(st.ip_addresses().map(str), TEXTS, ANY)
    else:  # literals and /etc/hosts names only; text that is no address fails before C
        names = st.one_of(
            st.ip_addresses(v=4).map(str), st.just("localhost"), NUL_TEXT, WRONG_TYPES
        )
        ips = st.one_of(
            st.just("127.0.0.1"),
            NUL_TEXT,
            WRONG_TYPES,
            st.text(st.characters(blacklist_characters="0123456789abcdefABCDEF.:"), max_size=10),
        )

    @fuzz(names, ips, st.booleans())
    def run(name: Any, ip: Any, by_name: bool) -> None:
        count()
        if by_name:
            r, exc = attempt(ns.getHostByName, name)
            settle({expected_for_text(name)}, exc)
        else:
            r, exc = attempt(ns.getHostByAddr, ip)
            settle({expected_for_text(ip)}, exc)
        if exc is None:
            assert isinstance(r, ns.Hostent) and r.addrtype in (ns.AF_INET, ns.AF_INET6)
            assert all(type(a) is str for a in r.addrList)

    run()


# --- targets: handles -----------------------------------------------------------------------


@target("close", pool=True)
def fuzz_close() -> None:
    @fuzz(HANDLES)
    def run(h: Any) -> None:
        count()
        with pool() as p:
            (fd,) = p.resolve(h)
            dead = is_dead(fd)
            r, exc = attempt(ns.close, fd)
            settle({expected_for_handle(fd)}, exc)
            if exc is None:
                p.forget(fd)
                assert not _is_open(fd)
            elif dead:
                assert dead_error(exc), exc

    run()


def expected_for_command(cmd: Any) -> type[Exception] | None:
    """fcntl's command: a C int, and one whose argument is an int (else ValueError)."""
    return expected_for_int(cmd, -(2**31), 2**31 - 1) or (
        None if cmd in FCNTL_INT_COMMANDS else ValueError
    )


FCNTL_INT_COMMANDS: set[int] = set()
if not WINDOWS:
    import fcntl as _fcntl

    FCNTL_INT_COMMANDS = {
        getattr(_fcntl, name)
        for name in ("F_GETFD", "F_SETFD", "F_GETFL", "F_SETFL", "F_DUPFD", "F_DUPFD_CLOEXEC")
        if hasattr(_fcntl, name)
    }
SHUT_HOWS = {ns.SHUT_RD, ns.SHUT_WR, ns.SHUT_RDWR}


def expected_for_how(how: Any) -> type[Exception] | None:
    return expected_for_int(how, -(2**31), 2**31 - 1) or (None if how in SHUT_HOWS else ValueError)


@target("setInheritable", "setBlocking", "shutdown", *(() if WINDOWS else ("fcntl",)), pool=True)
def fuzz_modes() -> None:
    commands = st.one_of(
        # F_DUPFD, F_GETFD, F_SETFD, F_DUPFD_CLOEXEC; no fcntl on Windows
        st.sampled_from([*(() if WINDOWS else (F_GETFL, F_SETFL)), 0, 1, 2, 1030]),
        st.integers(2000, 2**31 - 1),
        st.integers(max_value=-1),
        st.sampled_from([2**31, 2**40]),
        WRONG_TYPES,
    )

    kinds = ["inh", "blk", "shut", *([] if WINDOWS else ["fcntl"])]

    @fuzz(HANDLES, st.one_of(ANY, st.booleans(), INTS), commands, st.sampled_from(kinds))
    def run(h: Any, value: Any, cmd: Any, which: str) -> None:
        count()
        with pool() as p:
            (fd,) = p.resolve(h)
            if which == "inh":
                r, exc = attempt(ns.setInheritable, fd, value)
                settle({expected_for_handle(fd), expected_for_flag(value)}, exc)
                assert exc is not None or type(r) is bool
                assert exc is not None or r != is_dead(fd)
            elif which == "blk":
                r, exc = attempt(ns.setBlocking, fd, value)
                settle({expected_for_handle(fd), expected_for_flag(value)}, exc)
                if is_dead(fd) and expected_for_flag(value) is None:
                    assert dead_error(exc), exc
            elif which == "shut":
                r, exc = attempt(ns.shutdown, fd, cmd)
                settle({expected_for_handle(fd), expected_for_how(cmd)}, exc)
                if exc is None:
                    check_rc(r)
            else:
                r, exc = attempt(ns.fcntl, fd, cmd, value)
                settle(
                    {
                        expected_for_handle(fd),
                        expected_for_command(cmd),
                        expected_for_int(value, -(2**31), 2**31 - 1),
                    },
                    exc,
                )
                if exc is None:
                    assert type(r) is int and (r >= 0 or ns.osLastError() != 0)
                    if cmd in (0, 1030) and r >= 0:
                        p.owned.add(r)

    run()


@target("getSockDomain", "getSockName", "getLocalAddr", "getPeerAddr", pool=True)
def fuzz_names() -> None:
    domains = st.one_of(st.sampled_from(list(ns.Domain)), ANY)

    @fuzz(HANDLES, domains, st.sampled_from(["domain", "name", "local", "peer"]))
    def run(h: Any, domain: Any, which: str) -> None:
        count()
        with pool() as p:
            (fd,) = p.resolve(h)
            bad = {expected_for_handle(fd)}
            if which == "domain":
                r, exc = attempt(ns.getSockDomain, fd)
                assert exc is not None or isinstance(r, ns.Domain)
            elif which == "name":
                r, exc = attempt(ns.getSockName, fd)
                assert exc is not None or isinstance(r, ns.Port)
            else:
                proc = ns.getLocalAddr if which == "local" else ns.getPeerAddr
                r, exc = attempt(proc, fd, domain)
                bad.add(None if isinstance(domain, int) and type(domain) is not bool else TypeError)
                if exc is None:
                    text, port = r
                    assert type(text) is str and isinstance(port, ns.Port)
            settle(bad, exc)

    run()


@target("getSockOptInt", "setSockOptInt", pool=True)
def fuzz_options() -> None:
    levels = st.one_of(
        st.sampled_from(
            [ns.SOL_SOCKET, socket.IPPROTO_TCP, socket.IPPROTO_IP, socket.IPPROTO_IPV6, 0, 1]
        ),
        INTS,
        WRONG_TYPES,
    )
    names = st.one_of(st.integers(0, 80), INTS, WRONG_TYPES)

    @fuzz(HANDLES, levels, names, st.one_of(INTS, ANY), st.booleans())
    def run(h: Any, level: Any, name: Any, value: Any, get: bool) -> None:
        count()
        with pool() as p:
            (fd,) = p.resolve(h)
            bad = {
                expected_for_handle(fd),
                expected_for_int(level, -(2**31), 2**31 - 1),
                expected_for_int(name, -(2**31), 2**31 - 1),
            }
            if get:
                r, exc = attempt(ns.getSockOptInt, fd, level, name)
                assert exc is not None or type(r) is int
            else:
                r, exc = attempt(ns.setSockOptInt, fd, level, name, value)
                bad.add(expected_for_int(value, -(2**31), 2**31 - 1))
                assert r is None
            settle(bad, exc)

    run()


@target("createNativeSocket")
def fuzz_create() -> None:
    nums = st.one_of(
        st.integers(-2, 50),
        INTS,
        WRONG_TYPES,
        st.sampled_from([*ns.Domain, *ns.SockType, *ns.Protocol]),
    )

    @fuzz(nums, nums, nums, st.one_of(st.booleans(), ANY), st.integers(0, 4))
    def run(domain: Any, stype: Any, proto: Any, inh: Any, nargs: int) -> None:
        count()
        args = (domain, stype, proto, inh)[:nargs]
        r, exc = attempt(ns.createNativeSocket, *args)
        if exc is None:
            assert type(r) is int
            if r == ns.osInvalidSocket:
                assert ns.osLastError() != 0
            else:
                ns.close(r)
        else:
            assert isinstance(exc, BAD_ARGS), exc

    run()


@target("bindAddr", "listen", "connect", pool=True)
def fuzz_bind_connect() -> None:
    @fuzz(
        HANDLES,
        addresses(),
        st.one_of(st.none(), st.integers(0, STORAGE), INTS, ANY),
        st.one_of(INTS, ANY),
        st.sampled_from(["bind", "listen", "connect"]),
    )
    def run(h: Any, spec: Addr, namelen: Any, backlog: Any, which: str) -> None:
        count()
        with pool() as p:
            (fd,) = p.resolve(h)
            addr, exc = attempt(spec.build)
            if exc is not None:
                return
            bad = {expected_for_handle(fd)}
            if which == "listen":
                r, exc = attempt(ns.listen, fd, backlog)
                bad.add(expected_for_int(backlog, -(2**31), 2**31 - 1))
            else:
                proc = ns.bindAddr if which == "bind" else ns.connect
                r, exc = attempt(proc, fd, addr, namelen)
                bad.add(None if isinstance(addr, ns.SockAddr) else TypeError)
                if namelen is not None:
                    bad.add(expected_for_int(namelen, 0, STORAGE))
            settle(bad, exc)
            if exc is None:
                check_rc(r)
                err = ns.osLastError()  # before is_dead, whose probe may set it
                if is_dead(fd):
                    assert r == -1 and err in DEAD_HANDLE_OR_BAD_ADDRESS, err

    run()


@target("accept", pool=True)
def fuzz_accept() -> None:
    second = st.one_of(st.booleans(), st.none(), st.sampled_from(["storage", "in", "un"]), ANY)

    @fuzz(HANDLES, second, st.integers(0, 2))
    def run(h: Any, inh: Any, nargs: int) -> None:
        count()
        with pool() as p:
            (fd,) = p.resolve(h)
            if inh == "storage":
                inh = ns.Sockaddr_storage()
            elif inh == "in":
                inh = ns.Sockaddr_in("0.0.0.0", 0)
            elif inh == "un":
                inh = ns.Sockaddr_un("x")
            args = (fd, inh)[: max(nargs, 1)]
            r, exc = attempt(ns.accept, *args)
            settle({expected_for_handle(fd)}, exc)
            if exc is not None:
                return
            if isinstance(r, tuple):
                c, peer = r
                assert type(c) is int and type(peer) is str
                assert (c == ns.osInvalidSocket) <= (peer == "")
            else:
                assert isinstance(inh, ns.SockAddr) and len(args) == 2
                c = r
            if c != ns.osInvalidSocket:
                p.owned.add(c)
                assert h == "pending", (h, c)
            else:
                assert ns.osLastError() != 0

    run()


@target("send", "recv", "sendto", "recvfrom", pool=True)
def fuzz_io() -> None:
    flags = st.one_of(
        st.just(0),
        st.sampled_from(
            [socket.MSG_PEEK, socket.MSG_OOB]  # Windows has no MSG_NOSIGNAL, MSG_DONTWAIT
            if WINDOWS
            else [socket.MSG_PEEK, vars(ns)["MSG_NOSIGNAL"], socket.MSG_DONTWAIT]
        ),
        st.integers(0, 2**16),
        INTS,
        WRONG_TYPES,
    )

    @fuzz(
        HANDLES,
        BUFFERS,
        LENGTHS,
        flags,
        addresses(),
        st.one_of(st.none(), st.integers(0, STORAGE), ANY),
        st.sampled_from(["send", "recv", "sendto", "recvfrom", "recvfrom_addr"]),
    )
    def run(h: Any, buf: Any, length: Any, fl: Any, spec: Addr, tolen: Any, which: str) -> None:
        count()
        with pool() as p:
            (fd,) = p.resolve(h)
            bad = {expected_for_handle(fd), expected_for_int(fl, -(2**31), 2**31 - 1)}
            if length is not None:
                size = memoryview(buf).nbytes if _is_buffer(buf) else 2**70
                bad.add(expected_for_int(length, 0, size))
            if which in ("send", "sendto"):
                bad.add(None if _is_buffer(buf) else TypeError)
            else:
                bad.add(None if _is_buffer(buf, writable=True) else TypeError)
            if which == "send":
                r, exc = attempt(ns.send, fd, buf, length, fl)
            elif which == "recv":
                r, exc = attempt(ns.recv, fd, buf, length, fl)
            elif which == "recvfrom":
                r, exc = attempt(ns.recvfrom, fd, buf, length, fl)
            else:
                addr, exc = attempt(spec.build)
                if exc is not None:
                    return
                unaddressed = addr is None and tolen is None and which == "sendto"  # as send
                bad.add(None if isinstance(addr, ns.SockAddr) or unaddressed else TypeError)
                if which == "sendto":
                    if tolen is not None:
                        bad.add(expected_for_int(tolen, 0, STORAGE))
                    r, exc = attempt(ns.sendto, fd, buf, length, fl, addr, tolen)
                else:
                    r, exc = attempt(ns.recvfrom, fd, buf, length, fl, addr)
                    if exc is None and r >= 0:
                        assert 0 <= len(addr) <= STORAGE
                        poke(addr)
            settle(bad, exc)
            if exc is None:
                limit = length if length is not None else memoryview(buf).nbytes
                check_rc(r, allow_positive=True, high=max(limit, 0) if "send" in which else None)

    run()


@target("sendMany", "recvMany", pool=True)
def fuzz_batch() -> None:
    flags = st.one_of(st.just(0), st.sampled_from([ns.MSG_PEEK, 0x40]), INTS, WRONG_TYPES)
    buffer_lists = st.one_of(
        st.lists(BUFFERS, max_size=6),
        st.lists(st.binary(max_size=4).map(bytearray), min_size=500, max_size=1500),
        st.lists(BUFFERS, max_size=3).map(tuple),
        WRONG_TYPES,
    )
    to = st.one_of(st.none(), addresses(), st.lists(addresses(), max_size=6), ANY)
    lengths = st.one_of(st.lists(st.integers(0, 9), max_size=4), ANY)

    @fuzz(HANDLES, buffer_lists, to, lengths, flags, st.booleans())
    def run(h: Any, bufs: Any, dest: Any, lens: Any, fl: Any, send: bool) -> None:
        count()
        with pool() as p:
            (fd,) = p.resolve(h)
            if isinstance(dest, Addr):
                built, exc = attempt(dest.build)
            elif isinstance(dest, list) and all(isinstance(a, Addr) for a in dest):
                built, exc = attempt(lambda: [a.build() for a in dest])
            else:
                built, exc = dest, None
            if exc is not None:
                return
            bad = {expected_for_handle(fd), expected_for_int(fl, -(2**31), 2**31 - 1)}
            if not isinstance(bufs, (list, tuple)):
                bad.add(TypeError)
            if send:
                r, exc = attempt(ns.sendMany, fd, bufs, built, fl)
            else:
                before = list(lens) if isinstance(lens, list) else None
                if not isinstance(lens, list):
                    bad.add(TypeError)
                r, exc = attempt(ns.recvMany, fd, bufs, lens, built, fl)
                if exc is None and r > 0:
                    assert len(lens) == r and all(type(n) is int and n >= 0 for n in lens)
                elif exc is None and r == -1 or exc is not None and before is not None:
                    assert lens == before
            settle(bad, exc)
            if exc is None:
                check_rc(r, allow_positive=True, high=len(bufs))

    run()


def _windows_only(fn: Callable[[], None]) -> Callable[[], None]:
    return target("ioctlsocket")(fn) if WINDOWS else fn


@_windows_only
def fuzz_ioctlsocket() -> None:
    """Windows only (no pool): a fresh socket, one closed, or a bad handle; the requests
    FIONBIO, FIONREAD, SIOCATMARK and unknown numbers; any buffer."""
    known = (ns.FIONBIO, 0x4004667F, 0x40047307)  # and FIONREAD, SIOCATMARK
    commands = st.one_of(
        st.sampled_from([*known, 0]),
        st.integers(-(2**31), 2**31 - 1),
        INTS,
        WRONG_TYPES,
    )
    handles = st.one_of(
        st.sampled_from(["open", "closed"]), NEGATIVE, HUGE, st.booleans(), WRONG_TYPES
    )

    @fuzz(handles, commands, BUFFERS)
    def run(kind: Any, cmd: Any, arg: Any) -> None:
        count()
        h, s = kind, None
        if isinstance(kind, str) and kind in ("open", "closed"):
            s = socket.socket()
            h = s.fileno()
            if kind == "closed":
                s.close()
        try:
            r, exc = attempt(ns.ioctlsocket, h, cmd, arg)
            bad = {expected_for_handle(h), expected_for_int(cmd, -(2**31), 2**31 - 1)}
            if not _is_buffer(arg, writable=True):
                bad.add(TypeError)
            elif memoryview(arg).nbytes < 4:
                bad.add(ValueError)
            settle(bad, exc)  # it drops None from bad
            if not bad:
                assert exc is None, exc
            if exc is None:
                check_rc(r)
                if kind == "closed":  # WSAENOTSOCK; an unknown request may fail first
                    assert r == -1
                    assert cmd not in known or ns.osLastError() == DEAD_HANDLE_ERROR
        finally:
            if s is not None:
                s.close()

    run()


def _is_buffer(obj: Any, writable: bool = False) -> bool:
    if isinstance(obj, (str, bool, int)) or obj is None:
        return False
    try:
        view = memoryview(obj)
    except TypeError:
        return False
    if writable:
        return view.c_contiguous and not view.readonly
    # PyPy's ffi.from_buffer copies a strided view that is only read; CPython's refuses it.
    return view.c_contiguous or sys.implementation.name == "pypy"


@target("selectRead", "selectWrite", pool=True)
def fuzz_select() -> None:
    timeouts = st.one_of(st.integers(0, 10), st.integers(-1, 2**31 - 1), INTS, WRONG_TYPES)

    @fuzz(
        st.one_of(HANDLE_LISTS, WRONG_TYPES, st.tuples(st.integers(0, 3))),
        st.one_of(st.just(None), timeouts),
        st.booleans(),
    )
    def run(handles: Any, timeout: Any, write: bool) -> None:
        count()
        with pool() as p:
            if isinstance(handles, list) and _blocks(timeout):
                handles = [*handles, Kind("pair_ready")]  # something ready: never wait
            resolved = p.resolve(handles)[0]
            before = list(resolved) if isinstance(resolved, list) else resolved
            proc = ns.selectWrite if write else ns.selectRead
            args = (resolved,) if timeout is None else (resolved, timeout)
            r, exc = attempt(proc, *args)
            bad: set[type[Exception] | None] = set()
            if not isinstance(resolved, list):
                bad.add(TypeError)
            else:
                if timeout is not None:
                    bad.add(expected_for_int(timeout, -1, 2**31 - 1))
                if any(not isinstance(h, int) for h in resolved):
                    bad.add(TypeError)
                if any(isinstance(h, int) and not 0 <= h <= HANDLE_MAX for h in resolved):
                    bad.add(ValueError)
            settle(bad, exc)
            if exc is not None:
                if isinstance(resolved, list):
                    assert resolved == before, "the list changed though the call raised"
                return
            assert type(r) is int and -1 <= r <= len(before)
            if r == -1:
                assert resolved == before and ns.osLastError() != 0
            else:
                assert len(resolved) == r and _is_subsequence(resolved, before)

    run()


def _blocks(timeout: Any) -> bool:
    if timeout is None:
        return True
    return type(timeout) is int and (timeout == -1 or timeout > 10)


def _is_subsequence(small: list[int], big: list[int]) -> bool:
    it = iter(big)
    return all(any(x == y for y in it) for x in small)


# --- the runner -----------------------------------------------------------------------------


def bring_up_loopback() -> None:
    """Set IFF_UP on "lo" in this (new, empty) network namespace."""
    import fcntl

    siocgifflags, siocsifflags, iff_up = 0x8913, 0x8914, 0x1
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        req = struct.pack("16sH22x", b"lo", 0)
        flags = struct.unpack("16sH22x", fcntl.ioctl(s, siocgifflags, req))[1]
        fcntl.ioctl(s, siocsifflags, struct.pack("16sH22x", b"lo", flags | iff_up))


def in_own_netns() -> bool:
    """True when only a loopback interface exists (as after unshare -n)."""
    with open("/proc/self/net/dev") as f:  # this process's namespace (PyPy lacks if_nameindex)
        names = [line.split(":")[0].strip() for line in f if ":" in line]
    return names == ["lo"]


def main() -> int:
    global NETNS, SEED
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--netns",
        action="store_true",
        help="in a network namespace of our own: random names and addresses",
    )
    parser.add_argument(
        "--examples",
        type=int,
        default=int(os.environ.get("NATIVESOCKETS_FUZZ_EXAMPLES", "300")),
        help="examples per target (default $NATIVESOCKETS_FUZZ_EXAMPLES or 300)",
    )
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--list", action="store_true", help="print target: procs and exit")
    parser.add_argument("--crash", action="store_true", help="die by SIGABRT (harness test)")
    parser.add_argument("targets", nargs="*")
    opts = parser.parse_args()
    if opts.list:
        for name, (_, procs) in TARGETS.items():
            print(f"{name}: {' '.join(procs)}")
        return 0
    faulthandler.enable()
    if not WINDOWS and "asan" not in os.environ.get("LD_PRELOAD", ""):  # ASan: huge shadow
        # A proc that allocates without bound gets MemoryError (a failure) instead of
        # the machine's OOM killer.
        resource.setrlimit(resource.RLIMIT_AS, (4 << 30, resource.RLIM_INFINITY))
    if opts.crash:
        print("target crash ...", flush=True)
        os.abort()
    if opts.netns:
        if not in_own_netns():
            print("fuzz: --netns given, but other interfaces than lo exist", file=sys.stderr)
            return 2
        bring_up_loopback()
        NETNS = True
    seed = SEED = opts.seed if opts.seed is not None else random.getrandbits(32)
    print(
        f"fuzz: mode {'netns' if NETNS else 'host, no random names'}, seed {seed}, "
        f"{opts.examples} examples per target",
        flush=True,
    )
    random.seed(seed)
    hypothesis.settings.register_profile(
        "fuzz",
        max_examples=opts.examples,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
        print_blob=True,
    )
    hypothesis.settings.load_profile("fuzz")
    failed = []
    workdir = tempfile.TemporaryDirectory(prefix="ns-fuzz-")
    os.chdir(workdir.name)
    for name in opts.targets or list(TARGETS):
        fn, _ = TARGETS[name]
        if WINDOWS and name in NOT_ON_WINDOWS:
            print(f"target {name}: not run on Windows, {NOT_ON_WINDOWS[name]}", flush=True)
            continue
        start = EXAMPLES
        print(f"target {name} ...", flush=True)
        try:
            fn()
        except Exception:
            failed.append(name)
            traceback.print_exc()
        print(f"target {name}: {EXAMPLES - start} examples", flush=True)
    os.chdir(os.path.dirname(workdir.name))
    workdir.cleanup()
    print(f"fuzz: {EXAMPLES} examples")
    print("fuzz: ok" if not failed else f"fuzz: FAILED {' '.join(failed)}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

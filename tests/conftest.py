"""Fixtures for the API tests: loopback stream pairs on IPv4, IPv6 and Unix sockets, a tracker
that closes every handle a test made, a check that no test leaks a socket, and a way to run a
lookup in a child process that cannot reach the network (`unshare -n`).

On Windows a socket handle is a Winsock SOCKET, not a C runtime file descriptor: the tracker
identifies one by its protocol info instead of os.fstat, closes it with closesocket, and the
leak check (which reads Linux's /proc) does not run."""

from __future__ import annotations

import json
import os
import shutil
import socket
import stat
import struct
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import nativesockets as ns

WINDOWS = sys.platform == "win32"
if not WINDOWS:
    import fcntl


def _has_ipv6_loopback() -> bool:
    if not socket.has_ipv6:
        return False
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.bind(("::1", 0))
    except OSError:
        return False
    return True


HAS_IPV6 = _has_ipv6_loopback()
NO_IPV6 = "this host has no ::1"
needs_ipv6 = pytest.mark.skipif(not HAS_IPV6, reason=NO_IPV6)


def _can_unshare_net() -> bool:
    # Linux only: under wine, the host's unshare is on the PATH of a Windows process
    if sys.platform != "linux" or shutil.which("unshare") is None:
        return False
    try:
        r = subprocess.run(["unshare", "-n", "true"], capture_output=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return r.returncode == 0


CAN_UNSHARE = _can_unshare_net()
needs_unshare = pytest.mark.skipif(
    not CAN_UNSHARE,
    reason="needs `unshare -n` (util-linux, root) so that the lookup cannot leave this machine",
)


# A bound on waits that should end at once: a broken readiness check then fails the test
# instead of hanging the run. Never a time the test asserts.
WAIT_MS = 10_000


def set_nonblocking(fd: int) -> None:
    """setBlocking(fd, False), checked with fcntl so a broken one fails instead of hanging.
    Winsock has no call that reads the FIONBIO mode back: on Windows the check is
    setBlocking's own (it raises on failure), and bound_blocking_calls bounds a hang."""
    ns.setBlocking(fd, False)
    if not WINDOWS:
        assert fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_NONBLOCK, "setBlocking(False) did not stick"


def bound_blocking_calls(fd: int) -> None:
    """Give a socket receive and send timeouts of WAIT_MS, so a blocking recv, accept or send
    that a bug leaves waiting fails (-1, EAGAIN) instead of hanging the run."""
    if WINDOWS:  # Winsock takes a DWORD of milliseconds (POSIX a struct timeval)
        ns.setSockOptInt(fd, ns.SOL_SOCKET, socket.SO_RCVTIMEO, WAIT_MS)
        ns.setSockOptInt(fd, ns.SOL_SOCKET, socket.SO_SNDTIMEO, WAIT_MS)
        return
    timeval = struct.pack("@ll", WAIT_MS // 1000, 0)
    with socket.socket(fileno=fd) as s:
        try:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, timeval)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, timeval)
        finally:
            s.detach()


# --- handles -------------------------------------------------------------------------------


def _identity(fd: int) -> tuple[int, ...] | None:
    """What tells this open handle from another that later gets the same number, or None if
    the number is not open: (st_dev, st_ino) on POSIX; on Windows, where a socket is no C
    runtime file and has no inode, only its SO_TYPE (a stdlib socket object cannot be made
    over an unbound Winsock handle without naming its family)."""
    if not WINDOWS:
        try:
            st = os.fstat(fd)
        except OSError:
            return None
        return (st.st_dev, st.st_ino)
    try:
        return (ns.getSockOptInt(fd, ns.SOL_SOCKET, ns.SO_TYPE),)
    except OSError:  # WSAENOTSOCK
        return None


class Handles:
    """Every handle a test made. At teardown it closes those still open, and only those:
    a handle is identified by its number and _identity, so a number the test closed and
    the system reused for something else is left alone."""

    def __init__(self) -> None:
        self._open: dict[int, tuple[int, ...]] = {}

    def track(self, fd: int) -> int:
        assert type(fd) is int and fd >= 0, f"not a handle: {fd!r}"
        ident = _identity(fd)
        assert ident is not None, f"not an open handle: {fd}"
        self._open[fd] = ident
        if WINDOWS or stat.S_ISSOCK(os.fstat(fd).st_mode):  # Windows: only sockets get here
            bound_blocking_calls(fd)
        return fd

    def socket(
        self,
        domain: int = ns.AF_INET,
        sockType: int = ns.SOCK_STREAM,
        protocol: int | None = None,
        inheritable: bool = False,
    ) -> int:
        """A new handle from createNativeSocket; OSError if it fails."""
        fd = ns.createNativeSocket(domain, sockType, protocol, inheritable)
        if fd == ns.osInvalidSocket:
            ns.raiseOSError(ns.osLastError(), "createNativeSocket")
        return self.track(fd)

    def adopt(self, sock: socket.socket) -> int:
        """Take the handle out of a stdlib socket object."""
        return self.track(sock.detach())

    def close(self, fd: int) -> None:
        self._open.pop(fd, None)
        ns.close(fd)

    def close_all(self) -> None:
        for fd, ident in reversed(list(self._open.items())):
            if _identity(fd) == ident:
                if WINDOWS:
                    ns.close(fd)  # closesocket
                else:
                    os.close(fd)
        self._open.clear()


@pytest.fixture
def handles() -> Iterator[Handles]:
    tracker = Handles()
    try:
        yield tracker
    finally:
        tracker.close_all()


def _open_sockets() -> set[int] | None:
    """The process's open sockets, from Linux's /proc; None where there is no such list
    (not Linux: under wine, /proc is the host's and lists wine's own descriptors, not the
    Windows process's socket handles), and then the leak check does not run."""
    if sys.platform != "linux":
        return None
    try:
        names = os.listdir("/proc/self/fd")
    except OSError:
        return None
    found = set()
    for name in names:
        try:
            if os.readlink(f"/proc/self/fd/{name}").startswith("socket:"):
                found.add(int(name))
        except OSError:
            pass
    return found


@pytest.fixture(autouse=True)
def no_leaked_sockets() -> Iterator[None]:
    """Fail a test that leaves a socket open (the package must never leak a handle)."""
    before = _open_sockets()
    yield
    after = _open_sockets()
    if before is None or after is None:
        return
    leaked = sorted(after - before)
    for fd in leaked:
        os.close(fd)
    assert not leaked, f"sockets left open: {leaked}"


# Windows: a socket handle number Winsock will not hand out during a test. Handles are
# multiples of 4 allocated from the lowest free slot (the kernel ignores the low two bits),
# so this one would need some 16000 open handles.
WINDOWS_CLOSED_HANDLE = 0xFFFC


@pytest.fixture
def closed_handle() -> int:
    """A handle number that is not open now and that the system will not hand out during
    the test (it allocates the lowest free number, and this one is above 1000)."""
    if WINDOWS:
        assert _identity(WINDOWS_CLOSED_HANDLE) is None, "the closed handle is open"
        return WINDOWS_CLOSED_HANDLE
    for fd in range(1000, 2000):
        try:
            os.fstat(fd)
        except OSError:
            return fd
    raise AssertionError("no free handle number in 1000..1999")


# --- families ------------------------------------------------------------------------------


@pytest.fixture
def sock_dir(tmp_path: Path) -> Iterator[Path]:
    """A directory for Unix socket files: tmp_path, or a shorter one if tmp_path leaves no
    room in sun_path."""
    if len(os.fsencode(tmp_path)) + 16 < ns.Sockaddr_un_path_length:
        yield tmp_path
        return
    short = Path(tempfile.mkdtemp(prefix="ns-"))
    try:
        yield short
    finally:
        shutil.rmtree(short, ignore_errors=True)


@dataclass
class Family:
    """One address family and what a test needs to make sockets and addresses in it."""

    name: str
    domain: ns.Domain
    stdlib_family: int
    host: str  # the loopback address; "" for Unix
    directory: Path
    handles: Handles
    pairs: int = 0  # how many make_pair made

    def protocol(self, sockType: ns.SockType = ns.SOCK_STREAM) -> ns.Protocol:
        if self.domain == ns.AF_UNIX:
            return ns.IPPROTO_IP
        return ns.IPPROTO_TCP if sockType == ns.SOCK_STREAM else ns.IPPROTO_UDP

    def socket(self, sockType: ns.SockType = ns.SOCK_STREAM, inheritable: bool = False) -> int:
        return self.handles.socket(self.domain, sockType, self.protocol(sockType), inheritable)

    def addr(self, port: int = 0, name: str = "s") -> ns.SockAddr:
        """A loopback address: host:port, or the socket file `name` in the directory."""
        if self.domain == ns.AF_INET:
            return ns.Sockaddr_in(self.host, port)
        if self.domain == ns.AF_INET6:
            return ns.Sockaddr_in6(self.host, port)
        return ns.makeUnixAddr(self.directory / name)

    def text(self, name: str = "s") -> str:
        """What getAddrString/getLocalAddr give for addr(..., name)."""
        return str(self.directory / name) if self.domain == ns.AF_UNIX else self.host

    def stdlib_addr(self, port: int = 0, name: str = "s") -> Any:
        if self.domain == ns.AF_UNIX:
            return str(self.directory / name)
        return (self.host, port)

    def bound(
        self, sockType: ns.SockType = ns.SOCK_STREAM, name: str = "s"
    ) -> tuple[int, ns.SockAddr]:
        """A socket bound with the stdlib, and the address it got (port filled in)."""
        with socket.socket(self.stdlib_family, sockType) as s:
            s.bind(self.stdlib_addr(0, name))
            port = 0 if self.domain == ns.AF_UNIX else s.getsockname()[1]
            return self.handles.adopt(s), self.addr(port, name)


def _unix_unavailable() -> str | None:
    """Why Unix sockets cannot be tested here, or None. The fixtures make them with the
    stdlib, which has no AF_UNIX on Windows; and a system may lack the family itself (wine:
    WSAEAFNOSUPPORT; Windows 10 1803+ has it)."""
    if not hasattr(socket, "AF_UNIX"):
        return "no AF_UNIX in the stdlib's socket module on this platform (Unix sockets)"
    fd = ns.createNativeSocket(ns.AF_UNIX, ns.SOCK_STREAM, ns.IPPROTO_IP)
    if fd == ns.osInvalidSocket:
        code = ns.osLastError()
        return f"createNativeSocket(AF_UNIX) fails here (error {code}): no Unix sockets"
    ns.close(fd)
    return None


NO_UNIX = _unix_unavailable()
needs_unix = pytest.mark.skipif(NO_UNIX is not None, reason=NO_UNIX or "")

FAMILY_NAMES = ["ipv4", "ipv6", "unix"]
_FAMILY = {
    "ipv4": (ns.AF_INET, socket.AF_INET, "127.0.0.1"),
    "ipv6": (ns.AF_INET6, socket.AF_INET6, "::1"),
    "unix": (ns.AF_UNIX, getattr(socket, "AF_UNIX", -1), ""),
}


def make_family(name: str, directory: Path, handles: Handles) -> Family:
    if name == "ipv6" and not HAS_IPV6:
        pytest.skip(NO_IPV6)
    if name == "unix" and NO_UNIX is not None:
        pytest.skip(NO_UNIX)
    domain, stdlib_family, host = _FAMILY[name]
    return Family(name, domain, stdlib_family, host, directory, handles)


@pytest.fixture(params=FAMILY_NAMES)
def family(request: pytest.FixtureRequest, sock_dir: Path, handles: Handles) -> Family:
    """Each of IPv4 (127.0.0.1), IPv6 (::1) and Unix (a file in tmp_path)."""
    return make_family(request.param, sock_dir, handles)


@pytest.fixture(params=["ipv4", "ipv6"])
def ip_family(request: pytest.FixtureRequest, sock_dir: Path, handles: Handles) -> Family:
    """IPv4 and IPv6 only."""
    return make_family(request.param, sock_dir, handles)


@dataclass
class Pair:
    """A connected stream pair made with the stdlib, as plain handles."""

    family: Family
    listener: int
    client: int
    server: int
    address: ns.SockAddr  # the listener's address


def make_pair(fam: Family) -> Pair:
    """A new connected pair; the first listener in a family is named "listener" (its socket
    file, for Unix), the next ones "listener2", "listener3"..."""
    fam.pairs += 1
    name = "listener" if fam.pairs == 1 else f"listener{fam.pairs}"
    with (
        socket.socket(fam.stdlib_family, socket.SOCK_STREAM) as lst,
        socket.socket(fam.stdlib_family, socket.SOCK_STREAM) as cli,
    ):
        lst.bind(fam.stdlib_addr(0, name))
        lst.listen()
        where = lst.getsockname()
        cli.connect(where)
        srv, _ = lst.accept()
        with srv:
            port = 0 if fam.domain == ns.AF_UNIX else where[1]
            h = fam.handles
            return Pair(fam, h.adopt(lst), h.adopt(cli), h.adopt(srv), fam.addr(port, name))


@pytest.fixture
def pair(family: Family) -> Pair:
    """A connected TCP pair over IPv4 and IPv6 loopback, and a Unix stream pair."""
    return make_pair(family)


@pytest.fixture
def tcp_pair(ip_family: Family) -> Pair:
    return make_pair(ip_family)


# --- lookups that must not leave the machine ----------------------------------------------

_CHILD_PRELUDE = """
import dataclasses, json, socket, sys
import nativesockets as ns

def outcome(f, *args):
    try:
        r = f(*args)
    except Exception as e:
        return {
            "raised": type(e).__name__,
            "gaierror": isinstance(e, socket.gaierror),
            "herror": isinstance(e, socket.herror),
            "oserror": isinstance(e, OSError),
            "errno": getattr(e, "errno", None),
            "strerror": getattr(e, "strerror", None),
            "text": str(e),
        }
    if dataclasses.is_dataclass(r):
        return {"returned": dataclasses.asdict(r)}
    return {"returned": repr(r)}

def report(value):
    print(json.dumps(value))
"""


def run_offline(code: str) -> Any:
    """Run `code` in a child Python inside a new network namespace (`unshare -n`: only a
    loopback that is down, so no lookup can reach another machine) and return the JSON
    it passed to report()."""
    package_parent = str(Path(ns.__file__).resolve().parent.parent)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_parent, env.get("PYTHONPATH")]))
    r = subprocess.run(
        ["unshare", "-n", sys.executable, "-c", _CHILD_PRELUDE + code],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=tempfile.gettempdir(),
    )
    assert r.returncode == 0, r.stdout + r.stderr
    return json.loads(r.stdout.strip().splitlines()[-1])

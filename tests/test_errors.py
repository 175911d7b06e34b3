"""Error messages name the proc and its arguments, and errors keep their errno.

A proc that raises (Nim's contract) raises an OSError whose text is "proc(args): system text"
and whose errno is the system's code (so the OSError subclass matches it); a proc that returns
a code leaves the system's code in osLastError(), and raiseOSError(code, "proc(args)") builds
the same kind of error from it. One representative or more from each module; lookups of names
that are not in /etc/hosts run only in a child process under `unshare -n`.

On Windows the codes are Winsock's (WSAGetLastError), the text is FormatMessage's and the
OSError has ``winerror``: the table below gives each expected code for both.
"""

from __future__ import annotations

import errno
import os
import socket
import sys
from typing import Any, Callable

import pytest
from conftest import Handles, needs_unix, needs_unshare, run_offline

import nativesockets as ns

WINDOWS = sys.platform == "win32"

# The code each failure gives: POSIX errno | Windows (what WSAGetLastError gives there)
CLOSED = 10038 if WINDOWS else errno.EBADF  # WSAENOTSOCK: a handle that is no socket
CLOSED_HANDLE = 6 if WINDOWS else errno.EBADF  # ERROR_INVALID_HANDLE: SetHandleInformation
REFUSED = 10061 if WINDOWS else errno.ECONNREFUSED  # WSAECONNREFUSED
WOULD_BLOCK = 10035 if WINDOWS else errno.EAGAIN  # WSAEWOULDBLOCK
RESET = 10054 if WINDOWS else errno.ECONNRESET  # WSAECONNRESET
TIMED_OUT = 10060 if WINDOWS else errno.ETIMEDOUT  # WSAETIMEDOUT
BROKEN_PIPE = 10058 if WINDOWS else errno.EPIPE  # WSAESHUTDOWN: send after shutdown
NOT_CONNECTED = 10057 if WINDOWS else errno.ENOTCONN  # WSAENOTCONN
NO_FAMILY = 10047 if WINDOWS else errno.EAFNOSUPPORT  # WSAEAFNOSUPPORT


def system_text(code: int) -> str:
    """The system's text for code: strerror; on Windows FormatMessage's, trimmed as the stdlib
    trims it (no trailing dot), or "Windows Error 0x..." when the system has none (wine)."""
    if sys.platform == "win32":
        import ctypes

        text = ctypes.FormatError(code).rstrip(" \t\r\n.")
        return f"Windows Error 0x{code:X}" if text == "<no description>" else text
    return os.strerror(code)


def raised(call: Callable[[], object]) -> OSError:
    with pytest.raises(OSError) as info:
        call()
    return info.value


def check(e: OSError, code: int, where: str) -> None:
    """e is the OSError for `code`, its text "where: <system text of code>"."""
    text = system_text(code)
    assert e.strerror == f"{where}: {text}"
    if WINDOWS:  # errno is the code's errno equivalent: the same number for these WSA codes
        assert (e.winerror, e.errno) == (code, code)  # type: ignore[attr-defined]
        assert str(e) == f"[WinError {code}] {where}: {text}"
    else:
        assert e.errno == code
        assert str(e) == f"[Errno {code}] {where}: {text}"


# --- errors.py -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "subclass"),
    [
        (REFUSED, ConnectionRefusedError),
        (CLOSED, OSError),
        (WOULD_BLOCK, BlockingIOError),
        (RESET, ConnectionResetError),
        (TIMED_OUT, TimeoutError),
    ],
)
def test_raiseOSError_puts_info_first_and_keeps_errno(code: int, subclass: type) -> None:
    e = raised(lambda: ns.raiseOSError(code, "connect(7, 127.0.0.1:9)"))
    assert type(e) is subclass
    check(e, code, "connect(7, 127.0.0.1:9)")


def test_raiseOSError_without_info_gives_the_system_text() -> None:
    e = raised(lambda: ns.raiseOSError(BROKEN_PIPE))
    assert type(e) is BrokenPipeError
    assert (e.errno, e.strerror) == (BROKEN_PIPE, system_text(BROKEN_PIPE))


# --- sockets.py: procs that raise ---------------------------------------------------------

RAISING = [
    ("close({h})", lambda h: ns.close(h)),
    (
        "getSockOptInt({h}, {SOL_SOCKET}, {SO_TYPE})",
        lambda h: ns.getSockOptInt(h, ns.SOL_SOCKET, ns.SO_TYPE),
    ),
    (
        "setSockOptInt({h}, {SOL_SOCKET}, {SO_REUSEADDR}, 1)",
        lambda h: ns.setSockOptInt(h, ns.SOL_SOCKET, ns.SO_REUSEADDR, 1),
    ),
    ("setBlocking({h}, False)", lambda h: ns.setBlocking(h, False)),
    ("getSockDomain({h})", lambda h: ns.getSockDomain(h)),
    ("getSockName({h})", lambda h: ns.getSockName(h)),
    ("getLocalAddr({h}, AF_INET)", lambda h: ns.getLocalAddr(h, ns.AF_INET)),
    ("getPeerAddr({h}, AF_INET6)", lambda h: ns.getPeerAddr(h, ns.AF_INET6)),
]


@pytest.mark.parametrize(("where", "call"), RAISING, ids=[w.split("(")[0] for w, _ in RAISING])
def test_proc_on_a_closed_handle_names_itself_and_keeps_the_code(
    closed_handle: int, where: str, call: Callable[[int], object]
) -> None:
    e = raised(lambda: call(closed_handle))
    text = where.format(
        h=closed_handle,
        SOL_SOCKET=ns.SOL_SOCKET,
        SO_TYPE=ns.SO_TYPE,
        SO_REUSEADDR=ns.SO_REUSEADDR,
    )
    check(e, CLOSED, text)


def test_close_of_a_handle_already_closed(handles: Handles) -> None:
    h = handles.socket()
    handles.close(h)
    check(raised(lambda: ns.close(h)), CLOSED, f"close({h})")


def test_getPeerAddr_of_an_unconnected_socket_is_ENOTCONN(handles: Handles) -> None:
    h = handles.socket()
    e = raised(lambda: ns.getPeerAddr(h, ns.AF_INET))
    check(e, NOT_CONNECTED, f"getPeerAddr({h}, AF_INET)")


@needs_unix
def test_getSockName_of_a_unix_socket_is_EAFNOSUPPORT(handles: Handles) -> None:
    h = handles.socket(ns.AF_UNIX, ns.SOCK_STREAM, ns.IPPROTO_IP)
    check(raised(lambda: ns.getSockName(h)), NO_FAMILY, f"getSockName({h})")


# --- sockets.py: procs that return a code ------------------------------------------------


def refused_address() -> ns.Sockaddr_in:
    """127.0.0.1 and a port nobody listens on: bound then closed, so nothing reuses it now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return ns.Sockaddr_in("127.0.0.1", port)


def test_connect_refused_keeps_ECONNREFUSED_for_raiseOSError(handles: Handles) -> None:
    h = handles.socket()
    to = refused_address()
    assert ns.connect(h, to) == -1
    code = ns.osLastError()
    assert code == REFUSED
    where = f"connect({h}, {ns.getAddrString(to)}:{ns.ntohs(to.sin_port)})"
    e = raised(lambda: ns.raiseOSError(code, where))
    assert type(e) is ConnectionRefusedError
    check(e, REFUSED, where)


POSIX_ONLY = pytest.mark.skipif(WINDOWS, reason="POSIX only: fcntl")
CODES: list[Any] = [
    ("bindAddr", lambda h: ns.bindAddr(h, ns.Sockaddr_in("127.0.0.1", 0)), -1, CLOSED),
    ("listen", lambda h: ns.listen(h), -1, CLOSED),
    ("connect", lambda h: ns.connect(h, ns.Sockaddr_in("127.0.0.1", 9)), -1, CLOSED),
    ("accept", lambda h: ns.accept(h), (ns.osInvalidSocket, ""), CLOSED),
    ("send", lambda h: ns.send(h, b"x"), -1, CLOSED),
    ("recv", lambda h: ns.recv(h, bytearray(1)), -1, CLOSED),
    ("sendto", lambda h: ns.sendto(h, b"x", None, 0, ns.Sockaddr_in("127.0.0.1", 9)), -1, CLOSED),
    ("recvfrom", lambda h: ns.recvfrom(h, bytearray(1)), -1, CLOSED),
    pytest.param(
        "fcntl", lambda h: ns.fcntl(h, ns.F_GETFL), -1, CLOSED, marks=POSIX_ONLY, id="fcntl"
    ),
    ("setInheritable", lambda h: ns.setInheritable(h, True), False, CLOSED_HANDLE),
    ("selectRead", lambda h: ns.selectRead([h], 0), -1, CLOSED),
]


@pytest.mark.parametrize(
    ("proc", "call", "failure", "code"),
    CODES,
    ids=[c[0] if isinstance(c, tuple) else None for c in CODES],
)
def test_proc_returning_a_code_leaves_the_code_in_osLastError(
    closed_handle: int, proc: str, call: Callable[[int], Any], failure: Any, code: int
) -> None:
    assert call(closed_handle) == failure
    assert ns.osLastError() == code


# --- addresses.py -----------------------------------------------------------------------------


def test_getAddrString_of_an_unknown_family_names_it() -> None:
    unspec = ns.Sockaddr_storage(bytes(16))  # sa_family 0: AF_UNSPEC
    e = raised(lambda: ns.getAddrString(unspec))
    assert e.errno == NO_FAMILY
    assert e.strerror is not None
    assert e.strerror.startswith("getAddrString(")
    assert "0" in e.strerror.split(":")[0]  # the family that failed
    assert e.strerror.endswith(system_text(NO_FAMILY))


@needs_unshare
def test_getAddrInfo_failure_names_the_host_and_port_and_keeps_the_EAI_code() -> None:
    got = run_offline(
        """
try:
    socket.getaddrinfo("no.such.host", 80, socket.AF_INET, socket.SOCK_STREAM)
    stdlib = None
except socket.gaierror as e:
    stdlib = [e.errno, e.strerror]
report({"ns": outcome(ns.getAddrInfo, "no.such.host", 80), "stdlib": stdlib})
"""
    )
    code, text = got["stdlib"]
    assert got["ns"]["gaierror"] and got["ns"]["oserror"]
    assert got["ns"]["errno"] == code
    assert got["ns"]["strerror"] == f"getAddrInfo('no.such.host', 80): {text}"
    assert got["ns"]["text"] == f"[Errno {code}] getAddrInfo('no.such.host', 80): {text}"


# --- netdb.py ---------------------------------------------------------------------------------

NETDB = [
    ("getServByName('no-such-service', 'tcp')", lambda: ns.getServByName("no-such-service", "tcp")),
    ("getServByName('http', 'no-such-proto')", lambda: ns.getServByName("http", "no-such-proto")),
    ("getServByPort(1, 'no-such-proto')", lambda: ns.getServByPort(1, "no-such-proto")),
    ("getProtoByName('no-such-protocol')", lambda: ns.getProtoByName("no-such-protocol")),
]


@pytest.mark.parametrize(("where", "call"), NETDB, ids=[w for w, _ in NETDB])
def test_database_miss_names_the_proc_and_arguments_with_no_errno(
    where: str, call: Callable[[], object]
) -> None:
    e = raised(call)
    assert type(e) is OSError
    assert e.errno is None  # the database calls set no errno (Nim reports a stale one)
    assert str(e).startswith(f"{where}: ")
    assert str(e) != f"{where}: "


@needs_unshare
@pytest.mark.parametrize(
    ("call", "where"),
    [
        ("ns.getHostByName, 'no.such.host'", "getHostByName('no.such.host')"),
        ("ns.getHostByAddr, '192.0.2.1'", "getHostByAddr('192.0.2.1')"),
    ],
)
def test_host_lookup_failure_is_herror_naming_the_argument(call: str, where: str) -> None:
    got = run_offline(f"report(outcome({call}))")
    assert got["herror"] and got["oserror"]
    assert got["errno"] in (1, 2, 3, 4)  # HOST_NOT_FOUND, TRY_AGAIN, NO_RECOVERY, NO_DATA
    assert got["strerror"].startswith(f"{where}: ")
    assert len(got["strerror"]) > len(where) + 2


def test_getHostByAddr_of_text_that_is_no_address_names_proc_and_argument() -> None:
    with pytest.raises(ValueError, match=r"getHostByAddr.*'not an address'"):
        ns.getHostByAddr("not an address")


# --- arguments: the message names the argument that is wrong -------------------------------


@pytest.mark.parametrize(
    ("call", "exc", "names"),
    [
        (lambda: ns.listen(0, "many"), TypeError, "backlog"),
        (lambda: ns.Port(70000), ValueError, "port"),
        (lambda: ns.makeUnixAddr("a\0b"), ValueError, "NUL"),
        (lambda: ns.getAddrInfo("localhost", 80, 12345), ValueError, "getAddrInfo"),  # type: ignore[arg-type]
        (lambda: ns.createNativeSocket(2**40), ValueError, "createNativeSocket"),
    ],
)
def test_argument_errors_name_what_is_wrong(
    call: Callable[[], object], exc: type[Exception], names: str
) -> None:
    with pytest.raises(exc) as info:
        call()
    assert names in str(info.value)

"""Each public proc's docstring names its system calls on POSIX and on Windows, its errors
and its differences from Nim (the rows of the README's "Differences from Nim" it cites).

The table below is the reference: it was checked against csrc/posix.c, csrc/winsock.c and
the Python code. A docstring's calls are read from its paragraph "POSIX: ... Windows: ...".
"""

from __future__ import annotations

import inspect
import re
from pathlib import Path
from typing import Any, Optional

import pytest

import nativesockets
from nativesockets import sockets

README = Path(__file__).resolve().parent.parent / "README.md"

Calls = Optional[tuple[str, ...]]
ARG = ("TypeError", "ValueError")

# name: (POSIX calls, Windows calls, exceptions it raises, README "Differences" rows).
# Calls: None when the proc makes no system call (the docstring says "no system call");
# () on the platform that lacks the proc (the docstring says "not there").
TABLE: dict[str, tuple[Calls, Calls, tuple[str, ...], tuple[int, ...]]] = {
    # sockets.py
    "createNativeSocket": (
        ("socket(2)", "SOCK_CLOEXEC", "fcntl(2)"),
        ("WSASocketW", "WSA_FLAG_NO_HANDLE_INHERIT", "SetHandleInformation"),
        ARG,
        (24, 26),
    ),
    "close": (("close(2)",), ("closesocket",), ("OSError", *ARG), (3,)),
    "setInheritable": (("fcntl(2)", "FD_CLOEXEC"), ("SetHandleInformation",), ARG, ()),
    "bindAddr": (("bind(2)",), ("bind",), ARG, ()),
    "listen": (("listen(2)",), ("listen",), ARG, ()),
    "shutdown": (("shutdown(2)",), ("shutdown", "SD_SEND"), ARG, ()),
    "connect": (("connect(2)", "poll(2)", "getsockopt(2)"), ("connect",), ARG, (13,)),
    "send": (("send(2)",), ("send",), ARG, (13, 19)),
    "recv": (("recv(2)",), ("recv",), ARG, (13, 19)),
    "sendto": (("sendto(2)",), ("sendto",), ARG, (13, 19)),
    "recvfrom": (("recvfrom(2)",), ("recvfrom",), ARG, (13, 19)),
    "accept": (
        ("accept4(2)", "accept(2)", "fcntl(2)"),
        ("accept", "SetHandleInformation"),
        ARG,
        (2, 13, 24),
    ),
    "getSockDomain": (
        ("getsockname(2)",),
        ("getsockopt", "SO_PROTOCOL_INFOW"),
        ("OSError", *ARG),
        (),
    ),
    "getSockName": (
        ("getsockname(2)",),
        ("getsockname", "SO_PROTOCOL_INFOW"),
        ("OSError", "EAFNOSUPPORT", *ARG),
        (10,),
    ),
    "getLocalAddr": (
        ("getsockname(2)", "inet_ntop(3)"),
        ("getsockname", "inet_ntop"),
        ("OSError", *ARG),
        (9,),
    ),
    "getPeerAddr": (
        ("getpeername(2)", "inet_ntop(3)"),
        ("getpeername", "inet_ntop"),
        ("OSError", *ARG),
        (9,),
    ),
    "getSockOptInt": (("getsockopt(2)",), ("getsockopt",), ("OSError", *ARG), ()),
    "setSockOptInt": (("setsockopt(2)",), ("setsockopt",), ("OSError", *ARG), ()),
    "setBlocking": (("ioctl(2)", "FIONBIO"), ("ioctlsocket", "FIONBIO"), ("OSError", *ARG), (15,)),
    "selectRead": (("poll(2)",), ("select", "fd_set"), ARG, (1, 13)),
    "selectWrite": (("poll(2)",), ("select", "fd_set"), ARG, (1, 13)),
    "fcntl": (("fcntl(2)",), (), ARG, (25,)),
    "ioctlsocket": ((), ("ioctlsocket",), ARG, ()),
    # batch.py
    "sendMany": (("sendmmsg(2)", "sendto(2)"), ("sendto",), ARG, ()),
    "recvMany": (("recvmmsg(2)", "recvfrom(2)"), ("recvfrom", "select"), ARG, ()),
    # netdb.py
    "getServByName": (("getservbyname(3)",), ("getservbyname",), ("OSError", *ARG), (4, 11, 12)),
    "getServByPort": (("getservbyport(3)",), ("getservbyport",), ("OSError", *ARG), (4, 11, 12)),
    "getProtoByName": (("getprotobyname(3)",), ("getprotobyname",), ("OSError", *ARG), (11, 12)),
    "getHostByName": (
        ("gethostbyname(3)", "inet_ntop(3)"),
        ("gethostbyname", "inet_ntop"),
        ("socket.herror", *ARG),
        (6, 12),
    ),
    "getHostByAddr": (
        ("inet_pton(3)", "gethostbyaddr(3)", "inet_ntop(3)"),
        ("inet_pton", "gethostbyaddr", "inet_ntop"),
        ("socket.herror", *ARG),
        (5, 6, 12),
    ),
    "getHostname": (("gethostname(2)",), ("gethostname",), ("OSError",), ()),
    # addresses.py
    "getAddrInfo": (
        ("getaddrinfo(3)",),
        ("getaddrinfo",),
        ("socket.gaierror", "OSError", *ARG),
        (7, 21, 26),
    ),
    "freeAddrInfo": (("freeaddrinfo(3)",), ("freeaddrinfo",), ("TypeError",), ()),
    "freeaddrinfo": (("freeaddrinfo(3)",), ("freeaddrinfo",), ("TypeError",), ()),
    "getAddrString": (("inet_ntop(3)",), ("inet_ntop",), ("OSError", *ARG), (8,)),
    "inet_ntoa": (("inet_ntop(3)",), ("inet_ntop",), ARG, ()),
    "makeUnixAddr": (None, None, ARG, (17, 20, 23, 27)),
    "SockAddr": (None, None, ARG, ()),
    "Sockaddr_storage": (None, None, (), ()),
    "Sockaddr_in": (("inet_pton(3)",), ("inet_pton",), ARG, (23,)),
    "Sockaddr_in6": (("inet_pton(3)",), ("inet_pton",), ARG, (23,)),
    "Sockaddr_un": (None, None, ARG, (17, 20, 23, 27)),
    "AddrInfo": (("freeaddrinfo(3)",), ("freeaddrinfo",), ("ValueError",), ()),
    # errors.py
    "osLastError": (("errno",), ("WSAGetLastError",), (), ()),
    "raiseOSError": (("strerror",), ("FormatMessage",), ("OSError", "TypeError"), ()),
    # types.py
    "toInt": (None, None, ("TypeError",), (18,)),
    "toKnownDomain": (None, None, ARG, ()),
    "toSockType": (None, None, ("TypeError",), ()),
    "Port": (None, None, ARG, (14,)),
}
# Names without a row in the table above, and why.
UNLISTED = {
    # cffi's own functions: their docstring is the C signature; the package's covers them
    "ntohl": "C function",
    "ntohs": "C function",
    "htonl": "C function",
    "htons": "C function",
    # plain types and enums: no call, no error of their own
    "Domain": "enum",
    "SockType": "enum",
    "Protocol": "enum",
    "Servent": "record",
    "Hostent": "record",
    "SocketHandle": "alias of int",
    "SockLen": "alias of int",
}
# README rows that name a public proc they do not concern (in Nim's column).
NAMED_ONLY = {(2, "inet_ntoa"), (15, "fcntl")}
# README rows no docstring cites: constants, which have no docstring of their own.
UNCITED_ROWS = {16, 22}

ROWS_CITED = re.compile(r"Differences\s+from\s+Nim,\s+rows?\s+([\d,\sand]+)")


def public(name: str) -> Any:
    """The public object ``name``; fcntl and ioctlsocket from the module that has both."""
    if name in ("fcntl", "ioctlsocket"):
        return getattr(sockets, name)
    return getattr(nativesockets, name)


def doc(name: str) -> str:
    return inspect.cleandoc(public(name).__doc__ or "")


def calls(text: str) -> tuple[str, str]:
    """The POSIX and the Windows part of the docstring's "POSIX: ... Windows: ..." text."""
    for para in text.split("\n\n"):
        if "POSIX:" in para and "Windows:" in para:
            posix, _, windows = para.partition("POSIX:")[2].partition("Windows:")
            return " ".join(posix.split()), " ".join(windows.split())
    raise AssertionError(f'no "POSIX: ... Windows: ..." paragraph in:\n{text}')


def cited(text: str) -> set[int]:
    return {int(n) for m in ROWS_CITED.finditer(text) for n in re.findall(r"\d+", m.group(1))}


def readme_rows() -> dict[int, str]:
    """Row number: text of the README's "Differences from Nim" table."""
    section = README.read_text().split("## Differences from Nim", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        m = re.match(r"\|\s*(\d+)\s*\|(.*)", line)
        if m:
            rows[int(m.group(1))] = m.group(2)
    return rows


def test_table_covers_every_callable() -> None:
    names = {n for n in nativesockets.__all__ if callable(getattr(nativesockets, n))}
    assert names - TABLE.keys() - UNLISTED.keys() == set()
    # both platform-only procs are in the table, whichever platform runs this
    assert {"fcntl", "ioctlsocket"} <= TABLE.keys()


@pytest.mark.parametrize("name", sorted(TABLE))
def test_system_calls(name: str) -> None:
    posix_calls, windows_calls, _, _ = TABLE[name]
    text = doc(name)
    if posix_calls is None:
        assert windows_calls is None
        assert "no system call" in " ".join(text.lower().split()), text
        return
    posix, windows = calls(text)
    for part, expected in ((posix, posix_calls), (windows, windows_calls)):
        assert expected is not None
        if not expected:
            assert "not there" in part, (name, part)
        for call in expected:
            assert f"``{call}" in part, (name, call, part)


@pytest.mark.parametrize("name", sorted(TABLE))
def test_errors(name: str) -> None:
    text = doc(name)
    for error in TABLE[name][2]:
        assert re.search(rf"(?<![\w.]){re.escape(error)}\b", text), (name, error)


@pytest.mark.parametrize("name", sorted(TABLE))
def test_differences_from_nim(name: str) -> None:
    text = doc(name)
    rows = set(TABLE[name][3])
    assert cited(text) == rows, (name, text)
    if rows:
        assert "Differs from Nim" in text
    assert set(rows) <= readme_rows().keys()


def test_readme_rows_are_cited() -> None:
    """Every README row naming a public proc is cited by that proc's docstring, and every
    row but those about constants is cited somewhere."""
    rows = readme_rows()
    assert sorted(rows) == list(range(1, len(rows) + 1))
    everywhere: set[int] = set(cited(inspect.cleandoc(nativesockets.__doc__ or "")))
    for name in TABLE:
        everywhere |= cited(doc(name))
    assert everywhere == rows.keys() - UNCITED_ROWS
    for number, text in rows.items():
        for name in set(re.findall(r"`(\w+)`", text)) & TABLE.keys():
            if (number, name) not in NAMED_ONLY:
                assert number in TABLE[name][3], (number, name)


def test_c_functions_are_described_in_the_package() -> None:
    text = inspect.cleandoc(nativesockets.__doc__ or "")
    for name in ("ntohl", "ntohs", "htonl", "htons"):
        assert f"``{name}``" in text
        assert (getattr(nativesockets, name).__doc__ or "").strip()  # the C signature
    assert "OverflowError" in text and 14 in cited(text)


def public_members() -> list[tuple[str, Any]]:
    """Every function and class of __all__, and the public methods and properties of its
    classes, with their names."""
    out: list[tuple[str, Any]] = []
    for name in nativesockets.__all__:
        obj = getattr(nativesockets, name)
        if not (inspect.isroutine(obj) or inspect.isclass(obj)):
            continue
        out.append((name, obj))
        if inspect.isclass(obj) and obj.__module__.startswith("nativesockets"):
            for attr, member in vars(obj).items():
                if not attr.startswith("_") and (
                    isinstance(member, property) or inspect.isfunction(member)
                ):
                    out.append((f"{name}.{attr}", member))
    return out


@pytest.mark.parametrize(
    "name,obj", public_members(), ids=lambda v: v if isinstance(v, str) else ""
)
def test_every_public_callable_has_a_docstring(name: str, obj: Any) -> None:
    assert (getattr(obj, "__doc__", None) or "").strip(), name
    if inspect.isclass(obj) and obj.__module__.startswith("nativesockets"):
        assert "__doc__" in vars(obj) and obj.__doc__, f"{name} has no docstring of its own"

"""The service, protocol and host databases (getServByName, getServByPort, getProtoByName,
getHostByName, getHostByAddr) and getHostname.

Lookups in-process use only /etc/services, /etc/protocols and the names /etc/hosts holds
(localhost, 127.0.0.1). Anything the files may not answer runs in a child process under
`unshare -n`, so no query can leave this machine."""

from __future__ import annotations

import socket

import pytest
from conftest import needs_unshare, run_offline

import nativesockets as ns

# --- getServByName, getServByPort ------------------------------------------------------------


def test_getServByName_http_is_port_80_in_host_order() -> None:
    s = ns.getServByName("http", "tcp")
    assert isinstance(s, ns.Servent)
    assert s.name == "http"
    assert s.port == ns.Port(80)  # Nim returns it in network order (20480 on x86)
    assert type(s.port) is ns.Port
    assert s.proto == "tcp"
    assert isinstance(s.aliases, list) and all(type(a) is str for a in s.aliases)


def test_getServByPort_80_is_http() -> None:
    s = ns.getServByPort(ns.Port(80), "tcp")
    assert s.name == "http"
    assert s.port == 80 and s.proto == "tcp"


SERVICES = [("http", "tcp"), ("ssh", "tcp"), ("domain", "udp"), ("domain", "tcp"),
            ("https", "tcp"), ("ntp", "udp"), ("smtp", "tcp"), ("ftp", "tcp")]  # fmt: skip


@pytest.mark.parametrize(("name", "proto"), SERVICES)
def test_service_database_agrees_with_the_stdlib(name: str, proto: str) -> None:
    try:
        port = socket.getservbyname(name, proto)
    except OSError:
        with pytest.raises(OSError):
            ns.getServByName(name, proto)
        return
    s = ns.getServByName(name, proto)
    assert (s.name, s.port, s.proto) == (name, port, proto)
    assert ns.getServByName(name.encode(), proto.encode()) == s
    back = ns.getServByPort(port, proto)
    assert back.port == port and back.proto == proto
    assert back.name == socket.getservbyport(port, proto)


def test_getServByName_finds_an_alias() -> None:
    s = ns.getServByName("http", "tcp")
    for alias in s.aliases:
        assert ns.getServByName(alias, "tcp").name == "http"


@pytest.mark.parametrize(
    ("call", "args"),
    [
        (ns.getServByName, ("no-such-service", "tcp")),
        (ns.getServByName, ("http", "no-such-proto")),
        (ns.getServByName, ("", "")),
        (ns.getServByPort, (ns.Port(1), "no-such-proto")),
        (ns.getServByPort, (ns.Port(65000), "tcp")),
    ],
)
def test_service_not_found_raises_OSError_without_errno(call: object, args: tuple) -> None:
    with pytest.raises(OSError) as info:
        call(*args)  # type: ignore[operator]
    assert type(info.value) is OSError
    assert info.value.errno is None  # Nim: a stale errno
    assert "not found" in str(info.value)


@pytest.mark.parametrize(
    ("call", "args", "error"),
    [
        (ns.getServByName, (None, "tcp"), TypeError),
        (ns.getServByName, ("http", 6), TypeError),
        (ns.getServByName, ("http\0", "tcp"), ValueError),
        (ns.getServByName, ("http", "tcp\0"), ValueError),
        (ns.getServByPort, ("80", "tcp"), TypeError),
        (ns.getServByPort, (80.0, "tcp"), TypeError),
        (ns.getServByPort, (70000, "tcp"), ValueError),
        (ns.getServByPort, (-1, "tcp"), ValueError),
        (ns.getServByPort, (80, None), TypeError),
        (ns.getServByPort, (80, "t\0cp"), ValueError),
    ],
)
def test_service_lookups_reject(call: object, args: tuple, error: type) -> None:
    with pytest.raises(error):
        call(*args)  # type: ignore[operator]


# --- getProtoByName --------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["ip", "icmp", "tcp", "udp", "ipv6", "ipv6-icmp", "TCP"])
def test_getProtoByName_agrees_with_the_stdlib(name: str) -> None:
    # "TCP" is an alias in /etc/protocols, which glibc, macOS and the BSDs read; musl's
    # built-in table compares names case-sensitively and has no aliases: both fail there
    try:
        expected = socket.getprotobyname(name)
    except OSError:
        with pytest.raises(OSError):
            ns.getProtoByName(name)
        assert name == "TCP", f"{name} is in every system's protocol table"
        return
    number = ns.getProtoByName(name)
    assert type(number) is int
    assert number == expected


def test_getProtoByName_matches_the_Protocol_enum() -> None:
    assert ns.getProtoByName("tcp") == ns.IPPROTO_TCP
    assert ns.getProtoByName("udp") == ns.IPPROTO_UDP
    assert ns.getProtoByName("icmp") == ns.IPPROTO_ICMP


def test_getProtoByName_unknown_raises_OSError_without_errno() -> None:
    with pytest.raises(OSError) as info:
        ns.getProtoByName("no-such-proto")
    assert type(info.value) is OSError and info.value.errno is None
    assert "not found" in str(info.value)


@pytest.mark.parametrize(
    ("name", "error"), [(6, TypeError), (None, TypeError), ("tcp\0", ValueError)]
)
def test_getProtoByName_rejects(name: object, error: type) -> None:
    with pytest.raises(error):
        ns.getProtoByName(name)  # type: ignore[arg-type]


# --- getHostByName, getHostByAddr ------------------------------------------------------------


def test_getHostByName_localhost() -> None:
    h = ns.getHostByName("localhost")
    assert isinstance(h, ns.Hostent)
    assert h.name == "localhost"
    assert h.addrtype is ns.AF_INET
    assert h.length == 4
    assert "127.0.0.1" in h.addrList
    assert all(type(a) is str for a in h.addrList)
    assert h.addrList == socket.gethostbyname_ex("localhost")[2]


def test_getHostByName_numeric_address() -> None:
    h = ns.getHostByName("127.0.0.1")
    assert h.addrList == ["127.0.0.1"]
    assert h.addrtype is ns.AF_INET


def test_getHostByAddr_loopback() -> None:
    h = ns.getHostByAddr("127.0.0.1")
    name, aliases, addresses = socket.gethostbyaddr("127.0.0.1")
    assert h.name == name
    assert h.addrList == addresses == ["127.0.0.1"]
    assert h.addrtype is ns.AF_INET and h.length == 4


@needs_unshare
def test_getHostByAddr_takes_ipv6() -> None:
    # /etc/hosts may lack ::1: the lookup then falls through to DNS, so it runs offline
    r = run_offline(
        """
def stdlib():
    try:
        return {"returned": list(socket.gethostbyaddr("::1"))}
    except socket.herror as e:
        return {"errno": e.errno, "strerror": e.strerror}
report({"ours": outcome(ns.getHostByAddr, "::1"), "stdlib": stdlib()})
"""
    )
    ours, stdlib = r["ours"], r["stdlib"]
    if "returned" in ours:
        h = ours["returned"]
        assert h["addrtype"] == socket.AF_INET6 and h["length"] == 16
        assert h["addrList"] == ["::1"]  # text, not Nim's raw bytes
        assert h["name"] == stdlib["returned"][0]
    else:
        assert ours["raised"] == "herror" and ours["oserror"], ours
        assert ours["errno"] in (1, 2, 3, 4), ours  # an h_errno
        assert ours["strerror"].startswith("getHostByAddr('::1'): "), ours
        if stdlib.get("errno") is not None:  # CPython's herror carries h_errno and hstrerror
            assert ours["errno"] == stdlib["errno"]
            assert ours["strerror"] == f"getHostByAddr('::1'): {stdlib['strerror']}"


@needs_unshare
def test_host_lookup_failure_raises_herror_offline() -> None:
    r = run_offline(
        'report([outcome(ns.getHostByName, "no-such-host.invalid"),'
        ' outcome(ns.getHostByAddr, "192.0.2.99")])'
    )
    by_name, by_addr = r
    for failure in (by_name, by_addr):
        assert failure["raised"] == "herror" and failure["oserror"], failure
        # h_errno: HOST_NOT_FOUND, TRY_AGAIN, NO_RECOVERY or NO_DATA
        assert failure["errno"] in (1, 2, 3, 4), failure
    assert by_name["strerror"].startswith("getHostByName('no-such-host.invalid'): ")
    assert by_addr["strerror"].startswith("getHostByAddr('192.0.2.99'): ")


@pytest.mark.parametrize(
    "ip", ["localhost", "", "1.2.3", "256.1.1.1", "::g", "1:2:3:4:5:6:7:8:9", "127.0.0.1/8",
           " 127.0.0.1"]
)  # fmt: skip
def test_getHostByAddr_rejects_text_that_is_no_address(ip: str) -> None:
    with pytest.raises(ValueError):
        ns.getHostByAddr(ip)


@pytest.mark.parametrize(
    ("call", "arg", "error"),
    [
        (ns.getHostByAddr, 0x7F000001, TypeError),
        (ns.getHostByAddr, None, TypeError),
        (ns.getHostByAddr, "127.0.0.1\0", ValueError),
        (ns.getHostByName, None, TypeError),
        (ns.getHostByName, 127, TypeError),
        (ns.getHostByName, "local\0host", ValueError),
    ],
)
def test_host_lookups_reject(call: object, arg: object, error: type) -> None:
    with pytest.raises(error):
        call(arg)  # type: ignore[operator]


# --- getHostname -----------------------------------------------------------------------------


def test_getHostname_is_the_stdlibs() -> None:
    name = ns.getHostname()
    assert type(name) is str and name
    assert name == socket.gethostname()
    assert "\0" not in name


def test_getHostname_takes_no_argument() -> None:
    with pytest.raises(TypeError):
        ns.getHostname("x")  # type: ignore[call-arg]

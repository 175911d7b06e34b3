"""Differential conformance, the Python side: the cases of conformance.nim, made through the
nativesockets package, printed in the same JSON shape, one object per line:

    {"case": name, "result": ...}
    {"case": name, "error": {"type": "OSError", "errno": 111}}   (errno null when none/0)

conformance.nim also prints {"case": name, "not_run": reason} for a case Nim cannot run
safely; this side runs every case. Each case below mirrors the one of the same name in
conformance.nim, call for call. Handles are never printed; ephemeral ports are labels ("S"
the server's, "C" the client's, "0", "other"); paths under the temporary directory start
with "$TMP".

Usage: python runner.py TMPDIR [--offline]   (as conformance.nim; run by test_conformance.py)

An exception's type is its class name, except that an OSError whose class is the one Python
picks for its errno (ConnectionRefusedError for ECONNREFUSED...) is printed as "OSError", so
it compares with Nim's OSError; socket.gaierror and socket.herror keep their names.
"""

from __future__ import annotations

import sys

if sys.platform == "win32":  # test_conformance.py skips there: the cases are Linux's
    sys.exit("runner.py: POSIX only (fcntl, resource limits, Unix sockets, Linux errno values)")

import fcntl as _fcntl  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import resource  # noqa: E402
from typing import Any, Callable  # noqa: E402

import nativesockets as ns

TMP = sys.argv[1] if len(sys.argv) > 1 else ""
OFFLINE = "--offline" in sys.argv[2:]

CASES: list[tuple[str, Callable[[], Any]]] = []


def add(name: str, body: Callable[[], Any]) -> None:
    """Register the case `name`: body() gives its result."""
    CASES.append((name, body))


def case(name: str) -> Callable[[Callable[[], Any]], Callable[[], Any]]:
    """add() as a decorator."""

    def register(body: Callable[[], Any]) -> Callable[[], Any]:
        add(name, body)
        return body

    return register


# ---------------------------------------------------------------------------------------------
# helpers


def err_json(e: BaseException) -> dict[str, Any]:
    name = type(e).__name__
    errno = None
    if isinstance(e, OSError):
        errno = e.errno or None
        if type(e) is type(OSError(e.errno, "")):
            name = "OSError"
    return {"type": name, "errno": errno}


def attempt(body: Callable[[], Any]) -> Any:
    try:
        return body()
    except Exception as e:
        return {"error": err_json(e)}


def rc(r: int) -> dict[str, int]:
    err = ns.osLastError()
    return {"ret": r, "errno": err} if r < 0 else {"ret": r}


def tmp_path(name: str) -> str:
    return os.path.join(TMP, name)


def path_label(s: str) -> str:
    return "$TMP" + s[len(TMP) :] if TMP and s.startswith(TMP) else s


def valid(s: int) -> bool:
    return s != ns.osInvalidSocket


def close_all(*handles: int) -> None:
    for h in handles:
        if valid(h):
            ns.close(h)


def nonblocking(s: int) -> bool:
    return bool(ns.fcntl(s, ns.F_GETFL) & ns.O_NONBLOCK)


def cloexec(s: int) -> bool:
    return bool(ns.fcntl(s, _fcntl.F_GETFD) & _fcntl.FD_CLOEXEC)


def port_of(addr: ns.SockAddr) -> int:
    """sin_port / sin6_port (the same offset), host order."""
    return int.from_bytes(bytes(addr)[2:4], "big")


class Pair:
    """A listening server, a client connected to it, and the accepted handle."""

    def __init__(self) -> None:
        self.server = self.client = self.conn = ns.osInvalidSocket
        self.peer = ""
        self.sport = self.cport = ns.Port(0)
        self.bindRc: Any = None
        self.listenRc: Any = None
        self.connectRc: Any = None
        self.spath = self.cpath = ""

    def close(self) -> None:
        close_all(self.conn, self.client, self.server)


def lbl(p: Pair, port: int) -> str:
    if port == 0:
        return "0"
    if port == p.sport:
        return "S"
    if port == p.cport:
        return "C"
    return "other"


def addr_j(p: Pair, a: tuple[str, ns.Port]) -> list[str]:
    return [path_label(a[0]), lbl(p, a[1])]


def tcp_pair(kind: str) -> Pair:
    """kind: "v4" (127.0.0.1), "v6" (::1), "mapped" (IPv6 server on ::ffff:127.0.0.1, IPv4
    client)."""
    p = Pair()
    dom = ns.AF_INET if kind == "v4" else ns.AF_INET6
    p.server = ns.createNativeSocket(dom, ns.SOCK_STREAM, ns.IPPROTO_TCP)
    if kind == "v4":
        p.bindRc = rc(ns.bindAddr(p.server, ns.Sockaddr_in("127.0.0.1")))
    elif kind == "v6":
        p.bindRc = rc(ns.bindAddr(p.server, ns.Sockaddr_in6("::1")))
    else:
        ns.setSockOptInt(p.server, ns.IPPROTO_IPV6, ns.IPV6_V6ONLY, 0)
        p.bindRc = rc(ns.bindAddr(p.server, ns.Sockaddr_in6("::ffff:127.0.0.1")))
    p.listenRc = rc(ns.listen(p.server))
    p.sport = ns.getSockName(p.server)
    if kind == "v6":
        p.client = ns.createNativeSocket(ns.AF_INET6)
        p.connectRc = rc(ns.connect(p.client, ns.Sockaddr_in6("::1", p.sport)))
    else:
        p.client = ns.createNativeSocket(ns.AF_INET)
        p.connectRc = rc(ns.connect(p.client, ns.Sockaddr_in("127.0.0.1", p.sport)))
    p.cport = ns.getSockName(p.client)
    if p.connectRc["ret"] == 0:
        p.conn, p.peer = ns.accept(p.server)
    return p


def unix_pair(name: str, named_client: bool) -> Pair:
    p = Pair()
    p.spath = tmp_path(name + ".s.sock")
    p.cpath = tmp_path(name + ".c.sock") if named_client else ""
    for path in (p.spath, p.cpath):
        if path and os.path.exists(path):
            os.unlink(path)
    p.server = ns.createNativeSocket(ns.AF_UNIX, ns.SOCK_STREAM, ns.IPPROTO_IP)
    a = ns.makeUnixAddr(p.spath)
    p.bindRc = rc(ns.bindAddr(p.server, a))
    p.listenRc = rc(ns.listen(p.server))
    p.client = ns.createNativeSocket(ns.AF_UNIX, ns.SOCK_STREAM, ns.IPPROTO_IP)
    if named_client:
        assert ns.bindAddr(p.client, ns.makeUnixAddr(p.cpath)) == 0
    p.connectRc = rc(ns.connect(p.client, a))
    if p.connectRc["ret"] == 0:
        p.conn, p.peer = ns.accept(p.server)
    return p


def send_text(s: int, text: str, flags: int = 0) -> int:
    return ns.send(s, text.encode(), None, flags)


def recv_j(s: int, size: int, flags: int = 0) -> dict[str, Any]:
    buf = bytearray(size)
    r = ns.recv(s, buf, size, flags)
    result: dict[str, Any] = rc(r)
    if r >= 0:
        result["data"] = buf[:r].decode()
    return result


def select_j(handles: list[int], names: list[str], write: bool, timeout: int) -> dict[str, Any]:
    lst = list(handles)
    r = ns.selectWrite(lst, timeout) if write else ns.selectRead(lst, timeout)
    result: dict[str, Any] = rc(r)
    result["list"] = [names[handles.index(h)] if h in handles else "?" for h in lst]
    return result


def serv_j(s: ns.Servent) -> dict[str, Any]:
    return {"name": s.name, "aliases": s.aliases, "port": int(s.port), "proto": s.proto}


def host_j(h: ns.Hostent) -> dict[str, Any]:
    return {
        "name": h.name,
        "aliases": h.aliases,
        "addrtype": h.addrtype.name,
        "length": h.length,
        "addrList": h.addrList,
    }


def nodes_j(res: ns.AddrInfo) -> list[dict[str, Any]]:
    out = []
    for n in res:
        text2 = bytearray(46)
        ns.getAddrString(n.ai_addr, text2)
        out.append(
            {
                "family": n.ai_family,
                "socktype": n.ai_socktype,
                "protocol": n.ai_protocol,
                "addrlen": n.ai_addrlen,
                "canonname": n.ai_canonname,
                "addr": ns.getAddrString(n.ai_addr),
                "addr2": text2.decode(),
                "port": port_of(n.ai_addr),
            }
        )
    return out


def gai_j(host: str, port: int, dom: ns.Domain, typ: ns.SockType, proto: ns.Protocol) -> Any:
    res = ns.getAddrInfo(host, ns.Port(port), dom, typ, proto)
    result = nodes_j(res)
    ns.freeAddrInfo(res)
    return result


def addr_string_j(a: ns.SockAddr) -> dict[str, Any]:
    def overload2() -> str:
        s = bytearray(46)
        ns.getAddrString(a, s)
        return path_label(s.decode())

    return {
        "o1": attempt(lambda: path_label(ns.getAddrString(a))),  # type: ignore[arg-type]
        "o2": attempt(overload2),
    }


def closed_handle() -> int:
    """A handle number that was open a moment ago and is closed now."""
    s = ns.createNativeSocket()
    ns.close(s)
    return s


ALL_DOMAINS = [ns.AF_UNSPEC, ns.AF_UNIX, ns.AF_INET, ns.AF_INET6]
ALL_SOCKTYPES = [ns.SOCK_STREAM, ns.SOCK_DGRAM, ns.SOCK_RAW, ns.SOCK_SEQPACKET]
ALL_PROTOCOLS = [
    ns.IPPROTO_TCP,
    ns.IPPROTO_UDP,
    ns.IPPROTO_IP,
    ns.IPPROTO_IPV6,
    ns.IPPROTO_RAW,
    ns.IPPROTO_ICMP,
    ns.IPPROTO_ICMPV6,
]

# ---------------------------------------------------------------------------------------------
# pure procs: enums, ports, byte order, constants


@case("constants")
def _() -> Any:
    names = [
        "SOL_SOCKET", "SOMAXCONN", "SO_ERROR", "SO_ACCEPTCONN", "SO_BROADCAST", "SO_DEBUG",
        "SO_DONTROUTE", "SO_KEEPALIVE", "SO_OOBINLINE", "SO_REUSEADDR", "SO_REUSEPORT",
        "MSG_PEEK", "MSG_NOSIGNAL", "F_GETFL", "F_SETFL", "O_NONBLOCK", "EAGAIN",
        "EWOULDBLOCK", "EINTR", "EINPROGRESS", "ECONNRESET", "EPIPE", "ENETRESET", "EBADF",
        "INADDR_ANY", "Sockaddr_un_path_length", "osInvalidSocket",
    ]  # fmt: skip
    return {name: int(getattr(ns, name)) for name in names}


@case("windows_ioctl_constants")
def _() -> Any:
    return {name: getattr(ns, name, "absent") for name in ("IOCPARM_MASK", "IOC_IN", "FIONBIO")}


@case("toInt")
def _() -> Any:
    out = {d.name: ns.toInt(d) for d in ALL_DOMAINS}
    out.update({t.name: ns.toInt(t) for t in ALL_SOCKTYPES})
    out.update({p.name: ns.toInt(p) for p in ALL_PROTOCOLS})
    return out


@case("enum_values")
def _() -> Any:
    return {x.name: int(x) for x in [*ALL_DOMAINS, *ALL_SOCKTYPES, *ALL_PROTOCOLS]}


@case("toKnownDomain")
def _() -> Any:
    out = {}
    for family in [0, 1, 2, 10, 3, 16, 23, 30, -1]:
        d = ns.toKnownDomain(family)
        out[str(family)] = d.name if d is not None else None
    return out


@case("toSockType")
def _() -> Any:
    return {p.name: ns.toSockType(p).name for p in ALL_PROTOCOLS}


@case("port_str_eq")
def _() -> Any:
    return {
        "str0": str(ns.Port(0)),
        "str80": str(ns.Port(80)),
        "str65535": str(ns.Port(65535)),
        "eq": ns.Port(80) == ns.Port(80),
        "ne": ns.Port(80) == ns.Port(81),
    }


@case("port_out_of_range")
def _() -> Any:
    return int(ns.Port(70000))


@case("byteorder")
def _() -> Any:
    return {
        "ntohl": ns.ntohl(0x01020304),
        "ntohs": ns.ntohs(0x0102),
        "htonl": ns.htonl(0x01020304),
        "htons": ns.htons(0x0102),
        "ntohl_max": ns.ntohl(0xFFFFFFFF),
        "ntohs_max": ns.ntohs(0xFFFF),
        "ntohl_zero": ns.ntohl(0),
        "htons_80": ns.htons(80),
    }


@case("ntohs_out_of_range")
def _() -> Any:
    return ns.ntohs(65536)


@case("htonl_out_of_range")
def _() -> Any:
    return ns.htonl(1 << 32)


@case("inet_ntoa")
def _() -> Any:
    return [ns.inet_ntoa(ns.htonl(0x7F000001)), ns.inet_ntoa(ns.htonl(0xC0A80AFF))]


# ---------------------------------------------------------------------------------------------
# the service, protocol and host databases


@case("getProtoByName")
def _() -> Any:
    return {
        name: ns.getProtoByName(name) for name in ["ip", "icmp", "tcp", "udp", "ipv6-icmp", "TCP"]
    }


add("getProtoByName_unknown", lambda: ns.getProtoByName("no-such-protocol"))


@case("getServByName")
def _() -> Any:
    return [
        serv_j(ns.getServByName("http", "tcp")),
        serv_j(ns.getServByName("domain", "udp")),
        serv_j(ns.getServByName("smtp", "tcp")),
        serv_j(ns.getServByName("https", "tcp")),
    ]


add("getServByName_unknown", lambda: serv_j(ns.getServByName("no-such-service", "tcp")))
add("getServByName_nul_byte", lambda: serv_j(ns.getServByName("http\0junk", "tcp")))
add("getServByPort_80_tcp", lambda: serv_j(ns.getServByPort(ns.Port(80), "tcp")))
add("getServByPort_20480_tcp", lambda: serv_j(ns.getServByPort(ns.Port(20480), "tcp")))
add("getServByPort_50000_tcp", lambda: serv_j(ns.getServByPort(ns.Port(50000), "tcp")))
add("getHostByName_localhost", lambda: host_j(ns.getHostByName("localhost")))
add("getHostByAddr_127.0.0.1", lambda: host_j(ns.getHostByAddr("127.0.0.1")))
add("getHostname", lambda: ns.getHostname())

if OFFLINE:
    add("getHostByName_unknown", lambda: host_j(ns.getHostByName("no-such-host.invalid")))
    add("getHostByAddr_::1", lambda: host_j(ns.getHostByAddr("::1")))
    add("getHostByAddr_not_an_address", lambda: host_j(ns.getHostByAddr("not-an-address")))

# ---------------------------------------------------------------------------------------------
# getAddrInfo and getAddrString

S, T, IP = ns.SOCK_STREAM, ns.IPPROTO_TCP, ns.AF_INET
add("getAddrInfo_numeric_v4", lambda: gai_j("127.0.0.1", 80, ns.AF_INET, S, T))
add("getAddrInfo_numeric_v6", lambda: gai_j("::1", 443, ns.AF_INET6, S, T))
add("getAddrInfo_localhost_v4", lambda: gai_j("localhost", 8080, ns.AF_INET, S, T))
add("getAddrInfo_localhost_v6_mapped", lambda: gai_j("localhost", 8080, ns.AF_INET6, S, T))
add("getAddrInfo_numeric_v4_as_v6", lambda: gai_j("127.0.0.1", 1, ns.AF_INET6, S, T))
add("getAddrInfo_localhost_unspec", lambda: gai_j("localhost", 22, ns.AF_UNSPEC, S, T))
add(
    "getAddrInfo_udp",
    lambda: gai_j("127.0.0.1", 53, ns.AF_INET, ns.SOCK_DGRAM, ns.IPPROTO_UDP),
)
add(
    "getAddrInfo_port_0_and_65535",
    lambda: [
        gai_j("127.0.0.1", 0, ns.AF_INET, S, T),
        gai_j("::1", 65535, ns.AF_INET6, ns.SOCK_DGRAM, ns.IPPROTO_UDP),
    ],
)
add(
    "getAddrInfo_raw",
    lambda: gai_j("127.0.0.1", 0, ns.AF_INET, ns.SOCK_RAW, ns.IPPROTO_ICMP),
)
add("getAddrInfo_family_mismatch", lambda: gai_j("::1", 80, ns.AF_INET, S, T))
if OFFLINE:
    add(
        "getAddrInfo_unknown_host",
        lambda: gai_j("no-such-host.invalid", 80, ns.AF_INET, S, T),
    )

add("getAddrString_v4", lambda: addr_string_j(ns.Sockaddr_in("192.168.10.255", 9)))
add("getAddrString_v6", lambda: addr_string_j(ns.Sockaddr_in6("2001:db8::1", 9)))
add("getAddrString_v6_loopback", lambda: addr_string_j(ns.Sockaddr_in6("::1")))
add("getAddrString_v4_mapped", lambda: addr_string_j(ns.Sockaddr_in6("::ffff:10.1.2.3")))
add(
    "getAddrString_v4_mapped_max",
    lambda: addr_string_j(ns.Sockaddr_in6("::ffff:255.255.255.255")),
)
add("getAddrString_unix", lambda: addr_string_j(ns.makeUnixAddr(tmp_path("addr.sock"))))
add("getAddrString_unknown_family", lambda: addr_string_j(ns.Sockaddr_storage()))


def _sun_path(a: ns.Sockaddr_un) -> bytes:
    return a.sun_path.split(b"\0", 1)[0]  # type: ignore[no-any-return]


@case("makeUnixAddr_max_length")
def _() -> Any:
    a = ns.makeUnixAddr("/" + "x" * (ns.Sockaddr_un_path_length - 2))
    return {"family": a.sun_family, "path_len": len(_sun_path(a))}


@case("makeUnixAddr_too_long")
def _() -> Any:
    return ns.makeUnixAddr("/" + "x" * (ns.Sockaddr_un_path_length - 1)).sun_family


@case("makeUnixAddr_nul")
def _() -> Any:
    return _sun_path(ns.makeUnixAddr("/tmp/a\0b")).decode()


# ---------------------------------------------------------------------------------------------
# TCP over IPv4, IPv6 and IPv4-mapped IPv6; Unix stream sockets; UDP


def flow_j(p: Pair) -> dict[str, Any]:
    return {
        "server_valid": valid(p.server),
        "client_valid": valid(p.client),
        "bind": p.bindRc,
        "listen": p.listenRc,
        "connect": p.connectRc,
        "conn_valid": valid(p.conn),
        "accept_peer": path_label(p.peer),
        "sport_nonzero": p.sport != 0,
        "cport_nonzero": p.cport != 0,
        "ports_differ": p.sport != p.cport,
        "domain_server": ns.getSockDomain(p.server).name,
        "domain_client": ns.getSockDomain(p.client).name,
        "domain_conn": ns.getSockDomain(p.conn).name,
        "acceptconn": ns.getSockOptInt(p.server, ns.SOL_SOCKET, ns.SO_ACCEPTCONN),
        "acceptconn_client": ns.getSockOptInt(p.client, ns.SOL_SOCKET, ns.SO_ACCEPTCONN),
    }


def addresses_j(p: Pair, sdom: ns.Domain, cdom: ns.Domain) -> dict[str, Any]:
    return {
        "server_sockname": lbl(p, ns.getSockName(p.server)),
        "client_sockname": lbl(p, ns.getSockName(p.client)),
        "conn_sockname": lbl(p, ns.getSockName(p.conn)),
        "server_local": addr_j(p, ns.getLocalAddr(p.server, sdom)),
        "client_local": addr_j(p, ns.getLocalAddr(p.client, cdom)),
        "client_peer": addr_j(p, ns.getPeerAddr(p.client, cdom)),
        "conn_local": addr_j(p, ns.getLocalAddr(p.conn, sdom)),
        "conn_peer": addr_j(p, ns.getPeerAddr(p.conn, sdom)),
    }


def send_recv_j(p: Pair) -> dict[str, Any]:
    r: dict[str, Any] = {}
    r["select_before"] = select_j([p.conn], ["conn"], False, 0)
    r["send"] = rc(send_text(p.client, "hello"))
    r["select_after"] = select_j([p.conn], ["conn"], False, 5000)
    r["peek"] = recv_j(p.conn, 3, ns.MSG_PEEK)
    r["recv"] = recv_j(p.conn, 16)
    r["send_back"] = rc(send_text(p.conn, "world!"))
    r["recv_back"] = recv_j(p.client, 16)
    r["select_write"] = select_j([p.client, p.conn], ["client", "conn"], True, 5000)
    ns.close(p.conn)
    p.conn = ns.osInvalidSocket
    r["recv_eof"] = recv_j(p.client, 16)
    return r


def make_pair(kind: str) -> Pair:
    """ "v4", "v6", "mapped": tcp_pair(kind); "unix NAME", "unix NAME named": unix_pair."""
    if kind.startswith("unix "):
        words = kind.split()
        return unix_pair(words[1], len(words) > 2)
    return tcp_pair(kind)


def on_pair(name: str, kind: str) -> Callable[[Callable[[Pair], Any]], None]:
    """Register the case `name`: body(p) on a new pair (see make_pair), closed after."""

    def register(body: Callable[[Pair], Any]) -> None:
        def run() -> Any:
            p = make_pair(kind)
            try:
                return body(p)
            finally:
                p.close()

        add(name, run)

    return register


V4 = ns.AF_INET
V6 = ns.AF_INET6
on_pair("tcp4_flow", "v4")(flow_j)
on_pair("tcp4_addresses", "v4")(lambda p: addresses_j(p, V4, V4))
on_pair("tcp4_send_recv", "v4")(send_recv_j)
on_pair("tcp6_flow", "v6")(flow_j)
on_pair("tcp6_addresses", "v6")(lambda p: addresses_j(p, V6, V6))
on_pair("tcp6_send_recv", "v6")(send_recv_j)
on_pair("tcp_v4mapped_flow", "mapped")(flow_j)
on_pair("tcp_v4mapped_addresses", "mapped")(lambda p: addresses_j(p, V6, V4))


@on_pair("tcp_v4mapped_raw_accept", "mapped")
def _(p: Pair) -> Any:
    # the raw accept (POSIX's) and getAddrString on the peer
    ns.close(p.conn)
    p.conn = ns.osInvalidSocket
    c = ns.createNativeSocket(ns.AF_INET)
    try:
        assert ns.connect(c, ns.Sockaddr_in("127.0.0.1", p.sport)) == 0
        peer = ns.Sockaddr_storage()
        p.conn = ns.accept(p.server, peer)
        return {
            "valid": valid(p.conn),
            "family": peer.sa_family,
            "len": len(peer),
            "text": ns.getAddrString(peer),
            "port_is_client": lbl(p, port_of(peer)) == "other",
        }
    finally:
        ns.close(c)


@on_pair("getLocalAddr_v6_socket_as_AF_INET", "v6")
def _(p: Pair) -> Any:
    return {
        "local": addr_j(p, ns.getLocalAddr(p.server, V4)),
        "peer": addr_j(p, ns.getPeerAddr(p.client, V4)),
    }


@on_pair("getLocalAddr_v4_socket_as_AF_INET6", "v4")
def _(p: Pair) -> Any:
    return {
        "local": addr_j(p, ns.getLocalAddr(p.server, V6)),
        "peer": addr_j(p, ns.getPeerAddr(p.client, V6)),
    }


@on_pair("unix_flow", "unix flow")
def _(p: Pair) -> Any:
    return {
        "server_valid": valid(p.server),
        "client_valid": valid(p.client),
        "bind": p.bindRc,
        "listen": p.listenRc,
        "connect": p.connectRc,
        "conn_valid": valid(p.conn),
        "domain_server": ns.getSockDomain(p.server).name,
        "domain_conn": ns.getSockDomain(p.conn).name,
        "acceptconn": ns.getSockOptInt(p.server, ns.SOL_SOCKET, ns.SO_ACCEPTCONN),
    }


on_pair("unix_send_recv", "unix sendrecv")(send_recv_j)
on_pair("unix_accept_peer_unnamed", "unix unnamed")(
    lambda p: {"valid": valid(p.conn), "peer": path_label(p.peer)}
)
on_pair("unix_accept_peer_named", "unix named named")(
    lambda p: {"valid": valid(p.conn), "peer": path_label(p.peer)}
)
on_pair("unix_getLocalAddr", "unix local")(
    lambda p: addr_j(p, ns.getLocalAddr(p.server, ns.AF_UNIX))
)
on_pair("unix_getPeerAddr", "unix peer")(lambda p: addr_j(p, ns.getPeerAddr(p.client, ns.AF_UNIX)))
on_pair("unix_getSockName", "unix sockname")(lambda p: int(ns.getSockName(p.server)))


@case("udp_flow")
def _() -> Any:
    p = Pair()
    p.server = ns.createNativeSocket(ns.AF_INET, ns.SOCK_DGRAM, ns.IPPROTO_UDP)
    p.client = ns.createNativeSocket(ns.AF_INET, ns.SOCK_DGRAM, ns.IPPROTO_UDP)
    try:
        p.bindRc = rc(ns.bindAddr(p.server, ns.Sockaddr_in("127.0.0.1")))
        p.sport = ns.getSockName(p.server)
        to = ns.Sockaddr_in("127.0.0.1", p.sport)
        text = b"datagram"
        sent = rc(ns.sendto(p.client, text, len(text), 0, to))
        p.cport = ns.getSockName(p.client)
        buf = bytearray(64)
        frm = ns.Sockaddr_storage()
        r = ns.recvfrom(p.server, buf, len(buf), 0, frm)
        return {
            "bind": p.bindRc,
            "sendto": sent,
            "recvfrom": rc(r),
            "data": buf[: max(r, 0)].decode(),
            "from_len": len(frm),
            "from": ns.getAddrString(frm),
            "from_port": lbl(p, port_of(frm)),
            "domain": ns.getSockDomain(p.server).name,
            "local": addr_j(p, ns.getLocalAddr(p.client, ns.AF_INET)),
        }
    finally:
        close_all(p.server, p.client)


# ---------------------------------------------------------------------------------------------
# socket options, blocking mode, inheritance, socket creation


def opt_j(
    dom: ns.Domain,
    typ: ns.SockType,
    proto: ns.Protocol,
    level: int,
    opt: int,
    value: int,
    set_it: bool,
) -> Any:
    s = ns.createNativeSocket(dom, typ, proto)
    try:
        r = {"before": attempt(lambda: ns.getSockOptInt(s, level, opt))}
        if set_it:
            r["set"] = attempt(lambda: ns.setSockOptInt(s, level, opt, value))
            r["after"] = attempt(lambda: ns.getSockOptInt(s, level, opt))
        return r
    finally:
        ns.close(s)


def opt_case(
    name: str,
    dom: ns.Domain,
    typ: ns.SockType,
    proto: ns.Protocol,
    level: int,
    opt: int,
    value: int,
    set_it: bool = True,
) -> None:
    add("sockopt_" + name, lambda: opt_j(dom, typ, proto, level, opt, value, set_it))


STREAM, DGRAM = ns.SOCK_STREAM, ns.SOCK_DGRAM
TCP, UDP = ns.IPPROTO_TCP, ns.IPPROTO_UDP
SOL = ns.SOL_SOCKET
opt_case("SO_REUSEADDR", ns.AF_INET, STREAM, TCP, SOL, ns.SO_REUSEADDR, 1)
opt_case("SO_REUSEPORT", ns.AF_INET, STREAM, TCP, SOL, ns.SO_REUSEPORT, 1)
opt_case("SO_KEEPALIVE", ns.AF_INET6, STREAM, TCP, SOL, ns.SO_KEEPALIVE, 1)
opt_case("SO_BROADCAST", ns.AF_INET, DGRAM, UDP, SOL, ns.SO_BROADCAST, 1)
opt_case("SO_OOBINLINE", ns.AF_INET, STREAM, TCP, SOL, ns.SO_OOBINLINE, 1)
opt_case("SO_DONTROUTE", ns.AF_INET, DGRAM, UDP, SOL, ns.SO_DONTROUTE, 1)
opt_case("SO_RCVBUF", ns.AF_INET, STREAM, TCP, SOL, ns.SO_RCVBUF, 65536)
opt_case("SO_DEBUG", ns.AF_INET, STREAM, TCP, SOL, ns.SO_DEBUG, 1)
opt_case("SO_ERROR", ns.AF_INET, STREAM, TCP, SOL, ns.SO_ERROR, 0, False)
opt_case("SO_TYPE_dgram", ns.AF_INET6, DGRAM, UDP, SOL, ns.SO_TYPE, 0, False)
opt_case("SO_ACCEPTCONN", ns.AF_UNIX, STREAM, ns.IPPROTO_IP, SOL, ns.SO_ACCEPTCONN, 0, False)
opt_case("TCP_NODELAY", ns.AF_INET, STREAM, TCP, int(ns.IPPROTO_TCP), ns.TCP_NODELAY, 1)
opt_case("IPV6_V6ONLY", ns.AF_INET6, STREAM, TCP, int(ns.IPPROTO_IPV6), ns.IPV6_V6ONLY, 1)
opt_case("unknown_option", ns.AF_INET, STREAM, TCP, SOL, 9999, 1)
opt_case("SO_ACCEPTCONN_readonly", ns.AF_INET, STREAM, TCP, SOL, ns.SO_ACCEPTCONN, 1)


@case("setBlocking")
def _() -> Any:
    s = ns.createNativeSocket()
    try:
        r = {"initial": nonblocking(s)}
        ns.setBlocking(s, False)
        r["after_false"] = nonblocking(s)
        ns.setBlocking(s, False)
        r["after_false_twice"] = nonblocking(s)
        ns.setBlocking(s, True)
        r["after_true"] = nonblocking(s)
        r["cloexec_kept"] = cloexec(s)
        return r
    finally:
        ns.close(s)


@on_pair("nonblocking_accept_and_recv", "v4")
def _(p: Pair) -> Any:
    ns.setBlocking(p.server, False)
    ns.setBlocking(p.conn, False)
    c, peer = ns.accept(p.server)
    r = {"accept": rc(c), "accept_peer": peer, "recv": recv_j(p.conn, 8)}
    close_all(c)
    return r


@case("setInheritable")
def _() -> Any:
    s = ns.createNativeSocket()
    t = ns.createNativeSocket(ns.AF_INET6, ns.SOCK_DGRAM, ns.IPPROTO_UDP, inheritable=True)
    try:
        r = {"default_cloexec": cloexec(s), "inheritable_cloexec": cloexec(t)}
        r["set_true"] = ns.setInheritable(s, True)
        r["after_true"] = cloexec(s)
        r["set_false"] = ns.setInheritable(s, False)
        r["after_false"] = cloexec(s)
        r["closed"] = ns.setInheritable(closed_handle(), True)
        return r
    finally:
        close_all(s, t)


@on_pair("accept_inheritable", "v4")
def _(p: Pair) -> Any:
    c = ns.createNativeSocket()
    try:
        assert ns.connect(c, ns.Sockaddr_in("127.0.0.1", p.sport)) == 0
        h, _peer = ns.accept(p.server, inheritable=True)
        try:
            return {"default_cloexec": cloexec(p.conn), "inheritable_cloexec": cloexec(h)}
        finally:
            ns.close(h)
    finally:
        ns.close(c)


def create_j(s: int) -> Any:
    err = ns.osLastError()
    if not valid(s):
        return {"valid": False, "errno": err}
    try:
        return {
            "valid": True,
            "domain": attempt(lambda: ns.getSockDomain(s).name),
            "type": ns.getSockOptInt(s, ns.SOL_SOCKET, ns.SO_TYPE),
            "cloexec": cloexec(s),
        }
    finally:
        ns.close(s)


add("createNativeSocket_defaults", lambda: create_j(ns.createNativeSocket()))
add(
    "createNativeSocket_enums",
    lambda: [
        create_j(ns.createNativeSocket(ns.AF_INET6, ns.SOCK_DGRAM, ns.IPPROTO_UDP)),
        create_j(ns.createNativeSocket(ns.AF_UNIX, ns.SOCK_DGRAM, ns.IPPROTO_IP)),
        create_j(ns.createNativeSocket(ns.AF_UNIX, ns.SOCK_SEQPACKET, ns.IPPROTO_IP)),
        create_j(ns.createNativeSocket(ns.AF_INET, ns.SOCK_RAW, ns.IPPROTO_ICMP)),
        create_j(ns.createNativeSocket(ns.AF_INET6, ns.SOCK_RAW, ns.IPPROTO_ICMPV6)),
    ],
)
add(
    "createNativeSocket_ints",
    lambda: [
        create_j(ns.createNativeSocket(int(ns.AF_INET), int(ns.SOCK_STREAM), 0)),
        create_j(
            ns.createNativeSocket(
                int(ns.AF_INET6), int(ns.SOCK_STREAM), int(ns.IPPROTO_TCP), inheritable=True
            )
        ),
    ],
)
add(
    "createNativeSocket_bad_domain",
    lambda: create_j(ns.createNativeSocket(9999, int(ns.SOCK_STREAM), 0)),
)
add(
    "createNativeSocket_bad_type",
    lambda: create_j(ns.createNativeSocket(int(ns.AF_INET), 9999, 0)),
)
add(
    "createNativeSocket_bad_protocol",
    lambda: create_j(ns.createNativeSocket(ns.AF_INET, ns.SOCK_STREAM, ns.IPPROTO_UDP)),
)


@case("getSockDomain")
def _() -> Any:
    out = {}
    for d in [ns.AF_INET, ns.AF_INET6, ns.AF_UNIX]:
        s = ns.createNativeSocket(d, ns.SOCK_STREAM, ns.IPPROTO_IP if d == ns.AF_UNIX else TCP)
        out[d.name] = ns.getSockDomain(s).name
        ns.close(s)
    return out


def netlink_case(body: Callable[[int], Any]) -> Callable[[], Any]:
    """A netlink socket (Linux): a family that is neither IPv4, IPv6 nor Unix."""

    def run() -> Any:
        s = ns.createNativeSocket(16, int(ns.SOCK_RAW), 0)
        assert valid(s)
        try:
            return body(s)
        finally:
            ns.close(s)

    return run


add("getSockDomain_netlink", netlink_case(lambda s: ns.getSockDomain(s).name))
add("getSockName_netlink", netlink_case(lambda s: int(ns.getSockName(s))))
add("getLocalAddr_netlink", netlink_case(lambda s: list(ns.getLocalAddr(s, ns.AF_INET))))

# ---------------------------------------------------------------------------------------------
# selectRead / selectWrite


def readable_pairs(readable: list[bool]) -> list[Pair]:
    out = []
    for flag in readable:
        out.append(tcp_pair("v4"))
        if flag:
            assert send_text(out[-1].client, "x") == 1
    return out


def on_pairs(name: str, readable: list[bool]) -> Callable[[Callable[[list[Pair]], Any]], None]:
    """Register the case `name`: body(pairs) on new IPv4 pairs, readable[i] telling whether
    pairs[i].conn has a byte to read."""

    def register(body: Callable[[list[Pair]], Any]) -> None:
        def run() -> Any:
            ps = readable_pairs(readable)
            try:
                return body(ps)
            finally:
                for p in ps:
                    p.close()

        add(name, run)

    return register


on_pairs("selectRead_order", [False, True, True])(
    lambda ps: select_j([p.conn for p in ps], ["n1", "r1", "r2"], False, 5000)
)
on_pairs("selectRead_order_long", [True, False, True, False, False, True])(
    lambda ps: select_j([p.conn for p in ps], ["r1", "n1", "r2", "n2", "n3", "r3"], False, 5000)
)
on_pairs("selectRead_timeout", [False, False])(
    lambda ps: select_j([p.conn for p in ps], ["n1", "n2"], False, 0)
)
on_pairs("selectRead_short_timeout", [False])(lambda ps: select_j([ps[0].conn], ["n1"], False, 20))
add("selectRead_empty", lambda: select_j([], [], False, 0))


@on_pair("selectRead_listening", "v4")
def _(p: Pair) -> Any:
    # a pending connection makes a listening socket readable
    c = ns.createNativeSocket()
    try:
        assert ns.connect(c, ns.Sockaddr_in("127.0.0.1", p.sport)) == 0
        return select_j([p.server, p.client], ["server", "client"], False, 5000)
    finally:
        ns.close(c)


@on_pair("selectRead_eof", "v4")
def _(p: Pair) -> Any:
    ns.close(p.conn)
    p.conn = ns.osInvalidSocket
    return select_j([p.client], ["client"], False, 5000)


on_pair("selectWrite_connected", "v6")(
    lambda p: select_j([p.client, p.conn], ["client", "conn"], True, 5000)
)


@case("selectWrite_unconnected_udp")
def _() -> Any:
    s = ns.createNativeSocket(ns.AF_INET, ns.SOCK_DGRAM, ns.IPPROTO_UDP)
    try:
        return select_j([s], ["udp"], True, 5000)
    finally:
        ns.close(s)


on_pairs("selectRead_closed_handle", [True])(
    lambda ps: select_j([ps[0].conn, closed_handle()], ["r1", "closed"], False, 0)
)
on_pairs("selectWrite_closed_handle", [False])(
    lambda ps: select_j([closed_handle(), ps[0].client], ["closed", "w1"], True, 0)
)

FD_SETSIZE = 1024  # glibc's


def high_handle(p: Pair, write: bool) -> Any:
    """selectRead/selectWrite on a handle numbered far above FD_SETSIZE (run here only)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = 4 * FD_SETSIZE + 100
    limit = hard if hard != resource.RLIM_INFINITY else target + 1
    if limit <= target:
        return {"not_run": f"RLIMIT_NOFILE hard limit {hard} is too low"}
    if soft != resource.RLIM_INFINITY and soft <= target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target + 1, hard))
    source = p.client if write else p.conn
    if not write:
        assert send_text(p.client, "x") == 1
    high = os.dup2(source, target)
    try:
        r = select_j([high], ["high"], write, 5000)
        r["handle_above_FD_SETSIZE"] = high >= FD_SETSIZE
        return r
    finally:
        os.close(high)
        if soft != resource.RLIM_INFINITY and soft <= target:
            resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


on_pair("selectRead_handle_above_FD_SETSIZE", "v4")(lambda p: high_handle(p, False))
on_pair("selectWrite_handle_above_FD_SETSIZE", "v4")(lambda p: high_handle(p, True))
add("selectRead_negative_handle", lambda: select_j([-1], ["negative"], False, 0))

# ---------------------------------------------------------------------------------------------
# error cases: return codes with errno, exceptions with their type and errno


def _refused(dom: ns.Domain, make: Callable[[int], ns.SockAddr]) -> Any:
    # a bound socket that does not listen refuses connections
    b = ns.createNativeSocket(dom)
    c = ns.createNativeSocket(dom)
    try:
        assert ns.bindAddr(b, make(0)) == 0
        port = ns.getSockName(b)
        return rc(ns.connect(c, make(port)))
    finally:
        close_all(c, b)


add("connect_refused", lambda: _refused(ns.AF_INET, lambda port: ns.Sockaddr_in("127.0.0.1", port)))
add("connect_refused_v6", lambda: _refused(ns.AF_INET6, lambda port: ns.Sockaddr_in6("::1", port)))


@case("connect_unix_missing_path")
def _() -> Any:
    c = ns.createNativeSocket(ns.AF_UNIX, ns.SOCK_STREAM, ns.IPPROTO_IP)
    try:
        return rc(ns.connect(c, ns.makeUnixAddr(tmp_path("missing.sock"))))
    finally:
        ns.close(c)


@on_pair("bind_in_use", "v4")
def _(p: Pair) -> Any:
    b = ns.createNativeSocket()
    try:
        return rc(ns.bindAddr(b, ns.Sockaddr_in("127.0.0.1", p.sport)))
    finally:
        ns.close(b)


@case("bind_twice")
def _() -> Any:
    b = ns.createNativeSocket()
    try:
        a = ns.Sockaddr_in("127.0.0.1")
        return [rc(ns.bindAddr(b, a)), rc(ns.bindAddr(b, a))]
    finally:
        ns.close(b)


@on_pair("bind_unix_path_exists", "unix exists")
def _(p: Pair) -> Any:
    b = ns.createNativeSocket(ns.AF_UNIX, ns.SOCK_STREAM, ns.IPPROTO_IP)
    try:
        return rc(ns.bindAddr(b, ns.makeUnixAddr(p.spath)))
    finally:
        ns.close(b)


@case("bind_foreign_address")
def _() -> Any:
    # 192.0.2.1 (TEST-NET-1) is no address of this host: nothing is sent
    b = ns.createNativeSocket()
    try:
        return rc(ns.bindAddr(b, ns.Sockaddr_in("192.0.2.1")))
    finally:
        ns.close(b)


add("listen_closed_handle", lambda: rc(ns.listen(closed_handle())))


@case("listen_udp")
def _() -> Any:
    s = ns.createNativeSocket(ns.AF_INET, ns.SOCK_DGRAM, ns.IPPROTO_UDP)
    try:
        return rc(ns.listen(s))
    finally:
        ns.close(s)


@case("listen_backlog")
def _() -> Any:
    s = ns.createNativeSocket()
    try:
        return [rc(ns.listen(s, 1)), rc(ns.listen(s, 0)), rc(ns.listen(s))]
    finally:
        ns.close(s)


add("raiseOSError", lambda: ns.raiseOSError(ns.ECONNRESET, "info"))
add("close_closed_handle", lambda: ns.close(closed_handle()))
add("close_negative_handle", lambda: ns.close(-1))
add("listen_negative_handle", lambda: rc(ns.listen(-1)))
add(
    "getSockOptInt_closed_handle",
    lambda: ns.getSockOptInt(closed_handle(), ns.SOL_SOCKET, ns.SO_TYPE),
)
add(
    "setSockOptInt_closed_handle",
    lambda: ns.setSockOptInt(closed_handle(), ns.SOL_SOCKET, ns.SO_REUSEADDR, 1),
)
add("getSockDomain_closed_handle", lambda: ns.getSockDomain(closed_handle()).name)
add("getSockName_closed_handle", lambda: int(ns.getSockName(closed_handle())))
add("getLocalAddr_closed_handle", lambda: list(ns.getLocalAddr(closed_handle(), ns.AF_INET)))


@case("getPeerAddr_unconnected")
def _() -> Any:
    s = ns.createNativeSocket(ns.AF_INET6)
    try:
        return list(ns.getPeerAddr(s, ns.AF_INET6))
    finally:
        ns.close(s)


@case("getLocalAddr_unbound")
def _() -> Any:
    s = ns.createNativeSocket()
    t = ns.createNativeSocket(ns.AF_INET6)
    try:
        return [*ns.getLocalAddr(s, ns.AF_INET), *ns.getLocalAddr(t, ns.AF_INET6)]
    finally:
        close_all(s, t)


add("setBlocking_closed_handle", lambda: ns.setBlocking(closed_handle(), False))


@case("accept_not_listening")
def _() -> Any:
    s = ns.createNativeSocket()
    try:
        c, peer = ns.accept(s)
        return {"accept": rc(c), "peer": peer}
    finally:
        ns.close(s)


@case("accept_closed_handle")
def _() -> Any:
    c, peer = ns.accept(closed_handle())
    return {"accept": rc(c), "peer": peer}


add("recv_closed_handle", lambda: recv_j(closed_handle(), 4))
add("send_closed_handle", lambda: rc(send_text(closed_handle(), "x")))


@case("send_unconnected")
def _() -> Any:
    s = ns.createNativeSocket()
    try:
        return rc(send_text(s, "x", ns.MSG_NOSIGNAL))
    finally:
        ns.close(s)


@case("recv_unconnected")
def _() -> Any:
    s = ns.createNativeSocket()
    try:
        return recv_j(s, 4)
    finally:
        ns.close(s)


add(
    "sendto_closed_handle",
    lambda: rc(ns.sendto(closed_handle(), b"x", 1, 0, ns.Sockaddr_in("127.0.0.1", 9))),
)


@case("recvfrom_nonblocking_empty")
def _() -> Any:
    s = ns.createNativeSocket(ns.AF_INET, ns.SOCK_DGRAM, ns.IPPROTO_UDP)
    try:
        ns.setBlocking(s, False)
        return rc(ns.recvfrom(s, bytearray(8), 8, 0, ns.Sockaddr_storage()))
    finally:
        ns.close(s)


def _on_socket(body: Callable[[int], Any]) -> Callable[[], Any]:
    def run() -> Any:
        s = ns.createNativeSocket()
        try:
            return body(s)
        finally:
            ns.close(s)

    return run


add("send_length_beyond_buffer", _on_socket(lambda s: ns.send(s, b"abc", 10)))
add("recv_length_beyond_buffer", _on_socket(lambda s: ns.recv(s, bytearray(3), 10)))
add("bindAddr_wrong_type", _on_socket(lambda s: ns.bindAddr(s, "127.0.0.1")))  # type: ignore[arg-type]

# ---------------------------------------------------------------------------------------------


def main() -> None:
    if len(sys.argv) < 2:
        sys.exit("usage: runner.py TMPDIR [--offline]")
    for name, body in CASES:
        line: dict[str, Any]
        try:
            line = {"case": name, "result": body()}
        except Exception as e:
            line = {"case": name, "error": err_json(e)}
        print(json.dumps(line), flush=True)


if __name__ == "__main__":
    main()

"""``python -m nativesockets``: a loopback self-check, and small lookups from the shell.

With no argument it runs a TCP echo over IPv4, IPv6 (where the host has ::1) and a Unix
socket with the Nim-style procs and prints each step. Subcommands: ``hostname``,
``resolve HOST [PORT]``, ``service NAME PROTO``, ``proto NAME``.
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
import tempfile
from collections.abc import Sequence
from typing import Callable

import nativesockets as ns

Step = Callable[[str], None]


def _say(label: str, text: str) -> None:
    print(f"{label}: {text}")


def _check(ok: bool, what: str) -> None:
    if not ok:
        ns.raiseOSError(ns.osLastError(), what)


def _echo(domain: ns.Domain, address: ns.SockAddr, say: Step) -> None:
    """One TCP (or Unix stream) echo through createNativeSocket/bindAddr/listen/accept."""
    proto = ns.IPPROTO_IP if domain == ns.AF_UNIX else ns.IPPROTO_TCP
    handles: list[int] = []
    try:
        server = ns.createNativeSocket(domain, ns.SOCK_STREAM, proto)
        _check(server != ns.osInvalidSocket, "createNativeSocket")
        handles.append(server)
        _check(ns.bindAddr(server, address) == 0, "bindAddr")
        _check(ns.listen(server) == 0, "listen")
        host, port = ns.getLocalAddr(server, domain)
        say(f"listening on {host!r} port {port}")
        target = address
        if domain != ns.AF_UNIX:
            with ns.getAddrInfo(host, port, domain) as ai:
                target = ai.ai_addr
        client = ns.createNativeSocket(domain, ns.SOCK_STREAM, proto)
        _check(client != ns.osInvalidSocket, "createNativeSocket")
        handles.append(client)
        _check(ns.connect(client, target) == 0, "connect")
        conn, peer = ns.accept(server)
        _check(conn != ns.osInvalidSocket, "accept")
        handles.append(conn)
        say(f"accepted a connection from {peer!r}")
        message = b"ping from nativesockets"
        _check(ns.send(client, message) == len(message), "send")
        ready = [conn]
        _check(ns.selectRead(ready, 2000) == 1, "selectRead")
        buf = bytearray(64)
        n = ns.recv(conn, buf)
        _check(n == len(message), "recv")
        _check(ns.send(conn, buf, n) == n, "send")
        back = bytearray(64)
        _check(ns.recv(client, back) == n and back[:n] == message, "recv")
        say(f"echoed {n} bytes and got them back")
    finally:
        for h in reversed(handles):
            ns.close(h)


def _has_ipv6_loopback() -> bool:
    s = ns.createNativeSocket(ns.AF_INET6)
    if s == ns.osInvalidSocket:
        return False
    try:
        return ns.bindAddr(s, ns.Sockaddr_in6("::1", 0)) == 0
    finally:
        ns.close(s)


def selfcheck() -> int:
    """Run the loopback echo on every family this host has; 0 if all passed."""
    print(f"nativesockets self-check on {ns.getHostname()!r}")
    failures = 0
    with tempfile.TemporaryDirectory(prefix="nativesockets-") as tmp:
        cases: list[tuple[str, ns.Domain, Callable[[], ns.SockAddr]]] = [
            ("IPv4", ns.AF_INET, lambda: ns.Sockaddr_in("127.0.0.1", 0)),
            ("IPv6", ns.AF_INET6, lambda: ns.Sockaddr_in6("::1", 0)),
            ("Unix", ns.AF_UNIX, lambda: ns.makeUnixAddr(os.path.join(tmp, "echo.sock"))),
        ]
        for label, domain, make in cases:
            if domain == ns.AF_INET6 and not _has_ipv6_loopback():
                print(f"{label}: skipped, this host has no ::1")
                continue
            try:
                _echo(domain, make(), functools.partial(_say, label))
                print(f"{label}: ok")
            except OSError as e:
                failures += 1
                print(f"{label}: FAILED: {e}")
    print("all checks passed" if failures == 0 else f"{failures} check(s) failed")
    return 0 if failures == 0 else 1


def resolve(host: str, port: int) -> None:
    with ns.getAddrInfo(host, port, ns.AF_UNSPEC, ns.SOCK_STREAM) as ai:
        for node in ai:
            family = ns.toKnownDomain(node.ai_family)
            name = family.name if family is not None else str(node.ai_family)
            text = ns.getAddrString(node.ai_addr)
            print(f"{name} {text} port {port}")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m nativesockets",
        description=(
            "Without a command: a loopback self-check, a TCP echo over IPv4 (127.0.0.1), "
            "IPv6 (::1, skipped where the host has none) and a Unix socket in a temporary "
            "directory; exit status 0 when every check passed. With a command: one lookup."
        ),
    )
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    sub.add_parser(
        "hostname",
        help="print the local host name (getHostname)",
        description="Print this host's name as gethostname(2) gives it (not the FQDN).",
    )
    r = sub.add_parser(
        "resolve",
        help="resolve HOST [PORT] (getAddrInfo)",
        description=(
            "Resolve HOST with getAddrInfo(HOST, PORT, AF_UNSPEC, SOCK_STREAM) and print "
            "each address: its family, its text and the port. HOST is a name or a numeric "
            "address; a name may be sent to the system's resolver (the hosts file, then DNS "
            "as /etc/nsswitch.conf says)."
        ),
    )
    r.add_argument("host", help="a host name, or an IPv4 or IPv6 address")
    r.add_argument(
        "port",
        nargs="?",
        type=int,
        default=0,
        help="a port number, 0..65535 (default 0); a service name such as http is refused",
    )
    s = sub.add_parser(
        "service",
        help="look up service NAME for PROTO (getServByName)",
        description=(
            "Look NAME up in the services database (/etc/services) for protocol PROTO and "
            "print its name, port/protocol and aliases."
        ),
    )
    s.add_argument("name", help="a service name such as http")
    s.add_argument("proto", help="the transport protocol's name: tcp or udp")
    pr = sub.add_parser(
        "proto",
        help="look up protocol NAME (getProtoByName)",
        description="Print the number of protocol NAME from the protocols database.",
    )
    pr.add_argument("name", help="a protocol name such as tcp, udp or icmp")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command is None:
            return selfcheck()
        if args.command == "hostname":
            print(ns.getHostname())
        elif args.command == "resolve":
            resolve(args.host, args.port)
        elif args.command == "service":
            s = ns.getServByName(args.name, args.proto)
            aliases = " ".join(s.aliases)
            print(f"{s.name} {s.port}/{s.proto}" + (f" aliases: {aliases}" if aliases else ""))
        elif args.command == "proto":
            print(ns.getProtoByName(args.name))
    except (OSError, ValueError) as e:
        print(f"nativesockets: error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

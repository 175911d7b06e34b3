"""What differs between the systems the package runs on, as tables: each value with its reason,
the running system's row asserted (README, "Platforms"). A system missing from a table fails
with a request to add its row, so that no Linux value passes for universal.

The tables cover: the length byte BSD-derived systems put first in every sockaddr
(NS_HAS_SA_LEN), sun_path's size, Linux's abstract Unix names (an unnamed socket elsewhere is
a zeroed sun_path, which is no name), the names exported where the system has them
(constants.CONDITIONAL_NAMES), SIGPIPE on a write to a closed peer, and the feature flags the
C shim sets. The AI_V4MAPPED emulation FreeBSD, NetBSD and OpenBSD use runs here too, against the
system's own AI_V4MAPPED."""

from __future__ import annotations

import os
import re
import signal
import socket
import struct
import subprocess
import sys
from pathlib import Path
from typing import Any, TypeVar

import pytest
from conftest import HAS_IPV6, NO_IPV6, Handles, needs_unix, needs_unshare, run_offline

import nativesockets as ns
from nativesockets import constants
from nativesockets._ffi import ffi, lib

# linux, darwin, freebsd, netbsd, openbsd, sunos (illumos), win32: sys.platform less its version
SYSTEM = sys.platform if sys.platform == "win32" else re.sub(r"\d+$", "", sys.platform)
T = TypeVar("T")


def row(table: dict[str, T]) -> T:
    """This system's value in table; a system the table lacks fails, asking for its row."""
    if SYSTEM not in table:
        pytest.fail(f"{SYSTEM}: add this system's row to the table (tests/test_platforms.py)")
    return table[SYSTEM]


# The length byte first in every sockaddr (sa_len...): 4.4BSD's layout, kept by macOS and the
# BSDs; Linux, illumos and Winsock have a 16-bit family there instead.
SA_LEN = {
    "linux": False,
    "sunos": False,
    "win32": False,
    "darwin": True,
    "freebsd": True,
    "netbsd": True,
    "openbsd": True,
}
# sizeof(sun_path): <sys/un.h> of each system (Windows: afunix.h).
SUN_PATH = {
    "linux": 108,
    "sunos": 108,  # illumos
    "win32": 108,
    "darwin": 104,
    "freebsd": 104,
    "netbsd": 104,
    "openbsd": 104,
}
# Whether a sun_path starting with NUL is an abstract name: Linux's namespace alone (CPython
# and socket2 decode it on Linux only). Elsewhere such a sun_path is an unnamed socket's.
ABSTRACT = {
    "linux": True,
    "sunos": False,
    "win32": False,
    "darwin": False,
    "freebsd": False,
    "netbsd": False,
    "openbsd": False,
}
# The C shim's feature flags on each system (csrc/posix.c, csrc/winsock.c; tools/crosscheck.py
# checks the same table by cross-compiling).
FLAGS = {
    #          ACCEPT4 MMSG REUSEPORT NOSIGPIPE V4MAPPED SA_LEN ABSTRACT
    "linux": (1, 1, 1, 0, 1, 0, 1),
    "darwin": (0, 0, 1, 1, 1, 1, 0),  # no accept4, no mmsg; Apple's SO_NOSIGPIPE
    "freebsd": (1, 1, 1, 0, 0, 1, 0),  # AI_V4MAPPED defined but not mapping: emulated
    "netbsd": (1, 1, 1, 0, 0, 1, 0),  # no AI_V4MAPPED: emulated
    "openbsd": (1, 0, 1, 0, 0, 1, 0),  # no AI_V4MAPPED: emulated; the mmsg loop
    "sunos": (1, 0, 0, 0, 1, 0, 0),  # illumos: no SO_REUSEPORT
    "win32": (0, 0, 1, 0, 1, 0, 0),  # SO_REUSEPORT is SO_REUSEADDR, as in Nim's winlean
}
FLAG_NAMES = [
    "NS_HAS_ACCEPT4",
    "NS_HAS_MMSG",
    "NS_HAS_SO_REUSEPORT",
    "NS_HAS_SO_NOSIGPIPE",
    "NS_HAS_AI_V4MAPPED",
    "NS_HAS_SA_LEN",
    "NS_HAS_ABSTRACT_UNIX",
]
# Whether send() with no flags to a closed peer survives SIGPIPE's default action: on macOS,
# SO_NOSIGPIPE (set by createNativeSocket and accept) makes it fail with EPIPE; elsewhere
# SIGPIPE kills the process unless the caller passes MSG_NOSIGNAL (as in C, and in Nim).
SURVIVES_SIGPIPE_WITHOUT_MSG_NOSIGNAL = {
    "linux": False,
    "sunos": False,
    "darwin": True,
    "freebsd": False,
    "netbsd": False,
    "openbsd": False,
}


def header(family: int, length: int) -> bytes:
    """The first two bytes of a sockaddr of this family and length, as this system lays it."""
    if row(SA_LEN):
        return bytes([length, family])
    return struct.pack("=H", family)


def test_the_flags_are_this_systems() -> None:
    assert tuple(getattr(lib, name) for name in FLAG_NAMES) == row(FLAGS)


# --- sockaddr layouts: the length byte --------------------------------------------------------


def test_sockaddr_in_bytes_are_the_kernels_layout() -> None:
    a = ns.Sockaddr_in("10.1.2.3", 0x1234)
    expected = header(socket.AF_INET, 16) + b"\x12\x34" + bytes([10, 1, 2, 3]) + bytes(8)
    assert bytes(a) == expected


def test_sockaddr_in6_bytes_are_the_kernels_layout() -> None:
    a = ns.Sockaddr_in6("2001:db8::1", 0x1234, 0x56789, 7)
    expected = (
        header(socket.AF_INET6, 28)
        + b"\x12\x34"
        + struct.pack("!I", 0x56789)
        + socket.inet_pton(socket.AF_INET6, "2001:db8::1")
        + struct.pack("=I", 7)
    )
    assert bytes(a) == expected


def test_sockaddr_un_bytes_are_the_kernels_layout() -> None:
    a = ns.Sockaddr_un(b"/tmp/x")
    offset = 2
    assert bytes(a) == header(ns.AF_UNIX, offset + 7) + b"/tmp/x\0"


@pytest.mark.parametrize("fam", ["ipv4", "ipv6"])
def test_a_built_address_equals_the_one_the_kernel_returns(fam: str, handles: Handles) -> None:
    # recvfrom fills the sender as the kernel has it (sin_len included on the BSDs)
    if fam == "ipv6" and not HAS_IPV6:
        pytest.skip(NO_IPV6)
    domain, host, build = {
        "ipv4": (ns.AF_INET, "127.0.0.1", ns.Sockaddr_in),
        "ipv6": (ns.AF_INET6, "::1", ns.Sockaddr_in6),
    }[fam]
    a = handles.socket(domain, ns.SOCK_DGRAM, ns.IPPROTO_UDP)
    b = handles.socket(domain, ns.SOCK_DGRAM, ns.IPPROTO_UDP)
    assert ns.bindAddr(a, build(host, 0)) == 0
    assert ns.bindAddr(b, build(host, 0)) == 0
    assert ns.sendto(b, b"x", None, 0, build(host, ns.getSockName(a))) == 1
    sender = ns.Sockaddr_storage()
    assert ns.recvfrom(a, bytearray(4), None, 0, sender) == 1
    assert sender == build(host, ns.getSockName(b))


# --- Unix addresses: sun_path, abstract names, unnamed sockets --------------------------------


def test_sun_path_length_is_this_systems() -> None:
    assert ns.Sockaddr_un_path_length == lib.NS_SUN_PATH_LENGTH == row(SUN_PATH)


def test_a_zeroed_sun_path_is_abstract_on_linux_and_unnamed_elsewhere() -> None:
    # what macOS and the BSDs return for an unnamed socket: sun_family and 14 NUL bytes
    raw = header(ns.AF_UNIX, 16) + bytes(14)
    text = ns.getAddrString(ns.SockAddr(raw))
    assert text == ("\0" * 14 if row(ABSTRACT) else "")


@needs_unix
def test_an_abstract_name_round_trips_where_the_system_has_them(handles: Handles) -> None:
    if not row(ABSTRACT):
        pytest.skip(f"{SYSTEM} has no abstract namespace for Unix sockets")
    name = f"\0nativesockets-{os.getpid()}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.bind(name)
        assert ns.getLocalAddr(s.fileno(), ns.AF_UNIX) == (name, 0)


@needs_unix
def test_an_unnamed_unix_peer_is_empty_everywhere(sock_dir: Path, handles: Handles) -> None:
    # Linux returns only sun_family for an unnamed socket; macOS and the BSDs a zeroed
    # sun_path, which is no abstract name there: "" both ways
    server = handles.socket(ns.AF_UNIX, ns.SOCK_STREAM, ns.IPPROTO_IP)
    assert ns.bindAddr(server, ns.Sockaddr_un(sock_dir / "s")) == 0
    assert ns.listen(server) == 0
    client = handles.socket(ns.AF_UNIX, ns.SOCK_STREAM, ns.IPPROTO_IP)
    assert ns.connect(client, ns.Sockaddr_un(sock_dir / "s")) == 0
    conn, peer = ns.accept(server)
    handles.track(conn)
    assert peer == ""
    assert ns.getLocalAddr(client, ns.AF_UNIX) == ("", 0)
    assert ns.getPeerAddr(conn, ns.AF_UNIX) == ("", 0)


# --- names the system may lack ----------------------------------------------------------------


def test_each_conditional_name_is_exported_where_its_flag_is_set() -> None:
    for flag, names in constants.CONDITIONAL_NAMES.items():
        for name in names:
            assert hasattr(ns, name) is bool(getattr(lib, flag)), name
            assert (name in ns.__all__) is bool(getattr(lib, flag)), name


def test_SO_REUSEPORT_is_exported_where_the_system_has_it() -> None:
    # the stdlib has it where the headers do; Windows has none, and Nim's winlean (so this
    # package) gives SO_REUSEADDR's value under its name
    expected = socket.SO_REUSEADDR if SYSTEM == "win32" else getattr(socket, "SO_REUSEPORT", None)
    assert getattr(ns, "SO_REUSEPORT", None) == expected


def test_SO_NOSIGPIPE_is_exported_on_macOS_only() -> None:
    # Nim exports it on macOS only; 0x1022 in Apple's <sys/socket.h>
    expected = 0x1022 if SYSTEM == "darwin" else None
    assert getattr(ns, "SO_NOSIGPIPE", None) == expected


# --- SIGPIPE ----------------------------------------------------------------------------------

SIGPIPE_CHILD = """
import signal, sys, time
import nativesockets as ns
signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # as a C program, or Python embedded, has it
flags = int(sys.argv[1])
server = ns.createNativeSocket()
ns.bindAddr(server, ns.Sockaddr_in("127.0.0.1", 0))
ns.listen(server)
client = ns.createNativeSocket()
ns.connect(client, ns.Sockaddr_in("127.0.0.1", ns.getSockName(server)))
conn, _ = ns.accept(server)
ns.close(conn)
ns.close(server)
code = 0
for _ in range(500):  # writes succeed until the peer's reset is back; then ECONNRESET, EPIPE
    if ns.send(client, b"x" * 1024, None, flags) == -1:
        code = ns.osLastError()
        if code == ns.EPIPE:
            break
    time.sleep(0.01)
print("errno", code)
"""


@pytest.mark.skipif(SYSTEM == "win32", reason="Windows has no SIGPIPE")
@pytest.mark.parametrize("with_msg_nosignal", [True, False])
def test_a_write_to_a_closed_peer_with_sigpipe_at_its_default(with_msg_nosignal: bool) -> None:
    flags = ns.MSG_NOSIGNAL if with_msg_nosignal else 0  # type: ignore[attr-defined]
    r = subprocess.run(
        [sys.executable, "-c", SIGPIPE_CHILD, str(flags)], capture_output=True, text=True
    )
    survives = with_msg_nosignal or row(SURVIVES_SIGPIPE_WITHOUT_MSG_NOSIGNAL)
    if survives:
        assert r.returncode == 0, r.stderr
        assert r.stdout.split() == ["errno", str(ns.EPIPE)]  # type: ignore[attr-defined]
    else:
        assert r.returncode == -signal.SIGPIPE, (r.returncode, r.stdout, r.stderr)


@pytest.mark.skipif(SYSTEM != "darwin", reason="SO_NOSIGPIPE is Apple's")
def test_created_and_accepted_sockets_have_SO_NOSIGPIPE(handles: Handles) -> None:
    option: Any = ns.SO_NOSIGPIPE  # type: ignore[attr-defined]
    server = handles.track(ns.createNativeSocket())
    assert ns.getSockOptInt(server, ns.SOL_SOCKET, option) != 0
    assert ns.bindAddr(server, ns.Sockaddr_in("127.0.0.1", 0)) == 0
    assert ns.listen(server) == 0
    with socket.create_connection(("127.0.0.1", int(ns.getSockName(server)))):
        conn, _ = ns.accept(server)
        handles.track(conn)
        assert ns.getSockOptInt(conn, ns.SOL_SOCKET, option) != 0


# --- AI_V4MAPPED where the system lacks it ----------------------------------------------------


def nodes(res: Any) -> list[tuple[int, int, int, bytes]]:
    out = []
    while res != ffi.NULL:
        out.append(
            (
                res.ai_family,
                res.ai_socktype,
                res.ai_protocol,
                ffi.buffer(res.ai_addr, res.ai_addrlen)[:],
            )
        )
        res = res.ai_next
    return out


@pytest.mark.parametrize(
    ("host", "family"),
    [
        ("127.0.0.1", ns.AF_INET6),  # no IPv6 answer: the IPv4 one, mapped
        ("::1", ns.AF_INET6),
        ("::ffff:10.0.0.1", ns.AF_INET6),
        ("127.0.0.1", ns.AF_INET),
        ("127.0.0.1", ns.AF_UNSPEC),
    ],
)
def test_the_v4mapped_emulation_gives_what_the_system_gives(host: str, family: int) -> None:
    # the BSDs run the emulation for every lookup (NS_HAS_AI_V4MAPPED == 0); here it
    # runs beside the system's AI_V4MAPPED, which it must match
    args = (host.encode(), 80, int(family), int(ns.SOCK_STREAM), int(ns.IPPROTO_TCP), 0)
    emulated = ffi.gc(lib.ns_getaddrinfo_emulated(*args), lib.ns_free_addrinfo_copy)
    assert emulated != ffi.NULL, lib.ns_gai_error()
    if lib.NS_HAS_AI_V4MAPPED:
        system = ffi.gc(lib.ns_getaddrinfo(*args), lib.ns_freeaddrinfo)
        assert nodes(emulated) == nodes(system)
    first = nodes(emulated)[0]
    if family == ns.AF_INET6 and host == "127.0.0.1":
        assert first[3] == bytes(ns.Sockaddr_in6("::ffff:127.0.0.1", 80))


@needs_unshare
def test_the_v4mapped_emulation_reports_a_failed_lookup() -> None:
    # no IPv6 and no IPv4 answer: the IPv6 query's code, as the system's lookup gives it
    got = run_offline(
        """
from nativesockets._ffi import ffi, lib
import nativesockets as ns
args = (b"no-such-host.invalid", 80, int(ns.AF_INET6), int(ns.SOCK_STREAM), 0, 0)
emulated = lib.ns_getaddrinfo_emulated(*args)
code = lib.ns_gai_error()
system = lib.ns_getaddrinfo(*args)
report([emulated == ffi.NULL, code, system == ffi.NULL, lib.ns_gai_error()])
"""
    )
    assert got[0] is True and got[2] is True
    assert got[1] != 0
    if lib.NS_HAS_AI_V4MAPPED:
        assert got[1] == got[3]

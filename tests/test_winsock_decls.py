"""The Winsock declaration check (tools/windows/declcheck.py) passes on the real declarations
and catches each kind of mistake planted in them: a wrong constant, a wrong field order, a
missing field, a wrong field or parameter type, a missing __stdcall (i686 only), a constant
whose sign cffi would read wrong, a helper csrc/winsock.c lacks.

Runs on Linux with Debian's mingw-w64 compilers (gcc-mingw-w64-x86-64-win32,
gcc-mingw-w64-i686-win32); each test skips where its compiler is missing.
"""

from __future__ import annotations

import ast
import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _load_declcheck() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "declcheck", ROOT / "tools" / "windows" / "declcheck.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("declcheck", module)
    spec.loader.exec_module(module)
    return module


declcheck = _load_declcheck()
ARCHS = ["x86_64", "i686"]


def cc(arch: str) -> str:
    path = declcheck.compiler(arch)
    if path is None:
        pkg = {"x86_64": "x86-64", "i686": "i686"}[arch]
        pytest.skip(f"no {arch} mingw-w64 compiler (apt: gcc-mingw-w64-{pkg}-win32)")
    return str(path)


def check(arch: str, build: Any) -> tuple[int, str]:
    r = declcheck.compile_check(declcheck.generate(build), cc(arch), build.defines)
    return r.returncode, r.stderr


def planted(old: str, new: str, name: str = "cdefs/winsock.h") -> Any:
    """The Windows build's inputs with one cdef file changed; the change must apply."""
    files = declcheck.cdef_files()
    texts = dict(files)
    assert texts[name].count(old) == 1, f"{old!r} is not once in {name}: update this test"
    return declcheck.build_inputs([(n, t.replace(old, new) if n == name else t) for n, t in files])


@pytest.mark.parametrize("arch", ARCHS)
def test_the_declarations_match_the_windows_headers(arch: str) -> None:
    code, errors = check(arch, declcheck.build_inputs())
    assert code == 0, errors


def test_every_declaration_is_checked() -> None:
    build = declcheck.build_inputs()
    text = declcheck.generate(build)
    for key in build.declarations:
        kind, name = key.split(" ", 1)
        if kind == "function":
            assert f"= {name}; (void)ns_fn_{name};" in text, key
        elif kind in ("macro", "constant", "typedef"):
            assert re.search(rf"_Static_assert\(.*\b{name}\b", text), key
        else:
            assert f"(({kind} {name} *)0)->" in text, key


# (what is planted, where the compiler must point, the text of the error)
MISTAKES = {
    "wrong AF_INET6": (
        ("#define AF_INET6 23", "#define AF_INET6 10"),
        "#define AF_INET6 10: the headers give another value or sign",
    ),
    "addrinfo in POSIX field order": (
        (
            "    char *ai_canonname;\n    struct sockaddr *ai_addr;",
            "    struct sockaddr *ai_addr;\n    char *ai_canonname;",
        ),
        "struct addrinfo: the layout in the headers differs from the declaration: "
        "offset of ai_addr (field order?)",
    ),
    "missing field": (
        ("    struct addrinfo *ai_next;\n};", "};"),
        "struct addrinfo: the layout in the headers differs from the declaration "
        "(size or alignment)",
    ),
    "POSIX field type": (
        ("short s_port;", "int s_port;"),
        "struct servent: field s_port has another type",
    ),
    "POSIX parameter type": (
        ("gethostbyaddr(const char *, int, int)", "gethostbyaddr(const void *, int, int)"),
        "incompatible pointer type",
    ),
}


@pytest.mark.parametrize("arch", ARCHS)
@pytest.mark.parametrize("mistake", sorted(MISTAKES))
def test_a_planted_mistake_fails_the_check(arch: str, mistake: str) -> None:
    (old, new), message = MISTAKES[mistake]
    code, errors = check(arch, planted(old, new))
    assert code != 0
    assert message in errors.replace("\\'", "'")
    assert re.search(r"cdefs/winsock\.h:\d+:", errors), errors  # it points at the cdef


def test_the_error_names_the_line_of_the_wrong_declaration() -> None:
    arch = "x86_64"
    build = planted("#define AF_INET6 23", "#define AF_INET6 10")
    code, errors = check(arch, build)
    text = dict(build.cdef_files)["cdefs/winsock.h"]
    line = text.splitlines().index("#define AF_INET6 10") + 1
    assert code != 0
    assert f"cdefs/winsock.h:{line}:" in errors


def test_a_missing_stdcall_fails_on_i686_only() -> None:
    build = planted("int __stdcall bind(", "int bind(")
    code64, _ = check("x86_64", build)
    code32, errors32 = check("i686", build)
    assert code64 == 0  # one calling convention on x86-64
    assert code32 != 0
    assert "incompatible pointer type" in errors32
    assert "stdcall" in errors32


@pytest.mark.parametrize("arch", ARCHS)
def test_a_constant_cffi_would_read_unsigned_fails(arch: str) -> None:
    # Without csrc/winsock.c's signed recast, FIONBIO is the headers' unsigned 0x8004667E:
    # cffi would read 2147772030, not the seed's -2147195266.
    build = declcheck.build_inputs()
    for line in (
        "#undef IOC_IN\n",
        "#undef FIONBIO\n",
        "#define IOC_IN ((long)ns_ioc_in)\n",
        "#define FIONBIO ((long)ns_fionbio)\n",
    ):
        assert build.source.count(line) == 1, f"{line!r}: update this test"
        build.source = build.source.replace(line, "")
    code, errors = check(arch, build)
    assert code != 0
    assert "#define FIONBIO -2147195266: the headers give another value or sign" in errors


@pytest.mark.parametrize("arch", ARCHS)
def test_a_helper_missing_from_the_c_source_fails(arch: str) -> None:
    build = planted(
        "int ns_startup(void);",
        "int ns_startup(void);\nint ns_not_written(ns_handle s);",
        "cdefs/shim.h",
    )
    code, errors = check(arch, build)
    assert code != 0
    assert "ns_not_written" in errors


# --- what the package reads from lib, on Windows -------------------------------------------

# Read only on POSIX: constants.py's POSIX branch and sockets.fcntl (not exported on Windows).
POSIX_ONLY = {
    "F_GETFL", "F_SETFL", "O_NONBLOCK", "MSG_NOSIGNAL", "EAGAIN", "EWOULDBLOCK",
    "EINPROGRESS", "ECONNRESET", "EPIPE", "ENETRESET", "EBADF", "ns_fcntl", "NS_FCNTL_NOT_INT",
    "F_GETFD", "F_SETFD", "FD_CLOEXEC", "MSG_DONTWAIT",
}  # fmt: skip


def lib_names_read_by_the_package() -> set[str]:
    names = set()
    for path in (ROOT / "nativesockets").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id in ("lib", "_lib", "_win", "winsock")
            ):
                names.add(node.attr)
    return names


def test_the_windows_cdefs_declare_what_the_package_reads() -> None:
    declared = {key.split(" ", 1)[1] for key in declcheck.build_inputs().declarations}
    missing = lib_names_read_by_the_package() - declared
    assert missing <= POSIX_ONLY, sorted(missing - POSIX_ONLY)


# --- the Windows face, where it runs (nox -s windows: Windows CPython under wine) ------------

windows_only = pytest.mark.skipif(
    sys.platform != "win32", reason="Winsock's own names and values exist on Windows only"
)
WINSOCK_CODES = [
    "WSAEWOULDBLOCK", "WSAECONNRESET", "WSAECONNABORTED", "WSAENETRESET", "WSANOTINITIALISED",
    "WSAENOTSOCK", "WSAEINPROGRESS", "WSAEINTR", "WSAEDISCON",
]  # fmt: skip


@windows_only
def test_the_seed_values_hold_on_windows() -> None:
    import nativesockets as ns

    assert (ns.IOCPARM_MASK, ns.IOC_IN, ns.FIONBIO) == (127, -2147483648, -2147195266)
    assert int(ns.AF_INET6) == ns.toInt(ns.AF_INET6) == 23
    assert ns.osInvalidSocket == -1  # as Nim's winlean and socket.socket.fileno() give it
    assert ns.ERROR_NETNAME_DELETED == 64


@windows_only
@pytest.mark.parametrize("name", WINSOCK_CODES)
def test_the_winsock_codes_are_the_systems(name: str) -> None:
    import errno

    import nativesockets as ns

    assert getattr(ns, name) == getattr(errno, name)


@windows_only
def test_ioctlsocket_FIONBIO_makes_accept_return_at_once() -> None:
    import array

    import nativesockets as ns

    s = ns.createNativeSocket()
    try:
        assert ns.bindAddr(s, ns.Sockaddr_in("127.0.0.1", 0)) == 0
        assert ns.listen(s) == 0
        on = array.array("L", [1])
        assert ns.ioctlsocket(s, ns.FIONBIO, on) == 0
        assert ns.accept(s) == (ns.osInvalidSocket, "")
        assert ns.osLastError() == ns.WSAEWOULDBLOCK
        assert ns.ioctlsocket(s, ns.FIONBIO, bytearray(4)) == 0  # blocking again
    finally:
        ns.close(s)


@windows_only
def test_ioctlsocket_checks_its_arguments_and_reports_failure() -> None:
    import nativesockets as ns

    with pytest.raises(TypeError):
        ns.ioctlsocket(1, ns.FIONBIO, b"\1\0\0\0")  # not writable
    with pytest.raises(ValueError):
        ns.ioctlsocket(1, ns.FIONBIO, bytearray(2))  # shorter than a u_long
    with pytest.raises(ValueError):
        ns.ioctlsocket(-1, ns.FIONBIO, bytearray(4))
    with pytest.raises(ValueError):
        ns.ioctlsocket(1, 2147772030, bytearray(4))  # the unsigned spelling is not a long
    s = ns.createNativeSocket()
    ns.close(s)
    assert ns.ioctlsocket(s, ns.FIONBIO, bytearray(4)) == -1
    assert ns.osLastError() == ns.WSAENOTSOCK


@windows_only
def test_selectRead_takes_more_handles_than_FD_SETSIZE() -> None:
    import socket

    import nativesockets as ns

    socks = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(100)]
    try:
        for s in socks:
            s.bind(("127.0.0.1", 0))
        target = socks[80]
        socks[0].sendto(b"x", target.getsockname())
        fds = [s.fileno() for s in socks]
        assert ns.selectRead(fds, 10_000) == 1
        assert fds == [target.fileno()]
    finally:
        for s in socks:
            s.close()


@windows_only
def test_raiseOSError_gives_the_error_the_stdlib_gives() -> None:
    import nativesockets as ns

    with pytest.raises(ConnectionResetError) as info:
        ns.raiseOSError(ns.WSAECONNRESET, "recv(5)")
    assert info.value.winerror == ns.WSAECONNRESET
    assert info.value.strerror.startswith("recv(5): ")

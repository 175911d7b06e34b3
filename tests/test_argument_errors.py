"""Argument errors name the proc (or class) that rejected the argument, and the argument."""

from __future__ import annotations

from typing import Any, Callable

import pytest

import nativesockets as ns

Port_out = 2**16

CASES: list[tuple[Callable[[], Any], type[Exception], str]] = [
    (lambda: ns.close(-1), ValueError, "close(): invalid socket handle -1"),
    (lambda: ns.setBlocking("3", True), TypeError, "setBlocking(): a socket handle must be an int"),
    (lambda: ns.listen(0, "x"), TypeError, "listen(): backlog must be an int, not str"),
    (lambda: ns.recv(0, bytearray(3), 9), ValueError, "recv(): length out of range [0, 3]: 9"),
    (lambda: ns.selectRead([0], -5), ValueError, "selectRead(): timeout out of range"),
    (lambda: ns.getServByName("a\0", "tcp"), ValueError, "getServByName(): name must not"),
    (lambda: ns.getAddrInfo(b"x\0", 80), ValueError, "getAddrInfo(): address must not"),
    (lambda: ns.Port(70000), ValueError, "Port(): port out of range [0, 65535]: 70000"),
    # the proc called, not the Port it makes on the way
    (lambda: ns.getAddrInfo("x", 70000), ValueError, "getAddrInfo(): port out of range"),
    (lambda: ns.getAddrInfo("x", "80"), TypeError, "getAddrInfo(): port must be an int"),
    (lambda: ns.getServByPort(Port_out, "tcp"), ValueError, "getServByPort(): port out of"),
    (lambda: ns.makeUnixAddr(b"a\0b"), ValueError, "makeUnixAddr(): path must not contain"),
    (lambda: ns.Sockaddr_un(b"a\0b"), ValueError, "Sockaddr_un(): path must not contain NUL"),
    (lambda: ns.toKnownDomain("2"), TypeError, "toKnownDomain(): family must be an int"),
]


@pytest.mark.parametrize(("call", "kind", "message"), CASES)
def test_argument_errors_name_the_proc(
    call: Callable[[], Any], kind: type[Exception], message: str
) -> None:
    with pytest.raises(kind) as info:
        call()
    assert str(info.value).startswith(message)

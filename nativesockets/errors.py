"""osLastError and raiseOSError, and the argument checks every proc shares."""

from __future__ import annotations

import operator
import os
import sys
from typing import Any, NoReturn

from nativesockets._ffi import ffi, lib

HANDLE_MAX: int = lib.NS_HANDLE_MAX
_WINDOWS = bool(lib.NS_WINDOWS)
_win: Any = lib  # for the Windows-only names: the stub types the POSIX lib

# WSAStartup on Windows (nothing on POSIX), once, at import.
_startup_error: int = lib.ns_startup()
if _startup_error:
    raise ImportError(
        f"nativesockets: WSAStartup(2.2) failed, Winsock cannot be used: "
        f"[WinError {_startup_error}] {ffi.getwinerror(_startup_error)[1]}"
    )


def osLastError() -> int:
    """Return the error code of this thread's last failed call.

    POSIX: ``errno`` as saved right after the call. Windows: ``WSAGetLastError()`` (cffi
    saves it after each call too). Raises nothing.
    """
    if _WINDOWS:
        return int(_win.WSAGetLastError())
    return ffi.errno


def raiseOSError(code: int, info: str = "") -> NoReturn:
    """Raise the ``OSError`` subclass that matches ``code`` (as ``OSError(errno, text)`` does).

    ``info`` is put in front of the system's message: ``"connect(5, ...): Connection refused"``.
    POSIX: the text is ``strerror``'s. Windows: ``code`` is a Winsock or Windows error, the text
    the system's (``FormatMessage``), ``winerror`` is ``code`` and ``errno`` its errno
    equivalent, as in the OSError the stdlib's socket module raises.

    Always raises OSError; TypeError if ``code`` is not an int.
    """
    if not hasattr(code, "__index__"):  # a bool is an int here, as in OSError(True, ...)
        raise TypeError(f"raiseOSError(): code must be an int, not {type(code).__name__}")
    code = operator.index(code)
    if not -(2**31) <= code <= 2**31 - 1:  # no system error; strerror cannot take it
        raise OSError(code, f"{info}: Unknown error {code}" if info else f"Unknown error {code}")
    if _WINDOWS:
        text = ffi.getwinerror(code)[1]
        if text == "Windows Error 0x%X":  # no system text: cffi's fallback, unformatted < 3.12
            text = f"Windows Error 0x{code & 0xFFFFFFFF:X}"
        raise OSError(code, f"{info}: {text}" if info else text, None, code)
    text = os.strerror(code)
    raise OSError(code, f"{info}: {text}" if info else text)


def fail(info: str) -> NoReturn:
    """Raise the OSError for this thread's last error, naming the call in ``info``."""
    raiseOSError(osLastError(), info)


def _proc() -> str:
    """The public proc of this package that the caller called, as ``"name(): "``: the
    outermost one on the call stack, so that ``getAddrInfo(host, 70000)`` names
    getAddrInfo, not the Port it builds on the way.

    Read from the call stack, and only on the way to raising: the checks cost nothing more
    when the arguments are right.
    """
    frame = sys._getframe(1)
    found = ""
    while frame is not None and frame.f_globals.get("__name__", "").startswith("nativesockets."):
        name = frame.f_code.co_name
        if name in ("__init__", "__new__"):  # a constructor: name its class
            owner = frame.f_locals.get("self", frame.f_locals.get("cls"))
            name = owner.__name__ if isinstance(owner, type) else type(owner).__name__
        if not name.startswith(("_", "<")) and name not in _CHECKS:  # no helper, no lambda
            found = f"{name}(): "
        frame = frame.f_back  # type: ignore[assignment]
    return found


def handle(s: object) -> int:
    """Validate a SocketHandle; the slow path behind each proc's inline check."""
    if isinstance(s, bool) or not hasattr(s, "__index__"):
        raise TypeError(f"{_proc()}a socket handle must be an int, not {type(s).__name__}")
    value = operator.index(s)  # pyright: ignore[reportArgumentType]
    if not 0 <= value <= HANDLE_MAX:
        raise ValueError(f"{_proc()}invalid socket handle {value}")
    return value


def c_string(value: object, what: str) -> bytes:
    """A str or bytes argument as a NUL-free C string."""
    if isinstance(value, str):
        data = value.encode("utf-8", "surrogateescape")
    elif isinstance(value, bytes):
        data = value
    else:
        raise TypeError(f"{_proc()}{what} must be str or bytes, not {type(value).__name__}")
    if 0 in data:  # the int: a memchr, several times faster than b"\0" in data
        raise ValueError(f"{_proc()}{what} must not contain NUL bytes: {value!r}")
    return data


def c_int(value: object, what: str, low: int = -(2**31), high: int = 2**31 - 1) -> int:
    """An int argument in [low, high]: TypeError or ValueError otherwise."""
    if isinstance(value, bool) or not hasattr(value, "__index__"):
        raise TypeError(f"{_proc()}{what} must be an int, not {type(value).__name__}")
    number = operator.index(value)  # pyright: ignore[reportArgumentType]
    if not low <= number <= high:
        raise ValueError(f"{_proc()}{what} out of range [{low}, {high}]: {number}")
    return number


def bad_buffer(value: object, writable: bool, what: str = "buffer") -> TypeError:
    """The TypeError for an argument that is not the contiguous buffer a proc needs."""
    kind = type(value).__name__
    if not writable:
        hint = " (encode text first: b'...' or s.encode())" if isinstance(value, str) else ""
        return TypeError(
            f"{_proc()}{what} must be a bytes-like object (bytes, bytearray, memoryview...) "
            f"and contiguous, not {kind}{hint}"
        )
    hint = ""
    if isinstance(value, int) and not isinstance(value, bool):
        hint = f" (the call fills a buffer it is given: pass bytearray({value}))"
    elif isinstance(value, (bytes, str)):
        hint = " (bytes and str are read-only: pass a bytearray)"
    return TypeError(
        f"{_proc()}{what} must be a writable, contiguous bytes-like object (a bytearray, "
        f"a writable memoryview...), not {kind}{hint}"
    )


def flag(value: object, what: str) -> bool:
    """A boolean argument: a bool, or an int taken by its truth value, as everywhere in this
    package; TypeError for anything else (a string such as "no" is not silently true)."""
    if type(value) is bool:
        return value
    if not isinstance(value, int):
        raise TypeError(f"{_proc()}{what} must be a bool, not {type(value).__name__}")
    return bool(value)


_CHECKS = {"handle", "c_string", "c_int", "fail", "flag", "bad_buffer", "sockaddr"}

"""osLastError and raiseOSError, and the argument checks every proc shares."""

from __future__ import annotations

import operator
import os
from typing import NoReturn

from nativesockets._ffi import ffi, lib

HANDLE_MAX: int = lib.NS_HANDLE_MAX


def osLastError() -> int:
    """Return the error code of this thread's last failed call.

    POSIX: ``errno`` as saved right after the call. Windows: ``WSAGetLastError()``.
    """
    return ffi.errno


def raiseOSError(code: int, info: str = "") -> NoReturn:
    """Raise the ``OSError`` subclass that matches ``code`` (as ``OSError(errno, text)`` does).

    ``info`` is put in front of the system's message: ``"connect(5, ...): Connection refused"``.
    """
    code = operator.index(code)
    text = os.strerror(code)
    raise OSError(code, f"{info}: {text}" if info else text)


def fail(info: str) -> NoReturn:
    """Raise the OSError for this thread's last error, naming the call in ``info``."""
    raiseOSError(ffi.errno, info)


def handle(s: object) -> int:
    """Validate a SocketHandle; the slow path behind each proc's inline check."""
    if isinstance(s, bool) or not hasattr(s, "__index__"):
        raise TypeError(f"a socket handle must be an int, not {type(s).__name__}")
    value = operator.index(s)  # type: ignore[call-overload]
    if not 0 <= value <= HANDLE_MAX:
        raise ValueError(f"invalid socket handle {value}")
    return value


def c_string(value: object, what: str) -> bytes:
    """A str or bytes argument as a NUL-free C string."""
    if isinstance(value, str):
        data = value.encode("utf-8", "surrogateescape")
    elif isinstance(value, bytes):
        data = value
    else:
        raise TypeError(f"{what} must be str or bytes, not {type(value).__name__}")
    if b"\0" in data:
        raise ValueError(f"{what} must not contain NUL bytes: {value!r}")
    return data


def c_int(value: object, what: str, low: int = -(2**31), high: int = 2**31 - 1) -> int:
    """An int argument in [low, high]: TypeError or ValueError otherwise."""
    if isinstance(value, bool) or not hasattr(value, "__index__"):
        raise TypeError(f"{what} must be an int, not {type(value).__name__}")
    number = operator.index(value)  # type: ignore[call-overload]
    if not low <= number <= high:
        raise ValueError(f"{what} out of range [{low}, {high}]: {number}")
    return number

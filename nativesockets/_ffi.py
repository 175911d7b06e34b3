"""The one place the compiled module is imported."""

from nativesockets._native import ffi, lib

__all__ = ["ffi", "lib"]

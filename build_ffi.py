"""Compile nativesockets._native with cffi in API mode.

The declarations are cdefs/<platform>.h plus cdefs/shim.h; the C source is
csrc/<platform>.c. The platform is "posix" or "winsock", chosen from the host
or forced with NATIVESOCKETS_PLATFORM (for cross-builds).
"""

import os
import sys
from pathlib import Path

from cffi import FFI

HERE = Path(__file__).resolve().parent
PLATFORM = os.environ.get("NATIVESOCKETS_PLATFORM") or (
    "winsock" if sys.platform == "win32" else "posix"
)
LIBRARIES = {"posix": [], "winsock": ["ws2_32"]}[PLATFORM]

ffi = FFI()
ffi.cdef((HERE / "cdefs" / f"{PLATFORM}.h").read_text())
ffi.cdef((HERE / "cdefs" / "shim.h").read_text())
ffi.set_source(
    "nativesockets._native",
    (HERE / "csrc" / f"{PLATFORM}.c").read_text(),
    libraries=LIBRARIES,
)

if __name__ == "__main__":
    ffi.compile(tmpdir=str(HERE), verbose=True)

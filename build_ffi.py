"""Compile nativesockets._native with cffi in API mode.

The declarations are cdefs/<platform>.h plus the shared cdefs/shim.h, cdefs/batch.h and
cdefs/netdb.h; the C source is csrc/<platform>.c followed by the shared csrc/common.c and
csrc/netdb.c. The platform is "posix" or "winsock", chosen
from the host or forced with NATIVESOCKETS_PLATFORM (for cross-builds).
"""

import os
import sys
from pathlib import Path

from cffi import FFI

HERE = Path(__file__).resolve().parent
PLATFORM = os.environ.get("NATIVESOCKETS_PLATFORM") or (
    "winsock" if sys.platform == "win32" else "posix"
)
# illumos (and Solaris) keep the socket calls in libsocket and the resolver in libnsl.
SUNOS = sys.platform.startswith("sunos")
LIBRARIES = {"posix": ["socket", "nsl"] if SUNOS else [], "winsock": ["ws2_32"]}[PLATFORM]
# Winsock: no winsock.h (v1) from windows.h; MSVC quiet about gethostbyname and kin.
DEFINES = {
    "posix": [],
    "winsock": [("WIN32_LEAN_AND_MEAN", None), ("_WINSOCK_DEPRECATED_NO_WARNINGS", None)],
}[PLATFORM]

ffi = FFI()
for header in (f"{PLATFORM}.h", "shim.h", "batch.h", "netdb.h"):
    ffi.cdef((HERE / "cdefs" / header).read_text())
ffi.set_source(
    "nativesockets._native",
    "".join(
        f'#line 1 "csrc/{name}"\n' + (HERE / "csrc" / name).read_text()
        for name in (f"{PLATFORM}.c", "common.c", "netdb.c")
    ),
    libraries=LIBRARIES,
    define_macros=DEFINES,
)

if __name__ == "__main__":
    # An in-place build for development: compile in a scratch directory (away from
    # pyproject.toml, which an older setuptools would try to read) and copy the module in.
    import shutil
    import tempfile

    with tempfile.TemporaryDirectory() as scratch:
        shutil.copy(ffi.compile(tmpdir=scratch, verbose=True), HERE / "nativesockets")

"""The cross-build: the C that cffi emits for the Windows build (build_ffi.py with
NATIVESOCKETS_PLATFORM=winsock), compiled into nativesockets/_native.pyd by the x86-64
mingw-w64 compiler against a real Windows CPython's include/ and libs/python3.lib.

cffi's C asks for the limited API (Py_LIMITED_API) as with MSVC, so the module links to
python3.dll. Warnings are errors. -DMS_WIN64= tells pyconfig.h of Python <= 3.11 (which
knows only MSVC) that this is a 64-bit build; 3.12+ defines it itself, the same (empty) way.
libgcc is linked in statically: the .pyd needs nothing a Windows machine lacks.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from declcheck import compiler, load_build  # noqa: E402

FLAGS = ["-shared", "-O2", "-s", "-static-libgcc", "-std=gnu11", "-Wall", "-Wextra", "-Werror"]


def emit_c(out_dir: Path) -> tuple[Path, list[tuple[str, str | None]], list[str]]:
    """Write the Windows build's C to out_dir; return it, its defines and its libraries."""
    module = load_build("winsock")
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "_native.c"
    module.ffi.emit_c_code(str(path))
    _, _, _, kwds = module.ffi._assigned_source
    return path, kwds.get("define_macros", []), kwds.get("libraries", [])


def build_pyd(python_home: Path, out_dir: Path) -> Path:
    """Compile out_dir/_native.pyd against the Windows CPython in python_home."""
    cc = compiler("x86_64")
    if cc is None:
        raise RuntimeError("no x86-64 mingw-w64 compiler (apt: gcc-mingw-w64-x86-64-win32)")
    source, defines, libraries = emit_c(out_dir)
    target = out_dir / "_native.pyd"
    cmd = [cc, *FLAGS, "-DMS_WIN64="]
    cmd += [f"-D{n}" if v is None else f"-D{n}={v}" for n, v in defines]
    cmd += [f"-I{python_home / 'include'}", str(source), "-o", str(target)]
    cmd += [str(python_home / "libs" / "python3.lib"), *(f"-l{lib}" for lib in libraries)]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"cross-compile failed:\n{' '.join(cmd)}\n{r.stdout}{r.stderr}")
    return target


if __name__ == "__main__":
    from fetch import python_home

    for version in sys.argv[1:] or ["3.11", "3.13"]:
        out = Path("build") / "windows" / version
        print(build_pyd(python_home(version), out))

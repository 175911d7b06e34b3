"""The Winsock declaration check: every declaration cffi reads for the Windows build, proven
against the real Windows headers (mingw-w64's), on x86-64 and i686.

The declarations are cdefs/winsock.h and cdefs/shim.h as cffi itself parses them (through
build_ffi.py, so nothing here can drift from the build). They become one C file that starts
with the C source the build compiles (csrc/winsock.c, which includes <winsock2.h> and the
rest, then csrc/common.c) and then states, for the compiler to verify:

- each function assigned to a pointer of exactly the declared type, calling convention
  included (WSAAPI is __stdcall on i686): any other parameter or result type is an
  "incompatible pointer type" error;
- each ``#define NAME value`` equal to the value with the same sign as cffi will read it
  (a header's unsigned 0x8004667E is not the seed's -2147195266); each ``#define NAME ...``
  an integer constant;
- each ``typedef int... T`` an integer type;
- each struct field of the declared type; each fully declared struct (no ``...;``) of the
  same size, alignment and field offsets as the struct the declaration describes, so a wrong
  field order or a missing field fails.

Errors point at the line of the cdef that is wrong (``#line``). Usage:

    python tools/windows/declcheck.py            # both compilers; exit status 1 on a mistake
    python tools/windows/declcheck.py --emit x.c # write the C file too
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
COMPILERS = {
    "x86_64": ("x86_64-w64-mingw32-gcc-win32", "x86_64-w64-mingw32-gcc"),
    "i686": ("i686-w64-mingw32-gcc-win32", "i686-w64-mingw32-gcc"),
}
FLAGS = ["-std=gnu11", "-fsyntax-only", "-Wall", "-Wextra", "-Werror"]


def load_build(platform: str = "winsock") -> ModuleType:
    """build_ffi.py as the build runs it for ``platform``, under a private module name."""
    saved = os.environ.get("NATIVESOCKETS_PLATFORM")
    os.environ["NATIVESOCKETS_PLATFORM"] = platform
    try:
        spec = importlib.util.spec_from_file_location(
            f"_build_ffi_{platform}", ROOT / "build_ffi.py"
        )
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        if saved is None:
            del os.environ["NATIVESOCKETS_PLATFORM"]
        else:
            os.environ["NATIVESOCKETS_PLATFORM"] = saved
    return module


@dataclass
class Build:
    """What the declaration check needs from a build: declarations, C source, defines."""

    declarations: dict[str, tuple[Any, int]]
    cdef_files: list[tuple[str, str]]  # (name, text), to point errors at their lines
    source: str
    defines: list[tuple[str, str | None]]


def cdef_files() -> list[tuple[str, str]]:
    """(name, text) of the cdefs the Windows build reads: winsock.h and the shared ones."""
    paths = sorted((ROOT / "cdefs").glob("*.h"), key=lambda p: (p.name != "winsock.h", p.name))
    return [(f"cdefs/{p.name}", p.read_text()) for p in paths if p.name != "posix.h"]


def build_inputs(files: list[tuple[str, str]] | None = None) -> Build:
    """The Windows build's inputs; ``files`` (name, text) replaces its cdefs (for tests)."""
    from cffi import FFI

    module = load_build("winsock")
    _, source, _, kwds = module.ffi._assigned_source
    defines = kwds.get("define_macros", [])
    if files is None:  # the build's own declarations; the files only to find lines
        return Build(module.ffi._parser._declarations, cdef_files(), source, defines)
    ffi = FFI()
    for _, text in files:
        ffi.cdef(text)
    return Build(ffi._parser._declarations, files, source, defines)


class Locator:
    """The line of a cdef file that declares a name, for ``#line``."""

    def __init__(self, files: list[tuple[str, str]]) -> None:
        self.lines = [
            (name, i + 1, line)
            for name, text in files
            for i, line in enumerate(_without_comments(text).splitlines())
        ]

    def find(self, pattern: str, after: tuple[str, int] | None = None) -> tuple[str, int]:
        rx = re.compile(pattern)
        started = after is None
        for name, number, line in self.lines:
            if not started:
                started = (name, number) == after
                if not started:
                    continue
            if rx.search(line):
                return name, number
        return after if after is not None else ("cdefs", 1)


def _without_comments(text: str) -> str:
    """C text with each comment blanked out, its line breaks kept."""
    return re.sub(r"/\*.*?\*/", lambda m: re.sub(r"[^\n]", " ", m.group()), text, flags=re.S)


def _c_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _line(where: tuple[str, int]) -> str:
    return f'#line {where[1]} "{where[0]}"'


def _assert(condition: str, message: str) -> str:
    return f"_Static_assert({condition}, {_c_string(message)});"


def generate(build: Build) -> str:
    """The C file that the Windows headers must accept if every declaration is right."""
    from cffi import model

    loc = Locator(build.cdef_files)
    out = [
        "/* Generated by tools/windows/declcheck.py: the Winsock declarations of the cdefs,",
        " * checked against the C source of the build and the headers it includes. */",
        build.source,  # csrc/winsock.c and csrc/common.c, each after its #line
        '#line 1 "declcheck.c"',
        "#include <stddef.h>",
        "#define NS_SAME_TYPE(a, b) __builtin_types_compatible_p(a, b)",
        "#define NS_NEGATIVE(x) ((x) <= 0 && (x) != 0)",
        "",
    ]
    functions: list[str] = []
    for key, (tp, _quals) in build.declarations.items():
        kind, _, name = key.partition(" ")
        if kind == "macro" or kind == "constant":
            where = loc.find(rf"^\s*#\s*define\s+{name}\b" if kind == "macro" else rf"\b{name}\s*;")
            out.append(_line(where))
            if kind == "macro" and tp != "...":
                value = int(tp)
                same = f"(unsigned long long)({name}) == {value % 2**64}ULL"
                says = f"#define {name} {value}: the headers give another value or sign"
                out.append(_assert(f"NS_NEGATIVE({name}) == {int(value < 0)} && {same}", says))
            else:
                says = f"{name}: not an integer constant"
                out.append(_assert(f"(({name}) | 0) == (({name}) | 0)", says))
        elif kind == "typedef":
            out.append(_line(loc.find(rf"\b{name}\s*;")))
            if isinstance(tp, model.UnknownIntegerType):
                says = f"typedef {name}: not an integer type"
                out.append(_assert(f"(({name})3 / 2) == 1", says))
            else:
                says = f"typedef {name}: another type"
                out.append(_assert(f"NS_SAME_TYPE({name}, {tp.get_c_name()})", says))
        elif kind in ("struct", "union"):
            out += _struct_checks(kind, name, tp, loc)
        elif kind == "function":
            where = loc.find(rf"\b{name}\s*\(")
            decl = tp.get_c_name(f" const ns_fn_{name}")
            functions += [_line(where), f"    {{ {decl} = {name}; (void)ns_fn_{name}; }}"]
        else:
            raise NotImplementedError(f"declcheck: cannot check a {kind} declaration: {key}")
    out += [
        '#line 1 "declcheck.c"',
        "void ns_declcheck_functions(void);",
        "void ns_declcheck_functions(void)",
        "{",
        *functions,
        "}",
        "",
    ]
    return "\n".join(out)


def _struct_checks(kind: str, name: str, tp: Any, loc: Locator) -> list[str]:
    from cffi import model

    cname = f"{kind} {name}"
    start = loc.find(rf"\b{kind}\s+{name}\s*\{{")
    out: list[str] = []
    full = not tp.partial
    mirror: list[str] = []
    for field, ftype, bits, _q in tp.enumfields():
        where = loc.find(rf"\b{field}\b", after=start)
        out.append(_line(where))
        member = f"(({cname} *)0)->{field}"
        if isinstance(ftype, model.ArrayType) and ftype.length_is_unknown():
            full = False  # char sun_path[...]: the item type only; the layout is the compiler's
            same = f"NS_SAME_TYPE(__typeof__({member}[0]), {ftype.item.get_c_name()})"
            out.append(_assert(same, f"{cname}: field {field} has another item type"))
        else:
            same = f"NS_SAME_TYPE(__typeof__({member}), {ftype.get_c_name()})"
            out.append(_assert(same, f"{cname}: field {field} has another type"))
        width = f" : {bits}" if bits not in (-1, None) else ""
        mirror.append(f"    {ftype.get_c_name(' ' + field)}{width};")
    if not full:
        return out
    twin = f"{kind} ns_decl_{name}"
    out += [_line(start), f"{twin} {{", *mirror, "};"]
    says = f"{cname}: the layout in the headers differs from the declaration"
    size = f"sizeof({cname}) == sizeof({twin})"
    align = f"_Alignof({cname}) == _Alignof({twin})"
    out.append(_assert(f"{size} && {align}", f"{says} (size or alignment)"))
    for field, *_ in tp.enumfields():
        where = loc.find(rf"\b{field}\b", after=start)
        same = f"offsetof({cname}, {field}) == offsetof({twin}, {field})"
        out += [_line(where), _assert(same, f"{says}: offset of {field} (field order?)")]
    return out


def compiler(arch: str) -> str | None:
    """The mingw-w64 C compiler for ``arch`` ("x86_64" or "i686"), or None."""
    for name in COMPILERS[arch]:
        path = shutil.which(name)
        if path:
            return path
    return None


def compile_check(
    c_text: str, cc: str, defines: Iterable[tuple[str, str | None]]
) -> subprocess.CompletedProcess[str]:
    flags = [f"-D{n}" if v is None else f"-D{n}={v}" for n, v in defines]
    with tempfile.TemporaryDirectory(prefix="declcheck-") as tmp:
        path = Path(tmp, "declcheck.c")
        path.write_text(c_text)
        return subprocess.run([cc, *FLAGS, *flags, str(path)], capture_output=True, text=True)


def run(archs: Iterable[str] = ("x86_64", "i686"), emit: Path | None = None) -> bool:
    """Check for each architecture; print what was checked; True if all passed."""
    build = build_inputs()
    text = generate(build)
    if emit is not None:
        emit.write_text(text)
    kinds: dict[str, int] = {}
    for key in build.declarations:
        kinds[key.split(" ")[0]] = kinds.get(key.split(" ")[0], 0) + 1
    summary = ", ".join(f"{n} {k}s" for k, n in sorted(kinds.items()))
    ok = True
    for arch in archs:
        cc = compiler(arch)
        if cc is None:
            print(f"declcheck {arch}: FAILED, no compiler ({' or '.join(COMPILERS[arch])})")
            ok = False
            continue
        r = compile_check(text, cc, build.defines)
        if r.returncode == 0:
            print(f"declcheck {arch}: ok ({summary}) with {Path(cc).name}")
        else:
            ok = False
            print(f"declcheck {arch}: FAILED with {Path(cc).name}\n{r.stderr}")
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arch", action="append", choices=sorted(COMPILERS))
    parser.add_argument("--emit", type=Path, help="also write the generated C file here")
    args = parser.parse_args(argv)
    return 0 if run(args.arch or ("x86_64", "i686"), args.emit) else 1


if __name__ == "__main__":
    sys.exit(main())

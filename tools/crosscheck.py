"""The POSIX build checked for the systems this package claims, from this Linux host
(``nox -s crosscheck``).

For each target below: the C that cffi emits for the POSIX build (build_ffi.py's
``ffi.emit_c_code()``, the very file ``pip install`` compiles) is compiled with
``python -m ziglang cc -target T -Wall -Wextra -Wundef -Werror`` against that system's own libc
headers (PyPI's ``ziglang`` bundles them, and stubs of each libc to link against), then

1. its feature flags (``NS_HAS_*``, csrc/posix.c) are compared with what that system is known
   to have (``FLAGS``): a header that hides a feature under some feature-test macro turns the
   flag off silently, and that fails here;
2. it is linked as the extension module is, a shared library, with undefined symbols an error,
   against the target's libc and a stub of the Python C API symbols it uses (the interpreter
   gives those at run time): every libc function it calls must exist on that system.

Python's headers are this interpreter's, with pyconfig.h adapted per target as CPython's
configure would write it there (``pyconfig_for``): type sizes from the target's compiler
(configure's cross-compiling AC_CHECK_SIZEOF reads them the same way, without running
anything), the headers the Python headers read from ``__has_include``, and configure's
feature-test macros for that system: no ``_POSIX_C_SOURCE``/``_XOPEN_SOURCE`` on Darwin,
``_BSD_SOURCE`` on OpenBSD.

What this cannot check: anything at run time (the musl run, tools/muslcheck.sh, runs the C
on a second libc), and illumos, for which ziglang has no libc headers.

Usage: python tools/crosscheck.py [--target T ...] [--self-test] [--keep DIR]
``--self-test`` plants mistakes that match the headers of all but one system and checks that
exactly that system's targets fail.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ZIG = [sys.executable, "-m", "ziglang"]
WARNINGS = ["-Wall", "-Wextra", "-Wundef", "-Werror"]


@dataclass(frozen=True)
class Target:
    triple: str  # zig's -target, with the oldest OS/libc version the check stands for
    system: str  # a key of FLAGS and of configure's per-system choices


TARGETS = [
    Target("x86_64-macos.11.0", "darwin"),
    Target("aarch64-macos.11.0", "darwin"),
    Target("x86_64-freebsd.14.0", "freebsd"),
    Target("aarch64-freebsd.14.0", "freebsd"),
    Target("x86_64-netbsd.10.1", "netbsd"),
    Target("x86_64-openbsd", "openbsd"),
    Target("x86_64-linux-musl", "linux"),
    Target("aarch64-linux-musl", "linux"),
    Target("arm-linux-musleabihf", "linux"),
    Target("x86_64-linux-gnu.2.17", "linux"),
    Target("aarch64-linux-gnu.2.17", "linux"),
]

# What each system has, from its manuals and headers: the value each NS_HAS_* flag must take.
FLAGS = {
    "linux": {
        "NS_HAS_ACCEPT4": 1,
        "NS_HAS_MMSG": 1,
        "NS_HAS_SO_REUSEPORT": 1,
        "NS_HAS_SO_NOSIGPIPE": 0,
        "NS_HAS_AI_V4MAPPED": 1,
        "NS_HAS_SA_LEN": 0,
        "NS_HAS_ABSTRACT_UNIX": 1,
    },
    "darwin": {
        "NS_HAS_ACCEPT4": 0,  # no accept4 or SOCK_CLOEXEC
        "NS_HAS_MMSG": 0,
        "NS_HAS_SO_REUSEPORT": 1,
        "NS_HAS_SO_NOSIGPIPE": 1,
        "NS_HAS_AI_V4MAPPED": 1,
        "NS_HAS_SA_LEN": 1,
        "NS_HAS_ABSTRACT_UNIX": 0,
    },
    "freebsd": {
        "NS_HAS_ACCEPT4": 1,
        "NS_HAS_MMSG": 1,
        "NS_HAS_SO_REUSEPORT": 1,
        "NS_HAS_SO_NOSIGPIPE": 0,  # FreeBSD has it, but MSG_NOSIGNAL too: set on Apple only
        "NS_HAS_AI_V4MAPPED": 0,  # defined, but getaddrinfo does not map: ns_lookup maps
        "NS_HAS_SA_LEN": 1,
        "NS_HAS_ABSTRACT_UNIX": 0,
    },
    "netbsd": {
        "NS_HAS_ACCEPT4": 1,
        "NS_HAS_MMSG": 1,
        "NS_HAS_SO_REUSEPORT": 1,
        "NS_HAS_SO_NOSIGPIPE": 0,
        "NS_HAS_AI_V4MAPPED": 0,  # netdb.h has no AI_V4MAPPED: ns_lookup maps
        "NS_HAS_SA_LEN": 1,
        "NS_HAS_ABSTRACT_UNIX": 0,
    },
    "openbsd": {
        "NS_HAS_ACCEPT4": 1,
        "NS_HAS_MMSG": 0,  # sendmmsg since 7.2; csrc/posix.c uses the loop there
        "NS_HAS_SO_REUSEPORT": 1,
        "NS_HAS_SO_NOSIGPIPE": 0,
        "NS_HAS_AI_V4MAPPED": 0,
        "NS_HAS_SA_LEN": 1,
        "NS_HAS_ABSTRACT_UNIX": 0,
    },
}

# pyconfig.h's type sizes, and the C each stands for (configure's AC_CHECK_SIZEOF list).
SIZES = {
    "SIZEOF_DOUBLE": "double",
    "SIZEOF_FLOAT": "float",
    "SIZEOF_FPOS_T": "fpos_t",
    "SIZEOF_INT": "int",
    "SIZEOF_LONG": "long",
    "SIZEOF_LONG_DOUBLE": "long double",
    "SIZEOF_LONG_LONG": "long long",
    "SIZEOF_OFF_T": "off_t",
    "SIZEOF_PID_T": "pid_t",
    "SIZEOF_PTHREAD_KEY_T": "pthread_key_t",
    "SIZEOF_PTHREAD_T": "pthread_t",
    "SIZEOF_SHORT": "short",
    "SIZEOF_SIZE_T": "size_t",
    "SIZEOF_TIME_T": "time_t",
    "SIZEOF_UINTPTR_T": "uintptr_t",
    "SIZEOF_VOID_P": "void *",
    "SIZEOF_WCHAR_T": "wchar_t",
    "SIZEOF__BOOL": "_Bool",
    "ALIGNOF_LONG": "_Alignof(long)",
    "ALIGNOF_SIZE_T": "_Alignof(size_t)",
    "ALIGNOF_MAX_ALIGN_T": "_Alignof(max_align_t)",
}
PROBE_HEADERS = ["sys/types.h", "stddef.h", "stdint.h", "stdio.h", "time.h", "wchar.h", "pthread.h"]
# The HAVE_*_H macros the public (limited-API) Python headers read, and their headers.
HEADERS_READ = {
    "HAVE_SYS_TIME_H": "sys/time.h",
    "HAVE_SYS_SELECT_H": "sys/select.h",
    "HAVE_SYS_STAT_H": "sys/stat.h",
    "HAVE_STDDEF_H": "stddef.h",
    "HAVE_WCHAR_H": "wchar.h",
    "HAVE_IEEEFP_H": "ieeefp.h",
    "HAVE_STAT_H": "stat.h",
    "HAVE_SYS_TERMIO_H": "sys/termio.h",
    "HAVE_LANGINFO_H": "langinfo.h",
    "HAVE_PTHREAD_H": "pthread.h",
}
XOPEN = ["_POSIX_C_SOURCE", "_XOPEN_SOURCE", "_XOPEN_SOURCE_EXTENDED"]


def zig(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*ZIG, *args], capture_output=True, text=True, cwd=cwd)


def nm() -> str:
    for name in ("llvm-nm", "llvm-nm-14", "llvm-nm-15", "llvm-nm-16"):
        path = shutil.which(name)
        if path:
            return path
    raise SystemExit("crosscheck: no llvm-nm (apt: llvm); it lists the symbols to link")


def load_build(tree: Path) -> object:
    """tree/build_ffi.py as a POSIX build runs it, under a private module name."""
    os.environ["NATIVESOCKETS_PLATFORM"] = "posix"
    spec = importlib.util.spec_from_file_location("_build_ffi_posix", tree / "build_ffi.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def emit_c(out: Path, plant: tuple[str, str, str] | None = None) -> list[str]:
    """Write the POSIX build's C to out; return its libraries. plant: (file, old, new), a
    replacement made first in a copy of the build's inputs (the self-test's mistakes)."""
    tree = out.parent / "tree"
    shutil.copytree(ROOT / "cdefs", tree / "cdefs")
    shutil.copytree(ROOT / "csrc", tree / "csrc")
    shutil.copy(ROOT / "build_ffi.py", tree)
    if plant:
        path = tree / plant[0]
        text = path.read_text()
        assert text.count(plant[1]) == 1, f"the plant's text is not once in {plant[0]}"
        path.write_text(text.replace(plant[1], plant[2]))
    ffi = load_build(tree).ffi  # type: ignore[attr-defined]
    ffi.emit_c_code(str(out))
    libraries: list[str] = ffi._assigned_source[3].get("libraries", [])
    return libraries


def probe_sizes(target: Target, work: Path) -> dict[str, int]:
    """The target's type sizes, read from the compiler's constant output (no binary runs)."""
    names = list(SIZES)
    exprs = [SIZES[n] if SIZES[n].startswith("_Alignof") else f"sizeof({SIZES[n]})" for n in names]
    src = work / "probe.c"
    src.write_text(
        "".join(f"#include <{h}>\n" for h in PROBE_HEADERS)
        + f"const unsigned int ns_probe[] = {{{', '.join(exprs)}}};\n"
    )
    out = work / "probe.ll"
    r = zig("cc", "-target", target.triple, "-S", "-emit-llvm", "-o", str(out), str(src))
    if r.returncode != 0:
        raise RuntimeError(f"{target.triple}: size probe failed:\n{r.stderr}")
    m = re.search(r"@ns_probe = .*?\[(i32 \d+(?:, i32 \d+)*)\]", out.read_text())
    if not m:
        raise RuntimeError(f"{target.triple}: no sizes in the probe's output")
    values = [int(v.split()[1]) for v in m.group(1).split(", ")]
    return dict(zip(names, values))


def pyconfig_for(target: Target, host_pyconfig: str, sizes: dict[str, int]) -> str:
    """This interpreter's pyconfig.h as configure would write it for target."""
    text = host_pyconfig
    for name in re.findall(r"^#define ((?:SIZEOF|ALIGNOF)_\w+) ", text, re.M):
        if name not in sizes:
            raise RuntimeError(f"pyconfig.h has {name}: add it to SIZES in {__file__}")
    for name, value in sizes.items():
        text = re.sub(rf"^#define {name} .*$", f"#define {name} {value}", text, flags=re.M)
    for name, header in HEADERS_READ.items():
        text = re.sub(rf"^(/\* )?#\s*(define|undef) {name}\b.*$", "", text, flags=re.M)
        text += f"\n#if __has_include(<{header}>)\n#define {name} 1\n#endif\n"
    text = re.sub(r"^#\s*define WORDS_BIGENDIAN.*$", "", text, flags=re.M)
    text += "\n#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__\n#define WORDS_BIGENDIAN 1\n#endif\n"
    if target.system == "darwin":  # configure: define_xopen_source=no on Darwin/[6-9].*, 1x, 2x
        for name in XOPEN:
            text = re.sub(rf"^#define {name}\b.*$", "", text, flags=re.M)
    if target.system == "openbsd":  # configure: _BSD_SOURCE on OpenBSD/*
        text += "\n#define _BSD_SOURCE 1\n"
    return text


def python_include(target: Target, work: Path) -> Path:
    """A copy of this interpreter's include directory with pyconfig.h for target (Python.h
    includes "pyconfig.h" from its own directory first, so it must be replaced there)."""
    host = Path(sysconfig.get_paths()["include"])
    dest = work / "include"
    shutil.copytree(host, dest)
    host_pyconfig = (Path(sysconfig.get_config_h_filename())).read_text()
    sizes = probe_sizes(target, work)
    (dest / "pyconfig.h").write_text(pyconfig_for(target, host_pyconfig, sizes))
    return dest


def check_flags(target: Target, source: Path, cflags: list[str]) -> list[str]:
    """The NS_HAS_* flags the C defines for target, against FLAGS; the mismatches."""
    r = zig("cc", "-target", target.triple, *cflags, "-E", "-dM", str(source))
    if r.returncode != 0:
        return [f"preprocessing failed:\n{r.stderr}"]
    defined = dict(re.findall(r"^#define (NS_HAS_\w+) (\S+)$", r.stdout, re.M))
    problems = []
    for flag, want in FLAGS[target.system].items():
        got = defined.get(flag)
        if got != str(want):
            problems.append(f"{flag} is {got}, but {target.system} should give {want}")
    return problems


def link(target: Target, obj: Path, libraries: list[str], work: Path) -> str | None:
    """Link obj as the extension module; None, or the linker's complaint."""
    macho = "macos" in target.triple
    out = subprocess.run([nm(), "-u", str(obj)], capture_output=True, text=True, check=True)
    undefined = [line.split()[-1] for line in out.stdout.splitlines() if line.strip()]
    if macho:
        undefined = [s[1:] if s.startswith("_") else s for s in undefined]
    python = sorted(s for s in undefined if re.match(r"_?Py", s))
    stub = work / "python_stub.c"
    stub.write_text("".join(f"void {name}(void) {{}}\n" for name in python))
    suffix = ".dylib" if macho else ".so"
    stub_lib = work / f"libpython_stub{suffix}"
    r = zig("cc", "-target", target.triple, "-shared", "-fPIC", "-o", str(stub_lib), str(stub))
    if r.returncode != 0:
        return f"the Python stub did not link:\n{r.stderr}"
    no_undefined = ["-Wl,-undefined,error"] if macho else ["-Wl,-z,defs"]
    module = work / f"_native{suffix}"
    r = zig(
        "cc",
        "-target",
        target.triple,
        "-shared",
        "-o",
        str(module),
        str(obj),
        *no_undefined,
        f"-L{work}",
        "-lpython_stub",
        *(f"-l{lib}" for lib in libraries),
    )
    if r.returncode != 0:
        return r.stderr.strip() or r.stdout.strip()
    return None


def check(target: Target, source: Path, libraries: list[str], work: Path) -> list[str]:
    """Compile, check flags, link for one target; the problems found (empty: it passed)."""
    work.mkdir(parents=True, exist_ok=True)
    try:
        include = python_include(target, work)
    except RuntimeError as e:
        return [str(e)]
    cflags = [*WARNINGS, "-O2", "-fPIC", f"-I{include}"]
    obj = work / "_native.o"
    r = zig("cc", "-target", target.triple, *cflags, "-c", str(source), "-o", str(obj))
    if r.returncode != 0:
        return [f"compile failed:\n{r.stderr.strip()}"]
    problems = check_flags(target, source, cflags)
    failure = link(target, obj, libraries, work)
    if failure:
        problems.append(f"link failed:\n{failure}")
    return problems


def run(targets: list[Target], work: Path, plant: tuple[str, str, str] | None = None) -> dict:
    """Each target's problems, checked two at a time (the machine has two cores)."""
    work.mkdir(parents=True, exist_ok=True)
    source = work / "_native.c"
    libraries = emit_c(source, plant)
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {
            t: pool.submit(check, t, source, libraries, work / t.triple.replace(".", "_"))
            for t in targets
        }
        return {t: f.result() for t, f in futures.items()}


# Mistakes that agree with every system's headers but one: each must fail exactly there (the
# targets of that system, or the ones listed). The third compiles everywhere: the link fails.
PLANTS = [
    (
        "accept4 declared as if every system had it (macOS has none)",
        (
            "cdefs/posix.h",
            "int close(int);\n",
            "int close(int);\nint accept4(int, struct sockaddr *, socklen_t *, int);\n",
        ),
        "darwin",
        None,
    ),
    (
        "size_t spelled unsigned long (the same type on every target but 32-bit ARM)",
        (
            "cdefs/batch.h",
            "int ns_recv_many(ns_handle s, void **bufs, size_t *lens,",
            "int ns_recv_many(ns_handle s, void **bufs, unsigned long *lens,",
        ),
        "linux",
        "arm-linux-musleabihf",
    ),
    (
        "arc4random called: in the BSDs' and Apple's libc, not in musl's or glibc 2.17's (link)",
        (
            "csrc/posix.c",
            "    return 0;   /* nothing to start on POSIX */",
            "    extern unsigned int arc4random(void);\n    return (int)(arc4random() & 0);",
        ),
        "linux",
        None,
    ),
]


def self_test(targets: list[Target], work: Path) -> bool:
    ok = True
    for what, plant, system, only in PLANTS:
        results = run(targets, work / f"plant-{PLANTS.index((what, plant, system, only))}", plant)
        failed = {t.triple for t, problems in results.items() if problems}
        expected = {
            t.triple
            for t in targets
            if t.system == system and (only is None or t.triple in only.split())
        }
        verdict = "ok" if failed == expected else "WRONG"
        ok &= failed == expected
        print(f"plant: {what}\n  fails on: {', '.join(sorted(failed)) or 'nothing'} [{verdict}]")
        for t, problems in results.items():
            if problems and t.triple in expected:
                first = next(line for line in problems[0].splitlines() if "error" in line)
                print(f"  {t.triple}: {first.strip()[:160]}")
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", action="append", help="a zig target (default: all)")
    parser.add_argument("--self-test", action="store_true", help="also check planted mistakes")
    parser.add_argument("--keep", type=Path, help="work here and keep it")
    args = parser.parse_args(argv)
    targets = [t for t in TARGETS if not args.target or t.triple in args.target]
    if not targets:
        parser.error(f"no such target; known: {', '.join(t.triple for t in TARGETS)}")
    version = zig("version").stdout.strip()
    print(f"crosscheck: zig {version}, Python headers {sysconfig.get_python_version()}")
    work = args.keep or Path(tempfile.mkdtemp(prefix="ns-crosscheck-"))
    try:
        start = time.monotonic()
        results = run(targets, work / "real")
        failed = 0
        for t, problems in results.items():
            print(f"{t.triple:28} {'FAIL' if problems else 'ok'} (compile, flags, link)")
            for p in problems:
                print("    " + p.replace("\n", "\n    "))
            failed += bool(problems)
        print(f"{len(targets) - failed} passed, {failed} failed ({time.monotonic() - start:.0f} s)")
        if failed:
            return 1
        if args.self_test and not self_test(targets, work):
            print("crosscheck: a planted mistake did not fail where it should")
            return 1
        return 0
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

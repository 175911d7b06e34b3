"""Running Windows CPython under wine: the prefix, a throwaway copy of the Python and of the
project with the cross-built module, and the test suite run in it.

Wine traits handled here: standard streams must not be regular files (the child's output
comes through a pipe); on Python 3.12+ ``_wmi.pyd`` calls what wine lacks and breaks
``platform``, so the throwaway copy has it set aside; no Gecko/Mono installer prompts
(WINEDLLOVERRIDES); no display.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
PLUGIN = HERE / "ns_wine_skips.py"
# What the copy of the project leaves out: VCS, caches, builds, the Linux extension.
IGNORE = shutil.ignore_patterns(
    ".git", ".nox", ".venv", "build", "dist", "*.egg-info", "__pycache__", ".*_cache",
    ".hypothesis", "*.so", "*.o", "*.pyd",
)  # fmt: skip


def loader() -> str | None:
    """The wine64 loader: on PATH, or where Debian's wine64 package puts it."""
    for candidate in ("wine64", "/usr/lib/wine/wine64", "wine"):
        path = shutil.which(candidate)
        if path:
            return path
    return None


def winpath(path: Path) -> str:
    """A Linux path as wine's Z: drive shows it."""
    return "Z:" + str(path.resolve()).replace("/", "\\")


def base_env(prefix: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "WINE"))}
    env.pop("DISPLAY", None)
    env.update(
        WINEPREFIX=str(prefix),
        WINEDEBUG="-all",
        WINEDLLOVERRIDES="mscoree,mshtml=",
        PYTHONIOENCODING="utf-8",
        PYTHONUTF8="1",
    )
    return env


def ensure_prefix(prefix: Path) -> Path:
    """A wine prefix, made once (wineboot) and kept in the cache."""
    wine = loader()
    if wine is None:
        raise RuntimeError("wine64 is not installed (apt: wine64)")
    if (prefix / "system.reg").is_file():
        return prefix
    prefix.mkdir(parents=True, exist_ok=True)
    r = subprocess.run(
        [wine, "wineboot", "--init"],
        env=base_env(prefix),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=600,
    )
    wait_server(prefix)
    if not (prefix / "system.reg").is_file():
        raise RuntimeError(f"wineboot did not make a prefix in {prefix}:\n{r.stdout}")
    return prefix


def wait_server(prefix: Path, kill: bool = False) -> None:
    """Wait for (or end) the wineserver of this prefix: ours alone."""
    server = shutil.which("wineserver") or "/usr/lib/wine/wineserver64"
    if Path(server).exists():
        flag = "-k" if kill else "-w"
        subprocess.run([server, flag], env=base_env(prefix), timeout=120, check=False)


def copy_python(home: Path, dest: Path, version: str, paths: Sequence[Path] = ()) -> Path:
    """The throwaway copy of a Windows CPython (Tcl/Tk left out), with ``paths`` (the test
    dependencies) on its sys.path through a .pth file: unlike PYTHONPATH, child Pythons
    that a test starts with an environment of its own get them too."""
    shutil.copytree(home, dest, ignore=shutil.ignore_patterns("tcl", ".nativesockets-stamp"))
    wmi = dest / "DLLs" / "_wmi.pyd"
    if tuple(map(int, version.split(".")[:2])) >= (3, 12) and wmi.exists():
        wmi.rename(wmi.with_name("_wmi.pyd.set-aside-under-wine"))
    site_packages = dest / "Lib" / "site-packages"
    site_packages.mkdir(parents=True, exist_ok=True)
    lines = "".join(winpath(p) + "\n" for p in paths)
    (site_packages / "nativesockets-test-deps.pth").write_text(lines)
    return dest


def stage_project(pyd: Path, dest: Path) -> Path:
    """A copy of the project with the cross-built module in nativesockets/."""
    shutil.copytree(ROOT, dest, ignore=IGNORE)
    shutil.copy2(pyd, dest / "nativesockets" / "_native.pyd")
    plugins = dest / ".wine-plugins"
    plugins.mkdir()
    shutil.copy2(PLUGIN, plugins / PLUGIN.name)
    return dest


@dataclass
class Outcome:
    """A pytest run's result, from its JUnit XML."""

    returncode: int
    tests: int = 0
    failures: int = 0
    errors: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (test id, reason)
    failed: list[str] = field(default_factory=list)
    header: str = ""
    tail: str = ""  # the end of pytest's output, for a run that collected nothing

    @property
    def passed(self) -> int:
        return self.tests - self.failures - self.errors - len(self.skipped)


def parse_junit(path: Path, returncode: int) -> Outcome:
    out = Outcome(returncode)
    if not path.is_file():
        return out
    root = ET.parse(path).getroot()
    for case in root.iter("testcase"):
        out.tests += 1
        name = f"{case.get('classname', '')}::{case.get('name', '')}"
        for child in case:
            if child.tag == "skipped":
                out.skipped.append((name, child.get("message", "")))
            elif child.tag == "failure":
                out.failures += 1
                out.failed.append(name)
            elif child.tag == "error":
                out.errors += 1
                out.failed.append(name)
    return out


def run_python(
    python: Path,
    args: Sequence[str],
    cwd: Path,
    prefix: Path,
    pythonpath: Sequence[Path] = (),
    timeout: float = 3600,
    echo: bool = True,
) -> tuple[int, str]:
    """Run the Windows python.exe under wine; its output comes through a pipe (wine needs
    standard streams that are not regular files), echoed as it comes."""
    wine = loader()
    assert wine is not None
    env = base_env(prefix)
    if pythonpath:
        env["PYTHONPATH"] = ";".join(winpath(p) for p in pythonpath)
    proc = subprocess.Popen(
        [wine, str(python), *args],
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        encoding="utf-8",
        errors="replace",
        start_new_session=True,
    )
    lines: list[str] = []
    timer = _Deadline(proc, timeout)
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)
            if echo:
                sys.stdout.write(line)
                sys.stdout.flush()
        code = proc.wait()
    finally:
        timer.cancel()
    if timer.fired:
        wait_server(prefix, kill=True)
        lines.append(f"\n[wine] timed out after {timeout:.0f} s\n")
        code = code or 1
    return code, "".join(lines)


class _Deadline:
    """Ends the child's process group (ours) when the time is up."""

    def __init__(self, proc: subprocess.Popen[str], timeout: float) -> None:
        import threading

        self.fired = False
        self._proc = proc
        self._timer = threading.Timer(timeout, self._fire)
        self._timer.daemon = True
        self._timer.start()

    def _fire(self) -> None:
        self.fired = True
        try:
            os.killpg(self._proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    def cancel(self) -> None:
        self._timer.cancel()


def run_tests(
    version: str,
    home: Path,
    site: Path,
    pyd: Path,
    prefix: Path,
    pytest_args: Sequence[str] = (),
    keep: bool = False,
) -> Outcome:
    """The project's test suite on Windows CPython ``version`` under wine."""
    work = Path(tempfile.mkdtemp(prefix=f"ns-wine-{version}-"))
    try:
        project = stage_project(pyd, work / "project")
        paths = [site, project / ".wine-plugins"]
        python = copy_python(home, work / "python", version, paths) / "python.exe"
        junit = work / "junit.xml"
        code, text = run_python(
            python,
            ["-c", "import platform, sys, nativesockets; print(sys.version)"],
            project,
            prefix,
            timeout=300,
            echo=False,
        )
        if code != 0:
            print(text)
            return Outcome(code, header=text)
        args = ["-m", "pytest", "-p", "ns_wine_skips", "-p", "no:cacheprovider", "-rs"]
        args += [f"--junitxml={winpath(junit)}", *pytest_args]
        code, output = run_python(python, args, project, prefix)
        outcome = parse_junit(junit, code)
        outcome.header = text.strip()
        outcome.tail = "\n".join(output.strip().splitlines()[-12:])
        return outcome
    finally:
        if keep:
            print(f"[wine] kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)

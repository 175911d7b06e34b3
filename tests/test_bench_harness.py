"""The benchmark's harness (benchmarks/): every loop of every workload runs and checks its
results, the bare cffi loops fail loudly when a C helper changes, and the children that
callgrind counts (run.py --callgrind-parent) run their jobs. No timing is asserted."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "benchmarks"
if sys.platform == "win32":
    pytest.skip("the benchmark runs on POSIX (AF_UNIX pairs, fork)", allow_module_level=True)
sys.path.insert(0, str(BENCH))
import workloads  # noqa: E402

# "W4 getAddrInfo localhost" is left out: what the hosts file maps "localhost" to is the
# machine's, and a lookup it does not answer would go to DNS. The 5,000-handle rows run the
# 1,000-handle row's code and need a raised file limit.
ROWS = [w for w in workloads.all_workloads(1) if "localhost" not in w.key and "5,000" not in w.key]


@pytest.mark.parametrize("w", ROWS, ids=[w.key for w in ROWS])
def test_every_loop_runs_and_checks(w: workloads.Workload) -> None:
    w.setup()
    try:
        for side in ("ours", "stdlib", "bare"):
            getattr(w, side)(2)  # each loop raises RuntimeError on a wrong result
    finally:
        w.close()
    assert w.bare_does, "a bare loop is described under the table"
    assert w.icount > 0 or not w.calibrate  # counted, or W7 (one whole transfer per sample)


def test_a_changed_c_helper_fails_loudly() -> None:
    assert workloads._c("send", 4) is workloads.lib.send
    with pytest.raises(RuntimeError, match="out of date: lib.send is now"):
        workloads._c("send", 3)
    with pytest.raises(RuntimeError, match="lib.ns_no_such_helper is gone"):
        workloads._c("ns_no_such_helper", 1)


def test_callgrind_children_run_their_jobs() -> None:
    """The protocol callgrind's parent speaks, without callgrind: one forked child per
    job, each reported with its pid and exit status 0."""
    jobs = [["W9 setBlocking", side, 3, 1] for side in ("ours", "stdlib", "bare")]
    jobs.append(["W6 getSockOptInt", "bare", 2, 1])
    out = subprocess.run(
        [sys.executable, str(BENCH / "run.py"), "--callgrind-parent", "1"],
        input=json.dumps(jobs),
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    reports = [json.loads(line) for line in out.splitlines()]
    assert [r[:3] for r in reports] == [j[:3] for j in jobs]
    assert [r[4] for r in reports] == [0] * len(jobs)


def test_a_failing_child_is_reported() -> None:
    out = subprocess.run(
        [sys.executable, str(BENCH / "run.py"), "--callgrind-parent", "1"],
        input=json.dumps([["W9 setBlocking", "no_such_side", 1, 1]]),
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    (report,) = [json.loads(line) for line in out.stdout.splitlines()]
    assert report[4] != 0
    assert "no_such_side" in out.stderr

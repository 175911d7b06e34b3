"""The benchmark's harness (benchmarks/): every loop of every workload runs and checks its
results, the bare cffi loops fail loudly when a C helper changes, and the children that
callgrind counts (run.py --callgrind-parent) run their jobs. No timing is asserted."""

from __future__ import annotations

import json
import os
import re
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


def _open_handles() -> set[str] | None:
    return set(os.listdir("/proc/self/fd")) if os.path.isdir("/proc/self/fd") else None


@pytest.mark.parametrize("w", ROWS, ids=[w.key for w in ROWS])
def test_every_loop_runs_and_checks(w: workloads.Workload) -> None:
    before = _open_handles()
    w.setup()
    try:
        for side in ("ours", "stdlib", "bare"):
            getattr(w, side)(2)  # each loop raises RuntimeError on a wrong result
    finally:
        w.close()
    assert _open_handles() == before, "a loop left a handle open"
    assert w.bare_does, "a bare loop is described under the table"
    assert w.versus, "the stdlib counterpart is described under the table"
    assert w.icount > 0 or not w.calibrate  # counted, or W7 (one whole transfer per sample)


def test_the_rows() -> None:
    keys = [w.key for w in workloads.all_workloads(1)]
    assert len(set(keys)) == len(keys)
    for key in ("W2 accept+close", "W3 selectWrite 1 writable", "W6 setSockOptInt"):
        assert key in keys


def test_accept_leaves_the_backlog_empty() -> None:
    """Each iteration accepts the one connection it made: none is left waiting, so no
    accept of the next iteration (or sample) waits or takes a stale connection."""
    (w,) = [w for w in ROWS if w.key == "W2 accept+close"]
    w.setup()
    try:
        for side in ("ours", "stdlib", "bare"):
            getattr(w, side)(20)
            assert workloads.ns.selectRead([w.server], 0) == 0, side
    finally:
        w.close()


def test_select_write_keeps_its_list() -> None:
    (w,) = [w for w in ROWS if w.key.startswith("W3 selectWrite")]
    w.setup()
    try:
        w.ours(5)
        assert w.fds == [w.handle]
    finally:
        w.close()


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
    jobs += [["W2 accept+close", side, 3, 1] for side in ("ours", "stdlib", "bare")]
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


def test_callgrind_runs_the_interpreter_behind_a_wrapper(tmp_path: Path) -> None:
    """Run through a wrapper script (as the sid chroot's venvs are), the interpreter that
    valgrind is given is the binary itself, with the sys.path the wrapper's name gave it;
    run directly, it is sys.executable, unchanged. (This test's own interpreter may be
    behind such a wrapper, in the chroot's sessions: both children run the binary.)"""
    if not os.path.exists("/proc/self/exe"):
        pytest.skip("no /proc/self/exe")
    real = os.readlink("/proc/self/exe")  # the binary, whatever ran this test's process
    wrapper = tmp_path / "python"
    wrapper.write_text(f'#!/bin/bash\nexec -a "$0" {real} "$@"\n')
    wrapper.chmod(0o755)
    code = (
        f"import sys, json; sys.path.insert(0, {str(BENCH)!r}); sys.argv = ['run.py']; "
        "import run; print(json.dumps([sys.executable, run._interpreter()]))"
    )
    # the children import the package this process imports: through the wrapper, the
    # binary does not see this venv (as the chroot's does, by the venv's name it is given)
    same = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    executable, direct = json.loads(
        subprocess.check_output([real, "-c", code], text=True, env=same)
    )
    assert direct == [executable, {}]
    _, (exe, env) = json.loads(
        subprocess.check_output([str(wrapper), "-c", code], text=True, env=same)
    )
    assert os.path.realpath(exe) == os.path.realpath(real)
    assert str(BENCH) in env["PYTHONPATH"].split(os.pathsep)


RESULTS = sorted((BENCH / "results").glob("*.json"))
README = BENCH.parent / "README.md"


def test_the_readme_is_what_the_results_make() -> None:
    """README.md's Performance section is exactly what benchmarks/readme.py makes from the
    runs in benchmarks/results/ (rewrite it with `python benchmarks/readme.py
    benchmarks/results/*.json`)."""
    import readme

    assert [p.name for p in RESULTS] == ["cpython-3.11.json", "cpython-3.14.json", "pypy.json"]
    runs = [json.loads(p.read_text()) for p in RESULTS]
    text = README.read_text()
    assert readme.splice(text, readme.render(runs)) == text
    assert [r["interpreter"].split()[0] for r in runs] == ["CPython", "CPython", "PyPy"]
    keys = [w.key for w in workloads.all_workloads(1024)]
    for run in runs:  # every row of the harness is in every run (W7 of any size)
        assert [re.sub(r" \d+ MiB$", "", r["workload"]) for r in run["results"]] == keys


def test_readme_check_and_write(tmp_path: Path) -> None:
    import readme

    copy = tmp_path / "README.md"
    text = README.read_text()
    begin, end = text.index(readme.BEGIN), text.index(readme.END)
    copy.write_text(text[:begin] + text[begin:end].replace("|", "!", 1) + text[end:])
    args = ["--readme", str(copy), *map(str, RESULTS)]
    assert readme.main(["--check", *args]) == 1
    assert readme.main(args) == 0
    assert copy.read_text() == text
    assert readme.main(["--check", *args]) == 0
    copy.write_text("no markers\n")
    with pytest.raises(ValueError, match="performance:begin"):
        readme.main(args)


def test_readme_digits_follow_the_noise() -> None:
    import readme

    assert readme.ratio(1.234, 1.20, 1.25) == ("1.23", "1.20-1.25")
    assert readme.ratio(1.234, 1.10, 1.40) == ("1.2", "1.1-1.4")
    assert readme.ratio(0.864, 0.69, 0.87) == ("0.9", "0.7-0.9")
    assert readme.count(19887.4) == "19.9 k"
    assert readme.count(602.4) == "602"
    assert readme.count(1851.0) == "1.85 k"
    assert readme.count(999.6) == "1.00 k"
    assert readme.count(4976526.0) == "4.98 M"
    assert readme.count(12.345) == "12.3"
    assert readme.samples({"argv": ["--quick", "--reps", "9"]}) == (3, 0.05)
    assert readme.samples({"argv": ["--reps", "11", "--time=0.5"]}) == (11, 0.5)
    assert readme.samples({"argv": []}) == (7, 0.25)

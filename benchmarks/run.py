"""Benchmark nativesockets against the stdlib and bare cffi: ``python benchmarks/run.py``
(``nox -s bench``).

Each workload W1-W9 runs three ways in one process: through our public API ("ours"), the
stdlib, and the compiled module's ``lib`` functions called directly ("bare": the C call(s)
our proc makes, see workloads.py), taking turns (the order rotates each repetition),
``--reps`` times each. A sample runs the workload's loop long enough to take about
``--time`` seconds (one whole transfer for W7). The table gives the median ns per
operation of each, the median of the per-repetition speed ratios ours/stdlib (with their
range, against the target: CPython's from the issue, 1.0 for every row on PyPy) and
ours/bare.

Then, on CPython where valgrind is installed, the instructions per operation of each of
the three: each loop runs in a child process under ``valgrind --tool=callgrind`` twice,
``icount`` and ``2 * icount`` iterations after the same warm-up, and the difference of
the two totals divided by ``icount`` operations is the figure: the interpreter's start,
the imports, the set-up and the warm-up cancel out. User-space instructions only (the
kernel's share of a system call is not counted: it is the same for the three).

Options:
  --reps N        alternating samples per side (default 7)
  --time S        seconds per sample (default 0.25)
  --bulk-mib N    size of one W7 transfer in MiB (default 1024, i.e. 1 GiB)
  --quick         --reps 3 --time 0.05 --bulk-mib 64: a smoke run of a few seconds
  --only TEXT     run the rows whose name contains TEXT (case-insensitive; repeatable)
  --clock cpu     time samples by CPU time (user + system) instead of the wall clock:
                  steadier on a busy machine; W7 then counts its sender process too
                  (MiB moved per CPU second of both ends)
  --json PATH     also write the results as JSON
  --strict        exit with status 1 when a target is missed
  --instructions / --no-instructions
                  count instructions per operation with callgrind (default: on CPython
                  when valgrind is on PATH; --instructions makes a missing valgrind an
                  error; --no-instructions skips the count, which takes a few minutes)
  --no-wall       skip the wall-clock samples (instruction counts only)
  --jobs N        callgrind children run at once (default 1)
"""

from __future__ import annotations

import argparse
import concurrent.futures
import datetime
import gc
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from typing import Any, Callable

try:
    import nativesockets  # noqa: F401
except ImportError:  # run from a checkout with the extension built in place
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from workloads import Workload, all_workloads  # noqa: E402

PYPY = platform.python_implementation() == "PyPy"
SIDES = ("ours", "stdlib", "bare")


def _raise_file_limit(want: int) -> None:
    try:
        import resource
    except ImportError:
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < want:
        new = want if hard == resource.RLIM_INFINITY else min(want, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (new, hard))


def _cpu_with_children() -> float:
    """CPU seconds of this process and of its children that ended (W7's sender)."""
    import resource

    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}
clock = time.perf_counter


def _timed(fn: Callable[[int], None], n: int, timer: Callable[[], float] | None = None) -> float:
    timer = timer or clock
    gc.collect()
    enabled = gc.isenabled()
    gc.disable()
    try:
        start = timer()
        fn(n)
        return timer() - start
    finally:
        if enabled:
            gc.enable()


def _calibrate(fn: Callable[[int], None], seconds: float) -> int:
    """The iteration count that makes one sample take about ``seconds`` (warms up the JIT)."""
    n = 1
    while True:
        elapsed = _timed(fn, n)
        if elapsed >= seconds / 4:
            break
        n *= 8 if elapsed < seconds / 64 else 2
    n = max(1, round(n * seconds / elapsed))
    _timed(fn, n)  # one more full-size run before measuring
    return n


def measure(w: Workload, reps: int, seconds: float) -> dict[str, Any]:
    loops = {side: getattr(w, side) for side in SIDES}
    w.setup()
    try:
        if w.calibrate:
            counts = {side: _calibrate(fn, seconds) for side, fn in loops.items()}
        else:
            counts = dict.fromkeys(SIDES, 1)
            for fn in loops.values():
                fn(1)  # warm up once each
        rates: dict[str, list[float]] = {side: [] for side in SIDES}
        timer = None
        if not w.calibrate and clock is not time.perf_counter and hasattr(os, "fork"):
            timer = _cpu_with_children
        for rep in range(reps):
            k = rep % len(SIDES)  # rotate: each side first, second and last in turn
            for side in SIDES[k:] + SIDES[:k]:
                elapsed = _timed(loops[side], counts[side], timer)
                rates[side].append(counts[side] * w.per_iter / elapsed)
    finally:
        w.close()
    vs_std = [a / b for a, b in zip(rates["ours"], rates["stdlib"])]
    vs_bare = [a / b for a, b in zip(rates["ours"], rates["bare"])]
    result: dict[str, Any] = {"workload": w.key, "unit": w.unit, "versus": w.versus}
    for side in SIDES:
        result[side] = statistics.median(rates[side])  # ops/s
        result[f"{side}_ns"] = 1e9 / result[side]  # ns/op
    result.update(
        ratio=statistics.median(vs_std),
        ratio_min=min(vs_std),
        ratio_max=max(vs_std),
        ratio_bare=statistics.median(vs_bare),
        ratio_bare_min=min(vs_bare),
        ratio_bare_max=max(vs_bare),
        target=1.0 if PYPY else w.target,
    )
    return result


# --- instructions per operation (callgrind) -------------------------------------------


MARKER = "*getppid*"  # callgrind dumps (and zeroes its counters) on entering it


def _child(key: str, side: str, n: int, warm: int, bulk_mib: int) -> None:
    """In a forked child under callgrind: set up, warm up, run the loop ``n`` times, close.
    The marker first: what the child inherited from its parent goes into a dump of its own,
    and the child's last part counts only what it did itself."""
    os.getppid()  # the marker
    if not key:  # the marker alone: how many dumps one call of it makes (see _callgrind)
        return
    (w,) = [w for w in all_workloads(bulk_mib) if w.key == key]
    fn = getattr(w, side)
    w.setup()
    try:
        fn(warm)
        gc.collect()
        gc.disable()
        fn(n)
        gc.enable()
    finally:
        w.close()


def _fork_jobs(bulk_mib: int) -> None:
    """The parent under callgrind (``--callgrind-parent``): imports once, then forks one
    child per job read from stdin (a JSON list of [key, side, n, warm]), one at a time,
    and prints each child's pid and exit status as a JSON line."""
    for key, side, n, warm in json.load(sys.stdin):
        sys.stdout.flush()
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                _child(key, side, n, warm, bulk_mib)
                code = 0
            except BaseException as e:
                print(f"{key} {side}: {type(e).__name__}: {e}", file=sys.stderr, flush=True)
            finally:
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        print(json.dumps([key, side, n, pid, status]), flush=True)


def _interpreter() -> tuple[str, dict[str, str]]:
    """The interpreter for valgrind to run, and what to add to its environment. Where
    ``sys.executable`` leads to a script, not to this binary (the sid chroot's wrapper, which
    execs the interpreter under the venv's name), valgrind would count the shell and run the
    interpreter untraced: run the binary itself, with this process's ``sys.path``."""
    try:
        exe = os.readlink("/proc/self/exe")
    except OSError:  # no /proc (macOS, the BSDs): no wrapper there either
        return sys.executable, {}
    if os.path.realpath(sys.executable) == os.path.realpath(exe):
        return sys.executable, {}
    return exe, {"PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}


def _callgrind(jobs: list[tuple[str, str, int, int]], bulk_mib: int) -> dict[Any, Any]:
    """Run ``jobs`` in forked children of one interpreter under callgrind; for each job
    ``(key, side, n)``, the instructions its child executed after the marker (or, for a
    child that failed, the error)."""
    python, extra = _interpreter()
    env = dict(os.environ, PYTHONHASHSEED="0", PYTHONDONTWRITEBYTECODE="1", **extra)
    with tempfile.TemporaryDirectory(prefix="nsbench-cg") as tmp:
        cmd = [
            "valgrind",
            "--tool=callgrind",
            f"--callgrind-out-file={os.path.join(tmp, 'cg.%p')}",
            f"--dump-before={MARKER}",
            "--dump-line=no",
            "-q",
            python,
            os.path.abspath(__file__),
            "--callgrind-parent",
            str(bulk_mib),
        ]
        # first a child that only calls the marker: one dump per function callgrind knows by
        # the marker's name (Python's os_getppid and libc's getppid; an interpreter built
        # with LTO may have inlined the first), the same number in every child
        todo = [("", "marker", 0, 0), *jobs]
        proc = subprocess.run(cmd, env=env, input=json.dumps(todo), capture_output=True, text=True)
        if proc.returncode != 0:
            raise RuntimeError(f"callgrind parent failed: {proc.stderr.strip()[-500:]}")
        out: dict[Any, Any] = {}
        marks = 0
        for line in proc.stdout.splitlines():
            key, side, n, pid, status = json.loads(line)
            dumps = sorted(p for p in os.listdir(tmp) if p.split(".")[1] == str(pid))
            if not key:
                marks = len(dumps) - 1
                if status != 0 or marks < 1 or dumps[0] != f"cg.{pid}":
                    raise RuntimeError(f"callgrind: the marker's child gave {dumps}")
                continue
            if status != 0:
                why = [x for x in proc.stderr.splitlines() if x.startswith(f"{key} {side}:")]
                out[key, side, n] = RuntimeError(why[-1] if why else f"{side}: status {status}")
                continue
            # cg.PID.1...: the marker's dumps, as many as the marker's child made; cg.PID:
            # from the marker to the end. Any other dump: something else called it.
            if dumps != [f"cg.{pid}", *(f"cg.{pid}.{i}" for i in range(1, marks + 1))]:
                raise RuntimeError(f"{key} {side}: unexpected callgrind dumps {dumps}")
            with open(os.path.join(tmp, f"cg.{pid}")) as f:
                total = [int(x.split()[1]) for x in f if x.startswith("summary:")]
            out[key, side, n] = total[0]
        if len(out) != len(jobs):
            raise RuntimeError(f"callgrind: {len(out)} of {len(jobs)} children reported")
        return out


def instructions(workloads: list[Workload], bulk_mib: int, jobs: int) -> dict[str, dict[str, Any]]:
    """Instructions per operation of each side of each workload: (I(2n) - I(n)) / (n ops)."""
    todo = [
        (w.key, side, k, max(10, w.icount // 10))
        for w in workloads
        for side in SIDES
        for k in (w.icount, 2 * w.icount)
    ]
    chunks = [todo[i::jobs] for i in range(jobs) if todo[i::jobs]]
    totals: dict[Any, Any] = {}
    with concurrent.futures.ThreadPoolExecutor(len(chunks)) as pool:
        for part in pool.map(lambda c: _callgrind(c, bulk_mib), chunks):
            totals.update(part)
    results = {}
    for w in workloads:
        n = w.icount
        r: dict[str, Any] = {"icount": n}
        failed = [
            t
            for side in SIDES
            for k in (n, 2 * n)
            if isinstance(t := totals[w.key, side, k], Exception)
        ]
        if failed:
            results[w.key] = {"instr_error": str(failed[0])}
            continue
        for side in SIDES:
            diff = totals[w.key, side, 2 * n] - totals[w.key, side, n]
            r[f"{side}_instr"] = diff / (n * w.per_iter)
            r[f"{side}_instr_diff"] = diff
        r["instr_ratio_bare"] = r["ours_instr"] / r["bare_instr"]
        results[w.key] = r
    return results


def _ns(x: float) -> str:
    return f"{x:,.0f}" if x >= 100 else f"{x:.1f}"


def _instr(x: float) -> str:
    return f"{x:,.0f}"


HEADER = (
    "| workload | ours ns/op | stdlib ns/op | bare ns/op | ours/stdlib (median) | range "
    "| target | | ours/bare | range | ours instr/op | stdlib instr/op | bare instr/op "
    "| instr ours/bare |\n"
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: "
    "| ---: |"
)


def _row(r: dict[str, Any]) -> str:
    if "error" in r:
        return f"| {r['workload']} | | | | | | | error: {r['error']} | | | | | | |"
    cells = [r["workload"]]
    if "ours" in r:
        target = r["target"]
        verdict = "-" if not target else ("ok" if r["ratio"] >= target else "MISSED")
        cells += [
            _ns(r["ours_ns"]),
            _ns(r["stdlib_ns"]),
            _ns(r["bare_ns"]),
            f"**{r['ratio']:.2f}**",
            f"{r['ratio_min']:.2f}-{r['ratio_max']:.2f}",
            f">= {target:.2f}" if target else "-",
            verdict,
            f"**{r['ratio_bare']:.2f}**",
            f"{r['ratio_bare_min']:.2f}-{r['ratio_bare_max']:.2f}",
        ]
    else:
        cells += [""] * 9
    if "ours_instr" in r:
        cells += [
            _instr(r["ours_instr"]),
            _instr(r["stdlib_instr"]),
            _instr(r["bare_instr"]),
            f"**{r['instr_ratio_bare']:.2f}**",
        ]
    elif "instr_error" in r:
        cells += ["", "", "", f"error: {r['instr_error']}"]
    else:
        cells += ["-"] * 4
    return "| " + " | ".join(cells) + " |"


def _load() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except (AttributeError, OSError):
        return "n/a"


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["--callgrind-parent"]:  # under callgrind: --callgrind-parent BULK_MIB
        _raise_file_limit(6000)
        _fork_jobs(int(argv[1]))
        return 0
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--reps", type=int, default=7, help="samples per side (default 7)")
    parser.add_argument("--time", type=float, default=0.25, help="seconds per sample")
    parser.add_argument("--bulk-mib", type=int, default=1024, help="W7 transfer size, MiB")
    parser.add_argument("--quick", action="store_true", help="a smoke run of a few seconds")
    parser.add_argument("--only", action="append", default=[], help="rows containing TEXT")
    parser.add_argument("--clock", choices=sorted(CLOCKS), default="wall", help="sample timer")
    parser.add_argument("--json", metavar="PATH", help="write the results as JSON too")
    parser.add_argument("--strict", action="store_true", help="exit 1 if a target is missed")
    parser.add_argument(
        "--instructions",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="instructions per operation by callgrind (default: on CPython with valgrind)",
    )
    parser.add_argument("--no-wall", action="store_true", help="skip the wall-clock samples")
    parser.add_argument("--jobs", type=int, default=1, help="callgrind children at once")
    args = parser.parse_args(argv)
    if args.quick:
        args.reps, args.time, args.bulk_mib = 3, 0.05, 64
    _raise_file_limit(6000)
    global clock
    clock = CLOCKS[args.clock]

    valgrind = shutil.which("valgrind")
    count = args.instructions
    why_not = ""
    if PYPY:
        why_not = (
            "not counted on PyPy: under valgrind its JIT compiles and runs differently, and "
            "the count would mostly be the JIT's own work, not the steady loop"
        )
        count = False
    elif count is None:
        count = valgrind is not None
        why_not = "" if count else "not counted: valgrind is not on PATH"
    elif count and valgrind is None:
        parser.error("--instructions needs valgrind on PATH")
    elif not count:
        why_not = "not counted (--no-instructions)"

    workloads = all_workloads(args.bulk_mib)
    if args.only:
        wanted = [o.lower() for o in args.only]
        workloads = [w for w in workloads if any(o in w.key.lower() for o in wanted)]

    import cffi

    impl = f"{platform.python_implementation()} {platform.python_version()}"
    load_start = _load()
    print(
        f"nativesockets vs stdlib vs bare cffi: {impl} ({sys.executable}), cffi "
        f"{cffi.__version__}, {platform.system()} {platform.release()} {platform.machine()}, "
        f"{os.cpu_count()} CPUs, {datetime.datetime.now().strftime('%Y-%m-%d %H:%M')}"
    )
    print(f"load average (1, 5, 15 min) at start: {load_start}")
    print(f"command: python benchmarks/run.py {' '.join(argv)}")
    if not args.no_wall:
        print(
            f"wall: {args.reps} samples per side, the order rotating, ~{args.time} s each, "
            f"{args.clock} clock{' (W7: both processes)' if args.clock != 'wall' else ''}"
        )
    if count:
        vg = subprocess.run([valgrind, "--version"], capture_output=True, text=True).stdout
        print(
            f"instructions: {vg.strip()} --tool=callgrind, PYTHONHASHSEED=0, "
            f"(I(2n) - I(n)) / n ops, user space only"
        )
    else:
        print(f"instructions: {why_not}")
    print()
    print(HEADER)
    results = []
    for w in workloads:
        r: dict[str, Any] = {"workload": w.key}
        if not args.no_wall:
            try:
                r = measure(w, args.reps, args.time)
            except Exception as e:  # report and go on with the other rows
                r = {"workload": w.key, "error": f"{type(e).__name__}: {e}"}
        results.append(r)
        if not count:
            print(_row(r), flush=True)
    if count:  # after the wall clock, so that callgrind's load does not disturb it
        counted = [w for w, r in zip(workloads, results) if w.icount and "error" not in r]
        print("counting instructions (callgrind)...", file=sys.stderr, flush=True)
        t0 = time.perf_counter()
        try:
            per_row = instructions(counted, args.bulk_mib, max(1, args.jobs))
        except Exception as e:
            per_row = {w.key: {"instr_error": f"{type(e).__name__}: {e}"} for w in counted}
        for r in results:
            r.update(per_row.get(r["workload"], {}))
            print(_row(r), flush=True)
        print(f"\n(instruction counts took {time.perf_counter() - t0:.0f} s)")
    load_end = _load()
    print(f"\nload average at end: {load_end}")
    if count:
        print("instructions: not counted for W7 (one sample is a whole transfer by two processes)")
    print("\nstdlib counterparts:")
    for w in workloads:
        print(f"  {w.key}: {w.versus}")
    print("\nbare cffi loops:")
    for w in workloads:
        print(f"  {w.key}: {w.bare_does}")

    if args.json:
        header = {
            "interpreter": impl,
            "executable": sys.executable,
            "cffi": cffi.__version__,
            "platform": f"{platform.system()} {platform.release()} {platform.machine()}",
            "cpus": os.cpu_count(),
            "date": datetime.datetime.now().isoformat(timespec="seconds"),
            "load_start": load_start,
            "load_end": load_end,
            "argv": argv,
            "instructions": bool(count) or why_not,
        }
        with open(args.json, "w") as f:
            json.dump({**header, "results": results}, f, indent=1)
    missed = [
        r
        for r in results
        if "error" in r or "instr_error" in r or r.get("target") and r["ratio"] < r["target"]
    ]
    return 1 if args.strict and missed else 0


if __name__ == "__main__":
    sys.exit(main())

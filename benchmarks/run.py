"""Benchmark nativesockets against the stdlib: ``python benchmarks/run.py`` (``nox -s bench``).

Each workload W1-W9 runs through our public API and through the stdlib in one process,
alternating between the two (ours first on even repetitions, the stdlib first on odd ones),
``--reps`` times each. A sample runs the workload's loop long enough to take about
``--time`` seconds (one whole transfer for W7). The table gives the median ops/s of each
side and the median of the per-repetition ratios ours/stdlib, with their range, against
the target (CPython's from the issue; 1.0 for every row on PyPy).

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
"""

from __future__ import annotations

import argparse
import datetime
import gc
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Sequence
from typing import Any, Callable

try:
    import nativesockets  # noqa: F401
except ImportError:  # run from a checkout with the extension built in place
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from workloads import Workload, all_workloads  # noqa: E402

PYPY = platform.python_implementation() == "PyPy"


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
    w.setup()
    try:
        if w.calibrate:
            n_ours, n_std = _calibrate(w.ours, seconds), _calibrate(w.stdlib, seconds)
        else:
            n_ours = n_std = 1
            w.ours(1)  # warm up once each
            w.stdlib(1)
        ours: list[float] = []
        std: list[float] = []
        for rep in range(reps):
            pair = [(w.ours, n_ours, ours), (w.stdlib, n_std, std)]
            if rep % 2:
                pair.reverse()
            timer = None
            if not w.calibrate and clock is not time.perf_counter and hasattr(os, "fork"):
                timer = _cpu_with_children
            for fn, n, out in pair:
                out.append(n * w.per_iter / _timed(fn, n, timer))
    finally:
        w.close()
    ratios = [a / b for a, b in zip(ours, std)]
    return {
        "workload": w.key,
        "unit": w.unit,
        "versus": w.versus,
        "ours": statistics.median(ours),
        "stdlib": statistics.median(std),
        "ratio": statistics.median(ratios),
        "ratio_min": min(ratios),
        "ratio_max": max(ratios),
        "target": 1.0 if PYPY else w.target,
    }


def _rate(x: float) -> str:
    if x >= 1e6:
        return f"{x / 1e6:.2f} M"
    if x >= 1e3:
        return f"{x / 1e3:.1f} k"
    return f"{x:.1f}"


def _row(r: dict[str, Any]) -> str:
    if "error" in r:
        return f"| {r['workload']} | | | | | | error: {r['error']} |"
    target = r["target"]
    verdict = "-" if not target else ("ok" if r["ratio"] >= target else "MISSED")
    return (
        f"| {r['workload']} | {_rate(r['ours'])} {r['unit']}/s | {_rate(r['stdlib'])} "
        f"{r['unit']}/s | **{r['ratio']:.2f}** | {r['ratio_min']:.2f}-{r['ratio_max']:.2f} | "
        f"{f'>= {target:.2f}' if target else '-'} | {verdict} |"
    )


def main(argv: Sequence[str] | None = None) -> int:
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
    args = parser.parse_args(argv)
    if args.quick:
        args.reps, args.time, args.bulk_mib = 3, 0.05, 64
    _raise_file_limit(6000)
    global clock
    clock = CLOCKS[args.clock]

    workloads = all_workloads(args.bulk_mib)
    if args.only:
        wanted = [o.lower() for o in args.only]
        workloads = [w for w in workloads if any(o in w.key.lower() for o in wanted)]

    impl = f"{platform.python_implementation()} {platform.python_version()}"
    print(
        f"nativesockets vs stdlib: {impl}, {platform.system()} {platform.release()} "
        f"{platform.machine()}, {os.cpu_count()} CPUs, "
        f"{datetime.datetime.now().strftime('%Y-%m-%d %H:%M')}"
    )
    print(f"command: python benchmarks/run.py {' '.join(sys.argv[1:] if argv is None else argv)}")
    print(
        f"{args.reps} alternating samples per side, ~{args.time} s each, "
        f"{args.clock} clock{' (W7: both processes)' if args.clock != 'wall' else ''}\n"
    )
    print("| workload | ours | stdlib | ours/stdlib (median) | range | target | |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | --- |")
    results = []
    for w in workloads:
        try:
            r = measure(w, args.reps, args.time)
        except Exception as e:  # report and go on with the other rows
            r = {"workload": w.key, "error": f"{type(e).__name__}: {e}"}
        results.append(r)
        print(_row(r), flush=True)
    print("\nstdlib counterparts:")
    for w in workloads:
        print(f"  {w.key}: {w.versus}")

    if args.json:
        with open(args.json, "w") as f:
            json.dump({"interpreter": impl, "results": results}, f, indent=1)
    missed = [r for r in results if "error" in r or r["target"] and r["ratio"] < r["target"]]
    return 1 if args.strict and missed else 0


if __name__ == "__main__":
    sys.exit(main())

"""README.md's Performance figures from the ``--json`` files of benchmark runs.

    python benchmarks/readme.py benchmarks/results/*.json          # rewrites README.md
    python benchmarks/readme.py --check benchmarks/results/*.json  # exit 1 if it differs

Writes the part of README.md between ``<!-- performance:begin -->`` and
``<!-- performance:end -->``: per run (one per interpreter: CPython first, by version, then
PyPy) its date, interpreter, cffi, machine, load average at start and end and command, then
a table of the speed ratios ours/stdlib and ours/bare (median and range over the
repetitions) and, on CPython, the instructions per operation. No figure is given with more
digits than the run's own noise supports (see ``NOISE``).
"""

from __future__ import annotations

import argparse
import difflib
import json
import re
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BEGIN = "<!-- performance:begin -->"
END = "<!-- performance:end -->"
WIDE = 0.10  # a ratio whose range is this wide or wider is given to one decimal

NOISE = (
    "How to read it: speed ratios, above 1 ours is faster; ours/bare is against the bare "
    "cffi call(s) the proc makes, so 1.00 means our Python layer costs nothing (0.87: "
    "within 15%). Each run times ours, the stdlib and bare cffi in turn, the order "
    "rotating, for the number of repetitions given; a ratio is the median of the "
    "per-repetition ratios, and its range, the lowest to the highest of them, is the noise "
    "measured in that run: a rerun on a machine as loaded lands within about that range, "
    f"not within 0.01. So a median is given to two decimals where its range is narrower "
    f"than {WIDE:.2f}, else to one. Instructions per operation (callgrind, user space "
    "only, on CPython) do not move with the load: reruns agree within 0.01% (W8's stdlib "
    "side within 0.3%), another checkout or venv within 0.5% (benchmarks/README.md), so "
    "they "
    "are given to three significant figures, and their ratio ours/bare (a cost ratio: "
    "1.15 is 15% more) to two decimals."
)


def _argv_value(argv: list[str], option: str, default: str) -> str:
    for i, a in enumerate(argv):
        if a == option and i + 1 < len(argv):
            return argv[i + 1]
        if a.startswith(option + "="):
            return a.split("=", 1)[1]
    return default


def samples(header: dict[str, Any]) -> tuple[int, float]:
    """Repetitions and seconds per sample of a run, from its command line (run.py's rules:
    ``--quick`` is 3 of 0.05 s whatever else is given)."""
    argv = header["argv"]
    if "--quick" in argv:
        return 3, 0.05
    return int(_argv_value(argv, "--reps", "7")), float(_argv_value(argv, "--time", "0.25"))


def ratio(median: float, low: float, high: float) -> tuple[str, str]:
    """A median and its range, to the digits the range supports."""
    d = 1 if high - low >= WIDE else 2
    return f"{median:.{d}f}", f"{low:.{d}f}-{high:.{d}f}"


def count(x: float) -> str:
    """Instructions to three significant figures: 714, 19.6 k, 1.43 M."""
    r = float(f"{x:.3g}")
    v, suffix = (r / 1e6, " M") if r >= 1e6 else (r / 1e3, " k") if r >= 1e3 else (r, "")
    return f"{v:.{max(0, 3 - len(str(int(v))))}f}{suffix}"


def _order(run: dict[str, Any]) -> tuple[int, tuple[int, ...]]:
    impl, _, version = run["interpreter"].partition(" ")
    return (impl != "CPython", tuple(int(p) for p in re.findall(r"\d+", version)[:3]))


def _cpython(run: dict[str, Any]) -> bool:
    return bool(run["interpreter"].startswith("CPython"))


def _without_json(argv: list[str]) -> list[str]:
    """The command line without ``--json PATH`` (where the file went is no figure's)."""
    out: list[str] = []
    skip = False
    for a in argv:
        if skip:
            skip = False
        elif a == "--json":
            skip = True
        elif not a.startswith("--json="):
            out.append(a)
    return out


def _about(run: dict[str, Any]) -> list[str]:
    reps, seconds = samples(run)
    argv = " ".join(_without_json(run["argv"]))
    lines = [
        f"**{run['interpreter']}**, cffi {run['cffi']}, {run['platform']}, {run['cpus']} CPUs; "
        f"{run['date'].replace('T', ' ')[:16]}; load average (1, 5, 15 min) "
        f"{run['load_start']} at the start, {run['load_end']} at the end; "
        f"`python benchmarks/run.py{' ' + argv if argv else ''}`: {reps} repetitions of "
        f"~{seconds:g} s per side."
    ]
    if "--quick" in run["argv"]:
        lines.append(
            "A smoke run (`--quick`): few, short samples, so wide ranges and rough medians."
        )
    if run["instructions"] is not True:  # run.py's reason: "not counted ..."
        lines.append(f"Instructions {run['instructions']}.")
    return lines


def _wall(r: dict[str, Any]) -> list[str]:
    if "ratio" not in r:
        return ["", ""]
    cells = []
    for name in ("ratio", "ratio_bare"):
        median, span = ratio(r[name], r[f"{name}_min"], r[f"{name}_max"])
        cells.append(f"{median} ({span})")
    return cells


def _table(run: dict[str, Any]) -> list[str]:
    cpython = _cpython(run)
    if cpython:
        head = [
            "| workload | ours/stdlib (range) | target | ours/bare (range) "
            "| instr/op ours | stdlib | bare | instr ours/bare |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
    else:
        head = [
            "| workload | ours/stdlib (range) | ours/bare (range) |",
            "| --- | ---: | ---: |",
        ]
    rows = []
    for r in run["results"]:
        cells = [r["workload"], *_wall(r)]
        if "error" in r:
            cells[1] = f"error: {r['error']}"
        if cpython:
            target = r.get("target") or 0
            cells.insert(2, f"{target:.2f}" if target else "-")
            if "ours_instr" in r:
                cells += [count(r[f"{side}_instr"]) for side in ("ours", "stdlib", "bare")]
                cells.append(f"{r['instr_ratio_bare']:.2f}")
            elif "instr_error" in r:
                cells += ["", "", "", f"error: {r['instr_error']}"]
            else:
                cells += ["-"] * 4
        rows.append("| " + " | ".join(cells) + " |")
    return head + rows


def _names(rows: list[dict[str, Any]]) -> str:
    return "; ".join(r["workload"] for r in rows) if rows else "none"


def _summary(run: dict[str, Any]) -> str:
    """What the ranges say without a doubt: faster or slower in every repetition."""
    rows = [r for r in run["results"] if "ratio" in r]
    faster = [r for r in rows if r["ratio_min"] > 1]
    slower = [r for r in rows if r["ratio_max"] < 1]
    close = [r for r in rows if r["ratio_bare_min"] >= 0.87]
    return (
        f"Faster than the stdlib in every repetition: {_names(faster)}. Slower in every "
        f"repetition: {_names(slower)}. Within 15% of bare cffi (ours/bare >= 0.87) in every "
        f"repetition: {_names(close)}."
    )


def _fill(text: str) -> str:
    return textwrap.fill(text, 92, break_long_words=False, break_on_hyphens=False)


def render(runs: Sequence[dict[str, Any]]) -> str:
    """The text between the markers (without them), for these runs."""
    runs = sorted(runs, key=_order)
    dates = sorted({run["date"][:10] for run in runs})
    out = [
        _fill(
            f"Generated by `python benchmarks/readme.py` from the `--json` files of "
            f"{len(runs)} runs of `nox -s bench` in benchmarks/results/ ({', '.join(dates)}). "
            "Targets (CPython) are issue 4's; on PyPy the target is 1.0 for every row."
        ),
        "",
        _fill(NOISE),
    ]
    for run in runs:
        out += ["", _fill(" ".join(_about(run))), "", *_table(run), "", _fill(_summary(run))]
    return "\n".join(out)


def splice(readme: str, inner: str) -> str:
    """``readme`` with the text between the markers replaced by ``inner``."""
    start, end = readme.find(BEGIN), readme.find(END)
    if start < 0 or end < start:
        raise ValueError(f"README.md needs {BEGIN} and then {END}")
    return readme[: start + len(BEGIN)] + "\n" + inner + "\n" + readme[end:]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("runs", nargs="+", metavar="JSON", help="run.py --json files")
    parser.add_argument("--check", action="store_true", help="exit 1 if README.md differs")
    parser.add_argument("--readme", default=str(ROOT / "README.md"), help="the file to write")
    args = parser.parse_args(argv)
    runs = []
    for path in args.runs:
        with open(path) as f:
            runs.append(json.load(f))
    path = Path(args.readme)
    old = path.read_text()
    new = splice(old, render(runs))
    if args.check:
        if new == old:
            return 0
        diff = difflib.unified_diff(
            old.splitlines(True), new.splitlines(True), str(path), "rendered"
        )
        sys.stdout.writelines(diff)
        print(f"\n{path}: the Performance section is not what {' '.join(args.runs)} make")
        return 1
    if new != old:
        path.write_text(new)
    return 0


if __name__ == "__main__":
    sys.exit(main())

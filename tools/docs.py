"""Build the HTML API reference from the docstrings with pdoc; any warning fails the build.

Run by `nox -s docs` (which installs the package and pdoc), or by hand:

    python tools/docs.py [OUTPUT_DIR] [--require-docstrings]

OUTPUT_DIR defaults to build/docs in the checkout. The installed package is documented (the
compiled module must be importable), not the checkout's source directory.
--require-docstrings also fails when a public name (one of ``nativesockets.__all__`` that is
a function or class, or a public method of such a class) has no docstring of its own.
"""

from __future__ import annotations

import argparse
import inspect
import os
import shutil
import sys
import tempfile
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def undocumented() -> list[str]:
    """The public functions, classes and methods without a docstring of their own."""
    import nativesockets

    missing = []
    for name in nativesockets.__all__:
        obj = getattr(nativesockets, name)
        if not (inspect.isroutine(obj) or inspect.isclass(obj)):
            continue
        if not (getattr(obj, "__doc__", None) or "").strip():
            missing.append(name)
        if inspect.isclass(obj) and obj.__module__.startswith("nativesockets"):
            for attr, member in vars(obj).items():
                if attr.startswith("_") or not inspect.isfunction(member):
                    continue
                if not (member.__doc__ or "").strip():
                    missing.append(f"{name}.{attr}")
    return missing


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", nargs="?", type=Path, default=ROOT / "build" / "docs")
    parser.add_argument("--require-docstrings", action="store_true")
    args = parser.parse_args(argv)
    args.output = args.output.resolve()
    # Document the installed package: from the checkout, pdoc would warn that the name
    # "nativesockets" is ambiguous with the source directory.
    os.chdir(tempfile.gettempdir())

    import pdoc
    import pdoc.render

    import nativesockets

    pdoc.render.configure(
        docformat="restructuredtext",
        footer_text=f"nativesockets {getattr(nativesockets, '__version__', '')}".strip(),
        show_source=True,
    )
    if args.output.exists():
        shutil.rmtree(args.output)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pdoc.pdoc("nativesockets", output_directory=args.output)
    problems = [f"{w.filename}:{w.lineno}: {w.category.__name__}: {w.message}" for w in caught]

    pages = sorted(p.relative_to(args.output).as_posix() for p in args.output.rglob("*.html"))
    if "nativesockets.html" not in pages:
        problems.append("pdoc wrote no nativesockets.html")
    print(f"{len(pages)} pages in {args.output}: {', '.join(pages)}")

    missing = undocumented()
    if missing:
        note = f"{len(missing)} public names have no docstring: {', '.join(missing)}"
        if args.require_docstrings:
            problems.append(note)
        else:
            print(f"note: {note}")

    for problem in problems:
        print(f"docs: {problem}", file=sys.stderr)
    if problems:
        print(f"docs: FAILED with {len(problems)} warnings", file=sys.stderr)
        return 1
    print("docs: built with no warnings")
    return 0


if __name__ == "__main__":
    sys.exit(main())

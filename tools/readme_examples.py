"""Write each ```python block of README.md to OUTPUT_DIR/readme_<line>.py, for type checkers:

    python tools/readme_examples.py build/readme && mypy --strict build/readme

The same blocks tests/test_readme.py runs (tagged python, py or python3; not pycon, text...).
"""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})\s*([^`]*)$")


def main(argv: list[str]) -> int:
    out = Path(argv[1] if len(argv) > 1 else ROOT / "build" / "readme")
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    lines = (ROOT / "README.md").read_text().splitlines()
    written = []
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        i += 1
        if not m:
            continue
        fence, tag = m.group(1), (m.group(2).split() or [""])[0].lower()
        start, body = i, []
        while i < len(lines):
            close = FENCE.match(lines[i])
            if close and close.group(1).startswith(fence) and not close.group(2):
                break
            body.append(lines[i])
            i += 1
        i += 1
        if tag in ("python", "py", "python3"):
            path = out / f"readme_{start}.py"
            path.write_text("\n".join(body) + "\n")
            written.append(path.name)
    print(f"{len(written)} examples in {out}: {' '.join(written)}")
    return 0 if written else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))

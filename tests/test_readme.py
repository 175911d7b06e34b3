"""The README's examples run: every fenced block tagged ```python (or ```py, ```python3) runs
as a script in a child Python, in an empty temporary directory; a block tagged otherwise
(```pycon, ```text, ```sh...) is prose and does not."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import nativesockets as ns

README = Path(__file__).resolve().parent.parent / "README.md"
RUNNABLE = {"python", "py", "python3"}
FENCE = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})\s*(?P<info>[^`]*)$")


def blocks(text: str) -> list[tuple[int, str, str]]:
    """(line of the opening fence, language tag, code) for each fenced block."""
    out = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        fence, indent = m.group("fence"), len(m.group("indent"))
        tag = (m.group("info").split() or [""])[0].lower()
        start, body = i + 1, []
        i += 1
        while i < len(lines):
            close = FENCE.match(lines[i])
            if close and close.group("fence").startswith(fence) and not close.group("info"):
                break
            line = lines[i]
            body.append(line[min(indent, len(line) - len(line.lstrip(" "))) :])
            i += 1
        out.append((start, tag, "\n".join(body) + "\n"))
        i += 1
    return out


def examples() -> list[tuple[int, str]]:
    if not README.exists():
        return []
    return [(line, code) for line, tag, code in blocks(README.read_text()) if tag in RUNNABLE]


def test_the_readme_is_there_with_python_examples() -> None:
    assert README.exists(), f"{README} is missing (copy it next to tests/ to run these)"
    assert examples(), "README.md has no ```python block"


def test_block_extraction_runs_python_and_skips_the_rest() -> None:
    text = (
        "intro\n```python\nprint(1)\n```\n"
        "```pycon\n>>> 2\n```\n"
        "````text\n```python\nnot code\n```\n````\n"
        "```py title\nx = 3\n\n```\n"
        "```\nplain\n```\n"
        "  ```python\n  indented = True\n  ```\n"
    )
    found = blocks(text)
    assert [(tag, code) for _, tag, code in found] == [
        ("python", "print(1)\n"),
        ("pycon", ">>> 2\n"),
        ("text", "```python\nnot code\n```\n"),
        ("py", "x = 3\n\n"),
        ("", "plain\n"),
        ("python", "indented = True\n"),
    ]
    assert [line for line, _, _ in found] == [2, 5, 8, 13, 17, 20]


@pytest.mark.parametrize(
    "code", [code for _, code in examples()], ids=[f"README.md:{n}" for n, _ in examples()]
)
def test_readme_example_runs(code: str, tmp_path: Path) -> None:
    script = tmp_path / "example.py"
    script.write_text(code)
    package_parent = str(Path(ns.__file__).resolve().parent.parent)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_parent, env.get("PYTHONPATH")]))
    r = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env=env,
    )
    assert r.returncode == 0, f"the example failed:\n{code}\n--- stdout\n{r.stdout}\n{r.stderr}"

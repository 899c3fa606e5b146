"""The packages stay in pieces a reader can hold: no function over 80 lines, no folder of more than 20 modules.

Alembic's migrations are left out: each is one revision, named by number, and they only ever grow.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "web", "lookup", "complaints", "qr")
MAX_FUNCTION_LINES = 80
MAX_MODULES_PER_FOLDER = 20


def _modules() -> Iterator[Path]:
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" not in path.relative_to(ROOT).parts:
                yield path


def long_functions(source: str, limit: int = MAX_FUNCTION_LINES) -> list[tuple[str, int, int]]:
    """(name, first line, length) of each function or method, nested ones too, longer than ``limit`` lines,
    counted from its ``def`` line to its last line."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            length = (node.end_lineno or node.lineno) - node.lineno + 1
            if length > limit:
                found.append((node.name, node.lineno, length))
    return found


def test_no_function_in_the_packages_passes_80_lines() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}:{line} {name} ({length} lines)"
        for path in _modules()
        for name, line, length in long_functions(path.read_text(encoding="utf-8"))
    ]
    assert offenders == [], f"functions over {MAX_FUNCTION_LINES} lines: split them by meaning: {offenders}"


def test_no_package_folder_holds_more_than_20_modules() -> None:
    per_folder: dict[Path, int] = {}
    for path in _modules():
        per_folder[path.parent] = per_folder.get(path.parent, 0) + 1  # __init__.py counts: it is a module too
    offenders = [
        f"{folder.relative_to(ROOT)}/ ({count} modules)"
        for folder, count in sorted(per_folder.items())
        if count > MAX_MODULES_PER_FOLDER
    ]
    assert offenders == [], f"folders over {MAX_MODULES_PER_FOLDER} modules: split them by meaning: {offenders}"


def test_the_measure_counts_a_function_from_def_to_its_last_line() -> None:
    body = "".join(f"    x{n} = {n}\n" for n in range(MAX_FUNCTION_LINES - 1))
    at_limit = f"def fits():\n{body}"
    one_over = f"class Holder:\n    async def too_long(self):\n{body.replace('    ', '        ')}        pass\n"
    assert long_functions(at_limit) == []
    assert long_functions(one_over) == [("too_long", 2, MAX_FUNCTION_LINES + 1)]

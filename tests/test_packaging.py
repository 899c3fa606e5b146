"""An installed copy (`pip install .`, README's first command) carries every file the packages read."""

from __future__ import annotations

import fnmatch
import subprocess
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "web", "lookup", "complaints", "qr")


def test_every_data_file_of_the_packages_is_declared_as_package_data() -> None:
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    tracked = subprocess.run(
        ["git", "ls-files", *PACKAGES], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    missing = []
    for name in tracked:
        package, _, inside = name.partition("/")
        if name.endswith(".py") and "/migrations/" not in name:
            continue
        if not any(fnmatch.fnmatch(inside, pattern) for pattern in declared.get(package, [])):
            missing.append(name)
    assert missing == [], f"not installed by `pip install .`: {missing}"

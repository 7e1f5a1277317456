"""The engine stays platform-neutral: nothing under bot/ imports a platform library or an adapter."""

from __future__ import annotations

import ast
from pathlib import Path

FORBIDDEN = ("telegram", "discord", "adapters")
ROOT = Path(__file__).resolve().parent.parent


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_the_engine_imports_no_platform_library_and_no_adapter():
    offenders = {
        str(path.relative_to(ROOT)): sorted(m for m in imported_modules(path) if m.split(".")[0] in FORBIDDEN)
        for path in (ROOT / "bot").rglob("*.py")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_the_check_itself_catches_a_platform_import(tmp_path):
    sample = tmp_path / "leak.py"
    sample.write_text("from telegram import Bot\nimport discord.ui\n", encoding="utf-8")
    assert {m.split(".")[0] for m in imported_modules(sample)} == {"telegram", "discord"}

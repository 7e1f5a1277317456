"""What import-linter cannot check (its contracts are in pyproject.toml, `lint-imports` runs in CI): no
module of bot/, storage/ or config/ imports a project module inside a function (an import hidden there to
dodge a circle hides the circle), and the contracts on features allow exactly what the features declare."""

from __future__ import annotations

import ast
import importlib
import io
import pkgutil
import re
import tokenize
import tomllib
from itertools import permutations
from pathlib import Path

import bot
from bot.feature import Feature
from bot.features import FEATURES

ROOT = Path(__file__).resolve().parent.parent
PROJECT = ("bot", "storage", "config", "adapters")
# not adapters/: cli.py defers imports on purpose (`civicbot --help` stays fast)
CHECKED = ("bot", "storage", "config")

# Files another change is splitting (the consultation definitions): their function-level imports go with it.
# Empty this list once that split is merged.
ALLOWED: set[str] = set()


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imported(node: ast.Import | ast.ImportFrom) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    return ["." * node.level + (node.module or "")]


def function_level_imports(source: str) -> list[tuple[int, str]]:
    """(line, module) of each import of a project module made inside a function (but under TYPE_CHECKING)."""
    found: list[tuple[int, str]] = []

    def visit(node: ast.AST, in_function: bool) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for statement in node.orelse:
                visit(statement, in_function)
            return
        if in_function and isinstance(node, ast.Import | ast.ImportFrom):
            for module in _imported(node):
                if module.startswith(".") or module.split(".")[0] in PROJECT:
                    found.append((node.lineno, module))
        inside = in_function or isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
        for child in ast.iter_child_nodes(node):
            visit(child, inside)

    visit(ast.parse(source), False)
    return found


def test_no_project_module_is_imported_inside_a_function():
    offenders = {}
    for package in CHECKED:
        for path in sorted((ROOT / package).rglob("*.py")):
            name = path.relative_to(ROOT).as_posix()
            if "migrations" in path.parts or name in ALLOWED:
                continue
            imports = function_level_imports(path.read_text(encoding="utf-8"))
            if imports:
                offenders[name] = imports
    assert offenders == {}


def test_the_allow_list_names_only_files_that_still_need_it():
    stale = sorted(
        name for name in ALLOWED if not function_level_imports((ROOT / name).read_text(encoding="utf-8"))
    )
    assert stale == [], "remove these from ALLOWED: they import nothing inside a function any more"


def test_the_check_itself_catches_a_function_level_import():
    sample = """
from typing import TYPE_CHECKING
from bot.context import Context
if TYPE_CHECKING:
    from bot.engine import Engine

def f():
    import json
    from storage.polls import latest_poll_in_chat
    if TYPE_CHECKING:
        from bot.engine import Engine

class C:
    async def g(self):
        from . import sibling
        return lambda: __import__("x")
"""
    assert function_level_imports(sample) == [(9, "storage.polls"), (15, ".")]


# -- every `type: ignore` says which error and why ----------------------------------------------------------

PYTHON_FOLDERS = ("bot", "storage", "config", "adapters", "tests", "bench")
IGNORE = re.compile(r"#\s*type:\s*ignore")
# `# type: ignore[code, code]  # why`: mypy (warn_unused_ignores) fails on an ignore no longer needed, but
# only the code keeps an ignore from hiding a second error on its line, and only the reason lets one judge it
EXPLAINED = re.compile(r"#\s*type:\s*ignore\[[a-z-]+(,\s*[a-z-]+)*\]\s*#\s*\S")


def unexplained_ignores(source: str) -> list[int]:
    """The lines whose `type: ignore` comment lacks its error code in brackets or a `#` reason after it."""
    comments = (
        t for t in tokenize.generate_tokens(io.StringIO(source).readline) if t.type == tokenize.COMMENT
    )
    return [c.start[0] for c in comments if IGNORE.search(c.string) and not EXPLAINED.search(c.string)]


def test_every_type_ignore_names_its_error_code_and_says_why():
    offenders = {
        path.relative_to(ROOT).as_posix(): lines
        for folder in PYTHON_FOLDERS
        for path in sorted((ROOT / folder).rglob("*.py"))
        if (lines := unexplained_ignores(path.read_text(encoding="utf-8")))
    }
    assert offenders == {}, "write `# type: ignore[error-code]  # why` (or type the code so none is needed)"


def test_the_check_itself_catches_an_ignore_without_code_or_reason():
    sample = """
a = f()  # type: ignore
b = f()  # type: ignore[arg-type]
c = f()  # type: ignore  # a reason but no code
d = f()  # type: ignore[arg-type]  #
e = f()  #type:ignore[union-attr]
f = f()  # type: ignore[arg-type]  # a stand-in: the function reads one field
g = f()  # type: ignore[import-not-found, no-redef]  # the same module under its other name
h = "# type: ignore"
"""
    assert unexplained_ignores(sample) == [2, 3, 4, 5, 6]


# -- the feature contracts follow `Feature.requires` ------------------------------------------------------


def _feature_packages() -> dict[str, str]:
    """Each feature's name → the package that declares it (the one holding its `feature.py`)."""
    owners: dict[str, str] = {}
    for info in pkgutil.iter_modules(bot.__path__):
        if not info.ispkg:
            continue
        try:
            module = importlib.import_module(f"bot.{info.name}.feature")
        except ModuleNotFoundError:
            continue
        for value in vars(module).values():
            if isinstance(value, Feature):
                owners[value.name] = f"bot.{info.name}"
    return owners


def _contracts() -> list[dict]:
    with (ROOT / "pyproject.toml").open("rb") as file:
        return tomllib.load(file)["tool"]["importlinter"]["contracts"]


def test_the_feature_contracts_allow_exactly_the_declared_dependencies():
    owners = _feature_packages()
    assert set(owners) == {f.name for f in FEATURES}
    packages = set(owners.values())
    declared = {
        (owners[feature.name], owners[required])
        for feature in FEATURES
        for required in feature.requires
        if owners[feature.name] != owners[required]
    }
    forbidden: set[tuple[str, str]] = set()
    for contract in _contracts():
        if contract["type"] == "independence":
            forbidden |= set(permutations(contract["modules"], 2))
        elif contract["type"] == "forbidden":
            forbidden |= {
                (source, target)
                for source in contract["source_modules"]
                for target in contract["forbidden_modules"]
                if source in packages and target in packages
            }
    allowed = set(permutations(packages, 2)) - forbidden
    assert allowed == declared


def test_events_are_called_events_in_the_code_the_schema_and_what_people_read() -> None:
    """Residents and organizers read "event" (« événement »): a second word in the code, the tables or the
    messages is how a newcomer ends up looking for a feature under the wrong name. The migrations that
    created and renamed the old table keep its old name."""
    renamed = {"0003_meetings_and_outbox.py", "0004_ownership.py", "0006_events.py"}
    sources = [
        path
        for folder in (*PROJECT, "docs")
        for path in (ROOT / folder).rglob("*")
        if path.suffix in {".py", ".po", ".pot", ".md", ".yaml"} and path.name not in renamed
    ]
    sources += [ROOT / "README.md", ROOT / "pyproject.toml"]
    other_word = [str(path.relative_to(ROOT)) for path in sources if "meeting" in path.read_text().lower()]
    french = [
        str(p.relative_to(ROOT)) for p in sources if p.suffix == ".po" and "réunion" in p.read_text().lower()
    ]
    assert other_word == [] and french == []
    assert sorted(
        path.name for path in (ROOT / "bot").iterdir() if path.name.startswith(("event", "meeting"))
    ) == ["events"]

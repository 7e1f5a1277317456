"""The documentation stays inside the repository and its links lead somewhere.

The README is a short front page; the rest is in docs/ (the mkdocs site, whose `mkdocs build --strict` in CI
checks the links between pages). These tests hold what the site's build cannot see: the README's links, links
to files outside docs/, and that nothing points outside the repository.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
PAGES = sorted((ROOT / "docs").glob("*.md"))
DOCUMENTS = [README, ROOT / "CONTRIBUTING.md", ROOT / "CHANGELOG.md", *PAGES]
README_MAX_LINES = 200

FENCE = re.compile(r"^(```|~~~).*?^\1", re.MULTILINE | re.DOTALL)
CODE_SPAN = re.compile(r"`[^`\n]*`")
INLINE_LINK = re.compile(r"\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE_LINK = re.compile(r"^\s*\[[^\]]+\]:\s*(\S+)", re.MULTILINE)
SNIPPET = re.compile(r'^--8<-- "([^"]+)"$', re.MULTILINE)
HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)


def prose(path: Path) -> str:
    """The text a reader follows links in: code blocks and code spans are examples, not links."""
    return CODE_SPAN.sub("", FENCE.sub("", path.read_text(encoding="utf-8")))


def links(path: Path) -> list[str]:
    text = prose(path)
    return INLINE_LINK.findall(text) + REFERENCE_LINK.findall(text)


def source(path: Path) -> Path:
    """A page that only includes a root file (CONTRIBUTING.md, CHANGELOG.md) stands for that file."""
    included = SNIPPET.findall(path.read_text(encoding="utf-8"))
    return ROOT / included[0] if included else path


def slug(heading: str) -> str:
    """The anchor Python-Markdown (mkdocs) gives a heading; the code host gives ASCII headings the same."""
    text = re.sub(r"[*_`]|\[([^\]]*)\]\([^)]*\)", r"\1", heading)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    text = re.sub(r"[^\w\s-]", "", text).strip().lower()
    return re.sub(r"[-\s]+", "-", text)


def anchors(path: Path) -> set[str]:
    text = FENCE.sub("", source(path).read_text(encoding="utf-8"))
    return {slug(heading) for heading in HEADING.findall(text)}


def test_the_readme_is_a_front_page_of_at_most_200_lines():
    lines = README.read_text(encoding="utf-8").count("\n")
    assert lines <= README_MAX_LINES, f"README.md has {lines} lines: move details to docs/"


def test_the_readme_keeps_the_two_commands():
    text = README.read_text(encoding="utf-8")
    assert 'python3 -m venv .venv && .venv/bin/pip install -e ".[dev]" && .venv/bin/pytest' in text
    assert "python3 -m venv .venv && .venv/bin/pip install -e . && .venv/bin/civicbot run" in text


def test_no_link_points_outside_the_repository():
    offenders = []
    for path in DOCUMENTS:
        text = path.read_text(encoding="utf-8")
        for needle in ("](http", "](//", "<http", "href=", "../shared"):
            if needle in text:
                offenders.append(f"{path.relative_to(ROOT)}: {needle}")
        for target in links(path):
            has_scheme = re.match(r"[a-z][a-z0-9+.-]*:", target)  # http, mailto, ftp…
            inside = (path.parent / target.partition("#")[0]).resolve().is_relative_to(ROOT)
            if has_scheme or not inside:
                offenders.append(f"{path.relative_to(ROOT)}: {target}")
    assert not offenders, "links outside the repository:\n" + "\n".join(offenders)


def test_every_relative_link_leads_to_a_file_and_a_heading_that_exist():
    broken = []
    for path in DOCUMENTS:
        for target in links(path):
            if re.match(r"[a-z][a-z0-9+.-]*:", target):
                continue  # refused by the test above
            file, _, anchor = target.partition("#")
            destination = (path.parent / file).resolve() if file else path
            if not destination.exists():
                broken.append(f"{path.relative_to(ROOT)}: {target} (no such file)")
            elif anchor and destination.suffix == ".md" and anchor not in anchors(destination):
                broken.append(f"{path.relative_to(ROOT)}: {target} (no such heading)")
    assert not broken, "broken links:\n" + "\n".join(broken)


def test_the_site_lists_every_page_and_only_pages_that_exist():
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    listed = [next(iter(entry.values())) for entry in config["nav"]]
    assert sorted(listed) == sorted(page.name for page in PAGES)
    for page in PAGES:
        for included in SNIPPET.findall(page.read_text(encoding="utf-8")):
            assert (ROOT / included).exists(), f"{page.name} includes {included}, which does not exist"


def _cli_command_exists(words: list[str]) -> bool:
    """Whether `civicbot WORDS…` names a command of the CLI (its arguments may follow: FILE, an id)."""
    import typer

    from adapters.cli import app

    command = typer.main.get_command(app)
    for word in words:
        subcommands = getattr(command, "commands", None)  # a group of commands
        if subcommands is None:
            return True  # the rest are its arguments
        if word not in subcommands:
            return False
        command = subcommands[word]
    return getattr(command, "commands", None) is None


def test_the_example_consultations_point_to_the_real_format_page_and_commands():
    """Every page, chat command and `civicbot` command an example's header names exists, and a command
    given an id gives the example's own."""
    from bot.feature import Registry
    from bot.features import FEATURES

    commands = {name for spec in Registry(FEATURES).commands() for name in (spec.name, *spec.aliases)}
    shell_help = (ROOT / "adapters" / "console" / "shell.py").read_text(encoding="utf-8")
    commands |= set(re.findall(r"\(\s*(?:t\._\()?\"/([a-z_]+)", shell_help))  # the terminal's own (/upload)
    for example in sorted((ROOT / "config" / "examples").glob("*.yaml")):
        text = example.read_text(encoding="utf-8")
        own_id = yaml.safe_load(text)["id"]
        header = "".join(line for line in text.splitlines(keepends=True) if line.startswith("#"))
        for page in re.findall(r"docs/[\w./-]+\.md", header):
            assert (ROOT / page).exists(), f"{example.name} points to {page}, which does not exist"
        for command, argument in re.findall(r"(?<![\w/])/([a-z_]+)\b(?: ([a-z0-9-]+))?", header):
            assert command in commands, f"{example.name} mentions /{command}, which is no command"
            if argument and "-" in argument:
                assert argument == own_id, f"{example.name}: /{command} {argument} is not its id {own_id}"
        for line in re.findall(r"`civicbot ([^`]+)`", header):
            words = [w for w in line.split() if w.islower() and w != own_id]
            assert _cli_command_exists(words), (
                f"{example.name} mentions `civicbot {line}`, which is no command"
            )

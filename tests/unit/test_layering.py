"""Forum never imports ideas: ideas plugs in through forum.hooks, once per app."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

FORUM = Path(__file__).resolve().parents[2] / "forum"
PLUGIN = "ideas"


def imported_names(tree: ast.AST) -> list[str]:
    """Every module a file imports: statements, and strings handed to importlib."""
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
        elif isinstance(node, ast.Call) and _is_dynamic_import(node.func) and node.args:
            first = node.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                names.append(first.value)
    return names


def _is_dynamic_import(func: ast.expr) -> bool:
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    return name in {"import_module", "__import__"}


def forum_modules() -> list[Path]:
    return sorted(FORUM.rglob("*.py"))


def test_the_walk_finds_forum() -> None:
    assert FORUM / "__init__.py" in forum_modules() and len(forum_modules()) > 30


@pytest.mark.parametrize("path", forum_modules(), ids=lambda path: str(path.relative_to(FORUM)))
def test_forum_does_not_import_ideas(path: Path) -> None:
    names = imported_names(ast.parse(path.read_text(encoding="utf-8"), str(path)))
    assert [name for name in names if name.split(".")[0] == PLUGIN] == []


@pytest.mark.parametrize("path", forum_modules(), ids=lambda path: str(path.relative_to(FORUM)))
def test_forum_names_no_idea_endpoint_or_path(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    assert not re.search(r"""["']ideas\.|/ideas\b""", source)


def test_the_checker_sees_every_way_of_importing() -> None:
    source = ("import ideas\nfrom ideas.models import Idea\nimport importlib\n"
              "importlib.import_module('ideas.views')\n__import__('ideas')\n")
    assert imported_names(ast.parse(source)) == [
        "ideas", "ideas.models", "importlib", "ideas.views", "ideas"]

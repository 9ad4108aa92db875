"""Imports point one way: cli -> services -> kobo/forms/store -> config/errors.

The sandbox is a world of its own: if it shared code with the client, a misreading of
Kobo's contract could hide in both (style.md, "Decisions that already stand").
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "nswp_survey"

# module or package -> the internal modules/packages it may import (besides itself)
ALLOWED: dict[str, set[str]] = {
    "errors": set(),
    "config": {"errors"},
    "console": {"errors"},
    "kobo": {"config", "errors"},
    "forms": {"errors"},
    "sandbox": set(),
    "progress": set(),
    "prefetch": set(),
    "private": set(),
    "cells": set(),
    "store": {"config", "errors", "private"},
    "attachments": {"errors", "kobo", "store", "private", "progress"},
    "sync": {"attachments", "errors", "kobo", "store", "prefetch", "progress"},
    "scheduler": {"config", "errors"},
    "register": {"config", "errors", "store"},
    "deploy": {"errors", "forms", "kobo", "store"},
    "simulate": {"errors", "forms", "kobo", "progress", "synthetic"},
    "synthetic": {"forms"},
    "indicators": {"config", "errors", "store", "register"},
    "disclosure": {"errors"},
    "export": {
        "config",
        "errors",
        "store",
        "register",
        "indicators",
        "private",
        "cells",
        "disclosure",
    },
}
# Only the composition root (cli.py, and __main__ which runs it) may import these.
TOP_LEVEL_ONLY = {"cli", "console"}
COMPOSITION_ROOT = {"cli", "__main__"}


def internal_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        for name in names:
            parts = name.split(".")
            if parts[0] == "nswp_survey" and len(parts) > 1:
                found.add(parts[1])
    return found


def unit_of(path: Path) -> str:
    relative = path.relative_to(PACKAGE)
    return relative.parts[0].removesuffix(".py")


MODULES = sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_respect_the_layers(path: Path) -> None:
    unit = unit_of(path)
    imported = internal_imports(path) - {unit}
    if unit in ALLOWED:
        assert imported <= ALLOWED[unit], f"{unit} may not import {imported - ALLOWED[unit]}"
    if unit not in COMPOSITION_ROOT:
        assert not imported & TOP_LEVEL_ONLY, f"{unit} imports the CLI layer {imported}"

"""docs/hooks.md is generated from chatops/hookspecs.py; the two never drift apart."""

from __future__ import annotations

from pathlib import Path

from chatops import hookspecs
from chatops.hookdoc import render

HOOKS_MD = Path(__file__).resolve().parents[2] / "docs" / "hooks.md"


def test_the_hooks_page_is_what_the_hookspecs_generate() -> None:
    assert HOOKS_MD.read_text() == render(), (
        "docs/hooks.md is stale: run `python -m chatops.hookdoc > docs/hooks.md`"
    )


def test_every_hook_is_documented_on_the_page() -> None:
    page = render()
    hooks = [name for name in vars(hookspecs) if name.startswith("chatops_")]
    assert len(hooks) > 20
    for name in hooks:
        assert f"### `{name}`" in page
        assert getattr(hookspecs, name).__doc__, f"{name} has no docstring"
    assert "*async · first result*" in page and "*synchronous · collected*" in page

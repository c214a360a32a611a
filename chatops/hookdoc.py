"""``docs/hooks.md``, generated from ``chatops/hookspecs.py`` so the two cannot drift apart.

The hookspec module is the one source of truth: its section comments
(``# --- Lifecycle ---``) become headings, each hook's signature and
docstring its entry.  ``python -m chatops.hookdoc > docs/hooks.md``
rewrites the page; a test fails when it is stale.
"""

from __future__ import annotations

import inspect
import re
import sys
from collections.abc import Callable
from typing import Any

from chatops import hookspecs

SECTION = re.compile(r"^# --- (?P<title>.+?) ---$", re.MULTILINE)


def _hooks() -> list[tuple[int, str, Callable[..., Any]]]:
    """(line, name, function) of every hookspec, in source order."""
    found = []
    for name, value in vars(hookspecs).items():
        if name.startswith("chatops_") and inspect.isfunction(value):
            found.append((inspect.getsourcelines(value)[1], name, value))
    return sorted(found)


def _sections(source: str) -> list[tuple[int, str]]:
    return [(source.count("\n", 0, m.start()) + 1, m.group("title")) for m in SECTION.finditer(source)]


def _signature(function: Callable[..., Any]) -> str:
    signature = inspect.signature(function)
    params = ", ".join(str(p) for p in signature.parameters.values())
    returns = signature.return_annotation
    arrow = "" if returns is inspect.Signature.empty else f" -> {returns}"
    return f"{function.__name__}({params}){arrow}"


def _kind(function: Callable[..., Any]) -> str:
    options = getattr(function, f"{hookspecs.PROJECT}_spec", {}) or {}
    how = "first result" if options.get("firstresult") else "collected"
    when = "async" if inspect.iscoroutinefunction(function) else "synchronous"
    return f"{when} · {how}"


def render() -> str:
    source = inspect.getsource(hookspecs)
    sections = _sections(source)
    lines = [
        "# Hooks",
        "",
        "<!-- Generated from chatops/hookspecs.py by `python -m chatops.hookdoc > docs/hooks.md`;"
        " do not edit by hand (tests/unit/test_hookdoc.py checks it). -->",
        "",
        inspect.cleandoc(hookspecs.__doc__ or ""),
        "",
        "Implement a hook with `@chatops.hookimpl` on a function of the same name in your plugin module.",
        "How to write a plugin from zero: [plugins.md](plugins.md).",
    ]
    shown = 0
    for line, name, function in _hooks():
        while shown < len(sections) and sections[shown][0] < line:
            lines += ["", f"## {sections[shown][1]}"]
            shown += 1
        lines += [
            "",
            f"### `{name}`",
            "",
            f"*{_kind(function)}*",
            "",
            "```python",
            _signature(function),
            "```",
            "",
            inspect.cleandoc(function.__doc__ or "(undocumented)"),
        ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.stdout.write(render())

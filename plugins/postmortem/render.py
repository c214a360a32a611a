"""A postmortem rendered through Jinja2 templates (Markdown and HTML) an organisation can override."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import jinja2

from chatops_plugins.postmortem.document import SECTIONS, Document, duration

BUILT_IN = Path(__file__).parent
TEMPLATES = {"markdown": "postmortem.md.j2", "html": "postmortem.html.j2"}
EXTENSIONS = {"markdown": "md", "html": "html"}


def environment(templates_dir: str | None) -> jinja2.Environment:
    """Templates from ``templates_dir`` first (an organisation's own), then the built-in ones."""
    loaders: list[jinja2.BaseLoader] = []
    if templates_dir:
        loaders.append(jinja2.FileSystemLoader(templates_dir))
    loaders.append(jinja2.FileSystemLoader(str(BUILT_IN)))
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2",), default=False),
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["md"] = markdown_text
    env.filters["cell"] = markdown_cell
    return env


def markdown_text(text: str) -> str:
    """People's text in Markdown: no raw HTML (a renderer would run it)."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def markdown_cell(text: str) -> str:
    """…and inside a table cell: no column breaks, no line breaks."""
    return markdown_text(text).replace("|", "\\|").replace("\n", " ")


def render(document: Document, format: str, tz: ZoneInfo, templates_dir: str | None = None) -> str:
    facts = document.facts

    def time(when: datetime) -> str:
        return when.astimezone(tz).strftime("%Y-%m-%d %H:%M %Z")

    spans = [
        ("time to detect", duration(facts.started_at, facts.detected_at)),
        ("to mitigate", duration(facts.detected_at or facts.declared_at, facts.mitigated_at)),
        ("to resolve", duration(facts.detected_at or facts.declared_at, facts.resolved_at)),
    ]
    template = environment(templates_dir).get_template(TEMPLATES[format])
    return template.render(
        facts=facts,
        sections={name: document.sections.get(name, "") for name in SECTIONS},
        chain=document.chain,
        timeline=document.timeline,
        actions=document.actions,
        notes=document.notes,
        tz=tz.key,
        time=time,
        durations=", ".join(f"{name} {value}" for name, value in spans if value),
    )

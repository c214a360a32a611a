"""Commands are parsed from text with quoting, typed arguments and clear errors."""

from __future__ import annotations

from typing import Any

import pytest

from chatops.clock import parse_duration
from chatops.commands.declare import Arg, Command, Option
from chatops.commands.parser import MissingArguments, ParseError, parse_arguments, tokenize


async def _noop(ctx: Any, **kwargs: Any) -> None:
    return None


def _int(raw: str, ctx: Any) -> int:
    return int(raw)


DECLARE = Command(
    name="declare",
    group="incident",
    handler=_noop,
    args=(Arg("title", greedy=True),),
    options=(
        Option("--sev", _int),
        Option("--private", is_flag=True),
        Option("--tag", multiple=True),
    ),
)


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("incident note rollback done", ["incident", "note", "rollback", "done"]),
        (
            'incident declare "Checkout API errors" --sev 2',
            ["incident", "declare", "Checkout API errors", "--sev", "2"],
        ),
        ("note 'single quoted'", ["note", "single quoted"]),
        ("note \u201ccurly quotes from a phone\u201d", ["note", "curly quotes from a phone"]),
        ("note can't connect", ["note", "can't", "connect"]),
        ("note ünïcødé 火事 🔥", ["note", "ünïcødé", "火事", "🔥"]),
        ('note ""', ["note", ""]),
    ],
)
def test_tokenize_honours_quotes(text: str, tokens: list[str]) -> None:
    assert tokenize(text) == tokens


def test_an_unbalanced_quote_is_refused_with_the_fix() -> None:
    with pytest.raises(ParseError, match="closing"):
        tokenize('incident declare "Checkout errors')


def test_greedy_title_with_options_anywhere() -> None:
    args = parse_arguments(DECLARE, tokenize("Checkout API errors --sev 2 --tag db --tag eu --private"), None)  # type: ignore[arg-type]
    assert args == {"title": "Checkout API errors", "sev": 2, "private": True, "tag": ["db", "eu"]}


def test_option_with_equals_sign() -> None:
    assert parse_arguments(DECLARE, ["x", "--sev=1"], None)["sev"] == 1  # type: ignore[arg-type]


def test_double_dash_ends_options() -> None:
    args = parse_arguments(DECLARE, tokenize("-- saw --verbose output"), None)  # type: ignore[arg-type]
    assert args["title"] == "saw --verbose output"


def test_missing_required_argument() -> None:
    with pytest.raises(MissingArguments, match="<title>"):
        parse_arguments(DECLARE, ["--sev", "2"], None)  # type: ignore[arg-type]


def test_unknown_option_lists_the_known_ones() -> None:
    with pytest.raises(ParseError, match=r"unknown option --severity \(options: --sev, --private, --tag\)"):
        parse_arguments(DECLARE, ["x", "--severity", "2"], None)  # type: ignore[arg-type]


def test_bad_value_names_the_argument() -> None:
    with pytest.raises(ParseError, match="--sev"):
        parse_arguments(DECLARE, ["x", "--sev", "high"], None)  # type: ignore[arg-type]


def test_option_without_value() -> None:
    with pytest.raises(ParseError, match="--sev needs a value"):
        parse_arguments(DECLARE, ["x", "--sev"], None)  # type: ignore[arg-type]


def test_usage_line_is_generated_from_the_declaration() -> None:
    assert DECLARE.usage("!") == "!incident declare <title> [--sev SEV] [--private] [--tag TAG]..."


@pytest.mark.parametrize(
    ("text", "seconds"), [("90s", 90), ("5m", 300), ("2h", 7200), ("1h30m", 5400), ("1d", 86400)]
)
def test_durations(text: str, seconds: int) -> None:
    assert parse_duration(text).total_seconds() == seconds


@pytest.mark.parametrize("text", ["", "soon", "5x", "-5m"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(ValueError, match=r"e\.g\. 90s"):
        parse_duration(text)


def test_relative_times_round_to_the_nearest_minute() -> None:
    from datetime import UTC, datetime, timedelta

    from chatops.timefmt import relative

    now = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
    assert relative(now + timedelta(minutes=14, seconds=59), now) == "in 15 min"
    assert relative(now + timedelta(seconds=20), now) == "now"
    assert relative(now - timedelta(minutes=90), now) == "1h 30min ago"

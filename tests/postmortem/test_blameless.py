"""The blameless checker, scored on labelled sentences: precision and recall must stay >= 0.9."""

from __future__ import annotations

from pathlib import Path

import pytest

from chatops_plugins.postmortem.blameless import Checker, sentences

DATA = Path(__file__).parent.parent / "data"
SETS = sorted(DATA.glob("blameless_sentences*.tsv"))


def labelled(path: Path) -> list[tuple[bool, str]]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            label, text = line.split("\t", 1)
            rows.append((label == "blame", text))
    return rows


def score(rows: list[tuple[bool, str]]) -> tuple[float, float]:
    checker = Checker()
    flagged = [(truth, checker.sentence(text) is not None) for truth, text in rows]
    true_pos = sum(1 for truth, got in flagged if truth and got)
    precision = true_pos / max(1, sum(1 for _, got in flagged if got))
    recall = true_pos / max(1, sum(1 for truth, _ in flagged if truth))
    return precision, recall


def test_the_labelled_sets_are_big_enough_and_balanced() -> None:
    rows = [row for path in SETS for row in labelled(path)]
    assert len(rows) >= 60 and len(SETS) >= 3
    blaming = sum(1 for truth, _ in rows if truth)
    assert 0.35 < blaming / len(rows) < 0.65


@pytest.mark.parametrize("path", SETS, ids=[p.name for p in SETS])
def test_precision_and_recall_are_at_least_0_9(path: Path) -> None:
    precision, recall = score(labelled(path))
    assert precision >= 0.9 and recall >= 0.9, (precision, recall)


def test_a_finding_names_the_person_and_suggests_the_system() -> None:
    (finding,) = Checker().check(
        "Checkout failed at 14:02. @dana forgot to renew the certificate. We rolled back."
    )
    assert finding.who == "@dana" and finding.sentence == "@dana forgot to renew the certificate."
    assert "makes @dana the cause" in finding.suggestion and "Nothing required" in finding.suggestion


def test_known_people_are_recognised_even_in_lowercase() -> None:
    assert Checker(["zed"]).sentence("zed broke the build") is not None
    assert Checker(["zed"]).sentence("zed fixed the build") is None


def test_text_is_split_into_sentences() -> None:
    assert sentences("One. Two!\nThree? @four.") == ["One.", "Two!", "Three?", "@four."]


@pytest.mark.parametrize(
    "text",
    [
        "he deployed " * 100 + "routed " * 400,
        "he " + "had " * 990 + "forgotten it",
        "not " * 1000 + "; human error",
        " ".join(f"@p{i}" for i in range(600)) + " forgot",
    ],
)
def test_adversarial_text_is_read_without_failing(text: str) -> None:
    Checker().check(text)  # bounded: a sentence is read up to its first 600 characters

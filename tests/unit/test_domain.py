"""The incident state machine and severity rules, as plain values."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from chatops_plugins.incident.domain import (
    EarlyResolve,
    Incident,
    Refused,
    Status,
    advance,
    default_scale,
    monitoring_until,
    next_update_due,
    parse_ref,
    reopen,
)

T0 = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
SCALE = default_scale()


def incident(**changes: object) -> Incident:
    base = Incident(
        id=42,
        title="Checkout API errors",
        severity=1,
        status=Status.INVESTIGATING,
        declared_at=T0,
        declared_by="test:alice",
    )
    return replace(base, **changes)  # type: ignore[arg-type]


@pytest.mark.parametrize("text", ["1", "sev1", "Sev1", "SEV-1", "p0", "P0"])
def test_severity_accepts_numbers_names_and_aliases(text: str) -> None:
    assert SCALE.parse(text).number == 1


@pytest.mark.parametrize("text", ["9", "sev0", "critical", ""])
def test_unknown_severity_says_what_is_accepted(text: str) -> None:
    with pytest.raises(ValueError, match=r"use 1-4 \(Sev1, Sev2, Sev3, Sev4\)"):
        SCALE.parse(text)


def test_default_cadence_and_monitoring_windows() -> None:
    assert [lv.update_every for lv in SCALE.levels] == [
        timedelta(minutes=15),
        timedelta(minutes=30),
        None,
        None,
    ]
    assert [lv.monitoring for lv in SCALE.levels] == [timedelta(minutes=m) for m in (30, 30, 10, 10)]
    assert SCALE.default == 3


def test_forward_path_stamps_each_state() -> None:
    step = advance(incident(), Status.IDENTIFIED, T0 + timedelta(minutes=5), SCALE)
    step = advance(step, Status.MITIGATED, T0 + timedelta(minutes=10), SCALE)
    assert step.identified_at == T0 + timedelta(minutes=5)
    assert monitoring_until(step, SCALE) == T0 + timedelta(minutes=40)
    done = advance(step, Status.RESOLVED, T0 + timedelta(minutes=40), SCALE)
    assert done.status == Status.RESOLVED and done.resolved_at == T0 + timedelta(minutes=40)


def test_mitigated_may_skip_identified() -> None:
    assert advance(incident(), Status.MITIGATED, T0, SCALE).status == Status.MITIGATED


def test_resolve_inside_the_monitoring_window_is_refused_with_the_time_it_opens() -> None:
    mitigated = advance(incident(), Status.MITIGATED, T0, SCALE)
    with pytest.raises(EarlyResolve) as refused:
        advance(mitigated, Status.RESOLVED, T0 + timedelta(minutes=29), SCALE)
    assert refused.value.until == T0 + timedelta(minutes=30)


def test_resolve_before_mitigation_is_refused_unless_forced() -> None:
    with pytest.raises(Refused, match="not mitigated"):
        advance(incident(), Status.RESOLVED, T0, SCALE)
    forced = advance(incident(), Status.RESOLVED, T0, SCALE, force_reason="false alarm")
    assert forced.status == Status.RESOLVED


def test_force_needs_a_reason() -> None:
    with pytest.raises(Refused, match="needs a reason"):
        advance(incident(), Status.RESOLVED, T0, SCALE, force_reason="  ")


def test_no_going_back_except_by_reopen() -> None:
    mitigated = advance(incident(), Status.MITIGATED, T0, SCALE)
    with pytest.raises(Refused, match="reopen"):
        advance(mitigated, Status.IDENTIFIED, T0, SCALE)
    again = reopen(mitigated, T0 + timedelta(minutes=3))
    assert again.status == Status.INVESTIGATING and again.mitigated_at is None


def test_only_mitigated_or_resolved_reopen() -> None:
    with pytest.raises(Refused, match="only a mitigated or resolved"):
        reopen(incident(), T0)


def test_update_cadence_counts_from_the_last_update() -> None:
    assert next_update_due(incident(), SCALE) == T0 + timedelta(minutes=15)
    updated = incident(last_update_at=T0 + timedelta(minutes=7))
    assert next_update_due(updated, SCALE) == T0 + timedelta(minutes=22)
    assert next_update_due(incident(severity=3), SCALE) is None
    assert next_update_due(incident(status=Status.RESOLVED), SCALE) is None


@pytest.mark.parametrize(("text", "number"), [("42", 42), ("INC-42", 42), ("inc42", 42)])
def test_incident_refs(text: str, number: int) -> None:
    assert parse_ref(text) == number


def test_bad_incident_ref() -> None:
    with pytest.raises(ValueError, match=r"e\.g\. 42 or INC-42"):
        parse_ref("checkout")

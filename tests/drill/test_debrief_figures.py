"""The debrief's figures and the IC rotation, as pure definitions (plain values in and out)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from chatops_plugins.drill import rotation
from chatops_plugins.drill.debrief import Facts, Figure, Moment, PageFacts, active, figures, markdown, span

T0 = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
CADENCE = {1: timedelta(minutes=15), 2: timedelta(minutes=30), 3: None, 4: None}
LABELS = {1: "Sev1", 2: "Sev2", 3: "Sev3", 4: "Sev4"}


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def base(**changes: object) -> Facts:
    """Started at 14:00, alert at 14:02, declared Sev2 at 14:05 by alice."""
    facts = Facts(
        ref="DRILL-1",
        title="t",
        scenario="s",
        ic="alice",
        started=Moment(T0, "drill started", "@dave"),
        ended=None,
        pauses=(),
        intended_severity=2,
        first_alert=Moment(at(2), "first alert: x"),
        pages=(),
        declared=Moment(at(5), "declared INC-1", "@alice"),
        incident="INC-1",
        severities=((at(5), 2),),
        cadence=CADENCE,
        labels=LABELS,
    )
    return replace(facts, **changes)  # type: ignore[arg-type]


def named(found: list[Figure], name: str) -> Figure:
    return next(f for f in found if f.name == name)


def test_spans_read_in_minutes_and_seconds() -> None:
    assert [span(timedelta(seconds=s)) for s in (0, 45, 90, 600, 3900)] == [
        "0 s",
        "45 s",
        "1 min 30 s",
        "10 min",
        "1 h 5 min",
    ]


def test_a_pause_stops_the_drills_clock() -> None:
    pauses = ((at(10), at(15)), (at(40), at(50)))
    assert active(at(0), at(20), pauses) == timedelta(minutes=15)  # 5 of 20 paused
    assert active(at(12), at(45), pauses) == timedelta(minutes=25)  # 3 + 5 of 33 paused
    assert active(at(20), at(30), pauses) == timedelta(minutes=10)  # no pause inside


def test_time_to_declare_counts_from_the_start_and_the_first_alert_less_pauses() -> None:
    figure = named(figures(base(pauses=((at(3), at(4)),))), "Time to declare")
    assert figure.value == "4 min from the start, 2 min from the first alert"  # 5 - 1 paused; 3 - 1 paused
    assert figure.seconds == 240
    assert [m.what for m in figure.evidence] == ["drill started", "first alert: x", "declared INC-1"]


def test_pages_acknowledged_or_not() -> None:
    acked = PageFacts(Moment(at(1), "paged (P-1)", "@alice"), Moment(at(1.75), "acknowledged P-1", "@alice"))
    missed = PageFacts(Moment(at(3), "paged (P-2)", "@bob"), None)
    found = figures(base(pages=(acked, missed)))
    assert (found[0].name, found[0].value, found[0].seconds) == (
        "Time to acknowledge the page (@alice)",
        "45 s",
        45,
    )
    assert (found[1].value, found[1].ok) == ("not acknowledged", False)


def test_without_a_declaration_only_pages_and_declaring_are_measured() -> None:
    found = figures(base(declared=None, ended=Moment(at(20), "stopped by @dave", "@dave")))
    assert [(f.name, f.value) for f in found] == [("Time to declare", "no incident was declared")]


def test_roles_first_update_and_severity() -> None:
    found = figures(
        base(
            roles={"ic": Moment(at(5), "IC"), "tech-lead": Moment(at(7.5), "TL")},
            updates=(Moment(at(12), "update: a"),),
            severities=((at(5), 3), (at(9), 2)),
        )
    )
    assert named(found, "Time to assign the Incident Commander").value == "at the declaration"
    assert named(found, "Time to assign the Tech Lead").value == "2 min 30 s after the declaration"
    assert (
        named(found, "Time to assign the Comms Lead").value,
        named(found, "Time to assign the Comms Lead").ok,
    ) == (
        "never assigned",
        False,
    )
    assert named(found, "Time to first update").value == "7 min after the declaration"
    severity = named(found, "Severity")
    assert (severity.value, severity.ok, severity.notes) == (
        "declared Sev3, intended Sev2: did not match",
        False,
        ("later changed to Sev2",),
    )


def test_cadence_follows_the_severity_in_force_and_the_silence_before_the_end() -> None:
    # Sev1 (every 15 min): updates at +10 and +30 (20 min: 5 late), then silence for 20 min to the end
    facts = base(
        severities=((at(5), 1),),
        updates=(Moment(at(15), "u1"), Moment(at(35), "u2")),
        resolved=Moment(at(55), "resolved"),
    )
    cadence = named(figures(facts), "Update cadence")
    assert (cadence.value, cadence.ok) == ("kept 1 of 3", False)
    assert cadence.notes == (
        "10 min after the previous (cadence every 15 min): on time",
        "20 min after the previous (cadence every 15 min): 5 min late",
        "no update in the 20 min before the end (cadence every 15 min): missed",
    )
    # a pause inside a gap is not counted against it
    paused = replace(facts, pauses=((at(20), at(26)),))
    assert named(figures(paused), "Update cadence").notes[1] == (
        "14 min after the previous (cadence every 15 min): on time"
    )
    # Sev3 has no cadence: no verdict
    quiet = named(figures(base(severities=((at(5), 3),))), "Update cadence")
    assert (quiet.value, quiet.ok) == ("no cadence at Sev3", None)


def test_mitigation_before_diagnosis() -> None:
    mitigated, identified = Moment(at(20), "mitigated", "@bob"), Moment(at(25), "identified", "@bob")
    first = named(figures(base(mitigated=mitigated, identified=identified)), "Mitigation before diagnosis")
    assert (first.value, first.ok) == ("yes: mitigated 5 min before the cause was identified", True)
    only = named(figures(base(mitigated=mitigated)), "Mitigation before diagnosis")
    assert (only.value, only.ok) == ("yes: mitigated (the cause was never marked identified)", True)
    later = named(
        figures(base(mitigated=mitigated, identified=Moment(at(12), "identified"))),
        "Mitigation before diagnosis",
    )
    assert (later.value, later.ok) == ("no: the cause was identified first, mitigated 8 min later", False)
    never = named(figures(base()), "Mitigation before diagnosis")
    assert (never.value, never.ok) == ("not mitigated", False)


def test_the_markdown_names_times_in_the_rooms_zone() -> None:
    facts = base(ended=Moment(at(30), "stopped by @dave", "@dave"), pauses=((at(10), at(15)),))
    text = markdown(facts, figures(facts), ZoneInfo("Europe/Berlin"))
    assert text.splitlines()[3] == (
        "Scenario `s` · started 15:00 CET by @dave · Incident Commander @alice · ended 15:30 (stopped by @dave) "
        "· 25 min of drill time, not counting 5 min paused · practice incident INC-1"
    )
    assert "  - 15:05 declared INC-1 · @alice" in text.splitlines()


def test_the_ic_rotation_goes_to_whoever_led_least_recently() -> None:
    pool = ["alice", "carol", "bob"]
    assert rotation.order(pool, {}) == ["alice", "carol", "bob"]  # nobody led: pool order
    led = {"alice": at(0), "bob": at(60)}
    assert rotation.order(pool, led) == ["carol", "alice", "bob"]  # never first, then least recent
    assert rotation.next_ic(pool, {**led, "carol": at(30)}) == "alice"
    assert rotation.order(["bob", "alice"], {"alice": at(0), "bob": at(0)}) == [
        "bob",
        "alice",
    ]  # ties: pool order
    assert rotation.next_ic([], {}) is None
    assert rotation.schedule_people([["alice", "carol"], ["bob", "alice"]]) == ["alice", "carol", "bob"]

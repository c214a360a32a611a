"""Related and duplicate incidents, pure: what a link or a merge may do, and why not.

Plain values in, ``Refused`` (with the words a person reads) out; no I/O.
A merge closes the duplicate through the state machine's own forced resolve
(``domain.advance`` with the reason ``duplicate of INC-7``), so there is no
extra state: a merged duplicate is resolved, and its pointer is the link.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from chatops_plugins.incident.domain import Incident, Refused, SeverityScale, Status, advance


def ref(number: int) -> str:
    return f"INC-{number}"


@dataclass(frozen=True, slots=True)
class Relations:
    """One incident's links: related incidents, duplicates merged into it, what it duplicates."""

    related: tuple[int, ...] = ()
    merged: tuple[int, ...] = ()
    duplicate_of: int | None = None

    def touches(self, other: int) -> bool:
        return other in self.related or other in self.merged or other == self.duplicate_of


def check_link(incident: Incident, other: Incident, relations: Relations) -> None:
    """``Refused`` unless ``incident`` and ``other`` can be linked as related now."""
    if incident.id == other.id:
        raise Refused(f"{incident.ref} can't be linked to itself; name another incident.")
    if relations.duplicate_of == other.id:
        raise Refused(f"{incident.ref} is already merged into {other.ref}.")
    if other.id in relations.merged:
        raise Refused(f"{other.ref} is already merged into {incident.ref}.")
    if other.id in relations.related:
        raise Refused(f"{incident.ref} and {other.ref} are already linked.")


def check_unlink(incident: Incident, other: Incident, relations: Relations) -> None:
    if relations.duplicate_of == other.id or other.id in relations.merged:
        raise Refused(f"{incident.ref} and {other.ref} are merged; a merge is not undone by unlinking.")
    if other.id not in relations.related:
        raise Refused(f"{incident.ref} and {other.ref} aren't linked.")


def check_merge(
    duplicate: Incident,
    survivor: Incident,
    relations: Relations,
    survivor_merged_into: tuple[int, ...],
    admin: bool,
) -> None:
    """``Refused`` unless ``duplicate`` can be merged into ``survivor`` now.

    ``survivor_merged_into`` is the chain of incidents the survivor was itself
    merged into (nearest first): merging into a duplicate of this incident
    would make a cycle.  A private duplicate's timeline would show in the
    survivor's, so it goes into a public incident only when an admin merges it.
    A drill and a real incident are never merged.
    """
    if duplicate.id == survivor.id:
        raise Refused(f"{duplicate.ref} can't be merged into itself; name the incident it duplicates.")
    if relations.duplicate_of is not None:
        raise Refused(f"{duplicate.ref} is already merged into {ref(relations.duplicate_of)}.")
    if duplicate.drill != survivor.drill:
        practice, real = (duplicate, survivor) if duplicate.drill else (survivor, duplicate)
        raise Refused(
            f"{practice.ref} is a drill and {real.ref} is real: they are never one incident "
            f"(a real one merged into practice would vanish from the metrics). Link them if you must."
        )
    if duplicate.id in survivor_merged_into:
        raise Refused(
            f"{survivor.ref} is a duplicate already merged into {duplicate.ref}; "
            f"an incident can't be merged into its own duplicate."
        )
    if survivor_merged_into:
        target = ref(survivor_merged_into[-1])
        raise Refused(
            f"{survivor.ref} was merged into {target} as a duplicate; merge into {target} instead: "
            f"!incident merge {target} --id {duplicate.id}"
        )
    if survivor.status == Status.RESOLVED:
        raise Refused(
            f"{survivor.ref} is resolved. If the problem is back, reopen it first "
            f'(!incident reopen "<reason>" --id {survivor.id}), then merge; '
            f"or link them instead: !incident link {survivor.ref} --id {duplicate.id}"
        )
    if duplicate.private and not survivor.private and not admin:
        raise Refused(
            f"{duplicate.ref} is private and {survivor.ref} is not: merging would show "
            f"{duplicate.ref}'s private timeline to everyone who can see {survivor.ref}. "
            f"Only an admin can merge them; or link them instead: "
            f"!incident link {survivor.ref} --id {duplicate.id}"
        )


def duplicate_reason(survivor: Incident) -> str:
    return f"duplicate of {survivor.ref}"


def close_as_duplicate(
    duplicate: Incident, survivor: Incident, now: datetime, scale: SeverityScale
) -> Incident:
    """The duplicate, resolved now with the reason ``duplicate of INC-7`` (kept as is if already resolved)."""
    if not duplicate.is_open:
        return duplicate
    return advance(duplicate, Status.RESOLVED, now, scale, force_reason=duplicate_reason(survivor))


def check_reopen(incident: Incident, relations: Relations) -> None:
    """A merged duplicate stays closed: the work goes on in the incident it duplicates."""
    if relations.duplicate_of is not None:
        target = ref(relations.duplicate_of)
        raise Refused(
            f"{incident.ref} was merged into {target} as a duplicate; reopen {target} instead: "
            f'!incident reopen "<reason>" --id {relations.duplicate_of}'
        )

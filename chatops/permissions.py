"""Who may run a command: permissions declared by commands, roles granted by context."""

from __future__ import annotations

from dataclasses import dataclass, field

from chatops.models.chat import User


@dataclass(frozen=True, slots=True)
class RoleHolders:
    """A role in some context (``ic`` of INC-42) and who holds it now."""

    label: str
    holders: tuple[User, ...] = field(default=())


ANYONE = "anyone"
ADMIN = "admin"


def describe_allowed(allowed: list[str], roles: dict[str, RoleHolders]) -> str:
    """``the Incident Commander (@alice) or an admin``."""
    names: list[str] = []
    for role in allowed:
        if role == ADMIN:
            names.append("an admin")
        elif role in roles:
            info = roles[role]
            who = ", ".join(f"@{u.name}" for u in info.holders)
            names.append(f"the {info.label} ({who})" if who else f"the {info.label}")
        else:
            names.append(f"the {role}")
    if len(names) == 1:
        return names[0]
    return ", ".join(names[:-1]) + " or " + names[-1]

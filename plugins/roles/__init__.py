"""Built-in plugin ``roles``: Incident Commander, Tech Lead, Comms Lead, and roles from config.

``!incident role <role> @user`` hands a role over (one holder per role; the
hand-off is recorded) and sends the new holder the role's instructions
directly.  Role holders are what the command layer checks permissions
against, through ``chatops_context_roles``.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field, model_validator

from chatops import Arg, CommandContext, CommandGroup, Option, Permission, User, UserError, hookimpl
from chatops.events import DomainEvent
from chatops.models.chat import transport_of
from chatops.permissions import RoleHolders
from chatops.storage.db import Tx
from chatops_plugins.incident import bridging, lookup, rooms, store
from chatops_plugins.incident.commands import ID
from chatops_plugins.incident.domain import Incident, Place
from chatops_plugins.incident.events import RoleAssigned
from chatops_plugins.incident.rooms import announce

log = logging.getLogger("chatops.roles")

if TYPE_CHECKING:
    from chatops.app import App


class RoleDefinition(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: str = Field(pattern=r"^[a-z][a-z0-9-]*$")
    label: str
    short: str = ""
    instructions: str = ""

    @property
    def short_label(self) -> str:
        return self.short or self.label


BUILT_IN = [
    RoleDefinition(
        key="ic",
        label="Incident Commander",
        short="IC",
        instructions=(
            "You run the response; you don't debug. Keep the hypothesis current "
            "(!incident hypothesis), name who does what (!incident role), post updates on cadence "
            "(!incident update), decide escalation and severity (!incident sev), and decide when "
            "it is over (!incident mitigated, !incident resolve)."
        ),
    ),
    RoleDefinition(
        key="tech-lead",
        label="Tech Lead",
        instructions=(
            "You lead the technical work. Mitigate before you diagnose: roll back, flip the flag, "
            "shed load. Tell the IC what you try and what you learn (!incident note)."
        ),
    ),
    RoleDefinition(
        key="comms-lead",
        label="Comms Lead",
        instructions=(
            "You keep everyone outside the room informed: stakeholders, support, the status page. "
            "Impact first, on cadence, and never paste debugging chatter outside."
        ),
    ),
]


class RolesConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    extra: list[RoleDefinition] = Field([], description="More roles, e.g. {key: scribe, label: Scribe}.")

    @model_validator(mode="after")
    def _unique(self) -> RolesConfig:
        keys = [r.key for r in [*BUILT_IN, *self.extra]]
        if len(set(keys)) != len(keys):
            raise ValueError("extra: a role key is defined twice")
        return self

    def definitions(self) -> dict[str, RoleDefinition]:
        return {r.key: r for r in [*BUILT_IN, *self.extra]}


def definitions(app: App) -> dict[str, RoleDefinition]:
    config: RolesConfig = app.section("roles")
    return config.definitions()


def role_key(raw: str, ctx: CommandContext) -> str:
    """``tech-lead``, ``Tech Lead`` or ``IC`` -> the role key."""
    wanted = raw.strip().lower()
    for key, role in definitions(ctx.app).items():
        if wanted in (key, role.label.lower(), role.short_label.lower()):
            return key
    known = ", ".join(f"{k} ({r.label})" for k, r in definitions(ctx.app).items())
    raise ValueError(f"unknown role {raw!r}; roles: {known}")


def person(raw: str, ctx: CommandContext) -> User:
    """A person of the identity map (``@bob``: their account here, else on their platform), else a
    mention on this platform."""
    named = ctx.app.hooks.call_first_sync(
        "chatops_person_named", app=ctx.app, handle=raw, transport=ctx.transport.name
    )
    user = named or ctx.transport.resolve_mention(raw)
    if user is None:
        raise ValueError(f"{raw!r} is not a person; mention them, e.g. @alice")
    return user


group = CommandGroup("incident")
ASSIGN = Permission("incident.roles", ("ic", "admin"), "assign roles")


@group.command(
    "role",
    Arg("role", role_key),
    Arg("user", person, required=False, metavar="@user"),
    Option("--clear", is_flag=True, help="leave the role empty"),
    ID,
    help="hand a role to someone (or --clear it)",
    example="!incident role tech-lead @bob",
    permission=ASSIGN,
)
async def assign(ctx: CommandContext, role: str, user: User | None, clear: bool, id: int | None) -> None:
    if (user is None) == (not clear):
        raise UserError(ctx.app.dispatcher.usage(ctx.command, "name a person or --clear, not both"))
    inc = await lookup.find(ctx)
    label = definitions(ctx.app)[role].label
    now = ctx.now

    async def write(tx: Tx) -> User | None:
        previous = (await store.roles(tx, inc.id)).get(role)
        if previous is not None and user is not None and previous.id == user.id:
            raise UserError(f"@{user.name} is already {label} of {inc.ref}.")
        if previous is None and user is None:
            raise UserError(f"{inc.ref} has no {label} to clear.")
        if role == "ic" and user is None:
            raise UserError(
                f"An incident always has an Incident Commander. Hand the role over instead: "
                f"!incident role ic @name --id {inc.id}"
            )
        await store.set_role(tx, inc.id, role, user)
        await store.record(
            tx,
            RoleAssigned.of(
                inc.id,
                now,
                ctx.sender.id,
                role=role,
                role_label=label,
                user_id=user.id if user else None,
                user_name=user.name if user else None,
                previous_user_id=previous.id if previous else None,
            ),
        )
        return previous

    previous = await ctx.app.db.write(write)
    was = f" (was @{previous.name})" if previous else ""
    if user is None:
        text = f"{inc.ref} has no {label} now{was}."
    else:
        text = f"@{user.name} is now {label} of {inc.ref}{was}."
    await rooms.refresh(ctx.app, inc.id)
    await _bring_into_room(ctx, inc, role, user, previous)
    await announce(ctx, inc, text)


async def _bring_into_room(
    ctx: CommandContext, inc: Incident, role: str, user: User | None, previous: User | None
) -> None:
    """The new holder joins the incident room; the Incident Commander moderates it.

    A bridged incident has a room on several platforms: the holder is invited into each
    where they have an account (the identity map), so they work on their own platform.
    """
    if inc.room_id is None or rooms.place_of(inc) is not Place.ROOM:
        return  # a thread is in a channel people already share
    app = ctx.app
    for room_id in app.bridges.rooms(inc.room_id):
        transport = app.transports.get(transport_of(room_id))
        if transport is None:
            continue
        try:
            if role == "ic":
                for account in await bridging.accounts_on(
                    app, [previous] if previous else [], transport.name
                ):
                    await transport.set_moderator(room_id, account, False)
            for account in await bridging.accounts_on(app, [user] if user else [], transport.name):
                await transport.invite(room_id, account)
                if role == "ic":
                    await transport.set_moderator(room_id, account, True)
        except Exception:
            log.exception("updating %s's room %s for the new %s failed", inc.ref, room_id, role)


@group.command("roles", ID, help="who holds which role", example="!incident roles")
async def show_roles(ctx: CommandContext, id: int | None) -> None:
    inc = await lookup.find(ctx)
    async with ctx.app.db.read() as conn:
        holders = await store.roles(conn, inc.id)
    lines = [f"{inc.ref} roles:"]
    for key, role in definitions(ctx.app).items():
        holder = holders.get(key)
        lines.append(f"  {role.label} ({key}): {'@' + holder.name if holder else '—'}")
    await ctx.reply("\n".join(lines))


@hookimpl
def chatops_config_models() -> dict[str, type[BaseModel]]:
    return {"roles": RolesConfig}


@hookimpl
def chatops_commands() -> list[CommandGroup]:
    return [group]


@hookimpl
async def chatops_context_roles(ctx: CommandContext) -> dict[str, RoleHolders] | None:
    if not any(option is ID for option in ctx.command.options):
        return None  # not a command about one incident (those take the incident plugin's --id)
    inc = await lookup.find(ctx)  # "which incident?" is the better answer than a refusal
    defs = definitions(ctx.app)
    async with ctx.app.db.read() as conn:
        holders = await store.roles(conn, inc.id)
    if "ic" not in holders:  # nobody commands yet: the declarer may act as IC (and hand it on)
        holders["ic"] = User(id=inc.declared_by, name=inc.declared_by.split(":", 1)[-1])
    return {
        key: RoleHolders(label=r.label, holders=(holders[key],) if key in holders else ())
        for key, r in defs.items()
    }


@hookimpl
async def chatops_incident_status_lines(app: App, incident: Incident) -> list[str]:
    async with app.db.read() as conn:
        holders = await store.roles(conn, incident.id)
    parts = []
    for key, role in definitions(app).items():
        holder = holders.get(key)
        parts.append(f"{role.short_label} {'@' + holder.name if holder else '—'}")
    return [" · ".join(parts)]


@hookimpl
async def chatops_event_committed(app: App, event: DomainEvent) -> None:
    if not isinstance(event, RoleAssigned) or event.user_id is None:
        return
    role = definitions(app).get(event.role)
    if role is None:
        return
    user = User(id=event.user_id, name=event.user_name or event.user_id.split(":", 1)[-1])
    text = f"You are now {role.label} of INC-{event.incident_id}. {role.instructions}".strip()
    await app.outbound.send_direct(user, text)

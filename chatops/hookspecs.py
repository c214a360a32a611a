"""Every hook of chatops, in one module, grouped by lifecycle.

Each hook's docstring says when it runs, what it receives and how results
combine: *collected* hooks return a list of every plugin's non-None result
(in plugin order); *first-result* hooks stop at the first non-None value.

Hook implementations may be plain functions or ``async def``: the host's
``chatops.hooks.HookRunner`` awaits each result, isolates each plugin (an
exception or a timeout is logged, reported, and the other plugins still
run) and applies first-result semantics to the awaited values.  Only the
hooks called at start-up (config models, migrations, transports, commands,
timer handlers, web routes, the severity scale) must be synchronous.

The incident-domain hooks at the end are declared here too, so that every
hook of the project lives in one module; the core never calls them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from datetime import datetime

    from aiohttp import web
    from pydantic import BaseModel

    from chatops.app import App
    from chatops.commands.declare import Command, CommandGroup
    from chatops.context import CommandContext
    from chatops.events import DomainEvent
    from chatops.models.chat import User
    from chatops.permissions import RoleHolders
    from chatops.scheduler import TimerHandler
    from chatops.storage.db import Tx
    from chatops.transports.base import TransportFactory

PROJECT = "chatops"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


# --- Start-up: declarations (synchronous, called once while the app is built) ---


@hookspec
def chatops_config_models() -> dict[str, type[BaseModel]]:  # type: ignore[empty-body]
    """Config sections this plugin reads: ``{"severity": SeverityConfig}``.

    Called once while the configuration is loaded.  The YAML section (and the
    ``CHATOPS_<SECTION>__<KEY>`` environment variables) under each name are
    validated by the model; an error names the file, the key and the fix.
    Collected; two plugins claiming one section is a configuration error.
    """


@hookspec
def chatops_migration_locations() -> list[str]:  # type: ignore[empty-body]
    """Directories of Alembic revision files for this plugin's own tables.

    Each plugin's revisions form their own branch (``branch_labels``) that
    depends on the core branch; ``chatops db upgrade`` applies every head.
    Collected.
    """


@hookspec
def chatops_transport_types() -> dict[str, TransportFactory]:  # type: ignore[empty-body]
    """Transport classes by name (``{"console": ConsoleTransport}``).

    The ``transports:`` config section names which ones ``chatops run``
    starts.  Collected; a later plugin may not silently replace a name.
    """


@hookspec
def chatops_commands() -> list[Command | CommandGroup]:  # type: ignore[empty-body]
    """Chat commands this plugin declares.

    Groups with the same name merge, so a plugin can add ``!incident sev``
    to the group another plugin declared.  Collected; two declarations of
    the same (group, subcommand) are a start-up error naming both plugins.
    """


@hookspec
def chatops_timer_handlers() -> dict[str, TimerHandler]:  # type: ignore[empty-body]
    """Handlers for durable timers, by timer kind.

    A handler runs as ``await handler(tx, timer)`` inside the transaction
    that claims the timer, so what it writes (including messages queued
    with ``tx.send``) commits together with the claim: a timer fires once.
    Collected.
    """


@hookspec
def chatops_web_routes(app: App) -> list[web.AbstractRouteDef]:  # type: ignore[empty-body]
    """aiohttp route definitions this plugin serves on the app's web server.

    Called once when the web server is built.  Collected.
    """


# --- Lifecycle ---


@hookspec
async def chatops_startup(app: App) -> None:
    """The app has its database, scheduler and commands; transports start next.

    Plugins prepare what they need.  Collected (results ignored); a plugin
    that fails here is reported and the others still start.
    """


@hookspec
async def chatops_serving(app: App) -> None:
    """This process now serves: its transports run, it fires timers and delivers the outbox.

    On SQLite right after start; on PostgreSQL when this replica takes the
    serving lease (at start, or later, taking over from another).  Start
    background work that acts on the world here (publishing, fetching), not in
    ``chatops_startup``: a standby replica and a one-off command must not act.
    Collected.
    """


@hookspec
async def chatops_standing_down(app: App) -> None:
    """This process stops serving (it is stopping, or a replica lost its lease): stop what
    ``chatops_serving`` started, before another replica takes over.  Collected."""


@hookspec
async def chatops_shutdown(app: App) -> None:
    """The app is stopping; transports have stopped.  Collected."""


# --- Commands ---


@hookspec
async def chatops_context_roles(ctx: CommandContext) -> dict[str, RoleHolders] | None:
    """Roles that exist in this command's context, with their holders.

    The command layer checks a command's permission against these (plus
    ``admin`` from config and ``anyone``) before the handler runs, and names
    the holders when it refuses.  Example: inside an incident room the roles
    plugin returns ``{"ic": RoleHolders(label="Incident Commander", holders=(alice,))}``.
    Collected and merged.
    """


@hookspec
async def chatops_accounts(app: App, user: User) -> list[User] | None:
    """The same person's accounts on other platforms (an identity map).

    The command layer counts a role held by any of a person's accounts as
    theirs (the IC who declared on Matrix may resolve from Slack), and plugins
    use it to reach people on their own platform (an invitation into the
    incident's bridged Discord room goes to their Discord account).
    Collected; ``user`` itself need not be returned.
    """


@hookspec(firstresult=True)
def chatops_person_named(app: App, handle: str, transport: str) -> User | None:
    """A person named by a handle that is not a mention on this platform (``@bob`` typed on
    Matrix for someone only on Slack): their account, preferably on ``transport``.

    First result wins; the on-call plugin answers from its people.
    """


# --- Domain events ---


@hookspec
async def chatops_event_recorded(tx: Tx, event: DomainEvent) -> None:
    """A domain event was just written, inside the transaction that wrote it.

    React here with durable writes that must commit together with the
    event (schedule or cancel a timer, queue a message with ``tx.send``).
    A failing observer is rolled back alone and reported.  Collected.
    """


@hookspec
async def chatops_event_committed(app: App, event: DomainEvent) -> None:
    """A domain event has been committed.  Observe it without writing to it.

    Runs after the commit, in the task that recorded the event, so a chat
    command's reply follows its observers.  Collected.
    """


@hookspec
def chatops_delivery_kinds(app: App) -> dict[str, Any] | None:
    """How to send what goes to systems other than chat: ``{kind: delivery}``.

    A plugin queues a delivery with ``app.deliveries.queue(tx, kind, payload, key=...)``
    inside its transaction; after the commit the serving process calls the
    kind's ``async deliver(app, payload, delivery_id)``, retrying with backoff
    when it raises (``chatops.deliveries.DeliveryError`` carries the reason
    for people).  See ``chatops.deliveries.Delivery``.  Collected.
    """


@hookspec
async def chatops_export(app: App) -> dict[str, Any] | None:
    """Sections for ``chatops export`` (``{"incidents": [...]}``).  Collected and merged."""


# --- Incident domain (declared here so that every hook lives in one module) ---


@hookspec(firstresult=True)
def chatops_severity_scale(app: App) -> Any:
    """The severity scale in force (a ``chatops_plugins.incident.domain.SeverityScale``).

    First result wins: an organisation's plugin can replace the built-in scale.
    """


@hookspec
async def chatops_incident_status_lines(app: App, incident: Any) -> list[str] | None:
    """Lines a plugin adds to an incident's status (roles, next update due, ...).

    ``incident`` is a ``chatops_plugins.incident.domain.Incident``.  Collected, in plugin order.
    """


@hookspec(firstresult=True)
async def chatops_conference_link(app: App, incident: Any) -> str | None:
    """The meeting link for ``incident`` (a ``chatops_plugins.incident.domain.Incident``).

    Called once per incident, when its room exists and its severity is one
    of ``conference.severities``.  First result wins: an organisation's plugin
    can create a meeting through its provider's API; the built-in one fills
    ``conference.url_template``.  A plugin that fails is skipped.
    """


# --- practice drills (declared here so that every hook lives in one module; the core never calls them) ---


@hookspec(firstresult=True)
async def chatops_practice_room(tx: Tx, room_id: str) -> bool | None:
    """Is ``room_id`` a practice room (a drill's room, or the room of a practice incident)?

    Asked by ``chatops_plugins.incident.api.declare`` inside the declaring
    transaction, before any event is recorded, so that an incident declared
    there is marked a drill before other plugins react to it (paging, the
    status page, metrics).  Also asked for a page raised in a room that has
    no incident.  First result wins; None (nobody says so) is not a practice
    room.  Read through ``tx``: it runs inside a write.
    """


@hookspec(firstresult=True)
async def chatops_practice_participants(tx: Tx, room_id: str) -> list[str] | None:
    """The people (keys of ``oncall.people``) taking part in the practice held in ``room_id``.

    A page in a practice room or a practice incident reaches only them (and
    only in chat).  First result wins; None: ``room_id`` holds no practice.
    """


# --- on-call (declared here so that every hook lives in one module; the core never calls them) ---


@hookspec(firstresult=True)
async def chatops_oncall_lookup(app: App, schedule: str, at: datetime) -> str | None:
    """Who is on call for ``schedule`` at ``at``: a person's key in ``oncall.people``, or None.

    First result wins.  A provider answers only for the schedules configured
    with its name (``provider: pagerduty``) and returns None for the others;
    the built-in schedules answer for ``provider: builtin``.
    """


@hookspec
def chatops_notification_channels(app: App) -> dict[str, Any] | None:
    """Ways to reach a person when they are paged: ``{name: channel}``.

    A channel has ``async notify(tx, page, person, rule)`` (``rule``: which of the
    person's rules, from 0, asks for it), which queues its messages
    in ``tx`` (the outbox) so they are sent once the page's step commits.  People's
    ``notify`` rules name channels (``chat`` is built in).  Collected.
    """


# --- mitigations ---


@hookspec
def chatops_mitigations(app: App) -> list[Any] | None:
    """Pre-baked mitigations this plugin offers: ``chatops_plugins.mitigate.Mitigation`` values.

    Rolling back, turning a flag off, shedding traffic: ``!mitigate`` lists
    those that apply to the incident (by its services), asks for confirmation,
    checks the mitigation's permission, runs it within its time limit and
    records who ran what, with which arguments, and the result.  Called once,
    when the list is first needed (it may depend on config).  Collected.
    """


# --- postmortems ---


@hookspec
async def chatops_postmortem_publish(app: App, incident_ref: str, documents: dict[str, str]) -> str | None:
    """Publish a postmortem: ``documents`` maps a format (``markdown``, ``html``) to its text.

    Called with every publisher (collected); each returns where it put the
    document (a path, a URL) or None.  A publisher that fails is reported
    in the room and does not stop the others.
    """


@hookspec
def chatops_action_item_export(app: App) -> dict[str, Any] | None:
    """Where action items are copied as issues (a team's tracker): ``{name: exporter}``.

    Called by the postmortem plugin in the transaction that adds an action
    item (``!action add``), which queues one core delivery per exporter in
    that same transaction, so the item and its way out commit together.
    The delivery calls the exporter's ``async create(app, item)`` with a
    ``chatops_plugins.postmortem.export.ExportedItem`` (the item's text,
    owner, due date, incident and where its postmortem is published) and
    retries it with backoff when it raises (``DeliveryError`` says why; the
    incident room hears of the first failure and of giving up).  The
    returned ``chatops_plugins.postmortem.export.ExternalIssue`` (the
    tracker's id, a short ref such as ``github#42``, a URL) is stored with
    the item: ``!actions`` shows it, and a tracker's webhook finds the item
    by it (``export.closed_in_tracker`` / ``reopened_in_tracker``).  The
    name is the exporter's for good: it keys stored links.  Collected.
    """


# --- reports (``chatops report <name>``) ---


@hookspec
def chatops_reports(app: App) -> dict[str, Any] | None:
    """Reports a plugin offers: ``{name: async make(app, since, format, out_dir) -> str}``.

    ``since`` is an aware datetime or None, ``format`` one of ``md``, ``json``,
    ``html``; ``out_dir`` (or None) is where extra files such as charts may go.
    The returned text is the report.  Collected.
    """


# --- status page ---


@hookspec
def chatops_statuspage_publishers(app: App) -> dict[str, Any] | None:
    """Where public changes go besides the built-in page: ``{name: publisher}``.

    A publisher has ``async deliver(app, change)``; it raises to be retried
    (with backoff; the incident room hears of it).  ``change`` is plain JSON:
    the public incident's id, name, status, impact, the update's body and the
    components it affects.  Collected.
    """


# --- command line ---


@hookspec
def chatops_cli_commands() -> dict[str, Any] | None:
    """Subcommands a plugin adds to ``chatops``: ``{name: command}``.

    A command has ``help`` (one line), ``configure(parser)`` (add its
    arguments to an ``argparse`` parser) and ``async run(app, args) -> int``
    (the exit code), run with a started app and no transports.  Collected.
    """

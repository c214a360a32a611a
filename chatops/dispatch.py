"""From an inbound message to a command handler and back.

The path: de-duplicate (in memory; with replicas, also claimed in the
database) -> length check -> tokenize -> look up -> parse
arguments -> (form, when required arguments are missing and the transport
can open one) -> permission check -> the plugin's handler, isolated and
time-bounded -> replies through the outbound queue.  No step does I/O
except the permission hook (only for commands that need it) and the
handler itself.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from chatops.claims import InboundClaims
from chatops.commands.parser import MissingArguments, ParseError, parse_arguments, tokenize
from chatops.context import CommandContext, UserError
from chatops.dedup import RecentIds
from chatops.hooks import PluginFailure
from chatops.models.chat import Message, User
from chatops.models.content import Form, as_content
from chatops.permissions import ADMIN, ANYONE, RoleHolders, describe_allowed

if TYPE_CHECKING:
    from chatops.app import App
    from chatops.commands.declare import Command, Permission
    from chatops.transports.base import Transport

log = logging.getLogger("chatops.dispatch")


@dataclass(frozen=True, slots=True)
class OpenForm:
    """A command that arrived without its required arguments, on a transport with forms."""

    ctx: CommandContext
    form: Form
    fallback: str  # the usage answer, where this message cannot carry a form


class Dispatcher:
    def __init__(self, app: App) -> None:
        self.app = app
        core = app.config.core
        self.prefix = core.command_prefix
        self.prefixes = tuple(dict.fromkeys((core.command_prefix, "/")))
        self.max_chars = core.max_input_chars
        self.recent = RecentIds()
        self.claims = InboundClaims(app)
        self.admins = frozenset(core.admins)

    async def handle(self, message: Message) -> None:
        """Handle one inbound message.  Never raises: whatever goes wrong is answered and logged."""
        command = message.text.startswith(self.prefixes)
        bridged = self.app.bridges.bridged(message.room.id)
        if not (command or bridged) or self.recent.seen(message.event_id):
            return
        try:
            if self._needs_claim(message) and not await self.claims.claim(message):
                return  # another replica (or this one, before a takeover) handled it
            if bridged:
                await self._mirror(message)  # before its answers, so every room reads them in order
            if command:
                await self._handle(message)
        except Exception:
            log.exception("handling %r failed", message.event_id)
            await self.app.outbound.send(
                message.room.id,
                "Sorry — that command failed inside chatops; the error is logged.",
                message.thread,
            )

    async def _mirror(self, message: Message) -> None:
        try:
            await self.app.bridges.mirror(message)
        except Exception:
            log.exception("mirroring %r into its bridge failed", message.event_id)

    def _needs_claim(self, message: Message) -> bool:
        """Whether another process may have this command too: a replica's transport that replays."""
        if not self.app.replicated:
            return False
        transport = self.app.transports.get(message.room.transport)
        return transport is not None and transport.replays_after_takeover

    async def _handle(self, message: Message) -> None:
        prepared = self.prepare(message)
        if prepared is None:
            return
        if isinstance(prepared, str):
            await self.refuse(message, prepared)
            return
        if isinstance(prepared, OpenForm):
            await self._open(prepared)
            return
        ctx = prepared
        command = ctx.command
        try:
            if command.permission is not None and not await self.permitted(ctx, command):
                return
            _, failure = await self.app.hooks.guarded(
                command.plugin, command.where, command.handler, (ctx,), ctx.args, answers=True
            )
        except UserError as exc:
            await self.refuse(message, str(exc))
            return
        if failure is not None:
            await self.report_failure(ctx, failure)

    async def open_form_first(self, message: Message) -> bool:
        """Open the command's form now, if it needs one; True when the message is thereby handled.

        For platforms where a form can only be the first answer to an interaction,
        given within seconds (Slack's trigger id, Discord's initial response): the
        transport asks this before acknowledging or queueing the interaction.
        """
        if not message.text.startswith(self.prefixes):
            return False
        try:
            prepared = self.prepare(message)
        except Exception:
            return False  # handle() reports it
        if not isinstance(prepared, OpenForm):
            return False
        if not self.recent.seen(message.event_id):
            await self._open(prepared)
        return True

    async def _open(self, request: OpenForm) -> None:
        ctx = request.ctx
        if not await ctx.transport.open_form(ctx, request.form):
            await self.refuse(ctx.message, request.fallback)

    async def refuse(self, message: Message, text: str) -> None:
        """Answer a refusal or a mistake: only to the sender where the platform can, else in the room."""
        transport = self.app.transports.get(message.room.transport)
        if transport is not None and transport.capabilities.ephemeral:
            try:
                if await transport.send_ephemeral(message, as_content(text)):
                    return
            except Exception:
                log.exception("an ephemeral answer to %r failed; answering in the room", message.event_id)
        await self.app.outbound.send(message.room.id, text, message.thread)

    def _transport(self, message: Message) -> Transport:
        return self.app.transports[message.room.transport]

    def prepare(self, message: Message) -> CommandContext | OpenForm | str | None:
        """The synchronous part: a ready context, a form to open, a refusal to send, or nothing."""
        text = message.text
        if len(text) > self.max_chars:
            return (
                f"That message is {len(text):,} characters; commands are limited to "
                f"{self.max_chars:,}. Shorten it, or put long text in a note in several parts."
            )
        slash = not text.startswith(self.prefix)  # "/incident ..." as typed where there are no slash commands
        try:
            tokens = tokenize(text[1 if slash else len(self.prefix) :])
        except ParseError as exc:
            return f"Couldn't read that command: {exc}."
        if not tokens:
            return None
        found = self.app.commands.lookup(tokens, self.prefix)
        command = found.command
        if command is None:
            # "/var/log is full" is chatter, not a mistyped command
            return None if slash and not self.app.commands.knows(tokens[0]) else found.problem
        transport = self._transport(message)
        ctx = CommandContext(self.app, message, transport, command)
        try:
            ctx.args = parse_arguments(command, found.rest, ctx)
        except MissingArguments as exc:
            usage = self.usage(command, str(exc))
            if command.form is not None and transport.capabilities.modals:
                return OpenForm(ctx, command.form, usage)
            return usage
        except ParseError as exc:
            return self.usage(command, str(exc))
        except UserError as exc:
            return str(exc)
        return ctx

    def usage(self, command: Command, problem: str) -> str:
        line = f"Usage: {command.usage(self.prefix)}"
        if command.example:
            line += f"   — e.g. {command.example}"
        return f"{problem[0].upper()}{problem[1:]}.\n{line}"

    async def permitted(self, ctx: CommandContext, command: Command) -> bool:
        assert command.permission is not None
        refusal = await self.refusal(ctx, command.permission)
        if refusal is not None:
            await self.refuse(ctx.message, refusal)
        return refusal is None

    async def refusal(self, ctx: CommandContext, permission: Permission) -> str | None:
        """Why the sender may not do what ``permission`` guards here, or None when they may.

        The roles allowed come from config (``permissions:``) or the permission's
        defaults; who holds them comes from ``chatops_context_roles``.
        """
        allowed = self.app.config.core.permissions.get(permission.name, list(permission.default_roles))
        if ANYONE in allowed or (ADMIN in allowed and ctx.is_admin):
            return None
        roles: dict[str, RoleHolders] = {}
        for part in await self.app.hooks.call(
            "chatops_context_roles", on_failure=self.failure_reporter(ctx), answers=True, ctx=ctx
        ):
            roles.update(part)
        mine = await self.accounts(ctx.sender)
        for role in allowed:
            info = roles.get(role)
            if info is not None and any(u.id in mine for u in info.holders):
                return None
        return f"Only {describe_allowed(allowed, roles)} can {permission.action}."

    async def accounts(self, user: User) -> set[str]:
        """The ids of every account of the person behind ``user`` (``chatops_accounts``), theirs included:
        a role held on one platform is theirs on every platform."""
        found = {user.id}
        for part in await self.app.hooks.call("chatops_accounts", app=self.app, user=user):
            found.update(u.id for u in part or [])
        return found

    def failure_reporter(self, ctx: CommandContext) -> Any:
        async def report(failure: PluginFailure) -> None:
            await self.report_failure(ctx, failure)

        return report

    async def report_failure(self, ctx: CommandContext, failure: PluginFailure) -> None:
        try:
            await ctx.reply(failure.describe())
        except Exception:
            log.exception("could not report a plugin failure")

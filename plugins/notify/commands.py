"""``!notify rules`` (how a page reaches you, in order) and ``!notify test`` (try each way now)."""

from __future__ import annotations

import uuid
from dataclasses import asdict

from chatops import CommandContext, CommandGroup, UserError
from chatops.storage.db import Tx
from chatops_plugins.notify.channel import Channel, Notification
from chatops_plugins.oncall import people
from chatops_plugins.oncall.commands import sender_person
from chatops_plugins.oncall.config import OncallConfig, PersonConfig, duration

group = CommandGroup("notify", help="how pages reach you: chat, e-mail, push, SMS, a call")


async def _me(ctx: CommandContext) -> tuple[str, PersonConfig]:
    me = await sender_person(ctx)
    config: OncallConfig = ctx.app.section("oncall")
    if me is None or me not in config.people:
        raise UserError("You are not in the on-call config, so no page reaches you. Link: !whoami link")
    return me, config.people[me]


def _when(after: str) -> str:
    return "at once" if duration(after).total_seconds() <= 0 else f"after {after}"


@group.command("rules", help="how a page reaches you, step by step", example="!notify rules")
async def rules(ctx: CommandContext) -> None:
    me, mine = await _me(ctx)
    known = people.channels(ctx.app)
    lines = [f"How a page reaches @{me}:"]
    for number, rule in enumerate(mine.notify, 1):
        channel = known.get(rule.channel)
        line = f"{number}. {rule.channel} {_when(rule.after)}"
        if channel is None:
            line += f" — ⚠️ unknown channel (channels: {', '.join(sorted(known))}); skipped"
        elif isinstance(channel, Channel):
            address = channel.address(mine)
            line += f" — {address}" if address else f" — ⚠️ no {channel.wants}; the next rule goes instead"
        lines.append(line)
    lines.append(
        "Every later step stops the moment a page is acknowledged, on any channel. Try them: !notify test"
    )
    await ctx.reply("\n".join(lines))


@group.command("test", help="send a test through each of your channels now", example="!notify test")
async def test(ctx: CommandContext) -> None:
    me, mine = await _me(ctx)
    known = people.channels(ctx.app)

    async def queue(tx: Tx) -> tuple[list[str], list[str]]:
        tried: list[str] = []
        problems: list[str] = []
        for index, rule in enumerate(mine.notify):
            channel = known.get(rule.channel)
            if channel is None:
                problems.append(f"{rule.channel}: unknown channel")
            elif not isinstance(channel, Channel):
                person = await people.person(ctx.app, tx, me)
                for account in person.accounts:
                    if account.transport in ctx.app.transports:
                        await tx.send_direct(
                            account, "🔔 Test page from chatops: this is how chat reaches you."
                        )
                tried.append(rule.channel)
            elif (address := channel.address(mine)) is None:
                problems.append(f"{rule.channel}: no {channel.wants}")
            else:
                test_of = Notification(
                    page_id=0,
                    page_ref="P-test",
                    person=me,
                    channel=channel.name,
                    to=address,
                    headline="Test page from chatops",
                    link=None,
                    cycle=0,
                    step=0,
                    rule=index,
                    test=True,
                    reply_room=ctx.room.id,
                )
                key = f"{channel.kind}:test:{me}:{uuid.uuid4().hex}"
                await ctx.app.deliveries.queue(tx, channel.kind, asdict(test_of), key=key)
                tried.append(f"{rule.channel} ({address})")
        return tried, problems

    tried, problems = await ctx.app.db.write(queue)
    text = f"Test sent by {', '.join(tried)}." if tried else "Nothing to test."
    if problems:
        text += " Not sent: " + "; ".join(problems) + "."
    await ctx.reply(text + " A failure will be reported here.")

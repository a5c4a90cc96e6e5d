"""Chapter: three rounds of the anonymous pulse, one below the threshold pooled into the next.

Mira schedules the pulse; the invitation is posted and DMed (none to away members);
eight people answer in two steps, one tries again and is refused; the round closes and
its result is posted and shown by /pulse results, /pulse group, /pulse chart and
/pulse export. The second round gets k - 1 answers and shows nothing anywhere; the third
is published pooled with it. The chart is saved in the output folder.

The helpers (finding posts, answering through both steps) are shared with the
end-to-end tests, so the story and the tests act the way a member would.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.groups import group_for_channel
from bot.pulse.store import load_settings, open_survey_of
from bot.sandbox.actors import InteractionResult
from bot.sandbox.chapters.checkins import walk
from bot.sandbox.server import SandboxServer
from bot.sandbox.story import Story
from bot.sandbox.views import MessageView

TAKE = "Take the pulse"
START = "Start"
CONTINUE = "Continue"
CHART_PNG = "pulse-trend.png"
EXPORT_CSV = "pulse-results.csv"
# The default instrument's items that score the other way (agreeing is good).
REVERSED = frozenset({"difference", "caseload", "support", "autonomy"})
KEYS = ("exhaustion", "detachment", "difference", "sts", "caseload", "admin", "support", "autonomy")


def pulse_posts(server: SandboxServer, channel_id: int) -> list[MessageView]:
    """The channel's public pulse invitations (those with the Take button), oldest first."""
    guild_id = server.world.channel(channel_id).guild_id
    if guild_id is None:
        raise ValueError("a pulse channel is a server channel")
    reader = server.actor(server.world.guild(guild_id).owner_id)
    return [
        m
        for m in reader.sees(channel_id)
        if not m.ephemeral and any(b.get("label") == TAKE for b in m.buttons())
    ]


def result_posts(server: SandboxServer, channel_id: int) -> list[MessageView]:
    """The channel's published pulse results, oldest first."""
    guild_id = server.world.channel(channel_id).guild_id
    if guild_id is None:
        raise ValueError("a pulse channel is a server channel")
    reader = server.actor(server.world.guild(guild_id).owner_id)
    return [
        m
        for m in reader.sees(channel_id)
        if m.embeds and str(m.embeds[0].get("title", "")).startswith("Group pulse ·")
    ]


async def take_pulse(
    server: SandboxServer, user_id: int, message_id: int, values: Sequence[int]
) -> InteractionResult:
    """Take the pulse from a post or DM: the two sentences, step one, Continue, step two.

    Returns the last answer: the private note, or the refusal where the flow stopped.
    """
    actor = server.actor(user_id)
    intro = await actor.click(message_id, label=TAKE)
    if intro.message is None or not any(b.get("label") == START for b in intro.message.buttons()):
        return intro
    one = await actor.click(intro.message.id, label=START)
    if one.modal is None:
        return one
    first = one.modal.inputs()
    step_one = await actor.submit_modal(
        one.modal, {key: str(v) for key, v in zip(KEYS, values, strict=True) if key in first}
    )
    if step_one.message is None or not step_one.message.buttons():
        return step_one
    two = await actor.click(step_one.message.id, label=CONTINUE)
    if two.modal is None:
        return two
    second = two.modal.inputs()
    return await actor.submit_modal(
        two.modal, {key: str(v) for key, v in zip(KEYS, values, strict=True) if key in second}
    )


def answer_text(result: InteractionResult) -> str:
    """The text of an interaction's answer (content and embeds)."""
    message = result.message
    return message.text if message is not None else ""


ANSWERS: tuple[tuple[int, ...], ...] = (
    (3, 2, 1, 3, 1, 4, 2, 1),
    (2, 1, 2, 2, 3, 3, 3, 2),
    (4, 3, 1, 4, 0, 4, 1, 1),
    (1, 1, 3, 1, 3, 1, 4, 3),
    (3, 2, 2, 3, 2, 3, 3, 2),
    (2, 2, 2, 2, 2, 2, 2, 2),
    (3, 3, 1, 2, 1, 4, 2, 1),
    (2, 1, 3, 1, 3, 2, 3, 3),
)


async def pulse(story: Story) -> None:
    """Three pulse rounds: published, below k (carried), published pooled."""
    server, group = story.server, story.group
    channel = group.home_channel_id
    mira = server.actor(group.moderator_id)
    ana, ben, eve = group.member_ids[0], group.member_ids[1], group.member_ids[4]
    everyone = (group.owner_id, group.moderator_id, group.cofacilitator_id, *group.member_ids)
    story.progress("Ana adds pulse invitations to her DMs; Ben, whose DMs are closed, drops them")
    for member, setting in ((ana, "on"), (ben, "off")):
        await server.actor(member).slash(
            "me dms", channel_id=channel, options={"kind": "pulse", "setting": setting}
        )
    eve_zone = ZoneInfo(group.zones[eve])
    back_on = (story.clock.now().astimezone(eve_zone) + timedelta(days=14)).date()
    story.progress(f"Eve goes away for two weeks, until {back_on:%d %b}: no DM reaches her")
    await server.actor(eve).slash(
        "me away", channel_id=channel, options={"until": back_on.isoformat()}
    )
    if story.life is not None:
        story.life.away(eve, datetime.combine(back_on + timedelta(days=1), time(), eve_zone))

    story.progress("Mira sets the pulse: k = 5, results posted, her group's support text")
    await mira.slash(
        "pulse settings",
        channel_id=channel,
        options={
            "k": 5,
            "post_results": True,
            "support_text": "Talk to Mira or Theo any time; our peer line is open on Fridays.",
        },
    )
    story.progress("Mira schedules the pulse: every 2 weeks, Wednesdays 10:00, open 4 days")
    await mira.slash(
        "pulse schedule",
        channel_id=channel,
        options={"every": 2, "weekday": "Wednesday", "time": "10:00", "days_open": 4},
    )
    story.progress("Ana, not a moderator, tries /pulse open and is told she can't")
    await server.actor(ana).slash("pulse open", channel_id=channel)

    await _round_one(story, everyone)
    await _round_two(story)
    await _round_three(story)


async def _round_one(story: Story, everyone: Sequence[int]) -> None:
    """Eight answers, a second try refused, the close and the result everywhere."""
    server, group = story.server, story.group
    channel = group.home_channel_id
    mira = server.actor(group.moderator_id)
    ben, chen = group.member_ids[1], group.member_ids[2]
    opens = await _next_open(story)
    story.progress("round one: the pulse opens with a post; opted-in members get a DM")
    await walk(story, opens, timedelta(hours=6))
    await walk(story, opens + timedelta(hours=12), timedelta(hours=2))
    post = pulse_posts(server, channel)[-1]
    takers = [*zip(everyone, ANSWERS, strict=True), *_others(story)]
    story.progress(f"{len(takers)} people take the pulse in two steps; each sees a private note")
    for who, values in takers:
        story.clock.advance(timedelta(minutes=7))
        await take_pulse(server, who, post.id, values)
    story.progress("Ben tries a second time and is refused with a plain sentence")
    await take_pulse(server, ben, post.id, ANSWERS[0])
    story.progress("round one closes; the result is posted in the channel")
    await walk(story, opens + timedelta(days=4, hours=1), timedelta(hours=6))
    story.progress("Mira reads /pulse results; Chen reads /pulse group: the same result")
    await mira.slash("pulse results", channel_id=channel)
    await server.actor(chen).slash("pulse group", channel_id=channel)


def pulse_answers(rng: random.Random, energy: float) -> tuple[int, ...]:
    """One member's answers, each item drawn around how they usually feel (0-4; an item
    that scores the other way is turned round)."""
    strain = 5 - energy
    drawn = (max(0, min(4, round(rng.gauss(strain, 0.9)))) for _ in KEYS)
    return tuple(4 - v if key in REVERSED else v for key, v in zip(KEYS, drawn, strict=True))


def _others(story: Story) -> list[tuple[int, tuple[int, ...]]]:
    """The simulated members beyond the scripted five who take round one, with their answers."""
    if story.cast is None:
        return []
    present = set(story.server.world.guild(story.group.guild_id).members)
    takers = []
    for user_id in story.cast.extras:
        habits = story.cast.habits[user_id]
        if user_id in present and story.rng.random() < habits.answers:
            takers.append((user_id, pulse_answers(story.rng, habits.energy)))
    return takers


async def _round_two(story: Story) -> None:
    """k - 1 answers: carried forward, nothing shown."""
    server, group = story.server, story.group
    channel = group.home_channel_id
    ana, ben, chen, dev, _ = group.member_ids
    opens = await _next_open(story)
    story.progress("round two: only four answer (k - 1); the round shows nothing anywhere")
    await walk(story, opens, timedelta(hours=12))
    post = pulse_posts(server, channel)[-1]
    for who, values in zip((ana, ben, chen, dev), ANSWERS[2:6], strict=True):
        story.clock.advance(timedelta(minutes=11))
        await take_pulse(server, who, post.id, values)
    await walk(story, opens + timedelta(days=4, hours=1), timedelta(hours=6))
    await server.actor(dev).slash("pulse group", channel_id=channel)


async def _round_three(story: Story) -> None:
    """Three answers, pooled with round two; the chart and the export."""
    server, group = story.server, story.group
    channel = group.home_channel_id
    mira = server.actor(group.moderator_id)
    eve = group.member_ids[4]
    opens = await _next_open(story)
    story.progress("round three: three answer; pooled with round two it reaches k")
    await walk(story, opens, timedelta(hours=12))
    post = pulse_posts(server, channel)[-1]
    for who, values in zip((group.owner_id, mira.user_id, eve), ANSWERS[5:8], strict=True):
        story.clock.advance(timedelta(minutes=9))
        await take_pulse(server, who, post.id, values)
    story.progress("Mira closes round three early; the pooled result is posted")
    # Deferred: wait for its answer, or the due steps advanced next may post before it.
    await (await mira.slash("pulse close", channel_id=channel)).final()
    await story.running.advance(timedelta(minutes=2))
    story.progress(f"Mira opens /pulse chart (saved as {CHART_PNG}) and /pulse export")
    chart = await (await mira.slash("pulse chart", channel_id=channel)).final()
    if chart.attachments:
        (story.out_dir / CHART_PNG).write_bytes(chart.attachments[0].data)
    exported = await (await mira.slash("pulse export", channel_id=channel)).final()
    if exported.attachments:
        (story.out_dir / EXPORT_CSV).write_bytes(exported.attachments[0].data)
    await server.actor(group.member_ids[0]).slash("pulse group", channel_id=channel)
    await mira.slash("pulse schedule", channel_id=channel, options={"off": True})


async def _next_open(story: Story) -> datetime:
    """When the group's next pulse opens, from its stored settings."""
    db, group = story.running.db, story.group
    found = await group_for_channel(db, group.guild_id, group.home_channel_id)
    if found is None:
        raise RuntimeError("the demo group is not set up")
    if await open_survey_of(db, found.id) is not None:
        return story.clock.now()
    saved = await load_settings(db, found.id)
    if saved is None or saved.next_open_at is None:
        raise RuntimeError("the pulse is not scheduled")
    return saved.next_open_at

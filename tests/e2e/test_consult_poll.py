"""Proposing a consultation and voting on its poll, end to end through the sandbox."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from bot.sandbox import SandboxServer
from bot.sandbox.chapters.consultations import (
    CANCEL,
    CONFIRM,
    MARK,
    mark,
    poll_posts,
    propose,
    propose_and_post,
    shows,
    slot_values,
)
from bot.sandbox.demo import DemoGroup
from bot.sandbox.running_bot import RunningBot

pytestmark = pytest.mark.e2e


@pytest.fixture(autouse=True)
def no_request_rejected(server: SandboxServer) -> Iterator[None]:
    """Every request of the test passed the sandbox's validation (events included)."""
    yield
    rejected = [f"{r.method} {r.route} -> {r.status}" for r in server.requests if r.status >= 400]
    assert rejected == []


WED_12 = datetime(2026, 3, 4, 12, tzinfo=UTC)  # the fixture clock starts Monday 09:00 UTC
THU_12 = datetime(2026, 3, 5, 12, tzinfo=UTC)
SAT_12 = datetime(2026, 3, 7, 12, tzinfo=UTC)
TIMES = "wed 12:00, thu 12:00, sat 12:00"
PLACE = "Room 3, Riverside clinic"


def stamp(instant: datetime) -> str:
    return f"<t:{int(instant.timestamp())}:F>"


@pytest.mark.parametrize(
    ("times", "options", "expected"),
    [
        ("yesterday 12:00, thu 12:00", {"place": PLACE}, "'yesterday 12:00' is in the past"),
        ("12/3 10:00, thu 12:00", {"place": PLACE}, "'12/3' in '12/3 10:00' could be day-month"),
        ("thu 12:00", {"place": PLACE}, "at least 2 candidate times"),
        ("sometime soon, thu 12:00", {"place": PLACE}, "'sometime soon' needs a time of day"),
        (TIMES, {}, "Say where"),
        (TIMES, {"place": PLACE, "deadline": "fri 12:00"}, "End the vote before the first"),
    ],
)
async def test_bad_proposals_are_refused_quoting_the_bad_part(  # noqa: PLR0917 - parametrized
    server: SandboxServer,
    group: DemoGroup,
    peerpulse: RunningBot,
    times: str,
    options: dict[str, object],
    expected: str,
) -> None:
    ana = group.member_ids[0]
    result = await propose(server, ana, group.home_channel_id, times, **options)
    assert result.message is not None
    assert result.message.ephemeral
    assert expected in result.message.content
    assert result.message.buttons() == []
    assert poll_posts(server, group.home_channel_id) == []


async def test_the_echo_shows_timestamps_marks_outside_hours_and_posts_on_confirm(
    server: SandboxServer, group: DemoGroup, peerpulse: RunningBot
) -> None:
    ana = group.member_ids[0]
    echo = await propose(
        server, ana, group.home_channel_id, TIMES, place=PLACE, title="Case review"
    )
    assert echo.message is not None
    assert echo.message.ephemeral
    text = echo.message.content
    for instant in (WED_12, THU_12, SAT_12):
        assert stamp(instant) in text
    [sat_line] = [line for line in text.splitlines() if stamp(SAT_12) in line]
    assert "outside your working hours" in sat_line
    [wed_line] = [line for line in text.splitlines() if stamp(WED_12) in line]
    assert "outside" not in wed_line
    assert poll_posts(server, group.home_channel_id) == []  # nothing posted before Confirm

    confirmed = await server.actor(ana).click(echo.message.id, label=CONFIRM)
    assert confirmed.message is not None
    assert "Posted in" in confirmed.message.content
    [poll] = poll_posts(server, group.home_channel_id)
    assert "Consultation poll: Case review" in poll.text
    assert "not anonymous" in poll.text
    assert all(stamp(i) in poll.text for i in (WED_12, THU_12, SAT_12))
    assert [b["label"] for b in poll.buttons()] == [MARK, "Finalize", "Cancel poll"]


async def test_cancel_posts_nothing(
    server: SandboxServer, group: DemoGroup, peerpulse: RunningBot
) -> None:
    ana = group.member_ids[0]
    echo = await propose(server, ana, group.home_channel_id, TIMES, place=PLACE)
    assert echo.message is not None
    cancelled = await server.actor(ana).click(echo.message.id, label=CANCEL)
    assert cancelled.message is not None
    assert "nothing was posted" in cancelled.message.content
    assert poll_posts(server, group.home_channel_id) == []


async def test_identifying_details_in_the_title_are_flagged_before_posting(
    server: SandboxServer, group: DemoGroup, peerpulse: RunningBot
) -> None:
    ana = group.member_ids[0]
    echo = await propose(
        server,
        ana,
        group.home_channel_id,
        TIMES,
        place=PLACE,
        title="Client Jane Doe, born 3 May 1990",
    )
    assert echo.message is not None
    assert "may identify a client" in echo.message.content


async def test_voting_counts_names_and_changing_a_vote(
    server: SandboxServer, group: DemoGroup, peerpulse: RunningBot
) -> None:
    ana, ben, chen = group.member_ids[:3]
    poll = await propose_and_post(server, ana, group.home_channel_id, TIMES, place=PLACE)

    saved = await mark(server, ben, poll.id, works=[0, 1], if_need_be=[2])
    assert saved.message is not None
    assert saved.message.ephemeral
    assert "Saved" in saved.message.content
    await mark(server, chen, poll.id, works=[1])
    shown = (await shows(server, group.home_channel_id, poll.id, "2 members answered")).text
    [wed, thu, sat] = [
        line for line in shown.splitlines() if line.startswith(("**1.**", "**2.**", "**3.**"))
    ]
    assert "works 1 · if need be 0" in wed
    assert "works 2 · if need be 0" in thu
    assert "works 0 · if need be 1" in sat
    assert "works: Ben, Chen" in shown
    assert "if need be: Ben" in shown
    assert "2 members answered" in shown
    assert "<@" not in shown

    # Ben's form is prefilled with his marks; Saturday is labelled outside his hours.
    opened = await server.actor(ben).click(poll.id, label=MARK)
    works = slot_values(opened)
    assert [o.get("default", False) for o in works] == [True, True, False]
    assert [o.get("description") for o in works][2] == "Outside your working hours"
    maybe = slot_values(opened, "if_need_be")
    assert [o.get("default", False) for o in maybe] == [False, False, True]
    assert opened.modal is not None
    changed = await server.actor(ben).submit_modal(
        opened.modal, {"works": [works[2]["value"]], "if_need_be": []}
    )
    assert changed.message is not None
    assert "Saved" in changed.message.content
    sat = f"**3.** {stamp(SAT_12)}: works 1 · if need be 0"
    shown = (await shows(server, group.home_channel_id, poll.id, sat)).text
    [wed] = [line for line in shown.splitlines() if line.startswith("**1.**")]
    assert "works 0 · if need be 0" in wed
    assert "if need be: Ben" not in shown


async def test_ticking_a_time_in_both_groups_is_refused(
    server: SandboxServer, group: DemoGroup, peerpulse: RunningBot
) -> None:
    ana, ben = group.member_ids[:2]
    poll = await propose_and_post(server, ana, group.home_channel_id, TIMES, place=PLACE)
    refused = await mark(server, ben, poll.id, works=[0], if_need_be=[0])
    assert refused.message is not None
    assert "not both" in refused.message.content


async def test_forged_availability_forms_are_refused_or_counted_once(
    server: SandboxServer, group: DemoGroup, peerpulse: RunningBot
) -> None:
    ana, ben = group.member_ids[:2]
    poll = await propose_and_post(server, ana, group.home_channel_id, TIMES, place=PLACE)
    actor = server.actor(ben)
    for works, sentence in (
        (["999999"], "That time is not in this poll"),
        (["9" * 30], "That time is not in this poll"),
    ):
        opened = await actor.click(poll.id, label=MARK)
        assert opened.modal is not None
        forged = await actor.submit_modal_unchecked(
            opened.modal, {"works": works, "if_need_be": []}
        )
        assert forged.message is not None
        assert sentence in forged.message.content
    opened = await actor.click(poll.id, label=MARK)
    assert opened.modal is not None
    first = slot_values(opened)[0]["value"]
    twice = await actor.submit_modal_unchecked(
        opened.modal, {"works": [first, first], "if_need_be": []}
    )
    assert twice.message is not None
    assert "Saved: 1 time works for you" in twice.message.content
    gone = await actor.submit_modal_unchecked(
        opened.modal, {"works": [first]}, custom_id="consult:avail:99999:abcdef"
    )
    assert gone.message is not None
    assert "That poll no longer exists" in gone.message.content


async def test_the_organiser_cancels_the_poll_after_confirming(
    server: SandboxServer, group: DemoGroup, peerpulse: RunningBot
) -> None:
    ana, ben = group.member_ids[:2]
    poll = await propose_and_post(server, ana, group.home_channel_id, TIMES, place=PLACE)
    await mark(server, ben, poll.id, works=[0])

    refused = await server.actor(ben).click(poll.id, label="Cancel poll")
    assert refused.message is not None
    assert refused.message.ephemeral
    assert "Only the organiser or a moderator can cancel this poll" in refused.message.content

    asked = await server.actor(ana).click(poll.id, label="Cancel poll")
    assert asked.message is not None
    assert asked.message.ephemeral
    assert "cannot be reopened" in asked.message.content
    shown = (await shows(server, group.home_channel_id, poll.id, "1 member answered")).text
    assert "Cancelled" not in shown  # asking changed nothing

    done = await server.actor(ana).click(asked.message.id, label="Yes, cancel the poll")
    assert done.message is not None
    assert "is cancelled" in done.message.content
    post = await shows(server, group.home_channel_id, poll.id, "Cancelled")
    assert post.buttons() == []
    assert done.message.buttons() == []  # the confirmation cannot be pressed twice


async def test_cancelling_is_confirmed_at_once_while_the_post_waits(
    server: SandboxServer, group: DemoGroup, peerpulse: RunningBot
) -> None:
    """The organiser hears back first; the poll post's redraw, however slow, comes after."""
    ana = group.member_ids[0]
    poll = await propose_and_post(server, ana, group.home_channel_id, TIMES, place=PLACE)
    asked = await server.actor(ana).click(poll.id, label="Cancel poll")
    assert asked.message is not None
    server.stall_replies("PATCH", "/channels/{channel_id}/messages/{message_id}")
    try:
        done = await server.actor(ana).click(asked.message.id, label="Yes, cancel the poll")
        assert done.interaction.response_type == 7  # an update at once, not a deferral
        assert done.message is not None
        assert "is cancelled" in done.message.content
    finally:
        server.release_replies()
    await shows(server, group.home_channel_id, poll.id, "Cancelled")

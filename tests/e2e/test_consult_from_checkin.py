"""A consultation proposed from the check-in summary's button, end to end."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from checkin_steps import TUESDAY_9, advance_to, set_up

from bot.sandbox import SandboxServer
from bot.sandbox.chapters.checkins import answer_checkin, checkin_posts, summaries
from bot.sandbox.chapters.consultations import CONFIRM, FROM_SUMMARY, poll_posts
from bot.sandbox.demo import DemoGroup
from bot.sandbox.running_bot import RunningBot

pytestmark = pytest.mark.e2e


@pytest.fixture(autouse=True)
def no_request_rejected(server: SandboxServer) -> Iterator[None]:
    """Every request of the test passed the sandbox's validation (events included)."""
    yield
    rejected = [f"{r.method} {r.route} -> {r.status}" for r in server.requests if r.status >= 400]
    assert rejected == []


async def close_a_week_with_consultation_wishes(
    server: SandboxServer, group: DemoGroup, peerpulse: RunningBot
) -> int:
    """Ben asks and shares his name, Dev asks without, Chen does not ask; the summary's id."""
    _, ben, chen, dev, _ = group.member_ids
    await set_up(server, group)
    await advance_to(peerpulse, TUESDAY_9)
    [post] = checkin_posts(server, group.home_channel_id)
    await answer_checkin(
        server, ben, post.id, energy=2, caseload="heavy", boundaries="no", consult="yes_share"
    )
    await answer_checkin(
        server, dev, post.id, energy=3, caseload="heavy", boundaries="mostly", consult="yes"
    )
    await answer_checkin(server, chen, post.id, energy=4, caseload="light", boundaries="yes")
    await advance_to(peerpulse, TUESDAY_9 + timedelta(hours=48))
    [summary] = summaries(server, group.home_channel_id)
    return summary.id


async def test_the_summary_button_opens_propose_prefilled_naming_only_who_shared(
    server: SandboxServer, group: DemoGroup, peerpulse: RunningBot
) -> None:
    eve = group.member_ids[4]
    summary_id = await close_a_week_with_consultation_wishes(server, group, peerpulse)

    opened = await server.actor(eve).click(summary_id, label=FROM_SUMMARY)
    assert opened.modal is not None
    inputs = opened.modal.inputs()
    assert inputs["title"]["value"] == "Peer consultation"
    assert any("Shared their name: Ben" in str(c) for c in opened.modal.components)
    assert not any("Dev" in str(c) for c in opened.modal.components)

    echo = await server.actor(eve).submit_modal(
        opened.modal, {"times": "fri 12:00, mon 12:00", "place": "Room 3"}
    )
    assert echo.message is not None
    assert echo.message.ephemeral
    text = echo.message.content
    assert "shared their name: Ben." in text
    assert "Dev" not in text
    assert "<@" not in text
    assert "**Peer consultation**" in text
    confirmed = await server.actor(eve).click(echo.message.id, label=CONFIRM)
    assert confirmed.message is not None
    assert "Posted in" in confirmed.message.content
    [poll] = poll_posts(server, group.home_channel_id)
    assert "Consultation poll: Peer consultation" in poll.text
    assert "Organised by Eve" in poll.text


async def test_too_few_times_in_the_form_are_refused_plainly(
    server: SandboxServer, group: DemoGroup, peerpulse: RunningBot
) -> None:
    summary_id = await close_a_week_with_consultation_wishes(server, group, peerpulse)
    eve = group.member_ids[4]
    opened = await server.actor(eve).click(summary_id, label=FROM_SUMMARY)
    assert opened.modal is not None
    refused = await server.actor(eve).submit_modal(
        opened.modal, {"times": "fri 12:00", "place": "Room 3", "duration": "90"}
    )
    assert refused.message is not None
    assert "at least 2 candidate times" in refused.message.content
    assert poll_posts(server, group.home_channel_id) == []

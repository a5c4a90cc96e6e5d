"""The simulated group's routine: members answer check-ins and RSVP on their own, seeded.

The chapters script what the story shows; between their scripted moments the rest of
the group lives on. Each time the story moves the clock (`walk`), `GroupLife.step` looks
for new check-in posts and consultation announcements, lets each member it acts for decide
(from the story's seeded generator) whether and when to answer, and acts when that moment
has come: through the same buttons and forms a person uses, in the channel or from their
DM. Members act in their own daytime, never while away from the group, and never for
someone who has left.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.sandbox.cast import Cast
from bot.sandbox.chapters.checkins import ANSWER, answer_checkin, checkin_posts
from bot.sandbox.chapters.consultations import CANT, GOING, MAYBE, announcements
from bot.sandbox.chapters.pulse import TAKE, pulse_answers, pulse_posts, take_pulse
from bot.sandbox.demo import DemoGroup
from bot.sandbox.server import SandboxServer

DAY_STARTS, DAY_ENDS = time(8, 0), time(21, 0)  # when a member looks at Discord at all
ANSWER_WITHIN = timedelta(hours=40)  # check-ins stay open 48 hours in the story
PULSE_WITHIN = timedelta(hours=80)  # the pulse stays open four days in the story
CASELOADS = ("light", "manageable", "heavy", "overwhelming")
BOUNDARIES = ("yes", "mostly", "no")


@dataclass(order=True)
class _Plan:
    """Something a member will do at `at`."""

    at: datetime
    user_id: int
    kind: str  # "checkin", "rsvp" or "pulse"
    message_id: int
    label: str = ""
    values: tuple[int, ...] = ()
    energy: int = 3
    caseload: str = "manageable"
    boundaries: str = "yes"
    consult: str = "no"


@dataclass
class GroupLife:
    """Members' own answers and RSVPs between the scripted moments."""

    server: SandboxServer
    group: DemoGroup
    cast: Cast
    rng: random.Random
    checkins_for: set[int] = field(default_factory=set)
    rsvps_for: set[int] = field(default_factory=set)
    pulses_for: set[int] = field(default_factory=set)  # the chapters script the first rounds
    seen: set[int] = field(default_factory=set)
    plans: list[_Plan] = field(default_factory=list)
    away_until: dict[int, datetime] = field(default_factory=dict)
    # Run after each action, before the next: the bot's due steps at this instant, which
    # finish what an action started in the background (an announcement's redraw), so the
    # next member's action never races it and a seed replays the same requests.
    settle: Callable[[], Awaitable[object]] | None = None
    answered: int = 0

    def __post_init__(self) -> None:
        self.checkins_for.update(self.cast.present_from_start)
        self.rsvps_for.update(self.cast.present_from_start)

    def include(self, user_ids: tuple[int, ...] | list[int]) -> None:
        """From now on, act for these members too (the chapters scripted them until now)."""
        self.checkins_for.update(user_ids)
        self.rsvps_for.update(user_ids)

    def away(self, user_id: int, until: datetime) -> None:
        """The member is away until `until`: they do nothing in the group before then."""
        self.away_until[user_id] = until

    def exclude(self, user_id: int) -> None:
        """Stop acting for a member (they left) and drop what they were about to do."""
        self.checkins_for.discard(user_id)
        self.rsvps_for.discard(user_id)
        self.pulses_for.discard(user_id)
        self.plans = [p for p in self.plans if p.user_id != user_id]

    async def step(self, now: datetime) -> None:
        """Notice new posts, then carry out every plan whose moment has come."""
        self._notice(now)
        due = sorted(p for p in self.plans if p.at <= now)
        self.plans = [p for p in self.plans if p.at > now]
        for plan in due:
            away = self.away_until.get(plan.user_id)
            if plan.user_id in self._present() and (away is None or plan.at >= away):
                await self._act(plan)
                if self.settle is not None:
                    await self.settle()

    def _present(self) -> set[int]:
        return set(self.server.world.guild(self.group.guild_id).members)

    def _notice(self, now: datetime) -> None:
        channel = self.group.home_channel_id
        for post in checkin_posts(self.server, channel):
            if post.id not in self.seen:
                self.seen.add(post.id)
                for user_id in sorted(self.checkins_for & self._present()):
                    self._plan_checkin(user_id, post.id, now)
        for post in pulse_posts(self.server, channel):
            if post.id not in self.seen:
                self.seen.add(post.id)
                for user_id in sorted(self.pulses_for & self._present()):
                    self._plan_pulse(user_id, post.id, now)
        for announcement in announcements(self.server, channel):
            if announcement.id in self.seen:
                continue
            self.seen.add(announcement.id)
            if any(b.get("label") == GOING for b in announcement.buttons()):
                for user_id in sorted(self.rsvps_for & self._present()):
                    self._plan_rsvp(user_id, announcement.id, now)

    def _plan_checkin(self, user_id: int, message_id: int, now: datetime) -> None:
        habits = self.cast.habits[user_id]
        if self.rng.random() > habits.answers:
            return
        at = self._daytime(user_id, now + timedelta(hours=self.rng.uniform(1, 30)))
        if at - now > ANSWER_WITHIN:
            return
        energy = max(1, min(5, round(self.rng.gauss(habits.energy, 0.8))))
        self.plans.append(
            _Plan(
                at,
                user_id,
                "checkin",
                message_id,
                energy=energy,
                caseload=_caseload(self.rng, energy),
                boundaries=BOUNDARIES[0 if energy >= 4 else self.rng.choice((0, 1, 1, 2))],
                consult="yes" if self.rng.random() < 0.1 else "no",
            )
        )

    def _plan_pulse(self, user_id: int, message_id: int, now: datetime) -> None:
        habits = self.cast.habits[user_id]
        if self.rng.random() > habits.answers:
            return
        at = self._daytime(user_id, now + timedelta(hours=self.rng.uniform(1, 60)))
        if at - now <= PULSE_WITHIN:
            values = pulse_answers(self.rng, habits.energy)
            self.plans.append(_Plan(at, user_id, "pulse", message_id, values=values))

    def _plan_rsvp(self, user_id: int, message_id: int, now: datetime) -> None:
        roll = self.rng.random()
        if roll >= 0.9:  # some never answer an announcement
            return
        label = GOING if roll < 0.55 else MAYBE if roll < 0.75 else CANT
        at = self._daytime(user_id, now + timedelta(hours=self.rng.uniform(0.5, 10)))
        self.plans.append(_Plan(at, user_id, "rsvp", message_id, label=label))

    def _daytime(self, user_id: int, at: datetime) -> datetime:
        """`at`, or the member's next morning if it falls in their night."""
        zone = ZoneInfo(self.group.zones[user_id])
        local = at.astimezone(zone)
        if DAY_STARTS <= local.time() < DAY_ENDS:
            return at
        morning = local.date() + timedelta(days=1 if local.time() >= DAY_ENDS else 0)
        start = datetime.combine(morning, DAY_STARTS, zone)
        return start + timedelta(minutes=self.rng.randrange(0, 90))

    async def _act(self, plan: _Plan) -> None:
        if plan.kind == "rsvp":
            await self.server.actor(plan.user_id).click(plan.message_id, label=plan.label)
            return
        if plan.kind == "pulse":
            where = self._dm_with(plan.user_id, plan.message_id, TAKE) or plan.message_id
            await take_pulse(self.server, plan.user_id, where, plan.values)
            return
        where = self._dm_with(plan.user_id, plan.message_id, ANSWER) or plan.message_id
        try:
            await answer_checkin(
                self.server,
                plan.user_id,
                where,
                energy=plan.energy,
                caseload=plan.caseload,
                boundaries=plan.boundaries,
                consult=plan.consult,
            )
        except AssertionError:
            return  # the round closed first: they missed it, as people do
        self.answered += 1

    def _dm_with(self, user_id: int, post_id: int, label: str) -> int | None:
        """The member's DM with the `label` button for the round of `post_id`, if one came."""
        sent = [
            m
            for m in self.server.actor(user_id).dms()
            if m.id > post_id and any(b.get("label") == label for b in m.buttons())
        ]
        return sent[-1].id if sent else None


def _caseload(rng: random.Random, energy: int) -> str:
    """A caseload that goes with the energy: heavier when energy is low."""
    centre = {1: 3, 2: 2.5, 3: 1.8, 4: 1.3, 5: 1.0}[energy]
    return CASELOADS[max(0, min(3, round(rng.gauss(centre, 0.7))))]

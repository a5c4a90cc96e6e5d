"""The simulated group around the story's scripted characters: who else is in it, seeded.

`peerpulse sandbox --members N` adds N - 5 members to the five the chapters script (Ana,
Ben, Chen, Dev, Eve): the first joins late, the second leaves, the rest are regulars.
Each gets a zone, working hours, how reliably they answer and how they usually feel,
drawn from the story's seeded generator, so a seed replays the same group.
"""

from __future__ import annotations

import dataclasses
import random
from dataclasses import dataclass

from bot.sandbox.demo import DemoGroup, build_demo_group
from bot.sandbox.server import SandboxServer

# Names for up to 25 more members, in the order they are added.
EXTRA_NAMES = (
    "Farah", "Gus", "Hana", "Ivo", "Jun", "Kemi", "Lars", "Maya", "Nia", "Omar", "Pia",
    "Quinn", "Rosa", "Sami", "Tove", "Uma", "Vik", "Wren", "Xia", "Yara", "Zeno", "Ada",
    "Bram", "Cleo", "Dara",
)  # fmt: skip
# Zones the extra members may live in: several with a DST change during a spring story.
EXTRA_ZONES = (
    "Europe/Berlin",
    "America/Sao_Paulo",
    "Asia/Tokyo",
    "Europe/Lisbon",
    "America/Denver",
    "Africa/Lagos",
    "Pacific/Auckland",
    "America/Toronto",
)
# Working days, start, end (as a member would type them in /me hours).
HOURS = (
    ("Mon-Fri", "09:00", "17:00"),
    ("Mon-Thu", "08:00", "16:00"),
    ("Tue-Sat", "10:00", "18:00"),
    ("Mon-Fri", "12:00", "20:00"),
    ("Mon-Wed", "09:30", "17:30"),
)


@dataclass(frozen=True)
class Habits:
    """How a simulated member takes part: their hours, how often they answer, how they feel."""

    days: str
    start: str
    end: str
    answers: float  # the chance they answer a given check-in
    energy: float  # their usual energy, 1-5
    pulse_dms: bool  # whether they opt in to pulse invitations by DM


@dataclass(frozen=True)
class Cast:
    """The members beyond the scripted five: who joins late, who leaves, everyone's habits."""

    extras: tuple[int, ...]
    joins_late: int
    leaves: int
    habits: dict[int, Habits]

    @property
    def present_from_start(self) -> tuple[int, ...]:
        """The extra members in the server when the story begins."""
        return tuple(user_id for user_id in self.extras if user_id != self.joins_late)


def habits_for(rng: random.Random) -> Habits:
    """One member's habits, drawn from `rng`."""
    days, start, end = rng.choice(HOURS)
    return Habits(
        days=days,
        start=start,
        end=end,
        answers=rng.uniform(0.55, 0.95),
        energy=rng.uniform(2.0, 4.3),
        pulse_dms=rng.random() < 0.6,
    )


def build_cast(server: SandboxServer, members: int, rng: random.Random) -> tuple[DemoGroup, Cast]:
    """The demo group with `members` members in all, and the cast of the added ones.

    The scripted five get habits too (for the weeks the chapters leave to the simulation);
    their hours stay the ones the boundaries chapter sets.
    """
    group = build_demo_group(server)
    zones = dict(group.zones)
    extras: list[int] = []
    habits: dict[int, Habits] = {}
    for index, name in enumerate(EXTRA_NAMES[: members - len(group.member_ids)]):
        user_id = server.create_user(name)
        zones[user_id] = rng.choice(EXTRA_ZONES)
        habits[user_id] = habits_for(rng)
        if index != 0:  # the first joins late
            server.add_member(group.guild_id, user_id)
        extras.append(user_id)
    habits.update({user_id: habits_for(rng) for user_id in group.member_ids})
    cast = Cast(tuple(extras), joins_late=extras[0], leaves=extras[1], habits=habits)
    return dataclasses.replace(group, zones=zones), cast

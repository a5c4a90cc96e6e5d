"""A small consultation group on the sandbox server, shared by the tests and `peerpulse sandbox`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.sandbox import permissions as perm
from bot.sandbox.server import BotCredentials, SandboxServer


@dataclass(frozen=True)
class DemoMember:
    """A member of the demo group and the time zone they live in."""

    name: str
    timezone: str


DEFAULT_MEMBERS: tuple[DemoMember, ...] = (
    DemoMember("Ana", "America/New_York"),
    DemoMember("Ben", "Europe/London"),
    DemoMember("Chen", "Australia/Sydney"),
    DemoMember("Dev", "Asia/Kolkata"),
    DemoMember("Eve", "America/Los_Angeles"),
)


@dataclass(frozen=True)
class DemoGroup:
    """Ids of everything in the demo server."""

    credentials: BotCredentials
    guild_id: int
    home_channel_id: int
    other_channel_id: int
    owner_id: int
    moderator_id: int
    cofacilitator_id: int
    cofacilitator_role_id: int
    member_ids: tuple[int, ...]
    zones: dict[int, str]
    voice_channel_id: int | None = None

    def name_of(self, server: SandboxServer, user_id: int) -> str:
        """A user's display name in the sandbox."""
        return server.world.user(user_id).display_name


def build_demo_group(
    server: SandboxServer,
    members: Sequence[DemoMember] = DEFAULT_MEMBERS,
    *,
    voice_channel: bool = False,
) -> DemoGroup:
    """A server with an owner, a moderator (Manage Server), a co-facilitator role and members;
    with `voice_channel`, also a voice channel "consult-room" for voice-channel sessions
    (off by default: the existing stories' channel lists stay as they were)."""
    credentials = server.create_bot("peerpulse")
    owner = server.create_user("Olive")
    guild = server.create_guild("Riverside Peer Consultation", owner_id=owner)
    facilitators = server.create_role(guild, "Facilitators", permissions=perm.MANAGE_GUILD)
    cofacilitators = server.create_role(guild, "Co-facilitators")
    home = server.create_text_channel(guild, "peer-consult", topic="Our weekly check-ins")
    other = server.create_text_channel(guild, "general")
    voice = server.create_voice_channel(guild, "consult-room") if voice_channel else None
    moderator = server.create_user("Mira")
    server.add_member(guild, moderator, roles=[facilitators])
    cofacilitator = server.create_user("Theo")
    server.add_member(guild, cofacilitator, roles=[cofacilitators])
    zones = {owner: "UTC", moderator: "Europe/London", cofacilitator: "America/Chicago"}
    member_ids = []
    for member in members:
        user = server.create_user(member.name)
        server.add_member(guild, user)
        member_ids.append(user)
        zones[user] = member.timezone
    return DemoGroup(
        credentials=credentials,
        guild_id=guild,
        home_channel_id=home,
        other_channel_id=other,
        owner_id=owner,
        moderator_id=moderator,
        cofacilitator_id=cofacilitator,
        cofacilitator_role_id=cofacilitators,
        member_ids=tuple(member_ids),
        zones=zones,
        voice_channel_id=voice,
    )

"""The plain statement of what peerpulse stores, for how long, and who sees what.

Each capability adds its own section when it starts storing something, so the
statement always describes what this version really does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.groups import Group

TITLE = "What peerpulse keeps, and what it never does"
INTRO = (
    "A peer-support tool for this consultation group, not a clinical instrument: no scores "
    "about you, no diagnosis. It keeps as little as it can. Only you see this answer."
)


@dataclass(frozen=True)
class PrivacySection:
    """One heading and its text (at most 1024 characters, an embed field's limit)."""

    title: str
    body: str


def capability_sections() -> tuple[PrivacySection, ...]:
    """What each capability that stores something about members says about it, in order."""
    # Imported here: each section's module imports PrivacySection from this one.
    from bot.checkins.privacy import CHECKIN_AUDIENCE, CHECKIN_PRIVACY  # noqa: PLC0415
    from bot.members.privacy_section import MEMBERS_PRIVACY  # noqa: PLC0415
    from bot.pulse.privacy import PULSE_PRIVACY, crisis_section  # noqa: PLC0415

    return (MEMBERS_PRIVACY, CHECKIN_PRIVACY, CHECKIN_AUDIENCE, PULSE_PRIVACY, crisis_section())


def privacy_statement(
    group: Group | None,
    support_resources: str,
    capability_sections: Sequence[PrivacySection] = (),
) -> list[PrivacySection]:
    """The sections of /privacy for a member of `group` (None outside a server).

    Short sections of short lines, so a person can scan them; every number in them comes
    from the group's settings or the code's constants (a test keeps them from drifting).
    """
    retention = (
        f"{group.retention_days} days (this group's setting)" if group else "the group's setting"
    )
    sections = [
        PrivacySection(
            "What it stores",
            "- For the group: server and channel ids, time zone, moderator role, and its "
            "retention and anonymity settings.\n"
            "- About you: only what a feature you use needs (below). It never reads channel "
            "messages and keeps no copy of your profile.",
        ),
        *capability_sections,
        PrivacySection(
            "What it never stores",
            "- Lists of who did not answer, or streaks.\n"
            "- Client information: free-text boxes warn against client-identifying details "
            "and flag likely identifiers before anything is saved.",
        ),
        PrivacySection(
            "Who sees what",
            "- What you type is shown as plain text: no formatting, no mentions, links "
            "without previews.\n"
            "- The person who hosts the bot runs its database; ask your moderators who "
            "that is.",
        ),
        PrivacySection(
            "How long",
            f"- Free text you write: deleted after {retention}.\n"
            "- Group settings: until a moderator removes the bot.\n"
            "- Your choice, any time: /me export gives you everything linked to you as a "
            "file, and /me forget erases it now, in every group on this bot.",
        ),
        PrivacySection("If you need support now", support_resources),
    ]
    for section in sections:
        if len(section.body) > 1024 or len(section.title) > 256:
            raise ValueError(f"privacy section {section.title!r} is past Discord's field limits")
    return sections

"""The "Add to calendar" file: one VEVENT in UTC, with no personal data.

The UID comes from the session id and a host constant, so a calendar app that
imported the file before recognises an updated one (SEQUENCE is raised on every
change) and a cancelled one (STATUS:CANCELLED). No attendee, organiser, name, id or
email goes in; the title and place are the group's, already shown in the channel.
`icalendar` is imported on first use, so the bot's start does not pay for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from bot.consult.model import Session

UID_HOST: Final = "consult.peerpulse.invalid"
PRODID: Final = "-//peerpulse//peer consultations//EN"
FILENAME: Final = "consultation.ics"


@dataclass(frozen=True)
class CalendarEntry:
    """What the file says about one session."""

    session_id: int
    title: str
    start: datetime
    end: datetime
    sequence: int
    url: str | None = None  # the Discord event's link
    location: str | None = None  # an external place (a voice channel has none to give)
    cancelled: bool = False


def event_url(guild_id: int, discord_event_id: int) -> str:
    """The link Discord gives a scheduled event."""
    return f"https://discord.com/events/{int(guild_id)}/{int(discord_event_id)}"


def entry_for(session: Session, guild_id: int) -> CalendarEntry:
    """The calendar entry of a stored session (its event link once the event exists)."""
    url = (
        event_url(guild_id, session.discord_event_id)
        if session.discord_event_id is not None
        else None
    )
    return CalendarEntry(
        session_id=session.id,
        title=session.title,
        start=session.start,
        end=session.end,
        sequence=session.sequence,
        url=url,
        location=session.location.text,
        cancelled=session.status == "cancelled",
    )


def session_uid(session_id: int) -> str:
    """The stable UID of a session's event."""
    return f"session-{int(session_id)}@{UID_HOST}"


def ics_bytes(entry: CalendarEntry, *, now: datetime) -> bytes:
    """The `.ics` file for `entry`, stamped at `now`."""
    import icalendar  # noqa: PLC0415 - only the "Add to calendar" button needs it

    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    event = icalendar.Event()
    event.add("uid", session_uid(entry.session_id))
    event.add("dtstamp", now.astimezone(UTC))
    event.add("dtstart", entry.start.astimezone(UTC))
    event.add("dtend", entry.end.astimezone(UTC))
    event.add("summary", entry.title)
    event.add("sequence", entry.sequence)
    event.add("status", "CANCELLED" if entry.cancelled else "CONFIRMED")
    if entry.url:
        event.add("url", entry.url)
    if entry.location:
        event.add("location", entry.location)
    calendar.add_component(event)
    return bytes(calendar.to_ical())

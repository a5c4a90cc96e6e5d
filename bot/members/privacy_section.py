"""What /privacy says about members' settings, DMs, export and erase."""

from __future__ import annotations

from bot.delivery.outbox import FINISHED_ROWS_KEPT
from bot.privacy import PrivacySection

MEMBERS_PRIVACY = PrivacySection(
    "Your settings and DMs",
    "- Per group: your time zone, working days and hours, away dates, which DMs you opted "
    "in to, and whether you want reminders.\n"
    "- Per DM: its kind, when it was due and what happened (sent, held for your hours, "
    f"skipped while away), deleted {FINISHED_ROWS_KEPT.days} days after it was sent or "
    "skipped; moderators' status keeps only counts, with no names. Also the DM channel id, "
    "so the bot can reach you, and whether your DMs were closed, until you next use a "
    "command (the bot then tries at most once a day).\n"
    "- No DM is sent outside your working hours or while you are away.",
)

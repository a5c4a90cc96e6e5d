"""What check-ins store, for the /privacy statement."""

from __future__ import annotations

from bot.privacy import PrivacySection

CHECKIN_PRIVACY = PrivacySection(
    "Weekly check-ins",
    "For each check-in you answer: your energy, caseload, boundaries and whether you'd like "
    "a consultation (and whether to share your name for it), your optional note with who may "
    "see it, and when you answered. The channel summary shows counts only (and nothing but "
    "the number of responses when fewer than 3 answered), the names of those who chose to "
    "share them, and notes marked for the group. Notes for moderators go only to moderators; "
    "'only me' notes go to nobody. No list of who did not answer is kept, and you get at most "
    "one reminder, only if you opted in to check-in DMs and left reminders on. "
    "An answer whose note was flagged as possibly identifying a client waits, unsaved, "
    "for at most an hour while you choose to edit it or save it as written.",
)

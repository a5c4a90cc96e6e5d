"""What check-ins store and who sees it, for the /privacy statement."""

from __future__ import annotations

from bot.checkins.summary import MIN_RESPONSES
from bot.privacy import PrivacySection

CHECKIN_PRIVACY = PrivacySection(
    "Weekly check-ins",
    "- Kept per answer: energy, caseload, boundaries, whether you'd like a consultation "
    "(and whether to share your name for it), your optional note and who may see it, and "
    "when you answered.\n"
    "- At close: the week's counts, with no names, for the summary and the chart.\n"
    "- No list of who did not answer is kept. At most one reminder, only if you opted in "
    "to check-in DMs and left reminders on.\n"
    "- A note flagged as possibly identifying a client waits, unsaved, for at most an hour "
    "while you choose to edit it or save it as written.",
)

CHECKIN_AUDIENCE = PrivacySection(
    "Who sees your check-in",
    f"- The channel summary: counts only; with fewer than {MIN_RESPONSES} answers, only "
    "how many answered.\n"
    "- Names: only of those who asked for a consultation and chose to share their name.\n"
    "- Your note, as you choose before it is shared. Only me: nobody else. Moderators: the "
    "moderators, with your name. The group: quoted in the summary without your name, "
    f"only if at least {MIN_RESPONSES} answered.\n"
    "- Moderators see the same summary as everyone, a chart of the weekly counts, and "
    "the notes addressed to them.",
)

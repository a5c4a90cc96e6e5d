"""Check-in posts as plain data (pages of embed-shaped text) within Discord's limits.

The glue turns each `Page` into one message with one embed. A summary with many long
shared notes spreads them over at most `MAX_NOTE_PAGES` extra pages; beyond that the
notes go to a text attachment and the first page says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.checkins.answers import BOUNDARIES, CASELOADS, ENERGY_LEVELS
from bot.checkins.schedule import parse_period
from bot.checkins.store import Round
from bot.checkins.summary import MIN_RESPONSES, CheckinSummary, Comparison, ModeratorNote
from bot.text import plain

TITLE_LIMIT = 256
DESCRIPTION_LIMIT = 4096
FIELD_NAME_LIMIT = 256
FIELD_VALUE_LIMIT = 1024
FIELD_COUNT_LIMIT = 25
FOOTER_LIMIT = 2048
EMBED_TOTAL_LIMIT = 6000
CONTENT_LIMIT = 2000
MAX_NOTE_PAGES = 2
_NOTES_PER_PAGE_BUDGET = 3900  # under the description limit, leaving room for the heading
_BAR = "█"
_CASELOAD_LABELS = {
    "light": "Light",
    "manageable": "Manageable",
    "heavy": "Heavy",
    "overwhelming": "Overwhelming",
}
_BOUNDARY_LABELS = {"yes": "Yes", "mostly": "Mostly", "no": "No"}


@dataclass(frozen=True)
class Field:
    """One embed field."""

    name: str
    value: str
    inline: bool = False


@dataclass(frozen=True)
class Page:
    """One message's embed: a title, a description, fields and an optional footer."""

    title: str
    description: str
    fields: tuple[Field, ...] = ()
    footer: str | None = None

    def total_chars(self) -> int:
        """The characters Discord counts towards an embed's 6000 total."""
        return (
            len(self.title)
            + len(self.description)
            + sum(len(f.name) + len(f.value) for f in self.fields)
            + len(self.footer or "")
        )

    def limit_problems(self) -> list[str]:
        """Every way this page breaks Discord's embed limits (empty when it fits)."""
        problems = []
        if not 0 < len(self.title) <= TITLE_LIMIT:
            problems.append("title")
        if len(self.description) > DESCRIPTION_LIMIT:
            problems.append("description")
        if len(self.fields) > FIELD_COUNT_LIMIT:
            problems.append("field count")
        for f in self.fields:
            if not 0 < len(f.name) <= FIELD_NAME_LIMIT or not 0 < len(f.value) <= FIELD_VALUE_LIMIT:
                problems.append(f"field {f.name[:20]!r}")
        if self.footer is not None and len(self.footer) > FOOTER_LIMIT:
            problems.append("footer")
        if self.total_chars() > EMBED_TOTAL_LIMIT:
            problems.append("total")
        return problems


@dataclass(frozen=True)
class RenderedSummary:
    """A summary's pages, and the notes as a text file when they would not fit."""

    pages: tuple[Page, ...]
    attachment_name: str | None = None
    attachment_text: str | None = None


def week_label(period: str) -> str:
    """ "2026-W10" → "week 10 of 2026"."""
    year, week = parse_period(period)
    return f"week {week} of {year}"


def discord_time(instant: datetime, style: str = "F") -> str:
    """A Discord timestamp, shown to each viewer in their own zone."""
    return f"<t:{int(instant.timestamp())}:{style}>"


def round_open_page(checkin: Round, responses: int | None = None) -> Page:
    """The channel post that opens a round (the glue adds the buttons)."""
    lines = [
        "How are you this week? It takes under 30 seconds: energy, caseload, boundaries, "
        "whether you'd like a peer consultation, and an optional note.",
        f"Open until {discord_time(checkin.closes_at)} ({discord_time(checkin.closes_at, 'R')}). "
        "You can change your answer until then.",
    ]
    if responses is not None:
        lines.append(f"{responses} {_plural(responses, 'response')} so far.")
    return Page(
        title=f"Weekly check-in · {week_label(checkin.period)}",
        description="\n\n".join(lines),
        footer="Only the group summary is posted at close. Nobody is listed for not answering.",
    )


@dataclass(frozen=True)
class DmRound:
    """What a round's DM shows, carried in its outbox payload so a fan-out of N DMs does not
    look the round up N times (a round's id, week and close time never change)."""

    id: int
    period: str
    closes_at: datetime


def invitation_text(checkin: Round | DmRound) -> str:
    """The DM sent at open to members who opted in (message content, under 2000 characters)."""
    return (
        f"This week's check-in ({week_label(checkin.period)}) is open until "
        f"{discord_time(checkin.closes_at)}. Answer with the button below; it takes "
        "under 30 seconds, and you can change your answer until it closes."
    )


def reminder_text(checkin: Round | DmRound) -> str:
    """The one reminder DM (message content, under 2000 characters)."""
    return (
        f"A gentle reminder: this week's check-in closes {discord_time(checkin.closes_at, 'R')}. "
        "If you'd like to answer, the button below opens it. This is the only reminder."
    )


def render_summary(summary: CheckinSummary) -> RenderedSummary:
    """The summary as pages within Discord's limits (notes paginate, or go to a file)."""
    label = week_label(summary.period)
    fields = list(_stat_fields(summary))
    note_pages = _note_pages(summary.shared_notes, label)
    attachment_name = attachment_text = None
    if len(note_pages) > MAX_NOTE_PAGES:
        count = len(summary.shared_notes)
        fields.append(Field("Shared notes", f"{count} shared notes are in the attached file."))
        attachment_name = f"checkin-notes-{summary.period}.txt"
        attachment_text = _notes_file(summary.shared_notes, label)
        note_pages = []
    elif note_pages:
        fields.append(
            Field("Shared notes", f"{len(summary.shared_notes)} shared, in the next message(s).")
        )
    first = Page(
        title=f"Check-in summary · {label}",
        description=_headline(summary),
        fields=tuple(fields),
        footer="Group-level only: no list of who did or did not answer is kept.",
    )
    return RenderedSummary((first, *note_pages), attachment_name, attachment_text)


def render_moderator_notes(notes: Sequence[ModeratorNote], period: str) -> RenderedSummary:
    """Notes addressed to moderators, for an ephemeral moderator-only reply."""
    label = week_label(period)
    if not notes:
        return RenderedSummary((Page(f"Notes for moderators · {label}", "No notes this week."),))
    blocks = [f"<@{n.user_id}>\n{_quote(n.text)}" for n in notes]
    pages = _pack(blocks, f"Notes for moderators · {label}")
    if len(pages) > MAX_NOTE_PAGES:
        text = "\n\n".join(f"Member {n.user_id}:\n{n.text}" for n in notes)
        return RenderedSummary(
            (Page(f"Notes for moderators · {label}", f"{len(notes)} notes, in the file."),),
            f"checkin-moderator-notes-{period}.txt",
            text,
        )
    return RenderedSummary(tuple(pages))


def comparison_line(previous: Comparison, current: Comparison) -> str:
    """One line comparing this week with last week."""
    return (
        f"Median energy {_number(previous.energy_median)} → {_number(current.energy_median)}; "
        f"heavy or overwhelming caseload {previous.heavy_or_overwhelming} of {previous.responses} "
        f"→ {current.heavy_or_overwhelming} of {current.responses}; "
        f"boundaries kept (yes or mostly) {previous.boundaries_kept} of {previous.responses} → "
        f"{current.boundaries_kept} of {current.responses}."
    )


def _headline(summary: CheckinSummary) -> str:
    n = summary.responses
    text = f"**{n} {_plural(n, 'response')}.**"
    if summary.suppressed:
        text += (
            f" Fewer than {MIN_RESPONSES} people answered, so only the number is shown "
            "to keep answers from being traced to anyone."
        )
        if summary.held_back_notes:
            text += " Notes written for the group are held back for the same reason."
    return text


def _stat_fields(summary: CheckinSummary) -> list[Field]:
    fields: list[Field] = []
    spread = summary.distributions
    if spread is not None:
        fields.append(
            Field(
                f"Energy (median {_number(spread.energy_median)} of 5)",
                "\n".join(
                    _bar_line(str(level), spread.energy[level], summary.responses)
                    for level in reversed(ENERGY_LEVELS)
                ),
            )
        )
        fields.append(
            Field(
                "Caseload",
                "\n".join(
                    _bar_line(_CASELOAD_LABELS[c], spread.caseload[c], summary.responses)
                    for c in CASELOADS
                ),
            )
        )
        fields.append(
            Field(
                "Boundaries kept this week",
                " · ".join(f"{_BOUNDARY_LABELS[b]} {spread.boundaries[b]}" for b in BOUNDARIES),
            )
        )
    consult = _consult_text(summary)
    if consult:
        fields.append(Field("Peer consultation", consult))
    current = summary.this_week
    if summary.previous is not None and current is not None:
        fields.append(Field("Compared with last week", comparison_line(summary.previous, current)))
    return fields


def _consult_text(summary: CheckinSummary) -> str:
    names = _mentions(summary.consult_names)
    spread = summary.distributions
    if spread is not None:
        count = spread.wants_consult
        if count == 0:
            return "Nobody asked for a peer consultation this week."
        text = f"{count} would like a peer consultation."
        return f"{text} Sharing their name: {names}." if names else text
    return f"Would like a peer consultation: {names}." if names else ""


def _mentions(user_ids: Sequence[int]) -> str:
    shown: list[str] = []
    for user_id in user_ids:
        candidate = ", ".join([*shown, f"<@{user_id}>"])
        if len(candidate) > FIELD_VALUE_LIMIT - 150:
            return ", ".join(shown) + f" and {len(user_ids) - len(shown)} more"
        shown.append(f"<@{user_id}>")
    return ", ".join(shown)


def _bar_line(label: str, count: int, total: int) -> str:
    width = round(10 * count / total) if total else 0
    return f"`{label:<12}` {_BAR * width} {count}"


def _quote(text: str) -> str:
    return "\n".join(f"> {line}" if line else ">" for line in plain(text).splitlines())


def _note_pages(notes: Sequence[str], label: str) -> list[Page]:
    return _pack([_quote(note) for note in notes], f"Shared notes · {label}")


def _pack(blocks: Sequence[str], title: str) -> list[Page]:
    descriptions: list[str] = []
    current = ""
    for block in blocks:
        joined = f"{current}\n\n{block}" if current else block
        if current and len(joined) > _NOTES_PER_PAGE_BUDGET:
            descriptions.append(current)
            joined = block
        current = joined
    if current:
        descriptions.append(current)
    total = len(descriptions)
    return [
        Page(title if total == 1 else f"{title} ({i}/{total})", text)
        for i, text in enumerate(descriptions, start=1)
    ]


def _notes_file(notes: Sequence[str], label: str) -> str:
    header = f"Shared notes from the check-in, {label}\n(shared by their authors with the group)\n"
    return header + "".join(f"\n---\n{note}\n" for note in notes)


def _number(value: float) -> str:
    return f"{value:g}"


def _plural(count: int, word: str) -> str:
    return word if count == 1 else f"{word}s"

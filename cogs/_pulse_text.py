"""The pulse's words and files, as plain values: results, notes, invitations, CSV, chart points.

One renderer for every results view (the channel post, `/pulse results`, `/pulse group`),
so moderators and members see exactly the same. Nothing here ever receives a count below
the threshold: a round that was not published is known only by its date.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from bot.charts.pulse_points import Driver, PulseTrend, SuppressedPoint, day_label
from bot.charts.pulse_points import PublishedPoint as ChartPoint
from bot.checkins.render import discord_time
from bot.pulse.crisis import CrisisResource, last_verified
from bot.pulse.instrument import Instrument, InstrumentLibrary, Item, Scale
from bot.pulse.scoring import OwnResult
from bot.pulse.store import PublishedPoint, PulseSettings, Survey
from bot.text import plain

DISCLAIMER = (
    "A group pulse, not a validated instrument and not a diagnosis; it has no clinical cut-offs."
)
INTRO = (
    "One submission per person. Your answers cannot be changed or deleted afterwards, "
    "because nothing links them to you."
)
WHO_SEES = (
    "Nobody sees your answers: only group aggregates, after the pulse closes, and only when "
    "at least {k} people answered."
)
EXPORT_FILE = "pulse-results.csv"
CHART_FILE = "pulse-trend.png"


def not_enough(k: int) -> str:
    """The one sentence shown wherever a result is not published (k, never n)."""
    return f"Not enough responses yet to protect anonymity (n < {k})."


def dates_label(days: Sequence[date]) -> str:
    """ "1 Dec + 15 Dec": every round in a point."""
    return " + ".join(day_label(day) for day in days)


def top_two(scale: Scale) -> str:
    """The scale's top two options in words, e.g. "often or always"."""
    return f"{scale.labels[-2].lower()} or {scale.labels[-1].lower()}"


@dataclass(frozen=True)
class ResultView:
    """A published result in words: a title, lines, and the disclaimer as footer."""

    title: str
    lines: tuple[str, ...]
    footer: str = DISCLAIMER

    def text(self) -> str:
        """Everything as one text (tests, logs of nothing personal, CSV notes)."""
        return "\n".join((self.title, *self.lines, self.footer))


def _item_line(item: Item, point: PublishedPoint) -> str | None:
    share = point.shares.get(item.key)
    if share is None:
        return None
    return f"{item.short}: {share}% {top_two(item.scale)}"


def result_view(point: PublishedPoint, instrument: Instrument | None) -> ResultView:
    """The one rendering of a published result, for moderators and members alike."""
    pooled = f", pooled from {len(point.period_starts)} rounds" if point.pooled else ""
    lines = [
        f"**n = {point.n}**{pooled}.",
        f"Burnout index (0-100): median {point.index_median:g}, middle half "
        f"{point.index_q1:g}-{point.index_q3:g}.",
    ]
    if instrument is not None:
        lines[0] += f" About {instrument.recall_period}."
        sts = [_item_line(i, point) for i in instrument.of_role("sts")]
        drivers = [_item_line(i, point) for i in instrument.drivers]
        lines += [f"Secondary traumatic stress: {line}" for line in sts if line]
        shown = [f"- {line}" for line in drivers if line]
        if shown:
            lines.append("Drivers, one by one:\n" + "\n".join(shown))
    lines += [f"Something to try: {plain(text)}" for text in point.suggestions]
    return ResultView(f"Group pulse · {dates_label(point.period_starts)}", tuple(lines))


def own_note(
    own: OwnResult,
    support_text: str | None,
    resources: Sequence[CrisisResource],
) -> str:
    """The member's private note after submitting: their own index and drivers (never
    stored), the group's support text and the crisis lines with their verified date."""
    lines = [
        "Thank you, your answers are stored, linked to no one.",
        f"Your own burnout index this time: **{own.index:g}** of 100 (only you see this; "
        "it is not stored).",
    ]
    if own.sts_answer is not None:
        lines.append(f"Client material stayed with you: {own.sts_answer.lower()}.")
    for driver in own.drivers:
        flag = " (worth a look)" if driver.concern else ""
        lines.append(f"- {driver.short}: {driver.answer.lower()}{flag}")
    lines.append(DISCLAIMER)
    lines.append(support_block(support_text, resources))
    return "\n".join(lines)


def support_block(support_text: str | None, resources: Sequence[CrisisResource]) -> str:
    """The group's support text (plain) and the crisis lines with their verified date."""
    parts = []
    if support_text:
        parts.append(f"From your group: {plain(support_text)}")
    if resources:
        listed = "\n".join(f"- {plain(r.line())}" for r in resources)
        verified = last_verified(tuple(resources)).isoformat()
        parts.append(f"If you need support now:\n{listed}\n(Last verified {verified}.)")
    return "\n".join(parts)


def crisis_lines(
    settings: PulseSettings, defaults: Sequence[CrisisResource]
) -> list[CrisisResource]:
    """The default lines, unless the group's support text replaces them."""
    if settings.support_text and settings.support_replaces:
        return []
    return list(defaults)


def invitation_text(survey: Survey, instrument: Instrument, k: int) -> str:
    """The channel post's text (the Take the pulse button goes with it)."""
    count = len(instrument.items)
    return (
        f"A group pulse is open until {discord_time(survey.closes_at)}: {count} short "
        f"questions about {instrument.recall_period}, under 90 seconds.\n"
        "Anonymous: nothing links your answers to you, not even in the database. "
        f"Results are group aggregates, shown after close and only when at least {k} answered."
    )


def dm_text(closes_at: datetime, channel_id: int | None, *, reminder: bool) -> str:
    """The invitation or the one reminder DM."""
    where = f" in <#{channel_id}>" if channel_id else ""
    lead = "The only reminder: a group pulse is still open" if reminder else "A group pulse is open"
    return (
        f"{lead}{where} until {discord_time(closes_at)}. It takes under 90 seconds and "
        "nothing links your answers to you. Use the button when you are ready."
    )


def drop_text(survey: Survey, k: int) -> str:
    """Told to the group when a carried round is dropped."""
    return (
        f"The pulse of {day_label(survey.period_start)} did not get enough answers to "
        f"protect anonymity (n < {k}) within 12 weeks, so it will never be shown."
    )


def settings_lines(settings: PulseSettings, library: InstrumentLibrary) -> list[tuple[str, str]]:
    """The group's pulse settings as (name, value) pairs."""
    instrument = library.get(settings.instrument_id)
    name = f"{settings.instrument_id}" + (f" ({instrument.title})" if instrument else "")
    plan = settings.schedule
    schedule = "Off"
    if plan is not None:
        day = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
        schedule = (
            f"Every {plan.every_weeks} weeks on {day[plan.weekday]} at "
            f"{plan.local_time:%H:%M} ({plan.timezone}), open {plan.days_open} days"
        )
        if settings.next_open_at is not None:
            schedule += f"; next {discord_time(settings.next_open_at)}"
    support = plain(settings.support_text) if settings.support_text else "None"
    if settings.support_text and settings.support_replaces:
        support += " (replaces the default crisis lines)"
    return [
        ("Schedule", schedule),
        (
            "Anonymity threshold k",
            f"{settings.k}: results only when at least {settings.k} answered",
        ),
        ("Results in the channel", "Yes" if settings.post_results else "No"),
        ("Support text", support[:1000]),
        ("Instrument", name),
        ("Keep raw answers", "Yes, unlinked" if settings.keep_raw_answers else "No"),
        ("Reminder DM", "One, to opted-in members" if settings.reminders else "Off"),
    ]


def export_csv(points: Sequence[PublishedPoint], library: InstrumentLibrary) -> str:
    """Published aggregates only, one row per published point."""
    keys: list[str] = []
    for point in points:
        keys += [key for key in point.shares if key not in keys]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        [
            "rounds",
            "pooled",
            "n",
            "index_median",
            "index_q1",
            "index_q3",
            *(f"{key}_top_two_percent" for key in keys),
            "instrument",
            "note",
        ]
    )
    for point in points:
        instrument = library.get(point.instrument_id)
        writer.writerow(
            [
                " + ".join(day.isoformat() for day in point.period_starts),
                "yes" if point.pooled else "no",
                point.n,
                f"{point.index_median:g}",
                f"{point.index_q1:g}",
                f"{point.index_q3:g}",
                *(point.shares.get(key, "") for key in keys),
                f"{point.instrument_id} {point.instrument_version}"
                + (f" ({instrument.title})" if instrument else ""),
                DISCLAIMER,
            ]
        )
    return out.getvalue()


# The chart's bars are labelled by the driver, not by the question (which would not fit).
DRIVER_LABELS = {
    "caseload": "Caseload",
    "admin": "Admin burden",
    "support": "Support",
    "autonomy": "Autonomy",
}


def driver_label(item: Item) -> str:
    """A driver's short name on the chart: the default four by name, others by the item."""
    return DRIVER_LABELS.get(item.driver or "", item.short)


def trend(
    published: Sequence[PublishedPoint], closed: Sequence[Survey], library: InstrumentLibrary
) -> PulseTrend | None:
    """The chart's points: each published point on its latest round, every round that is
    carried or dropped as a gap (its date only); None when nothing is published."""
    if not published:
        return None
    in_points = {day for point in published for day in point.period_starts}
    points: list[ChartPoint | SuppressedPoint] = [
        ChartPoint(
            label=dates_label(point.period_starts),
            on=max(point.period_starts),
            n=point.n,
            index_median=point.index_median,
            index_q1=point.index_q1,
            index_q3=point.index_q3,
            sts_share=_sts_share(point, library.get(point.instrument_id)),
            pooled=point.pooled,
        )
        for point in published
    ]
    points += [
        SuppressedPoint(survey.period_start)
        for survey in closed
        if survey.outcome in {"carried", "dropped"} and survey.period_start not in in_points
    ]
    points.sort(key=lambda p: p.on)
    latest = published[-1]
    instrument = library.get(latest.instrument_id)
    drivers = (
        tuple(
            Driver(driver_label(item), latest.shares[item.key] / 100, item.reversed)
            for item in instrument.drivers
            if item.key in latest.shares
        )
        if instrument is not None
        else ()
    )
    return PulseTrend(tuple(points), drivers)


def _sts_share(point: PublishedPoint, instrument: Instrument | None) -> float | None:
    if instrument is None:
        return None
    for item in instrument.of_role("sts"):
        if item.key in point.shares:
            return point.shares[item.key] / 100
    return None

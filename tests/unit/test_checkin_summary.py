"""The check-in summary: counts, suppression, who is named, which notes show, Discord limits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from statistics import median

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.checkins.answers import BOUNDARIES, CASELOADS, VISIBILITIES, Answer
from bot.checkins.render import (
    CONTENT_LIMIT,
    EMBED_TOTAL_LIMIT,
    Page,
    RenderedSummary,
    invitation_text,
    reminder_text,
    render_moderator_notes,
    render_summary,
    round_open_page,
)
from bot.checkins.store import Round
from bot.checkins.summary import RoundCounts, median_of_counts, moderator_notes, summarize

T0 = datetime(2026, 3, 2, 14, tzinfo=UTC)


def answer(
    user_id: int,
    energy: int = 3,
    caseload: str = "manageable",
    boundaries: str = "yes",
    *,
    consult: bool = False,
    share: bool = False,
    note: str | None = None,
    visibility: str | None = None,
) -> Answer:
    return Answer(
        round_id=1,
        user_id=user_id,
        energy=energy,
        caseload=caseload,  # type: ignore[arg-type]
        boundaries=boundaries,  # type: ignore[arg-type]
        wants_consult=consult,
        share_consult_name=consult and share,
        note=note,
        note_visibility=(visibility or "only_me") if note else None,  # type: ignore[arg-type]
        answered_at=T0 + timedelta(seconds=user_id % 100_000),
    )


def counts_of(answers: list[Answer]) -> RoundCounts:
    """What the close stores for `answers`."""
    e = [sum(a.energy == level for a in answers) for level in range(1, 6)]
    c = [sum(a.caseload == option for a in answers) for option in CASELOADS]
    b = [sum(a.boundaries == option for a in answers) for option in BOUNDARIES]
    return RoundCounts(
        len(answers), (e[0], e[1], e[2], e[3], e[4]), (c[0], c[1], c[2], c[3]), (b[0], b[1], b[2])
    )


def public_text(rendered: RenderedSummary) -> str:
    parts = [rendered.attachment_text or ""]
    for page in rendered.pages:
        parts += [page.title, page.description, page.footer or ""]
        parts += [f"{f.name} {f.value}" for f in page.fields]
    return "\n".join(parts)


def test_a_typical_week() -> None:
    answers = [
        answer(
            1, 2, "heavy", "no", consult=True, share=True, note="Rough week", visibility="group"
        ),
        answer(2, 4, "manageable", "yes", consult=True, share=False),
        answer(3, 3, "overwhelming", "mostly", note="for mods", visibility="moderators"),
        answer(4, 5, "light", "yes", note="just me", visibility="only_me"),
    ]
    last_week = [answer(10 + i, 2, "heavy") for i in range(3)]
    summary = summarize("2026-W10", answers, counts_of(last_week))
    spread = summary.distributions
    assert spread is not None
    assert summary.responses == 4
    assert spread.energy == {1: 0, 2: 1, 3: 1, 4: 1, 5: 1}
    assert spread.energy_median == 3.5
    assert spread.caseload == {"light": 1, "manageable": 1, "heavy": 1, "overwhelming": 1}
    assert spread.boundaries == {"yes": 2, "mostly": 1, "no": 1}
    assert spread.wants_consult == 2
    assert summary.consult_names == (1,)
    assert summary.shared_notes == ("Rough week",)
    assert summary.previous is not None
    assert summary.previous.energy_median == 2
    assert moderator_notes(answers)[0].text == "for mods"

    text = public_text(render_summary(summary))
    assert "**4 responses.**" in text
    assert "2 would like a peer consultation. Sharing their name: <@1>." in text
    assert "Rough week" in text
    assert "for mods" not in text
    assert "just me" not in text
    assert "Median energy 2 → 3.5" in text
    assert "<@2>" not in text


def test_fewer_than_three_responses_show_only_the_count() -> None:
    answers = [answer(1, 1, "overwhelming", consult=True), answer(2, 5, "light")]
    summary = summarize("2026-W10", answers, counts_of([answer(9) for _ in range(5)]))
    assert summary.suppressed
    assert summary.previous is None
    text = public_text(render_summary(summary))
    assert "**2 responses.**" in text
    assert "Fewer than 3 people answered" in text
    for hidden in ("Energy", "Caseload", "Boundaries", "peer consultation", "Overwhelming"):
        assert hidden not in text


def test_a_group_note_is_held_back_when_fewer_than_three_answered() -> None:
    lone = answer(4, consult=True, share=True, note="GROUP-NOTE rough week", visibility="group")
    summary = summarize("2026-W10", [lone])
    assert summary.shared_notes == ()
    assert summary.held_back_notes == 1
    rendered = render_summary(summary)
    text = public_text(rendered)
    assert "GROUP-NOTE" not in text
    assert "Notes written for the group are held back" in text
    assert "Would like a peer consultation: <@4>." in text  # a name shared by choice
    assert len(rendered.pages) == 1
    quiet = public_text(render_summary(summarize("2026-W10", [answer(4)])))
    assert "held back" not in quiet


def test_last_weeks_figures_are_the_stored_counts() -> None:
    stored = RoundCounts(4, (1, 1, 0, 1, 1), (0, 1, 2, 1), (1, 2, 1))
    summary = summarize("2026-W10", [answer(i) for i in range(3)], stored)
    assert summary.previous is not None
    assert (summary.previous.responses, summary.previous.energy_median) == (4, 3)
    assert summary.previous.heavy_or_overwhelming == 3
    assert summary.previous.boundaries_kept == 3
    text = public_text(render_summary(summary))
    assert "heavy or overwhelming caseload 3 of 4 → 0 of 3" in text


@given(st.dictionaries(st.integers(1, 5), st.integers(0, 40)))
def test_median_of_counts_is_the_median_of_the_answers(counts: dict[int, int]) -> None:
    values = [value for value, count in counts.items() for _ in range(count)]
    expected = float(median(values)) if values else 0.0
    assert median_of_counts(counts) == expected


def test_no_comparison_when_last_week_had_fewer_than_three() -> None:
    summary = summarize("2026-W10", [answer(i) for i in range(5)], counts_of([answer(9)]))
    assert summary.previous is None
    assert "Compared with last week" not in public_text(render_summary(summary))


def test_thirty_members_with_long_notes_fit_discord() -> None:
    long_note = ("A long reflection about a hard week @everyone <@&123> " * 40)[:1000]
    answers = [
        answer(
            i,
            1 + i % 5,
            CASELOADS[i % 4],
            consult=True,
            share=True,
            note=long_note,
            visibility="group",
        )
        for i in range(30)
    ]
    rendered = render_summary(summarize("2026-W10", answers))
    assert rendered.attachment_text is not None
    assert rendered.attachment_name == "checkin-notes-2026-W10.txt"
    assert rendered.attachment_text.count("A long reflection") >= 30
    assert len(rendered.pages) == 1
    assert all(page.limit_problems() == [] for page in rendered.pages)
    assert "@everyone" not in public_text(rendered).replace(rendered.attachment_text, "")

    few = render_summary(summarize("2026-W10", answers[:5]))
    assert few.attachment_text is None
    assert len(few.pages) == 3  # the summary and two pages of notes
    assert all(page.limit_problems() == [] for page in few.pages)


def test_moderator_notes_render_with_names() -> None:
    notes = moderator_notes([answer(7, note="please call me", visibility="moderators")])
    rendered = render_moderator_notes(notes, "2026-W10")
    assert "<@7>" in rendered.pages[0].description
    assert "please call me" in rendered.pages[0].description
    assert render_moderator_notes([], "2026-W10").pages[0].description == "No notes this week."


def test_round_posts_and_dms_fit() -> None:
    checkin = Round(
        1,
        1,
        "2026-W10",
        5,
        T0,
        T0 + timedelta(days=2),
        T0 + timedelta(days=1),
        "open",
        False,
        None,
        None,
        None,
        None,
    )
    page = round_open_page(checkin, responses=4)
    assert page.limit_problems() == []
    assert "4 responses so far" in page.description
    assert f"<t:{int(checkin.closes_at.timestamp())}:F>" in page.description
    assert len(invitation_text(checkin)) <= CONTENT_LIMIT
    assert "only reminder" in reminder_text(checkin)


def test_limit_problems_notices_each_limit() -> None:
    assert Page("t", "x" * 4097).limit_problems() == ["description"]
    assert "total" in Page("t", "x" * 4000, footer="y" * 2048).limit_problems()


# --- properties --------------------------------------------------------------------------


@st.composite
def answers(draw: st.DrawFn) -> list[Answer]:
    """Up to 30 answers; every note carries a marker unique to its author."""
    user_ids = draw(st.lists(st.integers(1, 10**18), max_size=30, unique=True))
    drawn = []
    for user_id in user_ids:
        body = draw(st.one_of(st.none(), st.text(max_size=980)))
        drawn.append(
            answer(
                user_id,
                draw(st.integers(1, 5)),
                draw(st.sampled_from(CASELOADS)),
                draw(st.sampled_from(BOUNDARIES)),
                consult=draw(st.booleans()),
                share=draw(st.booleans()),
                note=None if body is None else f"{body} ~note{user_id}~",
                visibility=draw(st.sampled_from(VISIBILITIES)),
            )
        )
    return drawn


ANSWERS = answers()


@given(ANSWERS, st.one_of(st.none(), ANSWERS))
@settings(max_examples=200, deadline=None)
def test_summary_properties(answers: list[Answer], previous: list[Answer] | None) -> None:
    summary = summarize("2026-W10", answers, counts_of(previous) if previous is not None else None)
    n = len(answers)
    assert summary.responses == n
    if n < 3:
        assert summary.distributions is None
        assert summary.previous is None
    else:
        spread = summary.distributions
        assert spread is not None
        assert sum(spread.energy.values()) == n
        assert sum(spread.caseload.values()) == n
        assert sum(spread.boundaries.values()) == n
        assert (
            min(a.energy for a in answers) <= spread.energy_median <= max(a.energy for a in answers)
        )
        assert spread.wants_consult == sum(a.wants_consult for a in answers)
        assert (summary.previous is not None) == (previous is not None and len(previous) >= 3)
    sharing = {a.user_id for a in answers if a.wants_consult and a.share_consult_name}
    assert set(summary.consult_names) == sharing
    group_notes = [a.note for a in answers if a.note and a.note_visibility == "group"]
    if n < 3:  # a note "without your name" is attributable when one or two answered
        assert summary.shared_notes == ()
        assert summary.held_back_notes == len(group_notes)
    else:
        assert sorted(summary.shared_notes) == sorted(group_notes)
        assert summary.held_back_notes == 0
    if previous is not None and len(previous) >= 3 and n >= 3:
        assert summary.previous == summarize("x", previous).this_week

    rendered = render_summary(summary)
    for page in rendered.pages:
        assert page.limit_problems() == []
        assert page.total_chars() <= EMBED_TOTAL_LIMIT
    assert len(rendered.pages) <= 3
    text = public_text(rendered)
    for a in answers:
        if a.note and (a.note_visibility != "group" or n < 3):
            assert f"~note{a.user_id}~" not in text
        if a.wants_consult and not a.share_consult_name:
            assert f"<@{a.user_id}>" not in text

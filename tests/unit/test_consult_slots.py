"""Slot choice (most works, then if need be, then earliest; ties) and the presenter rotation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.consult.rotation import QueueEntry, answer_deadline, presenter_order
from bot.consult.slots import Choice, SlotTally, choose, tally

T0 = datetime(2026, 3, 5, 12, 0, tzinfo=UTC)


def slot(slot_id: int, hours: int, works: int, maybe: int) -> SlotTally:
    return SlotTally(slot_id, T0 + timedelta(hours=hours), works, maybe)


def test_most_works_wins_over_if_need_be_and_earliness() -> None:
    tallies = [slot(1, 0, 2, 5), slot(2, 24, 3, 0), slot(3, 48, 3, 1)]
    assert choose(tallies, automatic=False) == Choice("chosen", tallies[2], (tallies[2],))


def test_equal_works_and_if_need_be_is_a_tie_for_the_organiser_earliest_first() -> None:
    tallies = [slot(1, 48, 3, 1), slot(2, 0, 3, 1), slot(3, 24, 1, 1)]
    got = choose(tallies, automatic=False)
    assert got.outcome == "tie"
    assert got.slot is None
    assert [t.slot_id for t in got.tied] == [2, 1]


def test_at_the_deadline_the_earliest_tied_slot_wins() -> None:
    tallies = [slot(1, 48, 3, 1), slot(2, 0, 3, 1)]
    got = choose(tallies, automatic=True)
    assert got.outcome == "chosen"
    assert got.slot == tallies[1]


def test_nobody_marked_anything_chooses_nothing() -> None:
    assert choose([slot(1, 0, 0, 0), slot(2, 1, 0, 0)], automatic=True).outcome == "nobody"


def test_tally_counts_marks_per_slot() -> None:
    got = tally(
        [(1, T0), (2, T0 + timedelta(hours=1))],
        [(1, "works"), (1, "if_need_be"), (2, "works"), (1, "works")],
    )
    assert [(t.slot_id, t.works, t.if_need_be) for t in got] == [(1, 2, 1), (2, 1, 0)]


@settings(max_examples=200)
@given(
    st.lists(st.tuples(st.integers(0, 5), st.integers(0, 5)), min_size=1, max_size=10),
    st.booleans(),
)
def test_the_choice_is_never_beaten(counts: list[tuple[int, int]], automatic: bool) -> None:
    tallies = [slot(i, i, works, maybe) for i, (works, maybe) in enumerate(counts)]
    got = choose(tallies, automatic=automatic)
    best = max(t.rank for t in tallies)
    if best == (0, 0):
        assert got.outcome == "nobody"
        return
    assert all(t.rank == best for t in got.tied)
    assert len(got.tied) == sum(t.rank == best for t in tallies)
    if got.outcome == "chosen":
        assert got.slot is not None
        assert got.slot.rank == best
        assert got.slot.start == min(t.start for t in got.tied)
    else:
        assert not automatic
        assert len(got.tied) >= 2


# --- presenter rotation ---


def entry(user: int, joined: int, presented: int | None = None) -> QueueEntry:
    last = None if presented is None else T0 + timedelta(days=presented)
    return QueueEntry(user, T0 + timedelta(minutes=joined), last)


def test_never_presented_goes_first_then_least_recent_then_join_order() -> None:
    queue = [entry(1, 0, presented=10), entry(2, 1), entry(3, 2, presented=5), entry(4, 3)]
    assert presenter_order(queue, {1, 2, 3, 4}) == [2, 4, 3, 1]


def test_only_available_members_who_did_not_pass_are_asked() -> None:
    queue = [entry(1, 0), entry(2, 1), entry(3, 2), entry(4, 3)]
    assert presenter_order(queue, {1, 3, 4}, skip={1}) == [3, 4]
    assert presenter_order(queue, set()) == []


def test_answer_deadline_24h_or_24h_before_the_session() -> None:
    asked = T0
    assert answer_deadline(asked, asked + timedelta(days=7)) == asked + timedelta(hours=24)
    assert answer_deadline(asked, asked + timedelta(hours=36)) == asked + timedelta(hours=12)
    # A near session still gives two hours, never past its start.
    assert answer_deadline(asked, asked + timedelta(hours=10)) == asked + timedelta(hours=2)
    assert answer_deadline(asked, asked + timedelta(hours=1)) == asked + timedelta(hours=1)


@settings(max_examples=100)
@given(
    size=st.integers(min_value=2, max_value=12),
    presented_before=st.lists(st.none() | st.integers(-400, -1), min_size=12, max_size=12),
)
def test_52_sessions_with_equal_availability_share_presenting_within_one_of_the_mean(
    size: int, presented_before: list[int | None]
) -> None:
    queue = {user: entry(user, user, presented_before[user]) for user in range(size)}
    counts = dict.fromkeys(queue, 0)
    for week in range(52):
        session = T0 + timedelta(weeks=week)
        presenter = presenter_order(list(queue.values()), set(queue))[0]
        counts[presenter] += 1
        queue[presenter] = QueueEntry(presenter, queue[presenter].joined_at, session)
    mean = 52 / size
    assert all(abs(count - mean) <= 1 for count in counts.values()), counts


@settings(max_examples=100)
@given(
    size=st.integers(min_value=3, max_value=10),
    data=st.data(),
)
def test_a_pass_moves_to_the_next_and_the_passer_stays_first_next_time(
    size: int, data: st.DataObject
) -> None:
    queue = [entry(user, user) for user in range(size)]
    passer = data.draw(st.integers(0, size - 1))
    order = presenter_order(queue, set(range(size)))
    assert order[0] == 0
    after_pass = presenter_order(queue, set(range(size)), skip={passer})
    assert passer not in after_pass
    assert after_pass == [user for user in order if user != passer]

"""The sandbox's progress bar follows the virtual clock; its lines stay plain on a pipe."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

from bot.sandbox.calendar_files import safe_stem
from bot.sandbox.progress_bar import StoryBar, WatchedClock, story_date

START = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)


def test_the_label_is_the_story_week_and_the_virtual_day() -> None:
    assert story_date(START, START, 6) == "week 1 · Mon 2 Mar"
    assert story_date(START, START + timedelta(days=15), 6) == "week 3 · Tue 17 Mar"
    # Past the last week (the story's closing steps), the label stays in it.
    assert story_date(START, START + timedelta(weeks=7), 6) == "week 6 · Mon 20 Apr"


def test_the_bar_moves_with_the_virtual_clock_and_stops_at_the_last_day() -> None:
    screen, out = io.StringIO(), io.StringIO()
    clock = WatchedClock(START)
    with StoryBar(START, 6, file=screen, out=out, disable=False, mininterval=0) as bar:
        clock.listen(bar.moved)
        clock.advance(timedelta(hours=36))
        assert bar.days == 1.5
        clock.set(START + timedelta(days=10))
        assert bar.days == 10
        bar.write("sandbox: a line")
        clock.advance(timedelta(weeks=8))
        assert bar.days == 42
    assert out.getvalue() == "sandbox: a line\n"
    assert "week 2 · Thu 12 Mar" in screen.getvalue()


def test_off_a_terminal_the_bar_writes_nothing() -> None:
    screen, out = io.StringIO(), io.StringIO()  # not a terminal
    clock = WatchedClock(START)
    with StoryBar(START, 6, file=screen, out=out) as bar:
        clock.listen(bar.moved)
        clock.advance(timedelta(days=3))
        bar.write("sandbox: a line")
    assert screen.getvalue() == ""
    assert out.getvalue() == "sandbox: a line\n"


def test_calendar_file_names_lose_folders_and_odd_characters() -> None:
    assert safe_stem("consultation.ics") == "consultation"
    assert safe_stem("../../etc/passwd.ics") == "passwd"
    assert safe_stem("..\\..\\x.ICS") == "x"
    assert safe_stem("my session (1).ics") == "my-session-1"
    assert safe_stem("...ics") == "consultation"

"""`peerpulse sandbox --members/--weeks/--seed`: bounds, plain refusals, nothing written."""

from __future__ import annotations

import argparse

import pytest

from bot.cli import build_parser
from bot.sandbox import story_options
from bot.sandbox.story_options import StoryOptions


def parse(*args: str) -> argparse.Namespace:
    return build_parser().parse_args(["sandbox", *args])


def test_defaults_are_eight_members_six_weeks_seed_one() -> None:
    args = parse()
    assert (args.members, args.weeks, args.seed) == (8, 6, 1)
    assert StoryOptions() == StoryOptions(members=8, weeks=6, seed=1)


@pytest.mark.parametrize(
    ("option", "low", "high"),
    [
        ("--members", story_options.MIN_MEMBERS, story_options.MAX_MEMBERS),
        ("--weeks", story_options.MIN_WEEKS, story_options.MAX_WEEKS),
    ],
)
def test_the_command_line_accepts_exactly_what_the_story_can_tell(
    option: str, low: int, high: int
) -> None:
    assert getattr(parse(option, str(low)), option[2:]) == low
    assert getattr(parse(option, str(high)), option[2:]) == high
    for outside in (low - 1, high + 1):
        with pytest.raises(SystemExit):
            parse(option, str(outside))


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("--members", "3"), "'3' is not a number of members from 7 to 30; write e.g. 7"),
        (("--members", "eight"), "'eight' is not a number of members from 7 to 30"),
        (("--weeks", "52"), "'52' is not a number of weeks from 6 to 26"),
        (("--weeks", "-6"), "is not a number of weeks from 6 to 26"),
        (("--seed", "1.5"), "'1.5' is not a seed (a whole number) from 0 to 4294967295"),
    ],
)
def test_a_bad_value_is_refused_with_a_sentence_saying_what_to_write(
    args: tuple[str, ...], says: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stopped:
        parse(*args)
    assert stopped.value.code == 2
    assert says in capsys.readouterr().err


@pytest.mark.parametrize("wrong", [{"members": 6}, {"members": 31}, {"weeks": 5}, {"weeks": 27}])
def test_story_options_refuse_what_the_story_cannot_tell(wrong: dict[str, int]) -> None:
    with pytest.raises(ValueError, match="must be"):
        StoryOptions(**wrong)

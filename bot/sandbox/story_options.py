"""How big and how long `peerpulse sandbox`'s simulated group is, and its random seed."""

from __future__ import annotations

from dataclasses import dataclass

# The story's scripted characters (Ana, Ben, Chen, Dev, Eve), one who joins late and one who
# leaves: fewer members could not tell it.
MIN_MEMBERS, MAX_MEMBERS = 7, 30
# The scripted chapters span six weeks; later weeks are the group's routine.
MIN_WEEKS, MAX_WEEKS = 6, 26


@dataclass(frozen=True)
class StoryOptions:
    """The simulated group's size, the weeks it runs and the seed of its members' choices."""

    members: int = 8
    weeks: int = 6
    seed: int = 1

    def __post_init__(self) -> None:
        if not MIN_MEMBERS <= self.members <= MAX_MEMBERS:
            raise ValueError(f"members must be {MIN_MEMBERS}-{MAX_MEMBERS}, not {self.members}")
        if not MIN_WEEKS <= self.weeks <= MAX_WEEKS:
            raise ValueError(f"weeks must be {MIN_WEEKS}-{MAX_WEEKS}, not {self.weeks}")

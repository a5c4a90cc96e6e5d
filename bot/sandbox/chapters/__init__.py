"""The sandbox story, one chapter per capability, played in order by `peerpulse sandbox`."""

from bot.sandbox.chapters.boundaries import boundaries
from bot.sandbox.chapters.checkins import checkins
from bot.sandbox.chapters.consultations import consultations
from bot.sandbox.chapters.group import joining, leaving, others_settle_in, routine
from bot.sandbox.chapters.pulse import pulse
from bot.sandbox.chapters.setting_up import setting_up
from bot.sandbox.story import Chapter

CHAPTERS: tuple[Chapter, ...] = (
    setting_up,
    boundaries,
    others_settle_in,
    checkins,
    joining,
    consultations,
    leaving,
    pulse,
    routine,
)

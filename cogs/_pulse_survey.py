"""Taking the pulse: the persistent "Take the pulse" button, then two short ephemeral steps.

1. "Take the pulse" (channel post or DM) answers, once, with what the member must know
   first (one submission; answers can't be changed or deleted because nothing links them
   to you; who sees what) and a Start button.
2. Start opens step one: a modal of the first questions as labelled radio groups. Its
   answers are held in memory only (`Drafts`), at most 15 minutes, under a token in the
   Continue button's custom_id.
3. Continue opens step two; its submit stores everything at once (the domain refuses a
   second submission) and answers with the member's private note.

Submits are handled from their raw values (`on_pulse_submit`), the same way before and
after a restart: the modal's custom_id says which step and which survey or draft.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Final

import discord

from bot.app import interaction_errors, replies
from bot.errors import UserError
from bot.ids import ID_DIGITS, parse_id
from bot.pulse.instrument import Instrument, Item
from bot.pulse.store import Survey
from cogs._checkin_context import reporting
from cogs._checkin_form import submitted_values
from cogs._common import EMBED_COLOUR
from cogs._pulse_context import PulseContext, context_of, require_member
from cogs._pulse_text import INTRO, WHO_SEES, crisis_lines, own_note

log = logging.getLogger(__name__)

TAKE_LABEL: Final = "Take the pulse"
START_LABEL: Final = "Start"
CONTINUE_LABEL: Final = "Continue"
START_PREFIX: Final = "pulse:start:"
CONTINUE_PREFIX: Final = "pulse:continue:"
replies.opens_modal(START_PREFIX, CONTINUE_PREFIX)  # a modal must be the first answer
STEP_ONE = re.compile(rf"pulse:one:(?P<survey>{ID_DIGITS}):[0-9a-f]{{12}}")
STEP_TWO = re.compile(r"pulse:two:(?P<token>[0-9a-f]{32}):[0-9a-f]{12}")
MODAL_TIMEOUT: Final = 15 * 60.0
EXPIRED = (
    "Your first answers are no longer held (I keep them in memory for 15 minutes only), "
    "so nothing was stored. Start again with the Take the pulse button."
)
NOTE_TITLE: Final = "Your pulse, only for you"
INCOMPLETE = "Answer every question with one of its options, then send."


def steps_of(instrument: Instrument) -> tuple[tuple[Item, ...], tuple[Item, ...]]:
    """The questions of step one and step two (at most five each: a modal's limit)."""
    half = (len(instrument.items) + 1) // 2
    return instrument.items[:half], instrument.items[half:]


class TakeButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=rf"pulse:take:(?P<survey>{ID_DIGITS})",
):
    """On the channel post and the DMs: shows what to know first, then Start."""

    def __init__(self, survey_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label=TAKE_LABEL,
                style=discord.ButtonStyle.primary,
                custom_id=f"pulse:take:{survey_id}",
            )
        )
        self.survey_id = survey_id

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> TakeButton:
        """Rebuild the button from its custom_id."""
        return cls(int(match["survey"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Refuse a closed survey or a second answer; else the two sentences and Start."""
        async with reporting(interaction):
            context = context_of(interaction)
            survey, instrument = await _survey(context, interaction, self.survey_id)
            settings = await context.service.settings(survey.group_id)
            first, second = steps_of(instrument)
            steps = "two short steps" if second else "one short step"
            view = discord.ui.View(timeout=None)
            view.add_item(StartButton(survey.id))
            await replies.respond(
                interaction,
                f"{INTRO}\n{WHO_SEES.format(k=settings.k)}\n\n"
                f"{len(instrument.items)} questions about {instrument.recall_period}, in "
                f"{steps}; first {len(first)}.",
                view=view,
            )


class StartButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=rf"pulse:start:(?P<survey>{ID_DIGITS})",
):
    """Opens step one."""

    def __init__(self, survey_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label=START_LABEL,
                style=discord.ButtonStyle.primary,
                custom_id=f"{START_PREFIX}{survey_id}",
            )
        )
        self.survey_id = survey_id

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> StartButton:
        """Rebuild the button from its custom_id."""
        return cls(int(match["survey"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Show step one's questions."""
        async with reporting(interaction):
            context = context_of(interaction)
            survey, instrument = await _survey(context, interaction, self.survey_id)
            first, second = steps_of(instrument)
            custom_id = f"pulse:one:{survey.id}:{secrets.token_hex(6)}"
            await interaction.response.send_modal(
                _step_modal(custom_id, first, 1, 2 if second else 1)
            )


class ContinueButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"pulse:continue:(?P<token>[0-9a-f]{32})",
):
    """Opens step two; the token finds step one's answers (in memory, 15 minutes)."""

    def __init__(self, token: str) -> None:
        super().__init__(
            discord.ui.Button(
                label=CONTINUE_LABEL,
                style=discord.ButtonStyle.primary,
                custom_id=f"{CONTINUE_PREFIX}{token}",
            )
        )
        self.token = token

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> ContinueButton:
        """Rebuild the button from its custom_id."""
        return cls(match["token"])

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Show step two's questions while step one's answers are still held."""
        async with reporting(interaction):
            context = context_of(interaction)
            now = context.bot.clock.now()
            draft = context.drafts.peek(self.token, interaction.user.id, now)
            if draft is None:
                raise UserError(EXPIRED)
            _, instrument = await _survey(context, interaction, draft.survey_id)
            _, second = steps_of(instrument)
            custom_id = f"pulse:two:{self.token}:{secrets.token_hex(6)}"
            await interaction.response.send_modal(_step_modal(custom_id, second, 2, 2))


def _step_modal(custom_id: str, items: tuple[Item, ...], step: int, steps: int) -> discord.ui.Modal:
    """A modal of labelled radio groups, one per question (custom_id: the item's key)."""
    title = "Group pulse" if steps == 1 else f"Group pulse · step {step} of {steps}"
    modal = discord.ui.Modal(title=title, custom_id=custom_id, timeout=MODAL_TIMEOUT)
    for item in items:
        radio: discord.ui.RadioGroup[Any] = discord.ui.RadioGroup(
            custom_id=item.key,
            options=[
                discord.RadioGroupOption(label=label, value=str(score))
                for score, label in enumerate(item.scale.labels)
            ],
        )
        modal.add_item(
            discord.ui.Label(text=item.short, description=item.text[:100], component=radio)
        )
    return modal


async def _survey(
    context: PulseContext, interaction: discord.Interaction[Any], survey_id: int
) -> tuple[Survey, Instrument]:
    """The survey and its questions, if this member of its group may still answer it."""
    survey, instrument = await context.service.survey_for_member(
        survey_id, interaction.user.id, context.bot.clock.now()
    )
    await require_member(context.bot, interaction, survey.channel_id)
    return survey, instrument


def _values(interaction: discord.Interaction[Any], items: tuple[Item, ...]) -> tuple[int, ...]:
    """The chosen scores of `items` from a raw submit; UserError if one is missing or odd."""
    raw = submitted_values(dict(interaction.data or {}))
    values: list[int] = []
    for item in items:
        text = raw.get(item.key)
        if text is None or not text.isdigit() or not 0 <= int(text) <= item.scale.top:
            raise UserError(INCOMPLETE)
        values.append(int(text))
    return tuple(values)


def pulse_step(interaction: discord.Interaction[Any]) -> re.Match[str] | None:
    """The step a modal submit belongs to, if it is a pulse step."""
    if interaction.type is not discord.InteractionType.modal_submit:
        return None
    custom_id = str(dict(interaction.data or {}).get("custom_id", ""))
    return STEP_ONE.fullmatch(custom_id) or STEP_TWO.fullmatch(custom_id)


@asynccontextmanager
async def _reporting_anonymously(interaction: discord.Interaction[Any]) -> AsyncIterator[None]:
    """The one error path, except that a step answered too late is logged without its
    member: their answers may already be stored, and no log line may name who submitted."""
    try:
        yield
    except Exception as error:  # noqa: BLE001 - report() logs unexpected ones with an incident id
        if interaction_errors.expired(error):
            replies.abandon(interaction)
            log.warning("a pulse step expired before it was answered")
            return
        await interaction_errors.report(interaction, error)


async def on_pulse_submit(interaction: discord.Interaction[Any], step: re.Match[str]) -> None:
    """Hold step one's answers and offer Continue, or store everything and show the note."""
    async with _reporting_anonymously(interaction):
        context = context_of(interaction)
        now = context.bot.clock.now()
        # Both steps are opened from the ephemeral message before them: replace it.
        message = interaction.message
        edit = message is not None and message.flags.ephemeral
        if step.re is STEP_ONE:
            survey_id = parse_id(step["survey"])
            if survey_id is None:
                raise UserError("That pulse no longer exists. Use the latest pulse post.")
            survey, instrument = await _survey(context, interaction, survey_id)
            first, second = steps_of(instrument)
            values = _values(interaction, first)
            if second:
                token = context.drafts.hold(survey.id, interaction.user.id, values, now)
                view = discord.ui.View(timeout=None)
                view.add_item(ContinueButton(token))
                await replies.respond(
                    interaction,
                    f"Step 1 of 2 done. These answers are held in memory only, for 15 "
                    f"minutes, and nothing is stored until you send step 2 "
                    f"({len(second)} questions).",
                    view=view,
                    edit=edit,
                )
                return
            await _store(context, interaction, survey, values, edit=edit)
            return
        draft = context.drafts.take(step["token"], interaction.user.id, now)
        if draft is None:
            raise UserError(EXPIRED)
        survey, instrument = await _survey(context, interaction, draft.survey_id)
        _, second = steps_of(instrument)
        await _store(
            context, interaction, survey, draft.values + _values(interaction, second), edit=edit
        )


async def _store(
    context: PulseContext,
    interaction: discord.Interaction[Any],
    survey: Survey,
    values: tuple[int, ...],
    *,
    edit: bool,
) -> None:
    """Store the answers (unlinked) and show the member's own note, once."""
    submitted = await context.service.submit(
        survey.id, interaction.user.id, values, context.bot.clock.now()
    )
    settings = await context.service.settings(survey.group_id)
    note = own_note(submitted.own, settings.support_text, crisis_lines(settings, context.crisis))
    embed = discord.Embed(title=NOTE_TITLE, description=note[:4000], colour=EMBED_COLOUR)
    await replies.respond(interaction, None, embed=embed, view=None, edit=edit)


def take_view(survey_id: int) -> discord.ui.View:
    """The button of the invitation post and DMs."""
    view = discord.ui.View(timeout=None)
    view.add_item(TakeButton(survey_id))
    return view


DYNAMIC_ITEMS = (TakeButton, StartButton, ContinueButton)

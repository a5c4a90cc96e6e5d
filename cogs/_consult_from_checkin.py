"""The check-in summary's "Propose a consultation" button: /consult propose, prefilled.

The summary gets the button when someone asked for a peer consultation. Whoever presses
it gets the proposal form with the title "Peer consultation", and the echo names (as
plain names, never a ping) only those who chose to share their name in the check-in.
"""

from __future__ import annotations

import re
import secrets
from typing import Any, Final

import discord

from bot.app import interaction_errors, replies
from bot.checkins.store import Round
from bot.checkins.summary import CheckinSummary
from bot.errors import UserError
from bot.ids import ID_DIGITS, parse_id
from cogs._checkin_context import context_of as checkin_context_of
from cogs._checkin_context import reporting
from cogs._checkin_form import submitted_values
from cogs._consult_context import ConsultContext, context_of
from cogs._consult_propose import propose

LABEL: Final = "Propose a consultation"
PREFIX: Final = "consult:summary:"
replies.opens_modal(PREFIX)  # a modal must be the first answer: never deferred
DEFAULT_TITLE: Final = "Peer consultation"
FORM_TIMEOUT: Final = 30 * 60.0
FORM_ID: Final = re.compile(rf"consult:proposal:(?P<round>{ID_DIGITS}):[0-9a-f]+")
DURATIONS: Final = (30, 45, 60, 90, 120)
PRESENTER_CHOICES: Final = {"no": "No case presenter needed", "yes": "A case presenter is needed"}


def wants_consultation(summary: CheckinSummary) -> bool:
    """Whether anyone asked for a peer consultation in the round."""
    asked = summary.distributions.wants_consult if summary.distributions else 0
    return asked > 0 or bool(summary.consult_names)


def summary_view(checkin: Round, summary: CheckinSummary) -> discord.ui.View | None:
    """The summary's button, when someone asked for a consultation."""
    if not wants_consultation(summary):
        return None
    view = discord.ui.View(timeout=None)
    view.add_item(FromSummaryButton(checkin.id))
    return view


async def _shared_names(
    context: ConsultContext, interaction: discord.Interaction[Any], round_id: int
) -> tuple[Round, list[str]]:
    """The round, and the display names of those who asked and shared their name."""
    service = checkin_context_of(interaction).service
    checkin = await service.get_round(round_id) if round_id else None
    if checkin is None:
        raise UserError("That check-in no longer exists.")
    group = await context.group_by_id(checkin.group_id)
    if interaction.guild_id != group.guild_id:
        raise UserError("This check-in belongs to another group.")
    summary = await service.summary(checkin)
    names = await context.names(group.guild_id, summary.consult_names)
    return checkin, [names[user_id] for user_id in summary.consult_names]


class FromSummaryButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=rf"consult:summary:(?P<round>{ID_DIGITS})",
):
    """Opens the proposal form, prefilled, for whoever presses it."""

    def __init__(self, round_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label=LABEL,
                style=discord.ButtonStyle.primary,
                custom_id=f"{PREFIX}{round_id}",
            )
        )
        self.round_id = round_id

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> FromSummaryButton:
        """Rebuild the button from its custom_id (0 names nothing)."""
        return cls(parse_id(match["round"]) or 0)

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Show the proposal form."""
        async with reporting(interaction):
            context = context_of(interaction)
            checkin, names = await _shared_names(context, interaction, self.round_id)
            await interaction.response.send_modal(ProposalForm(context, checkin.id, names))


class ProposalForm(discord.ui.Modal):
    """/consult propose as a form: title (prefilled), times, duration, place, presenter."""

    def __init__(self, context: ConsultContext, round_id: int, names: list[str]) -> None:
        custom_id = f"consult:proposal:{round_id}:{secrets.token_hex(6)}"
        super().__init__(title="Propose a consultation", custom_id=custom_id, timeout=FORM_TIMEOUT)
        context.live_forms.add(custom_id)
        self.context = context
        self.round_id = round_id
        asked = (
            f"Shared their name: {', '.join(n.replace(chr(92), '') for n in names)}"
            if names
            else "Nobody shared their name."
        )
        self.add_item(
            discord.ui.Label(
                text="Title",
                description=asked[:100],
                component=discord.ui.TextInput(
                    custom_id="title", default=DEFAULT_TITLE, max_length=100
                ),
            )
        )
        self.add_item(
            discord.ui.Label(
                text="Candidate times (2-10, in your time zone)",
                description="Separated by commas, e.g. thu 12:00, fri 18:30, 2026-12-03 12:00",
                component=discord.ui.TextInput(custom_id="times", max_length=600),
            )
        )
        self.add_item(
            discord.ui.Label(
                text="Duration",
                component=discord.ui.RadioGroup(
                    custom_id="duration",
                    options=[
                        discord.RadioGroupOption(
                            label=f"{minutes} minutes", value=str(minutes), default=minutes == 60
                        )
                        for minutes in DURATIONS
                    ],
                ),
            )
        )
        self.add_item(
            discord.ui.Label(
                text="Place",
                description="A room or a video link; empty: the group's voice channel",
                component=discord.ui.TextInput(custom_id="place", required=False, max_length=100),
            )
        )
        self.add_item(
            discord.ui.Label(
                text="Case presenter",
                component=discord.ui.RadioGroup(
                    custom_id="presenter",
                    options=[
                        discord.RadioGroupOption(label=label, value=value, default=value == "no")
                        for value, label in PRESENTER_CHOICES.items()
                    ],
                ),
            )
        )

    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        """Echo the proposal with Confirm and Cancel, as /consult propose does."""
        self.context.live_forms.handling(interaction.id)
        try:
            await propose_from_form(
                self.context,
                interaction,
                self.round_id,
                submitted_values(dict(interaction.data or {})),
            )
        finally:
            self.context.live_forms.discard(self.custom_id)

    async def on_timeout(self) -> None:
        """From now on a late submit is read from its raw components."""
        self.context.live_forms.discard(self.custom_id)

    async def on_error(  # type: ignore[override]  # a Modal's on_error has no item
        self, interaction: discord.Interaction[Any], error: Exception, /
    ) -> None:
        """The one error path: a short ephemeral sentence."""
        await interaction_errors.report(interaction, error)


def _duration(chosen: str | None) -> int:
    found = next((m for m in DURATIONS if str(m) == chosen), None)
    if found is None:
        raise UserError("Choose one of the durations in the form.")
    return found


async def propose_from_form(
    context: ConsultContext,
    interaction: discord.Interaction[Any],
    round_id: int,
    values: dict[str, str | None],
) -> None:
    """Check the form's values and echo the proposal, naming those who shared their name."""
    _, names = await _shared_names(context, interaction, round_id)
    group = await context.group(interaction)
    presenter = values.get("presenter")
    if presenter not in PRESENTER_CHOICES:
        raise UserError("Choose whether a case presenter is needed.")
    note = (
        f"From the check-in: asked for a consultation and shared their name: {', '.join(names)}."
        if names
        else None
    )
    await propose(
        context,
        interaction,
        group,
        title=values.get("title") or DEFAULT_TITLE,
        candidate_times=values.get("times") or "",
        duration=_duration(values.get("duration")),
        deadline=None,
        presenter=presenter == "yes",
        place=values.get("place"),
        voice_channel_id=None,
        note=note,
    )


def orphaned_proposal(
    context: ConsultContext, interaction: discord.Interaction[Any]
) -> re.Match[str] | None:
    """A submitted proposal form this bot no longer holds (after a restart or timeout)."""
    if interaction.type is not discord.InteractionType.modal_submit:
        return None
    data: dict[str, Any] = dict(interaction.data or {})
    custom_id = str(data.get("custom_id", ""))
    match = FORM_ID.fullmatch(custom_id)
    live = custom_id in context.live_forms or context.live_forms.handled(interaction.id)
    return match if match and not live else None


async def save_orphaned_proposal(
    context: ConsultContext, interaction: discord.Interaction[Any], match: re.Match[str]
) -> None:
    """Echo a proposal whose form outlived its modal object."""
    values = submitted_values(dict(interaction.data or {}))
    await propose_from_form(context, interaction, parse_id(match["round"]) or 0, values)

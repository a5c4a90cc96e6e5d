"""The check-in form: one modal of five labelled inputs, then an ephemeral confirmation.

The modal holds energy, caseload, boundaries, the consultation wish (with the choice to
share one's name) and the optional note; Discord allows five top-level components, so
who may see the note is asked in the confirmation, only when a note was written. A new
note starts as "only me" until its author picks otherwise. A note that looks like it
identifies a client is not saved: the author sees why, with their text, and can edit it
(the form reopens with everything they typed) or save it as written.
"""

from __future__ import annotations

import logging
import re
import secrets
from typing import Any, Literal, cast

import discord

from bot.app import interaction_errors, replies
from bot.checkins import pending
from bot.checkins.answers import (
    MAX_NOTE_CHARS,
    Answer,
    AnswerInput,
    Boundaries,
    Caseload,
    NoteMayIdentifyClientError,
    Visibility,
    answer_from_form,
)
from bot.checkins.render import discord_time, week_label
from bot.checkins.store import Round
from bot.checkins.summary import MIN_RESPONSES
from bot.db import DatabaseBusyError
from bot.errors import UserError
from bot.ids import ID_DIGITS
from bot.text import plain
from cogs._checkin_context import CheckinContext, context_of, reporting, require_member

log = logging.getLogger(__name__)

FORM_TIMEOUT = 30 * 60.0
CLOSED = (
    "This check-in has closed, so it can no longer be answered. "
    "The next one opens on the usual day."
)
ENERGY_LABELS = {
    1: "1 · running on empty",
    2: "2 · low",
    3: "3 · okay",
    4: "4 · good",
    5: "5 · full of energy",
}
CASELOAD_LABELS: dict[Caseload, str] = {
    "light": "Light",
    "manageable": "Manageable",
    "heavy": "Heavy",
    "overwhelming": "Overwhelming",
}
BOUNDARY_LABELS: dict[Boundaries, str] = {"yes": "Yes", "mostly": "Mostly", "no": "No"}
ConsultChoice = Literal["no", "yes", "yes_share"]
CONSULT_LABELS: dict[ConsultChoice, str] = {
    "no": "No",
    "yes": "Yes",
    "yes_share": "Yes, and share my name with the group",
}
VISIBILITY_LABELS: dict[Visibility, str] = {
    "only_me": "Only me",
    "moderators": "Moderators",
    "group": "The group",
}
# Who will read a note, and whether with its author's name: said before each choice.
VISIBILITY_WHO: dict[Visibility, str] = {
    "only_me": "only you",
    "moderators": "the moderators, with your name",
    "group": "the group, without your name",
}
VISIBILITY_CHOICES: dict[Visibility, str] = {
    "only_me": "nobody else reads it, and it is never posted.",
    "moderators": (
        "the moderators (Manage Server or the group's moderator role) read it **with your "
        "name** in /checkin notes; it is never posted."
    ),
    "group": (
        "quoted in the channel summary at close **without your name**, only if at least "
        f"{MIN_RESPONSES} people answered."
    ),
}
NOTE_HINT = "No client-identifying details: no names, birth dates or contact details."
FORM_ID = re.compile(r"checkin:form:(?P<round>[0-9]+):[0-9a-f]+")
NOTE_PLACEHOLDER = (
    "Optional. Next you choose who sees it: only you, moderators (with your name) or the group."
)

Answered = Answer | AnswerInput


def _consult_choice(answer: Answered) -> ConsultChoice:
    if not answer.wants_consult:
        return "no"
    return "yes_share" if answer.share_consult_name else "yes"


def _radio(
    custom_id: str, labels: dict[Any, str], current: object | None
) -> discord.ui.RadioGroup[Any]:
    return discord.ui.RadioGroup(
        custom_id=custom_id,
        options=[
            discord.RadioGroupOption(label=label, value=str(value), default=value == current)
            for value, label in labels.items()
        ],
    )


class CheckinForm(discord.ui.Modal):
    """The five questions, prefilled with the member's current answer (or what they typed)."""

    def __init__(
        self,
        context: CheckinContext,
        checkin: Round,
        earlier: Answer | None,
        typed: AnswerInput | None = None,
    ) -> None:
        week = week_label(checkin.period).removesuffix(f" of {checkin.period[:4]}")
        title = f"Change your check-in · {week}" if earlier else f"Check-in · {week}"
        # Modals are looked up by custom_id alone: make each one unique to its viewer.
        custom_id = f"checkin:form:{checkin.id}:{secrets.token_hex(6)}"
        super().__init__(title=title, custom_id=custom_id, timeout=FORM_TIMEOUT)
        context.live_forms.add(custom_id)
        self.context = context
        self.checkin = checkin
        self.earlier = earlier
        shown: Answered | None = typed or earlier
        self.energy = _radio("energy", ENERGY_LABELS, shown.energy if shown else None)
        self.caseload = _radio("caseload", CASELOAD_LABELS, shown.caseload if shown else None)
        self.boundaries = _radio("boundaries", BOUNDARY_LABELS, shown.boundaries if shown else None)
        self.consult = _radio("consult", CONSULT_LABELS, _consult_choice(shown) if shown else None)
        self.note: discord.ui.TextInput[Any] = discord.ui.TextInput(
            custom_id="note",
            style=discord.TextStyle.long,
            required=False,
            max_length=MAX_NOTE_CHARS,
            placeholder=NOTE_PLACEHOLDER,
            default=shown.note if shown else None,
        )
        replaces = "This replaces your earlier answer. " if earlier else ""
        self.add_item(
            discord.ui.Label(
                text="Energy this week",
                description=f"{replaces}1 = running on empty, 5 = full of energy.",
                component=self.energy,
            )
        )
        self.add_item(discord.ui.Label(text="Caseload", component=self.caseload))
        self.add_item(
            discord.ui.Label(
                text="Did you keep your boundaries this week?",
                description="Work hours, after-hours availability, breaks.",
                component=self.boundaries,
            )
        )
        self.add_item(
            discord.ui.Label(
                text="Would you like a peer consultation?",
                description="Your name is shown only if you choose to share it.",
                component=self.consult,
            )
        )
        self.add_item(
            discord.ui.Label(text="Note (optional)", description=NOTE_HINT, component=self.note)
        )

    def answer(self) -> AnswerInput:
        """What the member submitted, as the domain's input."""
        return answer_from_values(
            {
                "energy": self.energy.value,
                "caseload": self.caseload.value,
                "boundaries": self.boundaries.value,
                "consult": self.consult.value,
                "note": self.note.value,
            },
            self.earlier,
        )

    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        """Save (or flag) the answer and confirm; the bot no longer holds the form."""
        self.context.live_forms.handling(interaction.id)
        try:
            await save_and_confirm(
                self.context,
                interaction,
                self.checkin,
                self.answer(),
                replacing=self.earlier is not None,
            )
        finally:
            # Only now: until this submit is handled, the orphaned-forms listener must not
            # take it for a form the bot no longer holds.
            self.context.live_forms.discard(self.custom_id)

    async def on_timeout(self) -> None:
        """From now on a late submit is saved by `save_orphaned_form`."""
        self.context.live_forms.discard(self.custom_id)

    async def on_error(  # type: ignore[override]  # a Modal's on_error has no item
        self, interaction: discord.Interaction[Any], error: Exception, /
    ) -> None:
        """The one error path: a short ephemeral sentence."""
        await interaction_errors.report(interaction, error)


def answer_from_values(values: dict[str, str | None], earlier: Answer | None) -> AnswerInput:
    """The domain's input from the form's values by custom_id (the domain validates them)."""
    return answer_from_form(values, earlier)


def submitted_values(data: dict[str, Any]) -> dict[str, str | None]:
    """Values by custom_id from a raw modal submit (Labels wrap their input)."""
    values: dict[str, str | None] = {}
    stack: list[Any] = list(data.get("components") or [])
    while stack:
        component = stack.pop()
        if not isinstance(component, dict):
            continue
        stack.extend(component.get("components") or [])
        if isinstance(component.get("component"), dict):
            stack.append(component["component"])
        custom_id = component.get("custom_id")
        if isinstance(custom_id, str) and isinstance(component.get("value"), str | None):
            values[custom_id] = component.get("value")
    return values


def is_orphaned_form(
    context: CheckinContext, interaction: discord.Interaction[Any]
) -> re.Match[str] | None:
    """A submitted check-in form this bot no longer holds (after a restart or a timeout).

    A member may open the form, go into a session with a client and submit an hour later;
    discord.py has dropped the form by then and would discard the answer.
    """
    if interaction.type is not discord.InteractionType.modal_submit:
        return None
    data: dict[str, Any] = dict(interaction.data or {})
    custom_id = str(data.get("custom_id", ""))
    match = FORM_ID.fullmatch(custom_id)
    live = custom_id in context.live_forms or context.live_forms.handled(interaction.id)
    return match if match and not live else None


async def save_orphaned_form(
    context: CheckinContext, interaction: discord.Interaction[Any], round_id: int
) -> None:
    """Save a form that outlived the modal object, exactly as its own submit would."""
    checkin, earlier = await _open_round(context, interaction, round_id)
    raw: dict[str, Any] = dict(interaction.data or {})
    answer = answer_from_values(submitted_values(raw), earlier)
    await save_and_confirm(context, interaction, checkin, answer, replacing=earlier is not None)


async def open_form(
    context: CheckinContext,
    interaction: discord.Interaction[Any],
    round_id: int,
    typed: AnswerInput | None = None,
) -> None:
    """Show the form for a round to a member of its group (from the channel or a DM)."""
    checkin, earlier = await _open_round(context, interaction, round_id)
    await interaction.response.send_modal(CheckinForm(context, checkin, earlier, typed))


async def _open_round(
    context: CheckinContext, interaction: discord.Interaction[Any], round_id: int
) -> tuple[Round, Answer | None]:
    """The round, if it accepts answers from this member, and their earlier answer."""
    checkin, earlier = await context.service.round_and_answer(round_id, interaction.user.id)
    if checkin is None:
        raise UserError("That check-in no longer exists. Use the latest check-in post.")
    if not checkin.accepts_answers(context.bot.clock.now()):
        raise UserError(CLOSED)
    await require_member(context, interaction, checkin)  # before anything of theirs is shown
    return checkin, earlier


async def save_and_confirm(
    context: CheckinContext,
    interaction: discord.Interaction[Any],
    checkin: Round,
    answer: AnswerInput,
    *,
    identifiers_confirmed: bool = False,
    replacing: bool = False,
) -> None:
    """Save the answer and confirm ephemerally; a flagged note is shown back, unsaved.

    `replacing`: the member had answered when the form opened (the store tries that first).
    """
    now = context.bot.clock.now()
    # From the ephemeral "note flagged" message (its buttons, or the form they reopened),
    # replace that message; from a post or a DM, answer with a new ephemeral message.
    source = interaction.message
    edit = source is not None and source.flags.ephemeral
    user_id = interaction.user.id
    try:
        try:
            result = await context.service.answer(
                checkin.id,
                user_id,
                answer,
                now,
                identifiers_confirmed=identifiers_confirmed,
                replacing=replacing,
            )
        except NoteMayIdentifyClientError as flagged:
            # Held server-side so that both buttons work after a restart; see pending.py.
            pending_id = await pending.hold(context.bot.db, checkin.id, user_id, answer, now)
            await _respond(
                interaction,
                edit=edit,
                content=flagged.message,
                embed=_note_embed("Your note (not saved yet)", answer.note),
                view=flagged_view(pending_id),
            )
            return
    except DatabaseBusyError:
        log.warning("database busy: check-in answer of interaction %s not saved", interaction.id)
        await _respond(
            interaction,
            edit=edit,
            content=NOT_SAVED + (NOTE_GIVEN_BACK if (answer.note or "").strip() else ""),
            embed=_note_embed("Your note (not saved)", answer.note),
            view=None,
        )
        return
    lead = (
        "Updated: this replaced your earlier answer"
        if result.replaced
        else "Thank you, your check-in is saved"
    )
    lines = [
        f"{lead} ({week_label(checkin.period)}). You can change it until "
        f"{discord_time(checkin.closes_at)} with the same button."
    ]
    view: discord.ui.View | None = None
    cleaned = answer.cleaned()
    if cleaned.note is not None:
        responses = await context.service.responses_so_far(checkin.id)
        lines.append(note_status(cleaned.note_visibility, responses))
        lines.append(visibility_choices())
        view = visibility_view(checkin.id, cleaned.note_visibility)
    await _respond(interaction, edit=edit, content="\n\n".join(lines), embed=None, view=view)


def note_status(visibility: Visibility, responses: int) -> str:
    """Who may see the note now and whether with the author's name (`responses` so far)."""
    text = f"Your note can be seen by **{VISIBILITY_WHO[visibility]}**."
    if visibility == "group" and responses < MIN_RESPONSES:
        text += (
            f" So far fewer than {MIN_RESPONSES} people have answered; if that is still so "
            "at close, your note is held back and not posted."
        )
    return text


def visibility_choices() -> str:
    """Each choice with exactly who would read the note, shown before the author picks one."""
    lines = ["Choose who may see it with the buttons below:"]
    lines += [
        f"- **{label}**: {VISIBILITY_CHOICES[visibility]}"
        for visibility, label in VISIBILITY_LABELS.items()
    ]
    return "\n".join(lines)


async def _respond(
    interaction: discord.Interaction[Any],
    *,
    edit: bool,
    content: str,
    embed: discord.Embed | None,
    view: discord.ui.View | None,
) -> None:
    await replies.respond(interaction, content, embed=embed, view=view, edit=edit)


def _note_embed(title: str, note: str | None) -> discord.Embed | None:
    """The member's own note shown back to them (plain text), or None without a note."""
    text = (note or "").strip()
    return discord.Embed(title=title, description=plain(text)[:4000]) if text else None


NOT_SAVED = (
    "The database is busy right now, so your check-in was **not saved**. "
    "Please answer again in a minute."
)
NOTE_GIVEN_BACK = " Your note is below, so you can copy it."
HELD_EXPIRED = (
    "I no longer hold this unsaved answer (I keep one for an hour, or until you answer "
    "again), so it was not saved. Your note is still shown in the message above: copy "
    "it, then answer again with the check-in button."
)
FLAG_EDIT = "checkin:flag:edit:"
FLAG_SAVE = "checkin:flag:save:"
replies.opens_modal(FLAG_EDIT)


class FlaggedNoteButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"checkin:flag:(?P<action>edit|save):(?P<pending>[0-9a-f]{1,40})",
):
    """Under a flagged note: edit it (the form reopens with everything typed) or save as written.

    The answer waits server-side under the random id in the custom_id, so both work after
    a restart; only its author can use them.
    """

    def __init__(self, pending_id: str, *, save: bool) -> None:
        super().__init__(
            discord.ui.Button(
                label="It identifies no one: save as written" if save else "Edit my note",
                style=discord.ButtonStyle.secondary if save else discord.ButtonStyle.primary,
                custom_id=f"{FLAG_SAVE if save else FLAG_EDIT}{pending_id}",
            )
        )
        self.pending_id = pending_id
        self.save = save

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> FlaggedNoteButton:
        """Rebuild the button from its custom_id."""
        return cls(match["pending"], save=match["action"] == "save")

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Reopen the form with what was typed, or save it with the author's confirmation."""
        async with reporting(interaction):
            context = context_of(interaction)
            now = context.bot.clock.now()
            found = await pending.held(context.bot.db, self.pending_id, interaction.user.id, now)
            if found is None:
                raise UserError(HELD_EXPIRED)
            round_id, typed = found
            if not self.save:
                await open_form(context, interaction, round_id, typed)
                return
            checkin = await context.service.get_round(round_id)
            if checkin is None:
                raise UserError("That check-in no longer exists. Use the latest check-in post.")
            if not checkin.accepts_answers(now):
                raise UserError(CLOSED)
            await require_member(context, interaction, checkin)
            await save_and_confirm(context, interaction, checkin, typed, identifiers_confirmed=True)


def flagged_view(pending_id: str) -> discord.ui.View:
    """The two choices under a flagged note."""
    view = discord.ui.View(timeout=None)
    view.add_item(FlaggedNoteButton(pending_id, save=False))
    view.add_item(FlaggedNoteButton(pending_id, save=True))
    return view


class NoteVisibilityButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=rf"checkin:note:(?P<round>{ID_DIGITS}):(?P<visibility>only_me|moderators|group)",
):
    """One of "Only me · Moderators · The group" under the confirmation (survives restarts)."""

    def __init__(self, round_id: int, visibility: Visibility, *, current: bool) -> None:
        super().__init__(
            discord.ui.Button(
                label=VISIBILITY_LABELS[visibility],
                style=discord.ButtonStyle.success if current else discord.ButtonStyle.secondary,
                custom_id=f"checkin:note:{round_id}:{visibility}",
            )
        )
        self.round_id = round_id
        self.visibility = visibility

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> NoteVisibilityButton:
        """Rebuild the button from its custom_id."""
        return cls(int(match["round"]), cast(Visibility, match["visibility"]), current=False)

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Change who may see the clicker's own note, and show the choice."""
        async with reporting(interaction):
            context = context_of(interaction)
            saved = await context.service.set_note_visibility(
                self.round_id, interaction.user.id, self.visibility, context.bot.clock.now()
            )
            visibility = saved.note_visibility or "only_me"
            responses = await context.service.responses_so_far(self.round_id)
            await replies.respond(
                interaction,
                f"Saved. {note_status(visibility, responses)}\n\n{visibility_choices()}",
                view=visibility_view(self.round_id, visibility),
                edit=True,
            )


def visibility_view(round_id: int, current: Visibility) -> discord.ui.View:
    """The three visibility buttons, the current choice highlighted."""
    view = discord.ui.View(timeout=None)
    for visibility in VISIBILITY_LABELS:
        view.add_item(NoteVisibilityButton(round_id, visibility, current=visibility == current))
    return view

"""Who counts as a moderator of a group."""

from __future__ import annotations

from collections.abc import Collection

from bot.errors import UserError

MANAGE_GUILD = 1 << 5
ADMINISTRATOR = 1 << 3


def is_moderator(
    permissions: int, role_ids: Collection[int], moderator_role_id: int | None
) -> bool:
    """Manage Server or Administrator makes a moderator; so does the group's moderator role."""
    if permissions & (MANAGE_GUILD | ADMINISTRATOR):
        return True
    return moderator_role_id is not None and moderator_role_id in role_ids


def refusal(moderator_role_id: int | None) -> str:
    """The sentence a non-moderator sees."""
    extra = f" or the <@&{moderator_role_id}> role" if moderator_role_id else ""
    return (
        "Only the group's moderators can do that. Ask someone with the Manage Server "
        f"permission{extra}."
    )


def check_moderator_role(role_id: int, guild_id: int, *, managed: bool) -> None:
    """Refuse a moderator role that would make moderators of the wrong people.

    @everyone (its id is the server's) would let every member read notes meant for the
    moderators; a managed role belongs to a bot or an integration, not to people.
    """
    if role_id == guild_id:
        raise UserError(
            "@everyone can't be the moderator role: every member could then read notes meant "
            "for the moderators. Pick a role that only your facilitators have."
        )
    if managed:
        raise UserError(
            "That role belongs to a bot or an integration, so it can't be the moderator role. "
            "Pick a role that only your facilitators have."
        )

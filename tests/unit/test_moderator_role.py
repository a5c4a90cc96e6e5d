"""Which roles may be the moderator role: never @everyone, never a bot's or integration's."""

from __future__ import annotations

import pytest

from bot.errors import UserError
from bot.moderation import check_moderator_role

GUILD = 1000


def test_a_people_role_is_accepted() -> None:
    check_moderator_role(1001, GUILD, managed=False)


def test_everyone_is_refused() -> None:
    with pytest.raises(UserError, match="@everyone can't be the moderator role"):
        check_moderator_role(GUILD, GUILD, managed=False)


def test_a_managed_role_is_refused() -> None:
    with pytest.raises(UserError, match="belongs to a bot or an integration"):
        check_moderator_role(1002, GUILD, managed=True)

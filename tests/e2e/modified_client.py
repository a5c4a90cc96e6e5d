"""What a modified Discord client can send: values the official client would never allow.

The sandbox's actors refuse what the Discord client refuses (options past their bounds,
radio values that are not options). These helpers skip those checks and dispatch the
raw interaction, as a patched client talking to Discord could.
(Imported by name: tests/e2e is on sys.path.)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.sandbox import SandboxServer
from bot.sandbox.actors import InteractionResult
from bot.sandbox.views import ModalView

APPLICATION_COMMAND, AUTOCOMPLETE, MODAL_SUBMIT = 2, 4, 5
_OPTION_TYPES = {str: 3, bool: 5, int: 4, float: 10}
_LABEL, _TEXT_INPUT = 18, 4


async def raw_slash(
    server: SandboxServer,
    user_id: int,
    command: str,
    *,
    channel_id: int,
    options: Mapping[str, Any],
    option_types: Mapping[str, int] | None = None,
    focused: str | None = None,
) -> InteractionResult:
    """Use `/command` with options sent as given (no length, bound or choice checks);
    with `focused`, ask for that option's autocomplete choices instead."""
    actor = server.actor(user_id)
    guild_id = server.world.channel(channel_id).guild_id
    parts = command.split()
    synced = next(c for c in server.application.commands_for(guild_id) if c["name"] == parts[0])
    types = dict(option_types or {})
    leaf: list[dict[str, Any]] = [
        {"name": name, "type": types.get(name, _OPTION_TYPES[type(value)]), "value": value}
        | ({"focused": True} if name == focused else {})
        for name, value in options.items()
    ]
    container = synced
    chain = []
    for part in parts[1:]:
        container = next(o for o in container["options"] if o["name"] == part)
        chain.append(container)
    nested = leaf
    for sub in reversed(chain):
        nested = [{"name": sub["name"], "type": sub["type"], "options": nested}]
    data = {"id": synced["id"], "name": synced["name"], "type": 1, "options": nested}
    kind = APPLICATION_COMMAND if focused is None else AUTOCOMPLETE
    interaction = actor._dispatch(kind, channel_id, data, f"raw /{command}")
    return await actor._answer(interaction, None, wait=True)


async def raw_modal_submit(
    server: SandboxServer,
    user_id: int,
    modal: ModalView,
    values: Mapping[str, str],
    *,
    custom_id: str | None = None,
) -> InteractionResult:
    """Submit `modal` with any strings as its radio and text values (and any custom_id)."""
    actor = server.actor(user_id)
    kinds = {name: int(component["type"]) for name, component in modal.inputs().items()}
    components = [
        {
            "type": _LABEL,
            "component": {"type": kinds.get(name, _TEXT_INPUT), "custom_id": name, "value": v},
        }
        for name, v in values.items()
    ]
    shown = modal.shown
    shown.submitted = True
    data = {"custom_id": custom_id or modal.custom_id, "components": components}
    interaction = actor._dispatch(
        MODAL_SUBMIT, shown.channel_id, data, "raw modal submit", shown.source_message_id
    )
    return await actor._answer(interaction, None, wait=True)

"""Act as a member: slash commands, autocomplete, buttons, selects, modals, reading.

Each action builds the interaction payload Discord would send, dispatches
INTERACTION_CREATE to the connected bot and waits for its initial response.
What the Discord client would not let a person do (a command they lack the
permissions for, a disabled button, an invalid choice) raises instead.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from bot.sandbox import payloads
from bot.sandbox import permissions as perm
from bot.sandbox.modal_submit import build_modal_components, unchecked_modal_components
from bot.sandbox.options import build_options, unchecked_options
from bot.sandbox.state import (
    APPLICATION_COMMAND,
    AUTOCOMPLETE,
    DM,
    LOADING,
    MESSAGE_COMPONENT,
    MODAL_SUBMIT,
    Application,
    Interaction,
    Message,
    SandboxError,
    World,
)
from bot.sandbox.views import BUTTON, MessageView, ModalView, message_view

if TYPE_CHECKING:
    from bot.sandbox.server import SandboxServer

Json = dict[str, Any]

ATTACHMENT_SIZE_LIMIT = 10 * 1024 * 1024
CONTEXT_GUILD, CONTEXT_BOT_DM = 0, 1


class CommandNotPermitted(SandboxError):  # noqa: N818 - the name the scenarios use
    """The member may not use this command (Discord's client would not offer it)."""


class BotNotConnectedError(SandboxError):
    """No bot gateway session to deliver the interaction to."""


class InteractionTimeoutError(SandboxError, TimeoutError):
    """The bot did not answer an interaction in time."""


class InteractionResult:
    """The bot's answer to one interaction, and what followed it."""

    def __init__(self, server: SandboxServer, actor: Actor, interaction: Interaction) -> None:
        self._server = server
        self._actor = actor
        self.interaction = interaction

    @property
    def type(self) -> int:
        """The initial callback type (4 message, 5 deferred, 6, 7, 8 choices, 9 modal)."""
        return int(self.interaction.response_type or 0)

    @property
    def message(self) -> MessageView | None:
        """The response message as it is now (types 4, 5 and 7)."""
        message_id = self.interaction.original_message_id
        if message_id is None or self.type == 6:
            return None
        return self._view(message_id)

    @property
    def modal(self) -> ModalView | None:
        """The modal the bot opened (type 9)."""
        shown = self.interaction.modal
        return ModalView(shown) if shown is not None else None

    @property
    def choices(self) -> list[Json] | None:
        """Autocomplete choices (type 8)."""
        return self.interaction.choices

    @property
    def followups(self) -> list[MessageView]:
        """Follow-up messages sent so far (still existing ones)."""
        return [
            self._view(m)
            for m in self.interaction.followup_ids
            if not self._server.world.messages[m].deleted
        ]

    def _view(self, message_id: int) -> MessageView:
        return message_view(self._server.world, message_id, base_url=self._server.http_base)

    async def answered(self, timeout: float = 10.0) -> InteractionResult:  # noqa: ASYNC109
        """Wait for the initial response (for actions started with `wait=False`)."""
        interaction = self.interaction
        await _wait_until(
            interaction,
            lambda: interaction.response_type is not None,
            timeout,
            f"the bot to answer {interaction.description}",
        )
        return self

    async def final(self, timeout: float = 10.0) -> MessageView:  # noqa: ASYNC109
        """The @original message once the bot has completed it.

        For a reply (4) or update (7) that is at once; after a deferral (5, 6) it
        waits for the bot to edit the original (or fill it with a follow-up).
        """
        interaction = self.interaction

        def done() -> bool:
            if interaction.response_type in (4, 7):
                return True
            if interaction.response_type == 5:
                original = self._server.world.messages.get(interaction.original_message_id or 0)
                return original is not None and not original.flags & LOADING
            return interaction.response_type == 6 and interaction.original_edits > 0

        await _wait_until(interaction, done, timeout, f"completion of {interaction.description}")
        if interaction.original_message_id is None:
            raise SandboxError(f"{interaction.description} has no message")
        return self._view(interaction.original_message_id)

    async def wait_followups(
        self,
        count: int = 1,
        timeout: float = 10.0,  # noqa: ASYNC109 - the scenario API takes timeouts
    ) -> list[MessageView]:
        """Wait until at least `count` follow-ups exist; returns them."""
        interaction = self.interaction
        await _wait_until(
            interaction,
            lambda: len(interaction.followup_ids) >= count,
            timeout,
            f"{count} follow-up(s) to {interaction.description}",
        )
        return self.followups

    def __repr__(self) -> str:
        return f"<InteractionResult {self.interaction.description} type={self.type}>"


async def _wait_until(
    interaction: Interaction, condition: Callable[[], bool], limit: float, what: str
) -> None:
    try:
        async with asyncio.timeout(limit):
            while not condition():
                changed = interaction.changed
                await changed.wait()
    except TimeoutError:
        raise InteractionTimeoutError(f"timed out after {limit:g} s waiting for {what}") from None


class Actor:
    """One user acting in the sandbox."""

    def __init__(self, server: SandboxServer, user_id: int) -> None:
        self._server = server
        self.user_id = user_id
        self.locale = "en-US"

    @property
    def _world(self) -> World:
        return self._server.world

    @property
    def name(self) -> str:
        """The user's display name."""
        return str(self._world.user(self.user_id).display_name)

    # --- reading --------------------------------------------------------------

    def sees(self, channel_id: int) -> list[MessageView]:
        """The channel as this user sees it: messages plus their own ephemerals."""
        messages = self._world.visible_timeline(channel_id, self.user_id)
        return [self._view(m.id) for m in messages]

    def dms(self) -> list[MessageView]:
        """This user's DM conversation with the bot."""
        channel = self._world.find_dm_channel(self.user_id)
        return [] if channel is None else self.sees(channel.id)

    def dm_channel_id(self) -> int:
        """The id of this user's DM channel with the bot (created if needed)."""
        return int(self._world.dm_channel(self.user_id).id)

    def _view(self, message_id: int) -> MessageView:
        return message_view(self._world, message_id, base_url=self._server.http_base)

    # --- plain messages ---------------------------------------------------------

    async def send(self, channel_id: int, content: str) -> MessageView:
        """Post a message as this user (the bot gets MESSAGE_CREATE if its intents allow)."""
        channel = self._world.channel(channel_id)
        if channel.type == DM and channel.recipient_id != self.user_id:
            raise SandboxError("that is someone else's DM channel")
        if channel.type != DM:
            perms = self._world.channel_permissions(channel_id, self.user_id)
            if not perm.has_all(perms, perm.VIEW_CHANNEL | perm.SEND_MESSAGES):
                raise SandboxError(f"{self.name} cannot send messages in channel {channel_id}")
        message = self._server.core.create_message(
            channel_id=channel_id, author_id=self.user_id, payload={"content": content}
        )
        return self._view(message.id)

    async def send_dm(self, content: str) -> MessageView:
        """Send the bot a direct message."""
        return await self.send(self.dm_channel_id(), content)

    async def rsvp(self, guild_id: int, event_id: int) -> None:
        """Mark interest in a scheduled event (GUILD_SCHEDULED_EVENT_USER_ADD)."""
        guild = self._world.guild(guild_id)
        if event_id not in guild.scheduled_events:
            raise SandboxError(f"no scheduled event {event_id} in guild {guild_id}")
        self._server.event_interest(self.user_id, event_id)

    # --- application commands ---------------------------------------------------

    async def slash(
        self,
        command: str,
        *,
        channel_id: int,
        options: Mapping[str, Any] | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 - the scenario API takes timeouts
        wait: bool = True,
    ) -> InteractionResult:
        """Use a slash command, e.g. `"peerpulse settings"` with typed options."""
        app = self._server.application
        guild_id = self._world.channel(channel_id).guild_id
        data, _ = self._command_data(app, guild_id, command, options or {}, focused=None)
        interaction = self._dispatch(APPLICATION_COMMAND, channel_id, data, f"/{command}")
        return await self._answer(interaction, timeout, wait=wait)

    async def autocomplete(
        self,
        command: str,
        option: str,
        typed: str,
        *,
        channel_id: int,
        options: Mapping[str, Any] | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 - the scenario API takes timeouts
    ) -> list[Json]:
        """Type `typed` into an autocomplete option; returns the bot's choices."""
        app = self._server.application
        guild_id = self._world.channel(channel_id).guild_id
        given = dict(options or {})
        given[option] = typed
        data, _ = self._command_data(app, guild_id, command, given, focused=option)
        description = f"autocomplete /{command} {option}={typed!r}"
        interaction = self._dispatch(AUTOCOMPLETE, channel_id, data, description)
        result = await self._answer(interaction, timeout, wait=True)
        return list(result.choices or [])

    async def slash_unchecked(
        self,
        command: str,
        *,
        channel_id: int,
        options: Mapping[str, Any] | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 - the scenario API takes timeouts
    ) -> InteractionResult:
        """Use a command as a modified client could: anywhere, any option value.

        Nothing the Discord client checks is checked (permissions, DMs, types, bounds,
        choices, lengths): the bot alone must refuse what it should.
        """
        world = self._world
        guild_id = world.channel(channel_id).guild_id
        parts = command.strip().lstrip("/").split()
        known = self._server.application.commands_for(
            guild_id
        ) or self._server.application.commands_for(next(iter(world.guilds), None))
        root = next(
            (c for c in known if c["name"] == parts[0] and int(c.get("type", 1)) == 1), None
        )
        if root is None:
            raise SandboxError(f"no synced command /{parts[0]}")
        container: Json = root
        chain: list[Json] = []
        for part in parts[1:]:
            sub = next(
                (
                    o
                    for o in container.get("options") or []
                    if o.get("name") == part and o.get("type") in (1, 2)
                ),
                None,
            )
            if sub is None:
                raise SandboxError(f"/{command}: no subcommand or group {part!r}")
            chain.append(sub)
            container = sub
        nested, resolved = unchecked_options(
            world, guild_id, self.user_id, container, options or {}
        )
        for sub in reversed(chain):
            nested = [{"name": sub["name"], "type": sub["type"], "options": nested}]
        data: Json = {"id": root["id"], "name": root["name"], "type": 1, "options": nested}
        if resolved:
            data["resolved"] = resolved
        if root.get("guild_id"):
            data["guild_id"] = root["guild_id"]
        interaction = self._dispatch(
            APPLICATION_COMMAND, channel_id, data, f"/{command} (unchecked)"
        )
        return await self._answer(interaction, timeout, wait=True)

    def _command_data(
        self,
        app: Application,
        guild_id: int | None,
        path: str,
        options: Mapping[str, Any],
        *,
        focused: str | None,
    ) -> tuple[Json, Json]:
        parts = path.strip().lstrip("/").split()
        if not parts:
            raise SandboxError("empty command")
        commands = [c for c in app.commands_for(guild_id) if int(c.get("type", 1)) == 1]
        command = next((c for c in commands if c["name"] == parts[0]), None)
        if command is None:
            known = sorted(c["name"] for c in commands)
            raise SandboxError(f"no synced command /{parts[0]} here; synced: {known}")
        self._check_command_allowed(command, guild_id)
        container: Json = command
        chain: list[Json] = []
        for part in parts[1:]:
            sub = next(
                (
                    o
                    for o in container.get("options") or []
                    if o.get("name") == part and o.get("type") in (1, 2)
                ),
                None,
            )
            if sub is None:
                raise SandboxError(f"/{path}: no subcommand or group {part!r}")
            chain.append(sub)
            container = sub
        if any(o.get("type") in (1, 2) for o in container.get("options") or []):
            raise SandboxError(f"/{path} is a group; name a subcommand")
        leaf_options, resolved = build_options(
            self._world, guild_id, self.user_id, container, options, focused=focused
        )
        nested: list[Json] = leaf_options
        for sub in reversed(chain):
            nested = [{"name": sub["name"], "type": sub["type"], "options": nested}]
        data: Json = {"id": command["id"], "name": command["name"], "type": 1, "options": nested}
        if resolved:
            data["resolved"] = resolved
        if command.get("guild_id"):
            data["guild_id"] = command["guild_id"]
        return data, command

    def _check_command_allowed(self, command: Json, guild_id: int | None) -> None:
        name = command["name"]
        if guild_id is None:
            contexts = command.get("contexts")
            allowed = (
                CONTEXT_BOT_DM in contexts
                if contexts is not None
                else command.get("dm_permission", True) is not False
            )
            if not allowed or command.get("guild_id"):
                raise CommandNotPermitted(f"/{name} is not available in DMs")
            return
        contexts = command.get("contexts")
        if contexts is not None and CONTEXT_GUILD not in contexts:
            raise CommandNotPermitted(f"/{name} is not available in servers")
        perms = self._world.guild_permissions(guild_id, self.user_id)
        if perms & perm.ADMINISTRATOR:
            return
        override = self._command_override(command, guild_id)
        if override is not None:
            if not override:
                raise CommandNotPermitted(
                    f"a server admin turned /{name} off for {self.name} (command permissions)"
                )
            return
        required = command.get("default_member_permissions")
        if required is None:
            return
        needed = int(required)
        if needed == 0 or not perm.has_all(perms, needed):
            raise CommandNotPermitted(
                f"{self.name} lacks permissions {needed} required by /{name} "
                "(default_member_permissions); Discord would not show them the command"
            )

    def _command_override(self, command: Json, guild_id: int) -> bool | None:
        """A server admin's override for this member, as Discord resolves it: the command's
        own overrides before the app-wide ones; in each, the member's user override, then
        their roles (any allowed wins), then @everyone. None: no override applies."""
        app = self._server.application
        overrides = app.command_permissions.get(guild_id, {})
        member = self._world.guild(guild_id).members.get(self.user_id)
        roles = set(member.roles) if member else set()
        for target in (int(command["id"]), app.id):
            entries = overrides.get(target, [])
            users = [e["permission"] for e in entries if e["type"] == 2 and e["id"] == self.user_id]
            if users:
                return bool(users[0])
            by_role = [e["permission"] for e in entries if e["type"] == 1 and e["id"] in roles]
            if by_role:
                return any(by_role)
            everyone = [e["permission"] for e in entries if e["type"] == 1 and e["id"] == guild_id]
            if everyone:
                return bool(everyone[0])
        return None

    def command_names(self, channel_id: int) -> list[str]:
        """The slash commands this member's Discord client offers in a channel."""
        app = self._server.application
        guild_id = self._world.channel(channel_id).guild_id
        shown = []
        for command in app.commands_for(guild_id):
            if int(command.get("type", 1)) != 1:
                continue
            try:
                self._check_command_allowed(command, guild_id)
            except CommandNotPermitted:
                continue
            shown.append(command["name"])
        return sorted(shown)

    # --- components -------------------------------------------------------------

    def _visible_message(self, message_id: int) -> Message:
        message = self._world.messages.get(message_id)
        if message is None or not self._world.can_see(self.user_id, message):
            raise SandboxError(f"{self.name} cannot see message {message_id}")
        return message

    async def click(
        self,
        message_id: int,
        *,
        label: str | None = None,
        custom_id: str | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 - the scenario API takes timeouts
        wait: bool = True,
    ) -> InteractionResult:
        """Press a button on a message this user can see."""
        self._visible_message(message_id)
        button = self._view(message_id).button(label, custom_id=custom_id)
        if button.get("disabled"):
            raise SandboxError(f"button {button.get('label')!r} is disabled")
        if not button.get("custom_id"):
            raise SandboxError(f"button {button.get('label')!r} is a link or premium button")
        data: Json = {"custom_id": button["custom_id"], "component_type": BUTTON}
        if "id" in button:
            data["id"] = button["id"]
        description = f"click {button.get('label') or button['custom_id']!r} on {message_id}"
        interaction = self._dispatch(MESSAGE_COMPONENT, None, data, description, message_id)
        return await self._answer(interaction, timeout, wait=wait)

    async def press(
        self,
        message_id: int,
        custom_id: str,
        *,
        component_type: int = BUTTON,
        values: Sequence[str] | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 - the scenario API takes timeouts
    ) -> InteractionResult:
        """Press any custom_id on a message this user can see, as a modified client could.

        The component need not be on the message now (it may have been edited away,
        disabled, or never been there): the bot alone must answer sensibly.
        """
        self._visible_message(message_id)
        data: Json = {"custom_id": custom_id, "component_type": component_type}
        if values is not None:
            data["values"] = [str(v) for v in values]
        description = f"press {custom_id!r} on {message_id}"
        interaction = self._dispatch(MESSAGE_COMPONENT, None, data, description, message_id)
        return await self._answer(interaction, timeout, wait=True)

    async def select(
        self,
        message_id: int,
        values: Sequence[str],
        *,
        placeholder: str | None = None,
        custom_id: str | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 - the scenario API takes timeouts
        wait: bool = True,
    ) -> InteractionResult:
        """Choose `values` in a select menu on a message this user can see."""
        self._visible_message(message_id)
        menu = self._view(message_id).select(placeholder, custom_id=custom_id)
        if menu.get("disabled"):
            raise SandboxError(f"select {menu.get('custom_id')!r} is disabled")
        chosen = [str(v) for v in values]
        _check_select_values(menu, chosen)
        data: Json = {
            "custom_id": menu["custom_id"],
            "component_type": menu["type"],
            "values": chosen,
        }
        if menu["type"] != 3:
            data["resolved"] = _resolved_for_select(self._world, menu["type"], chosen)
        if "id" in menu:
            data["id"] = menu["id"]
        description = f"select {chosen} in {menu['custom_id']!r} on {message_id}"
        interaction = self._dispatch(MESSAGE_COMPONENT, None, data, description, message_id)
        return await self._answer(interaction, timeout, wait=wait)

    async def submit_modal(
        self,
        modal: ModalView,
        values: Mapping[str, Any],
        *,
        timeout: float | None = None,  # noqa: ASYNC109 - the scenario API takes timeouts
        wait: bool = True,
    ) -> InteractionResult:
        """Fill in and submit a modal the bot showed this user."""
        shown = modal.shown
        if shown.user_id != self.user_id:
            raise SandboxError("that modal was shown to someone else")
        if shown.submitted:
            raise SandboxError("that modal was already submitted")
        components, resolved = build_modal_components(self._world, modal.components, values)
        shown.submitted = True
        data: Json = {"custom_id": modal.custom_id, "components": components}
        if resolved:
            data["resolved"] = resolved
        description = f"submit modal {modal.custom_id!r}"
        interaction = self._dispatch(
            MODAL_SUBMIT, shown.channel_id, data, description, shown.source_message_id
        )
        return await self._answer(interaction, timeout, wait=wait)

    async def submit_modal_unchecked(
        self,
        modal: ModalView,
        values: Mapping[str, Any],
        *,
        custom_id: str | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 - the scenario API takes timeouts
    ) -> InteractionResult:
        """Submit a modal with any values (and any custom_id), as a modified client could."""
        shown = modal.shown
        if shown.user_id != self.user_id:
            raise SandboxError("that modal was shown to someone else")
        shown.submitted = True
        data: Json = {
            "custom_id": modal.custom_id if custom_id is None else custom_id,
            "components": unchecked_modal_components(modal.components, values),
        }
        description = f"submit modal {modal.custom_id!r} (unchecked)"
        interaction = self._dispatch(
            MODAL_SUBMIT, shown.channel_id, data, description, shown.source_message_id
        )
        return await self._answer(interaction, timeout, wait=True)

    # --- dispatching ---------------------------------------------------------------

    def _dispatch(
        self,
        kind: int,
        channel_id: int | None,
        data: Json,
        description: str,
        source_message_id: int | None = None,
    ) -> Interaction:
        server = self._server
        world = self._world
        app = server.application
        if channel_id is None:
            channel_id = world.messages[source_message_id or 0].channel_id
        channel = world.channel(channel_id)
        if channel.guild_id is None:
            if channel.recipient_id != self.user_id:
                raise SandboxError("that is someone else's DM channel")
        elif self.user_id not in world.guild(channel.guild_id).members:
            raise SandboxError(f"{self.name} is not a member of guild {channel.guild_id}")
        elif not world.channel_permissions(channel_id, self.user_id) & perm.VIEW_CHANNEL:
            raise SandboxError(f"{self.name} cannot see channel {channel_id}")
        if server.gateway.session_for(app.id) is None:
            raise BotNotConnectedError("no bot is connected to the sandbox gateway")
        interaction_id = world.ids.next()
        interaction = Interaction(
            id=interaction_id,
            token=f"aW50ZXJhY3Rpb24.{secrets.token_urlsafe(48)}",
            type=kind,
            application_id=app.id,
            user_id=self.user_id,
            guild_id=channel.guild_id,
            channel_id=channel_id,
            data=data,
            created_at=server.now(),
            description=f"interaction {interaction_id} ({description} by {self.name})",
            source_message_id=source_message_id,
        )
        interaction.payload = self._payload(interaction, app)
        world.add_interaction(interaction)
        server.gateway.dispatch(app.id, "INTERACTION_CREATE", interaction.payload)
        return interaction

    def _payload(self, interaction: Interaction, app: Application) -> Json:
        world = self._world
        channel = world.channel(interaction.channel_id)
        user_perms = world.channel_permissions(channel.id, self.user_id)
        bot_perms = world.channel_permissions(channel.id, app.bot_user_id)
        payload: Json = {
            "id": str(interaction.id),
            "application_id": str(app.id),
            "type": interaction.type,
            "token": interaction.token,
            "version": 1,
            "data": interaction.data,
            "channel": payloads.channel_json(world, channel, permissions=user_perms),
            "channel_id": str(channel.id),
            "app_permissions": str(bot_perms),
            "locale": self.locale,
            "entitlements": [],
            "entitlement_sku_ids": [],
            "attachment_size_limit": ATTACHMENT_SIZE_LIMIT,
        }
        if channel.guild_id is not None:
            guild = world.guild(channel.guild_id)
            member = guild.members[self.user_id]
            payload["guild_id"] = str(guild.id)
            payload["guild"] = {"id": str(guild.id), "locale": "en-US", "features": []}
            payload["guild_locale"] = "en-US"
            payload["member"] = payloads.member_json(world, member, permissions=user_perms)
            payload["authorizing_integration_owners"] = {"0": str(guild.id)}
            payload["context"] = CONTEXT_GUILD
        else:
            payload["user"] = payloads.user_json(world.user(self.user_id))
            payload["authorizing_integration_owners"] = {"0": "0"}
            payload["context"] = CONTEXT_BOT_DM
        if interaction.source_message_id is not None:
            source = world.messages[interaction.source_message_id]
            payload["message"] = self._server.core.message_json(source)
        return payload

    async def _answer(
        self, interaction: Interaction, limit: float | None, *, wait: bool
    ) -> InteractionResult:
        result = InteractionResult(self._server, self, interaction)
        if wait:
            await result.answered(self._server.interaction_timeout if limit is None else limit)
        return result


def _check_select_values(menu: Json, chosen: list[str]) -> None:
    low = int(menu.get("min_values", 1))
    high = int(menu.get("max_values", 1))
    if not low <= len(chosen) <= high:
        raise SandboxError(f"select {menu.get('custom_id')!r} takes {low}..{high} values")
    if menu["type"] == 3:
        allowed = {str(o.get("value")) for o in menu.get("options") or []}
        unknown = [v for v in chosen if v not in allowed]
        if unknown:
            raise SandboxError(f"select {menu.get('custom_id')!r} has no option(s) {unknown}")


def _resolved_for_select(world: World, kind: int, values: list[str]) -> Json:
    resolved: Json = {}
    for value in values:
        key = int(value)
        if key in world.users and kind in (5, 7):
            resolved.setdefault("users", {})[value] = payloads.user_json(world.user(key))
        elif key in world.channels and kind == 8:
            resolved.setdefault("channels", {})[value] = payloads.channel_json(
                world, world.channel(key)
            )
        else:
            for guild in world.guilds.values():
                if key in guild.roles and kind in (6, 7):
                    resolved.setdefault("roles", {})[value] = payloads.role_json(guild.roles[key])
    return resolved

"""Interaction callbacks and the interaction webhook (follow-ups, @original).

Deadlines follow Discord: the initial response within 3 s of the interaction,
follow-ups and edits within 15 minutes. Time comes from the injected `now`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.sandbox import validation
from bot.sandbox.core import ApiError, Core, Json
from bot.sandbox.routing import (
    ApiReply,
    ApiRequest,
    RouteSpec,
    check_message_payload,
    field_error,
    form_error,
    json_object,
    snowflake,
    truthy,
)
from bot.sandbox.state import (
    APPLICATION_COMMAND,
    AUTOCOMPLETE,
    AUTOCOMPLETE_RESULT,
    CHANNEL_MESSAGE,
    DEFERRED_CHANNEL_MESSAGE,
    DEFERRED_UPDATE_MESSAGE,
    EPHEMERAL,
    LOADING,
    MESSAGE_COMPONENT,
    MODAL,
    MODAL_SUBMIT,
    PING,
    PONG,
    UPDATE_MESSAGE,
    Interaction,
    Message,
    ShownModal,
)

INITIAL_RESPONSE_DEADLINE = 3.0
TOKEN_LIFETIME = 15 * 60.0

# Which callback types each interaction type accepts.
_ALLOWED: dict[int, frozenset[int]] = {
    PING: frozenset({PONG}),
    APPLICATION_COMMAND: frozenset({CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE, MODAL}),
    MESSAGE_COMPONENT: frozenset(
        {CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE, DEFERRED_UPDATE_MESSAGE, UPDATE_MESSAGE, MODAL}
    ),
    AUTOCOMPLETE: frozenset({AUTOCOMPLETE_RESULT}),
    MODAL_SUBMIT: frozenset(
        {CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE, DEFERRED_UPDATE_MESSAGE, UPDATE_MESSAGE}
    ),
}

# Message type of a response: 20 for a slash command reply, 0 otherwise.
_CHAT_INPUT_COMMAND = 20


class InteractionRoutes:
    """Handlers for token-authenticated routes: callbacks and the interaction webhook."""

    def __init__(self, core: Core, *, now: Callable[[], float]) -> None:
        self.core = core
        self.world = core.world
        self._now = now

    def routes(self) -> list[RouteSpec]:
        """Every route this class serves (no bot token: the path carries one)."""
        cb = "/interactions/{interaction_id}/{interaction_token}/callback"
        hook = "/webhooks/{webhook_id}/{webhook_token}"
        msg = "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}"
        # Interaction endpoints, follow-ups included, are not bound to the global limit.
        return [
            RouteSpec("POST", cb, self.callback, auth="token", exempt_global=True),
            RouteSpec("POST", hook, self.execute, auth="token", exempt_global=True),
            RouteSpec("GET", msg, self.get_message, auth="token", exempt_global=True),
            RouteSpec("PATCH", msg, self.edit_message, auth="token", exempt_global=True),
            RouteSpec("DELETE", msg, self.delete_message, auth="token", exempt_global=True),
        ]

    # --- the initial response -----------------------------------------------

    async def callback(self, request: ApiRequest) -> ApiReply:
        """POST /interactions/{id}/{token}/callback."""
        interaction = self.world.interactions.get(snowflake(request.params, "interaction_id"))
        if interaction is None or interaction.token != request.params["interaction_token"]:
            raise ApiError(404, 10062, "Unknown interaction")
        if interaction.response_type is not None:
            raise ApiError(400, 40060, "Interaction has already been acknowledged.")
        if self._now() - interaction.created_at > INITIAL_RESPONSE_DEADLINE:
            raise ApiError(404, 10062, "Unknown interaction")
        body = json_object(request)
        errors = validation.validate_interaction_response(body)
        if errors:
            raise form_error(errors)
        kind = int(body["type"])
        if kind not in _ALLOWED.get(interaction.type, frozenset()):
            raise field_error(
                ["type"],
                "INTERACTION_RESPONSE_TYPE_INVALID",
                f"Response type {kind} is not valid for interaction type {interaction.type}.",
            )
        if kind in (UPDATE_MESSAGE, DEFERRED_UPDATE_MESSAGE) and not interaction.source_message_id:
            raise field_error(
                ["type"], "INTERACTION_RESPONSE_TYPE_INVALID", "There is no message to update."
            )
        data: Json = body.get("data") or {}
        if kind == CHANNEL_MESSAGE:
            check_message_payload(data, has_files=bool(request.files), edit=False)
        message = self._apply(interaction, kind, data, request)
        interaction.response_type = kind
        interaction.response_body = body
        interaction.notify()
        if not truthy(request.query, "with_response"):
            return ApiReply(status=204)
        return ApiReply(body=self._callback_body(interaction, kind, message))

    def _apply(
        self, interaction: Interaction, kind: int, data: Json, request: ApiRequest
    ) -> Message | None:
        app = self.world.applications[interaction.application_id]
        ephemeral = bool(int(data.get("flags") or 0) & EPHEMERAL)
        message_type = _CHAT_INPUT_COMMAND if interaction.type == APPLICATION_COMMAND else 0
        if kind in (CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE):
            loading = kind == DEFERRED_CHANNEL_MESSAGE
            message = self.core.create_message(
                channel_id=interaction.channel_id,
                author_id=app.bot_user_id,
                payload={"flags": data.get("flags", 0)} if loading else data,
                files=() if loading else request.files,
                ephemeral_to=interaction.user_id if ephemeral else None,
                extra_flags=LOADING if loading else 0,
                message_type=message_type,
                application_id=app.id,
                webhook_id=app.id,
                interaction_id=interaction.id,
            )
            interaction.original_message_id = message.id
            return message
        if kind in (UPDATE_MESSAGE, DEFERRED_UPDATE_MESSAGE):
            source = self.world.messages[interaction.source_message_id or 0]
            interaction.original_message_id = source.id
            if kind == UPDATE_MESSAGE:
                self.core.edit_message(source, data, request.files)
                interaction.original_edits += 1
            return source
        if kind == AUTOCOMPLETE_RESULT:
            interaction.choices = list(data.get("choices") or [])
        elif kind == MODAL:
            modal = ShownModal(
                interaction_id=interaction.id,
                user_id=interaction.user_id,
                channel_id=interaction.channel_id,
                guild_id=interaction.guild_id,
                data=data,
                shown_at=self.world.clock(),
                source_message_id=interaction.source_message_id,
            )
            interaction.modal = modal
            self.world.modals.append(modal)
        return None

    def _callback_body(self, interaction: Interaction, kind: int, message: Message | None) -> Json:
        summary: Json = {"id": str(interaction.id), "type": interaction.type}
        resource: Json = {"type": kind}
        if message is not None:
            summary["response_message_id"] = str(message.id)
            summary["response_message_loading"] = bool(message.flags & LOADING)
            summary["response_message_ephemeral"] = message.ephemeral
            if kind in (CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE, UPDATE_MESSAGE):
                resource["message"] = self.core.message_json(message)
        return {"interaction": summary, "resource": resource}

    # --- the interaction webhook ----------------------------------------------

    def _webhook_interaction(self, request: ApiRequest) -> Interaction:
        app_id = snowflake(request.params, "webhook_id")
        interaction = self.world.interaction_by_token(request.params["webhook_token"])
        if interaction is None or interaction.application_id != app_id:
            raise ApiError(404, 10015, "Unknown Webhook")
        if self._now() - interaction.created_at > TOKEN_LIFETIME:
            raise ApiError(401, 50027, "Invalid Webhook Token")
        if interaction.response_type is None:
            raise ApiError(404, 10015, "Unknown Webhook")
        return interaction

    def _interaction_message(self, request: ApiRequest, interaction: Interaction) -> Message:
        raw = request.params["message_id"]
        if raw == "@original":
            message_id = interaction.original_message_id
        else:
            message_id = snowflake(request.params, "message_id")
            owned = {interaction.original_message_id, *interaction.followup_ids}
            if message_id not in owned:
                message_id = None
        message = self.world.messages.get(message_id or 0)
        if message is None or message.deleted:
            raise ApiError(404, 10008, "Unknown Message")
        return message

    async def execute(self, request: ApiRequest) -> ApiReply:
        """POST /webhooks/{app}/{token}: a follow-up (`?wait=true` returns it)."""
        interaction = self._webhook_interaction(request)
        payload = json_object(request)
        check_message_payload(payload, has_files=bool(request.files), edit=False)
        original = self.world.messages.get(interaction.original_message_id or 0)
        if (
            original is not None
            and original.flags & LOADING
            and interaction.response_type == DEFERRED_CHANNEL_MESSAGE
        ):
            # Discord fills the "thinking" message with the first follow-up.
            message = self.core.edit_message(original, _without_flags(payload), request.files)
            interaction.original_edits += 1
        else:
            app = self.world.applications[interaction.application_id]
            ephemeral = bool(int(payload.get("flags") or 0) & EPHEMERAL)
            message = self.core.create_message(
                channel_id=interaction.channel_id,
                author_id=app.bot_user_id,
                payload=payload,
                files=request.files,
                ephemeral_to=interaction.user_id if ephemeral else None,
                application_id=app.id,
                webhook_id=app.id,
                interaction_id=interaction.id,
            )
        interaction.followup_ids.append(message.id)
        interaction.notify()
        if not truthy(request.query, "wait"):
            return ApiReply(status=204)
        return ApiReply(body=self.core.message_json(message))

    async def get_message(self, request: ApiRequest) -> ApiReply:
        """GET /webhooks/{app}/{token}/messages/{id|@original}."""
        interaction = self._webhook_interaction(request)
        message = self._interaction_message(request, interaction)
        return ApiReply(body=self.core.message_json(message))

    async def edit_message(self, request: ApiRequest) -> ApiReply:
        """PATCH /webhooks/{app}/{token}/messages/{id|@original}."""
        interaction = self._webhook_interaction(request)
        message = self._interaction_message(request, interaction)
        payload = json_object(request)
        check_message_payload(payload, has_files=bool(request.files), edit=True)
        self.core.edit_message(message, _without_flags(payload), request.files)
        if message.id == interaction.original_message_id:
            interaction.original_edits += 1
        interaction.notify()
        return ApiReply(body=self.core.message_json(message))

    async def delete_message(self, request: ApiRequest) -> ApiReply:
        """DELETE /webhooks/{app}/{token}/messages/{id|@original}."""
        interaction = self._webhook_interaction(request)
        message = self._interaction_message(request, interaction)
        self.core.delete_message(message)
        interaction.notify()
        return ApiReply(status=204)


def _without_flags(payload: Json) -> dict[str, Any]:
    # Ephemerality of an interaction message is fixed when it is created.
    return {k: v for k, v in payload.items() if k != "flags"} | (
        {"flags": int(payload["flags"]) & ~EPHEMERAL} if payload.get("flags") else {}
    )

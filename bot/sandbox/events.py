"""Guild scheduled events: the REST routes, and the changes Discord makes by itself.

`ScheduledEvents` applies `event_rules`, checks permissions and the 100-uncompleted limit,
dispatches GUILD_SCHEDULED_EVENT_* (intent GUILD_SCHEDULED_EVENTS) on every change and
logs each change for the transcript. `EventRoutes` serves it to bots over REST; the
server's scenario API uses it for what Discord or a member does (start, end, interest).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.sandbox import event_rules, payloads
from bot.sandbox import permissions as perm
from bot.sandbox.core import ApiError, Core, Json, not_found
from bot.sandbox.routing import ApiReply, ApiRequest, RouteSpec, json_object, snowflake, truthy
from bot.sandbox.state import (
    ENTITY_EXTERNAL,
    ENTITY_STAGE_INSTANCE,
    EVENT_ACTIVE,
    EVENT_CANCELED,
    EVENT_COMPLETED,
    INTENT_GUILD_SCHEDULED_EVENTS,
    EventChange,
    Guild,
    SandboxError,
    ScheduledEvent,
)

_STATUS_CHANGE = {
    EVENT_ACTIVE: "started",
    EVENT_COMPLETED: "completed",
    EVENT_CANCELED: "cancelled",
}

# What a voice or stage event needs in its channel besides CREATE_EVENTS / MANAGE_EVENTS.
_VOICE_NEEDS = perm.VIEW_CHANNEL | perm.CONNECT
_STAGE_NEEDS = perm.VIEW_CHANNEL | perm.MANAGE_CHANNELS | perm.MUTE_MEMBERS | perm.MOVE_MEMBERS


class ScheduledEvents:
    """Every guild's scheduled events, changed only by Discord's rules."""

    def __init__(self, core: Core) -> None:
        self.core = core
        self.world = core.world

    def facts(self, guild: Guild) -> event_rules.Facts:
        """The world's clock reading and the guild's channel types."""
        types = {c: self.world.channel(c).type for c in guild.channel_ids}
        return event_rules.Facts(now=self.world.clock(), channel_types=types)

    def create(self, guild: Guild, creator_id: int, body: Mapping[str, Any]) -> ScheduledEvent:
        """POST …/scheduled-events as `creator_id` (a bot or, in scenarios, a member)."""
        fields = event_rules.check_create(body, self.facts(guild))
        self._require_permission(guild, creator_id, fields, event=None)
        uncompleted = [
            e for e in guild.scheduled_events.values() if e.status in event_rules.UNCOMPLETED
        ]
        if len(uncompleted) >= event_rules.MAX_UNCOMPLETED:
            raise event_rules.too_many_events()
        event_id = self.world.ids.next()
        data: Json = {
            "id": str(event_id),
            "guild_id": str(guild.id),
            "creator_id": str(creator_id),
            "creator": payloads.user_json(self.world.user(creator_id)),
            "status": 1,
            "entity_id": None,
            "recurrence_rule": None,
            **fields,
        }
        event = ScheduledEvent(event_id, guild.id, data)
        guild.scheduled_events[event_id] = event
        self._changed(event, "created", creator_id, "GUILD_SCHEDULED_EVENT_CREATE")
        return event

    def edit(
        self, guild: Guild, event: ScheduledEvent, user_id: int, body: Mapping[str, Any]
    ) -> ScheduledEvent:
        """PATCH an event's fields or status as `user_id`."""
        changes = event_rules.check_edit(event.data, body, self.facts(guild))
        self._require_permission(guild, user_id, {**event.data, **changes}, event=event)
        if changes:
            event.data.update(changes)
            kind = _STATUS_CHANGE.get(changes.get("status", 0), "edited")
            fields = tuple(k for k in changes if k != "status")
            self._changed(event, kind, user_id, "GUILD_SCHEDULED_EVENT_UPDATE", fields)
        return event

    def delete(self, guild: Guild, event: ScheduledEvent, user_id: int) -> None:
        """DELETE an event as `user_id`."""
        self._require_permission(guild, user_id, event.data, event=event)
        del guild.scheduled_events[event.id]
        self._changed(event, "deleted", user_id, "GUILD_SCHEDULED_EVENT_DELETE")

    def move(self, event_id: int, status: int) -> ScheduledEvent:
        """Discord starts an event at its start time and ends it (scenario API)."""
        _, event = self.world.find_event(event_id)
        if status not in event_rules.TRANSITIONS.get(event.status, frozenset()):
            raise SandboxError(f"event {event_id} cannot move from {event.status} to {status}")
        event.data["status"] = status
        self._changed(event, _STATUS_CHANGE[status], None, "GUILD_SCHEDULED_EVENT_UPDATE")
        return event

    def set_interest(self, event_id: int, user_id: int, *, interested: bool) -> None:
        """A member marks interest in an event, or takes it back (USER_ADD / USER_REMOVE)."""
        guild, event = self.world.find_event(event_id)
        if user_id not in guild.members:
            raise SandboxError(f"user {user_id} is not a member of guild {guild.id}")
        if event.status not in event_rules.UNCOMPLETED:
            raise SandboxError(f"event {event_id} has finished")
        if interested == (user_id in event.subscribers):
            return
        if interested:
            event.subscribers.append(user_id)
        else:
            event.subscribers.remove(user_id)
        data = {
            "guild_scheduled_event_id": str(event.id),
            "user_id": str(user_id),
            "guild_id": str(guild.id),
        }
        name = "GUILD_SCHEDULED_EVENT_USER_" + ("ADD" if interested else "REMOVE")
        self.core.dispatch_guild_event(guild.id, name, data, INTENT_GUILD_SCHEDULED_EVENTS)

    def to_json(self, event: ScheduledEvent, *, with_user_count: bool) -> Json:
        """The event object as REST returns it."""
        data = dict(event.data)
        if with_user_count:
            data["user_count"] = len(event.subscribers)
        return data

    def _require_permission(
        self, guild: Guild, user_id: int, fields: Mapping[str, Any], *, event: ScheduledEvent | None
    ) -> None:
        """Discord: CREATE_EVENTS or MANAGE_EVENTS for one's own events, MANAGE_EVENTS for
        anyone else's; in the event's channel, VIEW_CHANNEL and CONNECT for voice (stage:
        MANAGE_CHANNELS, MUTE_MEMBERS, MOVE_MEMBERS)."""
        kind = fields.get("entity_type")
        needs = 0
        if kind == ENTITY_EXTERNAL or fields.get("channel_id") is None:
            perms = self.world.guild_permissions(guild.id, user_id)
        else:
            perms = self.world.channel_permissions(int(fields["channel_id"]), user_id)
            needs = _STAGE_NEEDS if kind == ENTITY_STAGE_INSTANCE else _VOICE_NEEDS
        own = event is None or event.creator_id == user_id
        may = perm.has_all(perms, perm.MANAGE_EVENTS) or (
            own and perm.has_all(perms, perm.CREATE_EVENTS)
        )
        if not may or not perm.has_all(perms, needs):
            raise ApiError(403, 50013, "Missing Permissions")

    def _changed(
        self,
        event: ScheduledEvent,
        kind: str,
        by: int | None,
        dispatch: str,
        fields: tuple[str, ...] = (),
    ) -> None:
        self.world.event_log.append(
            EventChange(
                guild_id=event.guild_id,
                event_id=event.id,
                kind=kind,
                at=self.world.clock(),
                order=self.world.ids.last,
                by=by,
                data=dict(event.data),
                fields=fields,
            )
        )
        self.core.dispatch_guild_event(
            event.guild_id, dispatch, dict(event.data), INTENT_GUILD_SCHEDULED_EVENTS
        )


class EventRoutes:
    """The scheduled-event REST routes a bot calls."""

    def __init__(self, events: ScheduledEvents) -> None:
        self.events = events
        self.world = events.world

    def routes(self) -> list[RouteSpec]:
        """Every route this class serves."""
        base = "/guilds/{guild_id}/scheduled-events"
        return [
            RouteSpec("GET", base, self.list_events),
            RouteSpec("POST", base, self.create_event),
            RouteSpec("GET", base + "/{event_id}", self.get_event),
            RouteSpec("PATCH", base + "/{event_id}", self.edit_event),
            RouteSpec("DELETE", base + "/{event_id}", self.delete_event),
            RouteSpec("GET", base + "/{event_id}/users", self.event_users),
        ]

    def _bot(self, request: ApiRequest) -> int:
        if request.application is None:  # the pipeline authenticates bot routes first
            raise ApiError(401, 0, "401: Unauthorized")
        return request.application.bot_user_id

    def _guild(self, request: ApiRequest) -> Guild:
        guild = self.world.guilds.get(snowflake(request.params, "guild_id"))
        if guild is None or self._bot(request) not in guild.members:
            raise not_found(10004, "Guild")
        return guild

    def _event(self, request: ApiRequest, guild: Guild) -> ScheduledEvent:
        event = guild.scheduled_events.get(snowflake(request.params, "event_id"))
        if event is None:
            raise not_found(10070, "Guild Scheduled Event")
        return event

    async def list_events(self, request: ApiRequest) -> ApiReply:
        """GET /guilds/{guild_id}/scheduled-events (with_user_count)."""
        guild = self._guild(request)
        counted = truthy(request.query, "with_user_count")
        events = guild.scheduled_events.values()
        return ApiReply(body=[self.events.to_json(e, with_user_count=counted) for e in events])

    async def get_event(self, request: ApiRequest) -> ApiReply:
        """GET /guilds/{guild_id}/scheduled-events/{event_id} (with_user_count)."""
        guild = self._guild(request)
        counted = truthy(request.query, "with_user_count")
        event = self._event(request, guild)
        return ApiReply(body=self.events.to_json(event, with_user_count=counted))

    async def create_event(self, request: ApiRequest) -> ApiReply:
        """POST /guilds/{guild_id}/scheduled-events."""
        guild = self._guild(request)
        event = self.events.create(guild, self._bot(request), json_object(request))
        return ApiReply(body=self.events.to_json(event, with_user_count=False))

    async def edit_event(self, request: ApiRequest) -> ApiReply:
        """PATCH /guilds/{guild_id}/scheduled-events/{event_id} (fields and status)."""
        guild = self._guild(request)
        event = self._event(request, guild)
        self.events.edit(guild, event, self._bot(request), json_object(request))
        return ApiReply(body=self.events.to_json(event, with_user_count=False))

    async def delete_event(self, request: ApiRequest) -> ApiReply:
        """DELETE /guilds/{guild_id}/scheduled-events/{event_id}."""
        guild = self._guild(request)
        self.events.delete(guild, self._event(request, guild), self._bot(request))
        return ApiReply(status=204)

    async def event_users(self, request: ApiRequest) -> ApiReply:
        """GET …/scheduled-events/{event_id}/users (who marked interest)."""
        guild = self._guild(request)
        event = self._event(request, guild)
        with_member = truthy(request.query, "with_member")
        users = []
        for user_id in event.subscribers:
            entry: Json = {
                "guild_scheduled_event_id": str(event.id),
                "user": payloads.user_json(self.world.user(user_id)),
            }
            member = guild.members.get(user_id)
            if with_member and member is not None:
                entry["member"] = payloads.member_json(self.world, member, with_user=False)
            users.append(entry)
        return ApiReply(body=users)

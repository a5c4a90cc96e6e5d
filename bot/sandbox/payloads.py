"""Discord JSON for the sandbox's world objects, shaped as discord.py 2.7 parses them."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import quote

from bot.sandbox.state import (
    DM,
    GUILD_STAGE_VOICE,
    GUILD_VOICE,
    Application,
    Channel,
    Guild,
    Member,
    Message,
    Role,
    StoredAttachment,
    User,
    World,
)

Json = dict[str, Any]


def iso(instant: datetime) -> str:
    """ISO 8601 with an explicit UTC offset, as Discord sends timestamps."""
    return instant.isoformat()


def user_json(user: User) -> Json:
    """A user object."""
    data: Json = {
        "id": str(user.id),
        "username": user.username,
        "discriminator": "0",
        "global_name": user.global_name,
        "avatar": None,
        "public_flags": 0,
        "flags": 0,
        "banner": None,
        "accent_color": None,
        "avatar_decoration_data": None,
    }
    if user.bot:
        data["bot"] = True
    return data


def role_json(role: Role, *, bot_id: int | None = None) -> Json:
    """A role object (permissions as a string, as Discord sends them)."""
    data: Json = {
        "id": str(role.id),
        "name": role.name,
        "color": role.color,
        "colors": {"primary_color": role.color, "secondary_color": None, "tertiary_color": None},
        "hoist": role.hoist,
        "icon": None,
        "unicode_emoji": None,
        "position": role.position,
        "permissions": str(role.permissions),
        "managed": role.managed,
        "mentionable": role.mentionable,
        "flags": 0,
    }
    if bot_id is not None:
        data["tags"] = {"bot_id": str(bot_id)}
    return data


def guild_roles_json(world: World, guild: Guild) -> list[Json]:
    """All roles of a guild; a bot's managed role carries its bot tag."""
    bots = {app.name: app.bot_user_id for app in world.applications.values()}
    return [
        role_json(r, bot_id=bots.get(r.name) if r.managed else None) for r in guild.roles.values()
    ]


def member_json(
    world: World, member: Member, *, with_user: bool = True, permissions: int | None = None
) -> Json:
    """A guild member object; `permissions` is added for interaction payloads."""
    data: Json = {
        "nick": member.nick,
        "avatar": None,
        "banner": None,
        "roles": [str(r) for r in member.roles],
        "joined_at": iso(member.joined_at),
        "premium_since": None,
        "deaf": False,
        "mute": False,
        "flags": 0,
        "pending": False,
        "communication_disabled_until": None,
    }
    if with_user:
        data["user"] = user_json(world.user(member.user_id))
    if permissions is not None:
        data["permissions"] = str(permissions)
    return data


def channel_json(world: World, channel: Channel, *, permissions: int | None = None) -> Json:
    """A channel object; `permissions` is added for interaction payloads."""
    last = str(channel.last_message_id) if channel.last_message_id else None
    if channel.type == DM:
        recipients = [] if channel.recipient_id is None else [world.user(channel.recipient_id)]
        return {
            "id": str(channel.id),
            "type": DM,
            "last_message_id": last,
            "flags": 0,
            "recipients": [user_json(u) for u in recipients],
        }
    data: Json = {
        "id": str(channel.id),
        "type": channel.type,
        "guild_id": str(channel.guild_id),
        "name": channel.name,
        "position": channel.position,
        "permission_overwrites": [ow.to_json() for ow in channel.overwrites],
        "topic": channel.topic,
        "nsfw": False,
        "parent_id": str(channel.parent_id) if channel.parent_id else None,
        "last_message_id": last,
        "rate_limit_per_user": 0,
        "flags": 0,
    }
    if channel.type in (GUILD_VOICE, GUILD_STAGE_VOICE):
        data.update(
            {
                "bitrate": 64000,
                "user_limit": 0,
                "rtc_region": None,
                "video_quality_mode": 1,
            }
        )
    if permissions is not None:
        data["permissions"] = str(permissions)
    return data


def guild_json(world: World, guild: Guild) -> Json:
    """The guild object REST returns (no members or channels)."""
    return {
        "id": str(guild.id),
        "name": guild.name,
        "icon": None,
        "splash": None,
        "discovery_splash": None,
        "banner": None,
        "description": None,
        "owner_id": str(guild.owner_id),
        "region": None,
        "afk_channel_id": None,
        "afk_timeout": 300,
        "verification_level": 0,
        "default_message_notifications": 1,
        "explicit_content_filter": 0,
        "roles": guild_roles_json(world, guild),
        "emojis": [],
        "stickers": [],
        "features": [],
        "mfa_level": 0,
        "nsfw_level": 0,
        "application_id": None,
        "system_channel_id": str(guild.channel_ids[0]) if guild.channel_ids else None,
        "system_channel_flags": 0,
        "rules_channel_id": None,
        "public_updates_channel_id": None,
        "safety_alerts_channel_id": None,
        "vanity_url_code": None,
        "premium_tier": 0,
        "premium_subscription_count": 0,
        "premium_progress_bar_enabled": False,
        "preferred_locale": "en-US",
        "max_members": 500000,
        "max_video_channel_users": 25,
        "widget_enabled": False,
        "widget_channel_id": None,
        "incidents_data": None,
    }


def guild_create_json(world: World, guild: Guild, *, bot_user_id: int) -> Json:
    """The GUILD_CREATE payload: the guild plus channels, members and events.

    `member_count` equals the members sent so discord.py considers the guild chunked.
    """
    members = [member_json(world, m) for m in guild.members.values()]
    bot_member = guild.members.get(bot_user_id)
    data = guild_json(world, guild)
    data.update(
        {
            "joined_at": iso(bot_member.joined_at if bot_member else guild.created_at),
            "large": False,
            "unavailable": False,
            "member_count": len(members),
            "members": members,
            "channels": [channel_json(world, world.channel(c)) for c in guild.channel_ids],
            "threads": [],
            "presences": [],
            "voice_states": [],
            "stage_instances": [],
            "guild_scheduled_events": [e.data for e in guild.scheduled_events.values()],
            "soundboard_sounds": [],
            "embedded_activities": [],
        }
    )
    return data


def attachment_url(base_url: str, channel_id: int, attachment: StoredAttachment) -> str:
    """Where the server serves an attachment's bytes."""
    name = quote(attachment.filename)
    return f"{base_url}/attachments/{channel_id}/{attachment.id}/{name}"


def attachment_json(base_url: str, channel_id: int, attachment: StoredAttachment) -> Json:
    """An attachment object pointing at this server."""
    url = attachment_url(base_url, channel_id, attachment)
    data: Json = {
        "id": str(attachment.id),
        "filename": attachment.filename,
        "size": attachment.size,
        "url": url,
        "proxy_url": url,
        "content_type": attachment.content_type,
    }
    if attachment.description is not None:
        data["description"] = attachment.description
    return data


def message_json(world: World, message: Message, *, base_url: str) -> Json:
    """A message object as REST, the gateway and interaction responses send it."""
    channel = world.channel(message.channel_id)
    author = world.user(message.author_id)
    data: Json = {
        "id": str(message.id),
        "channel_id": str(message.channel_id),
        "type": message.type,
        "author": user_json(author),
        "content": message.content,
        "timestamp": iso(message.timestamp),
        "edited_timestamp": iso(message.edited_timestamp) if message.edited_timestamp else None,
        "tts": False,
        "mention_everyone": False,
        "mentions": [],
        "mention_roles": [],
        "mention_channels": [],
        "attachments": [attachment_json(base_url, channel.id, a) for a in message.attachments],
        "embeds": message.embeds,
        "components": message.components,
        "reactions": [],
        "pinned": False,
        "flags": message.flags,
    }
    if channel.guild_id is not None:
        data["guild_id"] = str(channel.guild_id)
        member = world.guild(channel.guild_id).members.get(message.author_id)
        if member is not None and message.webhook_id is None:
            data["member"] = member_json(world, member, with_user=False)
    if message.webhook_id is not None:
        data["webhook_id"] = str(message.webhook_id)
    if message.application_id is not None:
        data["application_id"] = str(message.application_id)
    if message.poll is not None:
        data["poll"] = message.poll
    if message.nonce is not None:
        data["nonce"] = message.nonce
    interaction = world.interactions.get(message.interaction_id or 0)
    if interaction is not None:
        data["interaction_metadata"] = {
            "id": str(interaction.id),
            "type": interaction.type,
            "user": user_json(world.user(interaction.user_id)),
            "authorizing_integration_owners": interaction.payload.get(
                "authorizing_integration_owners", {}
            ),
        }
    return data


def application_json(world: World, app: Application) -> Json:
    """GET /oauth2/applications/@me."""
    owner = world.user(app.owner_id)
    bot = world.user(app.bot_user_id)
    return {
        "id": str(app.id),
        "name": app.name,
        "icon": None,
        "description": f"{app.name} (sandbox)",
        "summary": "",
        "type": None,
        "cover_image": None,
        "bot_public": True,
        "bot_require_code_grant": False,
        "verify_key": app.verify_key,
        "owner": user_json(owner),
        "team": None,
        "bot": user_json(bot),
        "flags": 0,
        "approximate_guild_count": len(world.guilds_of(app.bot_user_id)),
        "interactions_endpoint_url": None,
        "role_connections_verification_url": None,
        "rpc_origins": [],
        "tags": [],
        "redirect_uris": [],
        "install_params": None,
        "integration_types_config": {"0": {}},
        "custom_install_url": None,
        "terms_of_service_url": None,
        "privacy_policy_url": None,
        "guild_id": None,
        "primary_sku_id": None,
        "slug": None,
    }

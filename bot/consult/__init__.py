"""Peer-consultation scheduling: domain and storage (no discord import).

For the glue (cogs, the Discord publisher). Instants are aware UTC datetimes; show them
as Discord timestamps. Member text (titles, places) must pass `bot.text.plain`.

Propose
    `times.parse_candidates(text, zone=, hours=, now=) -> list[Candidate]` (UserError
    quoting the bad part); each has `.start` (UTC), `.outside_hours`, `.adjustment`
    ("gap"/"overlap"/None) for the confirmation echo.
    `store.create_poll(db, store.PollDraft(...), origin=<interaction id>, now=) -> Poll`
    (the same origin twice makes one poll); then `store.set_poll_message(db, id, msg)`.
Vote
    `store.member_marks(db, poll, user)` (prefill), `store.save_availability(db, poll,
    user, works=[slot ids], if_need_be=[slot ids], now=)`, `store.poll_view(db, poll)`
    (slots with user ids per mark, `answered`, `show_names`), `store.get_settings`.
Finalize
    `store.finalize(db, poll, now=, actor=store.Actor(user, is_moderator))`:
    `.choice.outcome` "chosen" (with `.session`), "tie" (`.choice.tied`: let the organiser
    pick, then call again with `slot_id=`) or "nobody". `store.cancel_poll`.
Discord side (after each tick and after each change)
    `store.sessions_to_sync(db)`: create / edit / cancel the scheduled event and the
    announcement, then `store.mark_synced(db, id, session.sequence, discord_event_id=,
    announcement_message_id=)`. `store.polls_to_refresh(db)` then
    `store.mark_post_refreshed(db, id, poll.post_version)`.
Sessions
    `store.set_rsvp(db, session, user, "going"|"maybe"|"cant", now)`, `rsvp_counts`,
    `rsvp_of`, `store.reschedule(db, session, start, actor=, now=)`,
    `store.cancel_session(db, session, actor=, now=)`, `upcoming_sessions`,
    `session_by_event`. Calendar: `calendar.ics_bytes(calendar.entry_for(session,
    guild_id), now=)`, filename `calendar.FILENAME`.
Presenters
    `presenters.join_queue / leave_queue / queue / history / presenter_of`,
    `presenters.answer(db, session, user, accept=, group_zone=, now=)`,
    `presenters.name_presenter(db, session, user, now)` (moderators).
Recurring
    `rules.set_rule(db, group, rules.RuleSpec(...), now)`, `rules.skip(db, group, day,
    now)`, `rules.turn_off(db, group, now)`, `rules.get_rule(db, group)`.
Settings
    `store.save_settings(db, group, now=, show_names=, reminder_offsets=,
    location_kind=, voice_channel_id=)`; a member's reminder switches are
    `bot.members.preferences.set_consult_reminders(..., on=, outside_hours=)`.
Due steps
    `steps.ConsultSteps(db, roster).register(due_steps)`; `roster.members(group_id)`
    returns the group's member ids (for "everyone has answered").
Outbox kinds to render (payloads hold ids, title, `starts_at`, `channel_id`):
    `consult_poll_ready` (to the organiser; `reason` "answered"|"deadline", `status`),
    `consult_reminder` (`minutes_before`), `consult_session_changed` (`cancelled`),
    `consult_presenter_ask` (`answer_by`; buttons call `presenters.answer`).
"""

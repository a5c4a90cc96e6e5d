"""The anonymous burnout pulse: instrument, scoring, pooling, schedule, storage, due steps.

Domain only: nothing here imports discord. The glue (`cogs/pulse.py`) turns interactions
into calls to `PulseService` and formats what it returns.

Threat model: whoever reads the SQLite file (an operator, a leaked backup) or the logs
must not link an answer to a member, and nobody (moderators, `/peerpulse status`, logs)
learns how many have answered while a survey is open. See `store` and
migrations/0010_pulse.sql for how: random-keyed answer rows holding only values, an HMAC
of the member id under a per-survey secret deleted at close, secure_delete and a WAL
checkpoint at close, pulse reminders never counted, results only after close with n ≥ k.

API for the glue (all instants aware UTC; every refusal is a `UserError` sentence):

- `service.PulseService(db, instrument.InstrumentLibrary(settings.pulse.instruments_path))`
  - `register(steps)`: due steps "pulse.close", "pulse.open", "pulse.remind".
  - moderators: `settings(group_id)`, `set_schedule(group_id, every_weeks=2|4,
    weekday=, local_time=, days_open=, now=)`, `schedule_off`, `reschedule` (after a
    time zone change), `configure(group_id, now, k=, post_results=, support_text=,
    support_replaces=, instrument_id=, keep_raw_answers=, reminders=)`,
    `open_now(group_id, now) -> Survey`, `close_now(group_id, now) -> CloseOutcome`.
  - members: `survey_for_member(survey_id, member_id, now) -> (Survey, Instrument)`
    (before the first step: refuses a closed survey or a second answer), then
    `submit(survey_id, member_id, values, now) -> Submitted` with `.own`
    (`scoring.OwnResult`: the member's index and drivers in plain words; show once,
    never store). Hold step one's values in memory only, at most 15 minutes.
  - views (moderators and members alike): `latest_result(group_id)`,
    `published(group_id)` -> `store.PublishedPoint` (aggregates, dates of every survey
    in a pool, `pooled`, `n` ≥ k, `shares` per item key, `suggestions`). No result:
    say "not enough responses yet to protect anonymity (n < k)", never n.
- Posting (glue's own due step): `store.surveys_to_announce` / `set_channel_message`
  (invitation with its button), `store.results_to_post` / `set_result_message` (only
  groups with post_results), `store.drops_to_announce` / `mark_drop_announced` ("not
  enough answers"). DMs: register renderers for `store.INVITE_KIND` and
  `store.REMINDER_KIND` (payload: survey_id, channel_id, closes_at).
- `store.closed_surveys(group_id)`: dates and outcomes (published/carried/dropped), never
  a count, for chart gaps.
- `crisis.load_crisis_resources()`: the default lines with region and verified date;
  a group's `support_text` replaces them when `support_replaces`, else adds to them.
- Instrument wording for every result: `Instrument.title`, `.licence` (not a validated
  instrument, not a diagnosis), `.recall_period`, item `short`/`text` and scale labels.
"""

-- Members' boundaries (time zone, working hours, away, DM consent) and the durable DM
-- outbox. Instants are ISO-8601 UTC text written by the bot (fixed width, so they sort
-- and compare as text); dates are YYYY-MM-DD.

-- One row per member of a group who changed something; no row means the defaults
-- (the group's zone, Mon-Fri 09:00-17:00, not away, no DMs, reminders on).
CREATE TABLE member_preferences (
    group_id         INTEGER NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    user_id          INTEGER NOT NULL,
    timezone         TEXT,                                   -- NULL: the group's zone
    work_days        INTEGER NOT NULL DEFAULT 31             -- bit 0 = Monday … bit 6 = Sunday
                     CHECK (work_days BETWEEN 1 AND 127),
    work_start       INTEGER NOT NULL DEFAULT 540            -- minutes after local midnight
                     CHECK (work_start BETWEEN 0 AND 1439),
    work_end         INTEGER NOT NULL DEFAULT 1020           -- <= work_start: ends the next day
                     CHECK (work_end BETWEEN 1 AND 1440 AND work_end != work_start),
    away_since       TEXT,                                   -- NULL: not away
    away_until       TEXT,                                   -- last local date away; NULL: indefinitely
    dm_checkins      INTEGER NOT NULL DEFAULT 0 CHECK (dm_checkins IN (0, 1)),
    dm_consultations INTEGER NOT NULL DEFAULT 0 CHECK (dm_consultations IN (0, 1)),
    dm_pulse         INTEGER NOT NULL DEFAULT 0 CHECK (dm_pulse IN (0, 1)),
    reminders        INTEGER NOT NULL DEFAULT 1 CHECK (reminders IN (0, 1)),
    created_at       TEXT    NOT NULL,
    updated_at       TEXT    NOT NULL,
    PRIMARY KEY (group_id, user_id)
);

CREATE INDEX member_preferences_by_user ON member_preferences (user_id);

-- Per Discord user, across groups: the DM channel (so a repeat DM costs one request)
-- and whether their DMs were found closed (Discord error 50007) since they last
-- interacted with the bot.
CREATE TABLE dm_recipients (
    user_id       INTEGER PRIMARY KEY,
    channel_id    INTEGER,
    dms_closed_at TEXT,
    updated_at    TEXT NOT NULL
);

-- Every bot-initiated DM. The payload holds render parameters only, never answers or
-- notes. status: pending -> sending (leased) -> sent | dropped (decided not to send:
-- stale, away, opted out, DMs closed) | failed (tried and could not).
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    group_id        INTEGER NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    user_id         INTEGER NOT NULL,
    kind            TEXT    NOT NULL,
    ref             TEXT    NOT NULL,
    payload         TEXT    NOT NULL DEFAULT '{}',
    due_at          TEXT    NOT NULL,
    expires_at      TEXT,
    status          TEXT    NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'sending', 'sent', 'dropped', 'failed')),
    hold_reason     TEXT    CHECK (hold_reason IN ('hours', 'retry')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT    NOT NULL,
    lease_owner     TEXT,
    lease_until     TEXT,
    outcome         TEXT,
    last_error      TEXT,                                    -- an error class or code, never content
    message_id      INTEGER,
    created_at      TEXT    NOT NULL,
    updated_at      TEXT    NOT NULL,
    finished_at     TEXT,
    UNIQUE (group_id, user_id, kind, ref)
);

CREATE INDEX outbox_ready ON outbox (status, next_attempt_at);
CREATE INDEX outbox_leases ON outbox (lease_until) WHERE status = 'sending';
CREATE INDEX outbox_by_user ON outbox (user_id);

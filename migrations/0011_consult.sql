-- Peer-consultation scheduling: availability polls, finalization, sessions (one Discord
-- scheduled event each), RSVPs, reminders, the presenter rotation and recurring rules.
-- Instants are fixed-width UTC text; local dates YYYY-MM-DD. Every scheduled effect has
-- a natural key with a UNIQUE constraint, so running a due step twice changes nothing.
-- Who did NOT answer a poll is never stored: only who did (a scheduling poll is not
-- anonymous, and the poll says so).

-- One row per group that changed a consultation setting; no row means the defaults.
CREATE TABLE consult_settings (
    group_id         INTEGER PRIMARY KEY REFERENCES groups (id) ON DELETE CASCADE,
    show_names       INTEGER NOT NULL DEFAULT 1 CHECK (show_names IN (0, 1)),
    -- Minutes before the start, a JSON array like [1440, 60] (the default: 24 h and 1 h).
    reminder_offsets TEXT    NOT NULL DEFAULT '[1440,60]' CHECK (json_valid(reminder_offsets)),
    location_kind    TEXT    NOT NULL DEFAULT 'voice' CHECK (location_kind IN ('voice', 'external')),
    voice_channel_id INTEGER,
    updated_at       TEXT    NOT NULL
);

-- `origin` is the poll's natural key: the id of the interaction that confirmed it, so
-- a confirmation pressed twice makes one poll. The organiser's id is blanked when they
-- use /me forget; the poll stays the group's.
CREATE TABLE consult_polls (
    id                 INTEGER PRIMARY KEY,
    group_id           INTEGER NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    origin             TEXT    NOT NULL,
    organiser_user_id  INTEGER,
    title              TEXT    NOT NULL CHECK (length(title) BETWEEN 1 AND 100),
    duration_minutes   INTEGER NOT NULL CHECK (duration_minutes BETWEEN 15 AND 480),
    deadline_at        TEXT    NOT NULL,
    needs_presenter    INTEGER NOT NULL CHECK (needs_presenter IN (0, 1)),
    location_kind      TEXT    NOT NULL CHECK (location_kind IN ('voice', 'external')),
    location_text      TEXT    CHECK (location_text IS NULL OR length(location_text) BETWEEN 1 AND 100),
    voice_channel_id   INTEGER,
    channel_id         INTEGER NOT NULL,
    message_id         INTEGER,
    -- Raised when a due step changes the poll (closed at the deadline); the glue re-renders
    -- the post while post_synced < post_version.
    post_version       INTEGER NOT NULL DEFAULT 0,
    post_synced        INTEGER NOT NULL DEFAULT 0,
    -- open -> finalized (a session) | tie (the organiser picks) -> finalized; open|tie ->
    -- closed (nobody could make any slot) | cancelled.
    status             TEXT    NOT NULL DEFAULT 'open'
                       CHECK (status IN ('open', 'tie', 'finalized', 'closed', 'cancelled')),
    -- The organiser's one "everyone has answered / the deadline passed" DM was queued.
    ready_notice_at    TEXT,
    created_at         TEXT    NOT NULL,
    closed_at          TEXT,
    UNIQUE (group_id, origin),
    CHECK ((location_kind = 'external') = (location_text IS NOT NULL))
);

CREATE INDEX consult_polls_open_by_deadline ON consult_polls (deadline_at) WHERE status = 'open';
CREATE INDEX consult_polls_by_organiser ON consult_polls (organiser_user_id);

CREATE TABLE consult_slots (
    id        INTEGER PRIMARY KEY,
    poll_id   INTEGER NOT NULL REFERENCES consult_polls (id) ON DELETE CASCADE,
    position  INTEGER NOT NULL CHECK (position BETWEEN 0 AND 9),
    starts_at TEXT    NOT NULL,
    UNIQUE (poll_id, position),
    UNIQUE (poll_id, starts_at)
);

-- That a member answered the poll (possibly with no slot ticked: "none works for me").
CREATE TABLE consult_responses (
    poll_id     INTEGER NOT NULL REFERENCES consult_polls (id) ON DELETE CASCADE,
    user_id     INTEGER NOT NULL,
    answered_at TEXT    NOT NULL,
    PRIMARY KEY (poll_id, user_id)
);

CREATE INDEX consult_responses_by_user ON consult_responses (user_id);

CREATE TABLE consult_marks (
    poll_id INTEGER NOT NULL REFERENCES consult_polls (id) ON DELETE CASCADE,
    slot_id INTEGER NOT NULL REFERENCES consult_slots (id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL,
    mark    TEXT    NOT NULL CHECK (mark IN ('works', 'if_need_be')),
    UNIQUE (poll_id, slot_id, user_id)
);

CREATE INDEX consult_marks_by_user ON consult_marks (user_id);

-- The one decision per poll; slot_id NULL: nobody could make any slot.
CREATE TABLE consult_finalizations (
    poll_id    INTEGER PRIMARY KEY REFERENCES consult_polls (id) ON DELETE CASCADE,
    slot_id    INTEGER REFERENCES consult_slots (id),
    how        TEXT    NOT NULL CHECK (how IN ('organiser', 'deadline')),
    decided_at TEXT    NOT NULL
);

-- A recurring consultation: one rule per group (off keeps the row, inactive, so the
-- occurrences it made keep their natural key).
CREATE TABLE consult_rules (
    id               INTEGER PRIMARY KEY,
    group_id         INTEGER NOT NULL UNIQUE REFERENCES groups (id) ON DELETE CASCADE,
    anchor_date      TEXT    NOT NULL,
    local_minute     INTEGER NOT NULL CHECK (local_minute BETWEEN 0 AND 1439),
    every_weeks      INTEGER NOT NULL CHECK (every_weeks IN (1, 2, 4)),
    title            TEXT    NOT NULL CHECK (length(title) BETWEEN 1 AND 100),
    duration_minutes INTEGER NOT NULL CHECK (duration_minutes BETWEEN 15 AND 480),
    needs_presenter  INTEGER NOT NULL CHECK (needs_presenter IN (0, 1)),
    location_kind    TEXT    NOT NULL CHECK (location_kind IN ('voice', 'external')),
    location_text    TEXT    CHECK (location_text IS NULL OR length(location_text) BETWEEN 1 AND 100),
    voice_channel_id INTEGER,
    channel_id       INTEGER NOT NULL,
    active           INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    updated_at       TEXT    NOT NULL,
    CHECK ((location_kind = 'external') = (location_text IS NOT NULL))
);

CREATE TABLE consult_skips (
    rule_id INTEGER NOT NULL REFERENCES consult_rules (id) ON DELETE CASCADE,
    day     TEXT    NOT NULL,
    PRIMARY KEY (rule_id, day)
);

-- A booked session: from a poll (UNIQUE poll_id) or a rule's occurrence (UNIQUE rule,
-- date). Each has at most one Discord scheduled event (UNIQUE discord_event_id).
-- `sequence` rises on every change (the .ics says so); `synced_sequence` is the last
-- one pushed to Discord, so a change not yet pushed is retried on the next tick.
CREATE TABLE consult_sessions (
    id                      INTEGER PRIMARY KEY,
    group_id                INTEGER NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    poll_id                 INTEGER UNIQUE REFERENCES consult_polls (id) ON DELETE SET NULL,
    rule_id                 INTEGER REFERENCES consult_rules (id) ON DELETE SET NULL,
    occurrence_date         TEXT,
    title                   TEXT    NOT NULL CHECK (length(title) BETWEEN 1 AND 100),
    starts_at               TEXT    NOT NULL,
    ends_at                 TEXT    NOT NULL CHECK (ends_at > starts_at),
    needs_presenter         INTEGER NOT NULL CHECK (needs_presenter IN (0, 1)),
    location_kind           TEXT    NOT NULL CHECK (location_kind IN ('voice', 'external')),
    location_text           TEXT    CHECK (location_text IS NULL OR length(location_text) BETWEEN 1 AND 100),
    voice_channel_id        INTEGER,
    channel_id              INTEGER NOT NULL,
    status                  TEXT    NOT NULL DEFAULT 'scheduled'
                            CHECK (status IN ('scheduled', 'cancelled')),
    sequence                INTEGER NOT NULL DEFAULT 0,
    synced_sequence         INTEGER,
    discord_event_id        INTEGER UNIQUE,
    announcement_message_id INTEGER,
    created_at              TEXT    NOT NULL,
    updated_at              TEXT    NOT NULL,
    UNIQUE (rule_id, occurrence_date)
);

CREATE INDEX consult_sessions_upcoming ON consult_sessions (starts_at) WHERE status = 'scheduled';
CREATE INDEX consult_sessions_unsynced ON consult_sessions (id)
    WHERE synced_sequence IS NULL OR synced_sequence < sequence;

CREATE TABLE consult_rsvps (
    session_id  INTEGER NOT NULL REFERENCES consult_sessions (id) ON DELETE CASCADE,
    user_id     INTEGER NOT NULL,
    answer      TEXT    NOT NULL CHECK (answer IN ('going', 'maybe', 'cant')),
    answered_at TEXT    NOT NULL,
    PRIMARY KEY (session_id, user_id)
);

CREATE INDEX consult_rsvps_by_user ON consult_rsvps (user_id);

-- The reminder step for one offset of one session at one start time ran (its DMs are
-- outbox rows). Keyed by the start, so a rescheduled session is reminded again. No
-- user ids: who was reminded does not outlive the outbox rows.
CREATE TABLE consult_reminder_steps (
    session_id    INTEGER NOT NULL REFERENCES consult_sessions (id) ON DELETE CASCADE,
    starts_at     TEXT    NOT NULL,
    offset_minute INTEGER NOT NULL CHECK (offset_minute > 0),
    ran_at        TEXT    NOT NULL,
    PRIMARY KEY (session_id, starts_at, offset_minute)
);

-- The presenter queue; joined_at orders ties.
CREATE TABLE consult_queue (
    group_id  INTEGER NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    user_id   INTEGER NOT NULL,
    joined_at TEXT    NOT NULL,
    PRIMARY KEY (group_id, user_id)
);

CREATE INDEX consult_queue_by_user ON consult_queue (user_id);

-- Who was asked to present a session, and how it went; one open request per session.
CREATE TABLE consult_presenter_requests (
    session_id  INTEGER NOT NULL REFERENCES consult_sessions (id) ON DELETE CASCADE,
    user_id     INTEGER NOT NULL,
    asked_at    TEXT    NOT NULL,
    answer_by   TEXT    NOT NULL,
    status      TEXT    NOT NULL DEFAULT 'asked'
                CHECK (status IN ('asked', 'accepted', 'passed', 'timed_out', 'withdrawn')),
    answered_at TEXT,
    PRIMARY KEY (session_id, user_id)
);

CREATE UNIQUE INDEX consult_presenter_requests_one_open ON consult_presenter_requests (session_id)
    WHERE status = 'asked';
CREATE INDEX consult_presenter_requests_due ON consult_presenter_requests (answer_by)
    WHERE status = 'asked';
CREATE INDEX consult_presenter_requests_by_user ON consult_presenter_requests (user_id);

-- Who presents (or presented) each session; one presenter per session. The rotation
-- reads each member's latest `presented_at` (the session's start).
CREATE TABLE consult_presenters (
    session_id   INTEGER PRIMARY KEY REFERENCES consult_sessions (id) ON DELETE CASCADE,
    group_id     INTEGER NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    user_id      INTEGER NOT NULL,
    presented_at TEXT    NOT NULL,
    how          TEXT    NOT NULL CHECK (how IN ('accepted', 'moderator'))
);

CREATE INDEX consult_presenters_by_member ON consult_presenters (group_id, user_id, presented_at);
CREATE INDEX consult_presenters_by_user ON consult_presenters (user_id);

-- Members' consultation reminder settings: reminders on (default), and whether they may
-- arrive outside the member's working hours (default: no).
ALTER TABLE member_preferences ADD COLUMN consult_reminders INTEGER NOT NULL DEFAULT 1
    CHECK (consult_reminders IN (0, 1));
ALTER TABLE member_preferences ADD COLUMN consult_outside_hours INTEGER NOT NULL DEFAULT 0
    CHECK (consult_outside_hours IN (0, 1));

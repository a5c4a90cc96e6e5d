-- Weekly check-ins: one schedule per group, one round per group per ISO week, one answer
-- per member per round. Nothing here lists who did not answer: that set is only ever
-- computed in memory (for the one reminder) and never stored.
CREATE TABLE checkin_schedules (
    group_id      INTEGER PRIMARY KEY REFERENCES groups (id) ON DELETE CASCADE,
    channel_id    INTEGER NOT NULL,
    weekday       INTEGER NOT NULL CHECK (weekday BETWEEN 0 AND 6),
    local_time    TEXT    NOT NULL CHECK (local_time GLOB '[0-2][0-9]:[0-5][0-9]'),
    open_hours    INTEGER NOT NULL CHECK (open_hours BETWEEN 1 AND 168),
    reminder      INTEGER NOT NULL DEFAULT 1 CHECK (reminder IN (0, 1)),
    paused        INTEGER NOT NULL DEFAULT 0 CHECK (paused IN (0, 1)),
    -- When the opening step next looks at this schedule, so a tick reads only due rows.
    next_open_at  TEXT,
    updated_at    TEXT    NOT NULL
);

CREATE INDEX checkin_schedules_due ON checkin_schedules (next_open_at) WHERE paused = 0;

-- The natural key (group_id, period) makes opening idempotent: a week never gets two rounds.
CREATE TABLE checkin_rounds (
    id                 INTEGER PRIMARY KEY,
    group_id           INTEGER NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    period             TEXT    NOT NULL CHECK (period GLOB '[0-9][0-9][0-9][0-9]-W[0-5][0-9]'),
    channel_id         INTEGER NOT NULL,
    opens_at           TEXT    NOT NULL,
    closes_at          TEXT    NOT NULL CHECK (closes_at > opens_at),
    reminder_due_at    TEXT    NOT NULL,
    status             TEXT    NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    manual             INTEGER NOT NULL DEFAULT 0 CHECK (manual IN (0, 1)),
    reminder_sent_at   TEXT,
    closed_at          TEXT,
    channel_message_id INTEGER,
    summary_message_id INTEGER,
    UNIQUE (group_id, period)
);

-- The due steps look for open rounds by time, across all groups.
CREATE INDEX checkin_rounds_open_by_close ON checkin_rounds (closes_at) WHERE status = 'open';

-- group_id repeats the round's group so the shared retention step (which blanks free
-- text per group) and per-group queries need no join.
CREATE TABLE checkin_answers (
    id                 INTEGER PRIMARY KEY,
    round_id           INTEGER NOT NULL REFERENCES checkin_rounds (id) ON DELETE CASCADE,
    group_id           INTEGER NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    user_id            INTEGER NOT NULL,
    energy             INTEGER NOT NULL CHECK (energy BETWEEN 1 AND 5),
    caseload           TEXT    NOT NULL
        CHECK (caseload IN ('light', 'manageable', 'heavy', 'overwhelming')),
    boundaries         TEXT    NOT NULL CHECK (boundaries IN ('yes', 'mostly', 'no')),
    wants_consult      INTEGER NOT NULL CHECK (wants_consult IN (0, 1)),
    share_consult_name INTEGER NOT NULL DEFAULT 0 CHECK (share_consult_name IN (0, 1)),
    note               TEXT CHECK (note IS NULL OR length(note) <= 1000),
    note_visibility    TEXT CHECK (note_visibility IN ('only_me', 'moderators', 'group')),
    answered_at        TEXT    NOT NULL,
    -- When the note was written; the retention step blanks `note` after the group's
    -- retention period (visibility and this time stay, and mean nothing without a note).
    note_created_at    TEXT,
    UNIQUE (round_id, user_id)
);

-- Retention sweeps (per group) find old notes without scanning every answer.
CREATE INDEX checkin_answers_note_age ON checkin_answers (group_id, note_created_at)
    WHERE note IS NOT NULL;
-- Export and erasure of one member's own answers.
CREATE INDEX checkin_answers_by_user ON checkin_answers (user_id);

-- A closed round's counts, written once in the closing transaction (answers cannot change
-- after close), so the history chart reads one row per week instead of every answer.
-- Counts only: no user ids, no text.
CREATE TABLE checkin_round_counts (
    round_id     INTEGER PRIMARY KEY REFERENCES checkin_rounds (id) ON DELETE CASCADE,
    responses    INTEGER NOT NULL,
    energy_1     INTEGER NOT NULL,
    energy_2     INTEGER NOT NULL,
    energy_3     INTEGER NOT NULL,
    energy_4     INTEGER NOT NULL,
    energy_5     INTEGER NOT NULL,
    light        INTEGER NOT NULL,
    manageable   INTEGER NOT NULL,
    heavy        INTEGER NOT NULL,
    overwhelming INTEGER NOT NULL
);

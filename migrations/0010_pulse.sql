-- The anonymous burnout pulse. Threat model: whoever reads this file (an operator, a
-- leaked backup) must not link an answer to a member. So an answer row holds only its
-- survey, the instrument version and the item values, under a random key in a WITHOUT
-- ROWID table (its physical order follows nothing about submission). "Who has answered"
-- is an HMAC of the member id under a per-survey secret; at close the secret and those
-- rows are deleted (secure_delete on) and the WAL checkpointed. Raw answers are deleted
-- once published unless the group keeps them. Nothing here counts answers while open.

-- One row per group that set the pulse up; no row: no pulse yet.
CREATE TABLE pulse_settings (
    group_id         INTEGER PRIMARY KEY REFERENCES groups (id) ON DELETE CASCADE,
    scheduled        INTEGER NOT NULL DEFAULT 0 CHECK (scheduled IN (0, 1)),  -- 0: schedule off
    every_weeks      INTEGER NOT NULL DEFAULT 2 CHECK (every_weeks IN (2, 4)),
    weekday          INTEGER NOT NULL DEFAULT 0 CHECK (weekday BETWEEN 0 AND 6),
    local_time       TEXT    NOT NULL DEFAULT '09:00'
                     CHECK (local_time GLOB '[0-2][0-9]:[0-5][0-9]'),
    days_open        INTEGER NOT NULL DEFAULT 5
                     CHECK (days_open >= 1 AND days_open <= every_weeks * 7),
    anchor_date      TEXT,                                   -- first period start (YYYY-MM-DD)
    next_open_at     TEXT,                                   -- when the open step next looks
    k                INTEGER NOT NULL DEFAULT 5 CHECK (k >= 3),
    post_results     INTEGER NOT NULL DEFAULT 1 CHECK (post_results IN (0, 1)),
    support_text     TEXT    CHECK (support_text IS NULL OR length(support_text) <= 1000),
    support_replaces INTEGER NOT NULL DEFAULT 0 CHECK (support_replaces IN (0, 1)),
    instrument_id    TEXT    NOT NULL DEFAULT 'peerpulse-default',
    keep_raw_answers INTEGER NOT NULL DEFAULT 0 CHECK (keep_raw_answers IN (0, 1)),
    reminders        INTEGER NOT NULL DEFAULT 0 CHECK (reminders IN (0, 1)),
    updated_at       TEXT    NOT NULL
);

CREATE INDEX pulse_settings_due ON pulse_settings (next_open_at) WHERE scheduled = 1;

-- Aggregates only: one row per published point, with the dates of every survey in it.
CREATE TABLE pulse_results (
    id                 INTEGER PRIMARY KEY,
    group_id           INTEGER NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    instrument_id      TEXT    NOT NULL,
    instrument_version TEXT    NOT NULL,
    period_starts      TEXT    NOT NULL,                     -- JSON list of YYYY-MM-DD, oldest first
    last_period_start  TEXT    NOT NULL,
    pooled             INTEGER NOT NULL CHECK (pooled IN (0, 1)),
    n                  INTEGER NOT NULL CHECK (n >= 3),
    index_median       REAL    NOT NULL,
    index_q1           REAL    NOT NULL,
    index_q3           REAL    NOT NULL,
    shares             TEXT    NOT NULL,                     -- JSON {item key: percent}
    option_counts      TEXT,                                 -- JSON, only when n >= 10
    suggestions        TEXT    NOT NULL DEFAULT '[]',        -- JSON list, at most two
    published_at       TEXT    NOT NULL,
    message_id         INTEGER,                              -- the channel post, once posted
    UNIQUE (group_id, last_period_start)
);

-- The natural key (group_id, period_start) makes opening idempotent. outcome at close:
-- published (in the result `result_id`), carried (waiting to be pooled) or dropped
-- (carried past 12 weeks, or pooled under another instrument: never shown).
CREATE TABLE pulse_surveys (
    id                 INTEGER PRIMARY KEY,
    group_id           INTEGER NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    period_start       TEXT    NOT NULL CHECK (period_start GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]'),
    channel_id         INTEGER,
    instrument_id      TEXT    NOT NULL,
    instrument_version TEXT    NOT NULL,
    opens_at           TEXT    NOT NULL,
    closes_at          TEXT    NOT NULL CHECK (closes_at > opens_at),
    reminder_due_at    TEXT    NOT NULL,
    manual             INTEGER NOT NULL DEFAULT 0 CHECK (manual IN (0, 1)),
    state              TEXT    NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'closed')),
    secret             BLOB    CHECK (secret IS NULL OR length(secret) = 32),
    reminder_sent_at   TEXT,
    closed_at          TEXT,
    outcome            TEXT    CHECK (outcome IN ('published', 'carried', 'dropped')),
    result_id          INTEGER REFERENCES pulse_results (id) ON DELETE SET NULL,
    channel_message_id INTEGER,                              -- the invitation post
    drop_announced     INTEGER NOT NULL DEFAULT 0 CHECK (drop_announced IN (0, 1)),
    UNIQUE (group_id, period_start),
    CHECK ((state = 'open') = (secret IS NOT NULL)),
    CHECK ((state = 'open') = (outcome IS NULL))
);

CREATE INDEX pulse_surveys_open_by_close ON pulse_surveys (closes_at) WHERE state = 'open';
CREATE INDEX pulse_surveys_carried ON pulse_surveys (group_id) WHERE outcome = 'carried';

-- Who has answered an open survey: HMAC-SHA256(secret, member id), nothing else.
-- Sorted by the hash (WITHOUT ROWID), so its order says nothing either. Deleted at close.
CREATE TABLE pulse_participation (
    survey_id   INTEGER NOT NULL REFERENCES pulse_surveys (id) ON DELETE CASCADE,
    member_hmac BLOB    NOT NULL CHECK (length(member_hmac) = 32),
    PRIMARY KEY (survey_id, member_hmac)
) WITHOUT ROWID;

-- One row per submission: a random 16-byte key, the survey, the instrument version and
-- the item values as digits ("31240312"). No member id, interaction, message or time.
CREATE TABLE pulse_answers (
    id                 BLOB    PRIMARY KEY CHECK (length(id) = 16),
    survey_id          INTEGER NOT NULL REFERENCES pulse_surveys (id) ON DELETE CASCADE,
    instrument_version TEXT    NOT NULL,
    item_values        TEXT    NOT NULL
                       CHECK (length(item_values) BETWEEN 1 AND 10
                              AND item_values NOT GLOB '*[^0-9]*')
) WITHOUT ROWID;

CREATE INDEX pulse_answers_by_survey ON pulse_answers (survey_id);

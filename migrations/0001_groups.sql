-- A group is one consultation group: a home channel, its members, its moderators,
-- its schedules and settings. Data is keyed by group id, never by guild id, so a
-- second group in the same server needs no migration.
CREATE TABLE groups (
    id                  INTEGER PRIMARY KEY,
    guild_id            INTEGER NOT NULL,
    home_channel_id     INTEGER,
    timezone            TEXT    NOT NULL DEFAULT 'UTC',
    moderator_role_id   INTEGER,
    retention_days      INTEGER NOT NULL DEFAULT 90 CHECK (retention_days >= 1),
    anonymity_threshold INTEGER NOT NULL DEFAULT 5 CHECK (anonymity_threshold >= 3),
    created_at          TEXT    NOT NULL
);

CREATE INDEX groups_by_guild ON groups (guild_id);
CREATE UNIQUE INDEX groups_by_home_channel ON groups (home_channel_id)
    WHERE home_channel_id IS NOT NULL;

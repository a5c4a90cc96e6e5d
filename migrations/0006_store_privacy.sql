-- Finished outbox rows are deleted two days after they finish (they name who was DMed,
-- and reminder rows would name who had not answered). What /peerpulse status needs
-- outlives them as anonymous counts: per group, DM kind, outcome and UTC day; no user
-- id, no ref.
CREATE TABLE delivery_counts (
    group_id INTEGER NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    kind     TEXT    NOT NULL,
    outcome  TEXT    NOT NULL,
    day      TEXT    NOT NULL,                               -- YYYY-MM-DD (UTC) they finished
    count    INTEGER NOT NULL CHECK (count > 0),
    PRIMARY KEY (group_id, kind, outcome, day)
);

-- The one welcome DM is queued the first time a member opts in; its outbox row no
-- longer records that once it is purged, so the member's settings do.
ALTER TABLE member_preferences
    ADD COLUMN dm_welcomed INTEGER NOT NULL DEFAULT 0 CHECK (dm_welcomed IN (0, 1));

UPDATE member_preferences SET dm_welcomed = 1
WHERE EXISTS (
    SELECT 1 FROM outbox o
    WHERE o.group_id = member_preferences.group_id
      AND o.user_id = member_preferences.user_id
      AND o.kind = 'dms_welcome'
);

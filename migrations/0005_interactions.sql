-- A check-in answer whose note was flagged as possibly identifying a client, held while
-- its author decides ("save as written" or "edit my note"), so that the decision still
-- works after a restart and nothing they typed is lost. The id is random and travels in
-- the buttons' custom_id. Rows are deleted when the answer is saved, after an hour, and
-- by /me forget; /me export lists them.
CREATE TABLE checkin_pending (
    id          TEXT    PRIMARY KEY,
    round_id    INTEGER NOT NULL REFERENCES checkin_rounds (id) ON DELETE CASCADE,
    user_id     INTEGER NOT NULL,
    answer      TEXT    NOT NULL,   -- the answer as typed (JSON), note included
    created_at  TEXT    NOT NULL
);
CREATE INDEX checkin_pending_by_member ON checkin_pending (round_id, user_id);
CREATE INDEX checkin_pending_by_age ON checkin_pending (created_at);

-- A member whose DMs were found closed (50007) is tried again at most once a day, however
-- often they interact: their next interaction shows the hint once (clearing
-- dms_closed_at, as before) and allows a new attempt from dms_retry_at, a day after the
-- refused one.
ALTER TABLE dm_recipients ADD COLUMN dms_retry_at TEXT;

-- Posting in a group's channel: failures in a row, when the next try may happen, and
-- since when the bot has stopped trying quickly because Discord refuses its posts
-- (NULL while it can post), which /peerpulse status shows.
ALTER TABLE groups ADD COLUMN post_failures INTEGER NOT NULL DEFAULT 0;
ALTER TABLE groups ADD COLUMN post_retry_at TEXT;
ALTER TABLE groups ADD COLUMN cannot_post_since TEXT;

-- A member whose DMs were found closed (50007) is tried again at most once a day, however
-- often they interact: their next interaction shows the hint once (clearing
-- dms_closed_at, as before) and allows a new attempt from dms_retry_at, a day after the
-- refused one.
ALTER TABLE dm_recipients ADD COLUMN dms_retry_at TEXT;

-- A group whose home channel the bot can no longer post in: since when (NULL when it
-- can), so /peerpulse status says so and the moderators are told once per episode.
ALTER TABLE groups ADD COLUMN cannot_post_since TEXT;

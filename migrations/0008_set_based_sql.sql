-- Set-based due steps: every tick's "is anything due?" is an index range check, whatever
-- the number of groups, and retention blanks old text for all groups in one statement.

-- Retention visits each group once (this covering index is narrower than the table) and
-- seeks its expired notes in checkin_answers_note_age (0003): one seek per group.
CREATE INDEX groups_by_retention ON groups (retention_days);

-- Finished DMs past their keeping time, and anonymous counts past theirs.
CREATE INDEX outbox_finished ON outbox (finished_at) WHERE finished_at IS NOT NULL;
CREATE INDEX delivery_counts_by_day ON delivery_counts (day);

-- Open rounds still waiting for their one reminder, and for their post in the channel.
CREATE INDEX checkin_rounds_reminder_due ON checkin_rounds (reminder_due_at)
    WHERE status = 'open' AND reminder_sent_at IS NULL;
CREATE INDEX checkin_rounds_unposted ON checkin_rounds (closes_at)
    WHERE status = 'open' AND channel_message_id IS NULL;
-- Closed rounds whose summary is not posted yet.
CREATE INDEX checkin_rounds_summary_unposted ON checkin_rounds (closed_at)
    WHERE status = 'closed' AND summary_message_id IS NULL;

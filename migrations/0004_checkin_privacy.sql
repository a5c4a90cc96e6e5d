-- Comparisons with last week read the closed round's stored counts, never its answers:
-- a member erasing their data (/me forget) must not change a figure the group has
-- already been shown. The boundaries answer was the one count not stored yet.
ALTER TABLE checkin_round_counts ADD COLUMN boundaries_yes INTEGER NOT NULL DEFAULT 0;
ALTER TABLE checkin_round_counts ADD COLUMN boundaries_mostly INTEGER NOT NULL DEFAULT 0;
ALTER TABLE checkin_round_counts ADD COLUMN boundaries_no INTEGER NOT NULL DEFAULT 0;

-- Rounds closed before this version: counted from the answers that remain.
UPDATE checkin_round_counts SET
    boundaries_yes = (
        SELECT COUNT(*) FROM checkin_answers a
        WHERE a.round_id = checkin_round_counts.round_id AND a.boundaries = 'yes'
    ),
    boundaries_mostly = (
        SELECT COUNT(*) FROM checkin_answers a
        WHERE a.round_id = checkin_round_counts.round_id AND a.boundaries = 'mostly'
    ),
    boundaries_no = (
        SELECT COUNT(*) FROM checkin_answers a
        WHERE a.round_id = checkin_round_counts.round_id AND a.boundaries = 'no'
    );

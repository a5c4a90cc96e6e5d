-- Saving a check-in answer releases what was held for it while its author decided about a
-- flagged note (checkin_pending), in the statement that saves it: atomic with the save, and
-- no extra trip to SQLite before the member's confirmation.
CREATE TRIGGER checkin_answer_inserted_releases_pending AFTER INSERT ON checkin_answers
BEGIN
    DELETE FROM checkin_pending WHERE round_id = NEW.round_id AND user_id = NEW.user_id;
END;

CREATE TRIGGER checkin_answer_replaced_releases_pending AFTER UPDATE OF answered_at ON checkin_answers
BEGIN
    DELETE FROM checkin_pending WHERE round_id = NEW.round_id AND user_id = NEW.user_id;
END;

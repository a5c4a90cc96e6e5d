"""Members' boundaries (time zone, working hours, away, DM consent) and their personal data."""

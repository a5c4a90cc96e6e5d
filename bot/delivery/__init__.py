"""Reliable delivery of bot-initiated DMs: the outbox, its dispatcher, pacing and retries."""

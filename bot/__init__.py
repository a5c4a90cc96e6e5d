"""peerpulse: a Discord bot for therapists' peer-consultation groups."""

__version__ = "0.1.0"

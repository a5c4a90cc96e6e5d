"""Discord wiring: the Bot subclass, its error path and its start-up. Domain code lives beside."""

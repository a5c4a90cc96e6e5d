"""Weekly check-ins: the schedule rule, rounds and answers, the summary, charts.

Domain only: nothing here imports discord. The glue in `cogs/` turns interactions into
calls to `rounds`, `store`, `summary` and `history`, and implements `rounds.Publisher`.
"""

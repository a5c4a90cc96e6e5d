"""Charts, drawn in a separate worker process so the bot's process never loads matplotlib.

`worker.ChartWorker` is what the bot holds: `await charts.render(kind, data)` returns a
`RenderedChart` (PNG bytes and alt text). The renderers (`checkin_history`, `pulse_trend`)
and the one shared `style` run only inside the worker; their plain-data inputs are built
in the bot's process (`bot.checkins.history`, `pulse_points`). Nothing here imports discord.
"""

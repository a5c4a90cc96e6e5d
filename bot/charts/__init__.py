"""Charts, drawn in a separate worker process so the bot's process never loads matplotlib.

`worker.ChartWorker` is what the bot holds: `await charts.render(kind, data)` returns a
`RenderedChart` (PNG bytes and alt text). The renderers (`checkin_history`) and the one
shared `style` run only inside the worker. Nothing here imports discord.
"""

"""Charts drawn with matplotlib in a child process.

The serving process never imports matplotlib (its import alone costs tens of MB and
about a second, against a 150 MB peak budget): `bot.charts.child.render(spec)` hands
the chart's numbers as JSON to a kept `python -m bot.charts.draw --serve` process and
reads the PNG bytes back, with a timeout (the process is started on the first chart
and replaced when it fails). `bot.charts.draw` is the only module that
imports matplotlib. A spec carries words for people (titles, axis labels, row labels),
never internal names; see `bot.charts.draw` for its shape.
"""

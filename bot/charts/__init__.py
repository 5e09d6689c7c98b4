"""Charts drawn with matplotlib in a child process.

The serving process never imports matplotlib (its import alone costs tens of MB and
about a second, against a 150 MB peak budget): `bot.charts.child.render(spec)` runs
`python -m bot.charts.draw`, hands it the chart's numbers as JSON on stdin and reads the
PNG bytes back from stdout, with a timeout. `bot.charts.draw` is the only module that
imports matplotlib. A spec carries words for people (titles, axis labels, row labels),
never internal names; see `bot.charts.draw` for its shape.
"""

"""``python -m bot.demo.slack_standin``: run the stand-in in the foreground."""

from bot.demo.slack_standin import main

main()

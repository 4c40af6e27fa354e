"""The incident pages: the list, reporting a failure, the live incident page, hand-over, briefing, review."""

"""Live incidents: report, invoke, the checklist for now, trigger points on time, hand-over, restoration and review."""

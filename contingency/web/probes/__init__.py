"""Pages about the probes: a system's status over time, and the organisation's probe sites."""

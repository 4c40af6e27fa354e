"""Probes and their verdicts: checks run from several sites, results kept, outages told apart from a probe's own network."""

"""Commissioners: contract KPIs per plan, their relaxation during an incident, sub-contractor capacity."""

"""Compliance: frameworks as data files, evidence computed from what the product holds or attested by hand,
and each requirement's status on a chosen date."""

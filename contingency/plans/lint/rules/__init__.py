"""The rule catalogue; each module registers its rules on import."""

from . import (
    as_written,
    contacts,
    document,
    functions,
    notifications,
    printing,
    probes,
    procedures,
    records,
    risks,
    systems,
)

__all__ = [
    "as_written",
    "contacts",
    "document",
    "functions",
    "notifications",
    "printing",
    "probes",
    "procedures",
    "records",
    "risks",
    "systems",
]

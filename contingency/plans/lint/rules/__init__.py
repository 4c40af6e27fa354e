"""The rule catalogue; each module registers its rules on import."""

from . import contacts, document, functions, notifications, printing, probes, procedures, records, risks, systems

__all__ = [
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

"""The rule catalogue; each module registers its rules on import."""

from . import (
    audit,
    contacts,
    document,
    durations,
    functions,
    names,
    notifications,
    people,
    phones,
    printing,
    probes,
    procedures,
    records,
    riskprose,
    risks,
    systems,
)

__all__ = [
    "audit",
    "contacts",
    "document",
    "durations",
    "functions",
    "names",
    "notifications",
    "people",
    "phones",
    "printing",
    "probes",
    "procedures",
    "records",
    "riskprose",
    "risks",
    "systems",
]

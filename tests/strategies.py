"""Hypothesis strategies for valid plans: every collection, every optional field, consistent references.

`plan_data()` draws YAML-shaped data as a person might write it (durations as `4 hours` or
`4h`, hours as `mon-fri 08:00-17:00`, shorthand or full resources and actions); every example
is checked by the real validator, so the strategy only yields what the format accepts.
`plans()` is the same, validated into a PlanDocument. Lists hold 0-3 items to keep tests fast.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from datetime import date
from typing import Any

from hypothesis import strategies as st

from contingency.lib.durations import _UNIT_WORDS
from contingency.plans.spec import directory as d
from contingency.plans.spec import plan as p
from contingency.plans.spec import records as r
from contingency.plans.spec.probes import OpenOn as ProbeOpenOn
from contingency.plans.spec.types import DAY_NAMES
from tests.builders import build

Strategy = st.SearchStrategy[Any]


def few(strategy: Strategy, *, min_size: int = 0) -> Strategy:
    return st.lists(strategy, min_size=min_size, max_size=3)


def enum(kind: type[Any]) -> Strategy:
    return st.sampled_from([member.value for member in kind])


ID = st.from_regex(r"[a-z0-9][a-z0-9-]{0,11}", fullmatch=True)
_WORD = st.text(st.characters(categories=("L", "N", "P", "S")), min_size=1, max_size=8)
# Text as pydantic keeps it after stripping: words, sometimes padded, sometimes over two lines.
TEXT = st.lists(_WORD, min_size=1, max_size=3).map(" ".join) | _WORD.map(lambda w: f"  {w} ")
PROSE = TEXT | st.tuples(TEXT, TEXT).map("\n".join) | st.just("")
DATE = st.dates(date(2000, 1, 1), date(2099, 12, 31)).map(date.isoformat)
SCORE = st.integers(1, 5)
# Probe intervals, from 10 s to a day, written in any unit (canonical: the largest exact one).
SPAN = st.sampled_from(["10s", "90s", "1m", "2m", "1h", "60000ms", "3600s"])
DURATION = st.builds(
    lambda n, sep, unit, upper: f"{n}{sep}{unit.upper() if upper else unit}",
    st.integers(0, 400),
    st.sampled_from(["", " "]),
    st.sampled_from(sorted(_UNIT_WORDS)),  # every spelling the parser accepts: h, hrs, wd, working days...
    st.booleans(),
)
# What real plans write where a duration, score, name or hours belong: kept as written (spec/written.py).
WORDS = st.sampled_from(["1-4 hours", "if prolonged", "on an agreed basis", "five working days", "2 to 3 days"])
LOOSE_DURATION = DURATION | WORDS | TEXT
LOOSE_SCORE = SCORE | st.sampled_from(["low", "Medium", "HIGH", "very likely"])
NAME = st.sampled_from(["Dr A Patel", "Head of Radiology", "Digital Governance Group", "PACS Team"])
LOOSE_HOURS_WORDS = st.sampled_from(["Mon-Fri 08:00-12:30 and 13:30-17:00", "Mon-Sun 20:00-08:00", "office hours"])
PHONE = st.fixed_dictionaries(
    {
        "kind": enum(d.PhoneKind),
        "number": st.from_regex(r"[0-9+][0-9 ()#*+-]{0,10}[0-9]", fullmatch=True),
    },
    optional={"when": enum(d.Availability), "note": PROSE},
)
RESOURCE_CATEGORIES = ("staff", "dataAndSystems", "premises", "communications", "equipment", "supplies")
EMAIL = st.from_regex(r"[a-z0-9._+-]{1,8}@[a-z0-9-]{1,8}\.[a-z]{2,4}", fullmatch=True)
WEB_ADDRESS = st.from_regex(r"https?://[a-z0-9-]{1,12}(\.[a-z0-9-]{1,8}){0,2}(/[a-z0-9._-]{0,8}){0,2}", fullmatch=True)


@st.composite
def hours(draw: st.DrawFn) -> str:
    """Service hours text: 24/7, or day ranges and a window, in any case."""
    if draw(st.integers(0, 5)) == 0:
        return draw(st.sampled_from(["24/7", "24x7"]))
    ranges = []
    for _ in range(draw(st.integers(1, 3))):
        first = draw(st.integers(0, 6))
        last = draw(st.integers(first, 6))
        name = DAY_NAMES[first] if first == last else f"{DAY_NAMES[first]}-{DAY_NAMES[last]}"
        ranges.append(draw(st.sampled_from([name, name.title(), name.upper()])))
    start, end = sorted(draw(st.lists(st.integers(0, 24 * 4 - 1), min_size=2, max_size=2, unique=True)))
    return f"{', '.join(ranges)} {start // 4:02}:{start % 4 * 15:02}-{end // 4:02}:{end % 4 * 15:02}"


@st.composite
def risk_matrix(draw: st.DrawFn) -> dict[str, Any]:
    """A 5x5 matrix: levels in any order, bands cutting 1-25 into contiguous ranges; sometimes as a
    plan printed it, with a level missing (kept, and linted)."""

    def levels(extra: str) -> list[dict[str, Any]]:
        scores = draw(st.permutations([1, 2, 3, 4, 5]))
        return [
            draw(st.fixed_dictionaries({"score": st.just(s), "label": TEXT}, optional={extra: PROSE})) for s in scores
        ]

    cuts = sorted(draw(st.sets(st.integers(2, 25), max_size=4)))
    edges = [1, *cuts, 26]
    bands = [{"label": draw(TEXT), "min": lo, "max": hi - 1} for lo, hi in itertools.pairwise(edges)]
    matrix = {"likelihood": levels("frequency"), "consequence": levels("description"), "bands": bands}
    if draw(st.booleans()):
        matrix["consequence"] = matrix["consequence"][: draw(st.integers(0, 4))]
    return matrix


@st.composite
def record_fields(draw: st.DrawFn) -> list[dict[str, Any]]:
    """A record kind's fields: unique names, each type other than the free ones at most once."""
    names = draw(st.lists(ID, max_size=4, unique=True))
    fixed = [t for t in r.FieldType if t not in r.FREE_TYPES]
    fields = []
    for name in names:
        kind = draw(st.sampled_from([*fixed, *r.FREE_TYPES]))
        fixed = [t for t in fixed if t != kind]
        field: dict[str, Any] = {"name": name, "type": kind.value}
        field |= draw(st.fixed_dictionaries({}, optional={"label": PROSE, "required": st.booleans(), "help": PROSE}))
        if kind is r.FieldType.CHOICE:
            field["choices"] = draw(few(TEXT, min_size=1))
        fields.append(field)
    return fields


@st.composite
def verification(draw: st.DrawFn) -> dict[str, Any]:
    share, widen = sorted(draw(st.lists(st.integers(0, 100), min_size=2, max_size=2)))
    found: dict[str, Any] = draw(st.fixed_dictionaries({}, optional={"atLeast": st.integers(0, 50)}))
    if draw(st.booleans()):
        found["share"] = f"{share}%"
    if draw(st.booleans()):
        found["widenTo"] = f"{widen if 'share' in found else 100} %"
    return found


@st.composite
def plan_data(draw: st.DrawFn) -> dict[str, Any]:
    """YAML-shaped data of a valid plan."""
    collections = ["sites", "people", "roles", "lists", "suppliers", "systems", "functions"]
    collections += ["recordKinds", "risks", "procedures", "triggers"]
    sizes = {name: draw(st.integers(1 if name == "people" else 0, 3)) for name in collections}
    if not sizes["systems"]:
        sizes["recordKinds"] = 0  # a record kind must name the system its records reach
    spare = 6  # optional ids of checks and steps
    pool = draw(st.lists(ID, min_size=sum(sizes.values()) + spare, max_size=sum(sizes.values()) + spare, unique=True))
    ids: dict[str, list[str]] = {}
    for name, size in sizes.items():
        ids[name], pool = pool[:size], pool[size:]

    kinds = {"site": "sites", "person": "people", "role": "roles", "list": "lists", "supplier": "suppliers"}
    kinds |= {"system": "systems", "function": "functions", "risk": "risks", "procedure": "procedures"}
    kinds |= {"record-kind": "recordKinds"}

    def one(*of: str) -> Strategy | None:
        """One id of the given kinds, or None when the plan has no such part."""
        choices = [i for kind in of for i in ids[kinds[kind]]]
        return st.sampled_from(choices) if choices else None

    def many(*of: str) -> Strategy:
        choices = one(*of)
        return st.just([]) if choices is None else few(choices)

    def record(required: Mapping[str, Strategy], optional: Mapping[str, Strategy | None]) -> Strategy:
        """A mapping with every required field and any of the optional ones that can be drawn."""
        return st.fixed_dictionaries(required, optional={k: v for k, v in optional.items() if v is not None})

    def optional_id() -> str | None:
        nonlocal pool
        wanted: bool = draw(st.booleans())
        if pool and wanted:
            found, pool = pool[0], pool[1:]
            return found
        return None

    who = one("person", "role", "supplier")
    who_or_name = NAME if who is None else (who | NAME)
    audience = many("person", "role", "supplier", "list")
    contact = record({}, {"person": one("person"), "phones": few(PHONE), "email": EMAIL, "note": PROSE})

    def sure(*of: str) -> Strategy:
        """One id of kinds the plan always has (it has a person; a list may name itself)."""
        found = one(*of)
        assert found is not None
        return found

    source = one("system", "supplier", "site", "role", "person")
    resource = TEXT | record({"name": TEXT}, {"quantity": st.integers(1, 9), "source": source})
    action = TEXT | record({"text": TEXT}, {"who": who_or_name})

    def check() -> dict[str, Any]:
        data = draw(record({"check": TEXT}, {"ifNot": enum(p.Outcome), "advice": PROSE}))
        return {"id": found, **data} if (found := optional_id()) else data

    def step() -> dict[str, Any]:
        data = draw(
            record(
                {"text": TEXT},
                {"kind": enum(p.StepKind), "when": enum(p.When), "who": who, "targets": audience, "note": PROSE},
            )
        )
        return {"id": found, **data} if (found := optional_id()) else data

    def trigger(key: str) -> dict[str, Any]:
        kind = draw(enum(p.TriggerKind))
        timing: dict[str, Strategy] = {}
        if kind == "recurring":
            timing = {}  # "repeated on an agreed basis": no interval at all, or words
        elif kind == "after":
            timing = {"after": LOOSE_DURATION}
        optional: dict[str, Strategy | None] = {"unlessRestored": st.booleans(), "chair": who}
        if kind == "recurring":
            optional |= {"every": LOOSE_DURATION}
        optional |= {"attendees": audience, "actions": few(action)}
        if kind == "recurring":
            optional |= {"start": DURATION, "until": DURATION}
        return draw(record({"id": st.just(key), "name": TEXT, "kind": st.just(kind), **timing}, optional))

    def parts(name: str, required: Mapping[str, Strategy], optional: Mapping[str, Strategy | None]) -> list[Any]:
        """One record for each id drawn for the collection."""
        return [draw(record({"id": st.just(key), **required}, optional)) for key in ids[name]]

    data: dict[str, Any] = {"apiVersion": "contingency/v1", "kind": "Plan", "id": draw(ID), "title": draw(TEXT)}
    data["organisation"] = draw(
        record(
            {"id": ID, "name": TEXT},
            {
                "timezone": st.sampled_from(["Europe/London", "Europe/Dublin", "UTC"]),
                "nation": enum(d.Nation),
                "workingHours": hours(),
            },
        )
    )
    data["document"] = draw(
        record(
            {
                "issueDate": DATE,
                "reviewDate": DATE,
                "owner": sure("person") | NAME,
            },
            {
                "number": TEXT,
                "issue": st.integers(1, 20),
                "reviewInterval": DURATION,
                "created": DATE,
                "originator": who_or_name,
                "approvingBody": PROSE,
                "approvedBy": who_or_name,
                "approvalDate": DATE,
                "classification": TEXT,
                "confidentiality": PROSE,
                "dissemination": few(TEXT),
                "changes": few(
                    record({"issue": st.integers(1, 20), "date": DATE, "summary": TEXT}, {"author": one("person")})
                ),
                "holders": few(
                    record(
                        {"copy": st.integers(1, 50), "holder": sure("person")},
                        {"location": PROSE, "acknowledgedIssue": st.integers(1, 20), "acknowledgedOn": DATE},
                    )
                ),
            },
        )
    )
    data |= draw(
        record(
            {},
            {
                "aim": PROSE,
                "objectives": few(TEXT),
                "audience": few(TEXT),
                "scope": few(TEXT),
                "riskMatrix": risk_matrix(),
                "escalation": few(
                    record(
                        {"level": st.integers(1, 5), "name": TEXT},
                        {"when": PROSE, "who": many("person", "role", "supplier"), "responsibilities": few(TEXT)}
                        | {"invokesPlan": st.booleans()},
                    )
                ),
                "monitoring": few(record({"activity": TEXT}, {"every": LOOSE_DURATION, "owner": who})),
            },
        )
    )
    data["sites"] = parts(
        "sites",
        {"name": TEXT},
        {"kind": enum(d.SiteKind), "address": PROSE, "operator": one("supplier")},
    )
    data["people"] = parts(
        "people",
        {"name": TEXT},
        {"jobTitle": PROSE, "employer": PROSE, "phones": few(PHONE), "email": EMAIL, "deputy": sure("person") | NAME},
    )
    data["roles"] = parts(
        "roles",
        {"name": TEXT},
        {"kind": enum(d.RoleKind), "members": many("person"), "inHours": contact, "outOfHours": contact},
    )
    data["lists"] = parts(
        "lists", {"name": TEXT, "members": few(sure("person", "role", "supplier", "list"), min_size=1)}, {}
    )
    data["suppliers"] = parts(
        "suppliers",
        {"name": TEXT},
        {
            "kind": enum(d.SupplierKind),
            "aliases": few(TEXT),
            "services": few(TEXT),
            "contractReference": PROSE,
            "helpdesk": record(
                {}, {"phones": few(PHONE), "email": EMAIL, "portal": WEB_ADDRESS, "hours": hours() | LOOSE_HOURS_WORDS}
            ),
            "contacts": many("person"),
        },
    )
    data["systems"] = parts(
        "systems",
        {"name": TEXT},
        {
            "description": PROSE,
            "site": one("site"),
            "supplier": one("supplier"),
            "redundancy": enum(d.Redundancy),
            "components": few(
                record(
                    {"name": TEXT},
                    {
                        "role": enum(d.ComponentRole),
                        "site": one("site"),
                        "redundancy": enum(d.Redundancy),
                        "note": PROSE,
                    },
                )
            ),
            "dependsOn": many("system", "supplier", "site"),
            "backup": record(
                {},
                {
                    "every": LOOSE_DURATION,
                    "retention": LOOSE_DURATION,
                    "offsite": st.booleans(),
                    "encrypted": st.booleans(),
                    "restoreTime": LOOSE_DURATION,
                    "note": PROSE,
                },
            ),
            "failover": record(
                {"method": TEXT},
                {"target": one("site", "system"), "requires": few(TEXT), "limitations": few(TEXT)},
            ),
            "owner": who,
            "probes": record(
                {},
                {
                    "every": SPAN,
                    "failAfter": st.integers(1, 9),
                    "recoverAfter": st.integers(1, 9),
                    "openOn": enum(ProbeOpenOn),
                },
            ),
        },
    )
    data["functions"] = parts(
        "functions",
        {"name": TEXT},
        {
            "description": PROSE,
            "owner": who_or_name,
            "deputy": who_or_name,
            "locations": many("site"),
            "likelihood": LOOSE_SCORE,
            "impact": few(record({"after": DURATION, "level": enum(p.ImpactLevel)}, {"description": PROSE})),
            "rto": few(record({"scenario": TEXT, "duration": LOOSE_DURATION}, {"risk": one("risk")})),
            "rpo": LOOSE_DURATION,
            "mtpd": LOOSE_DURATION,
            "resources": record({}, {category: few(resource) for category in RESOURCE_CATEGORIES}),
            "dataRecovery": record(
                {"method": TEXT},
                {
                    "owner": who_or_name,
                    "verification": PROSE,
                    "records": many("record-kind"),
                    "nothingByHand": st.booleans(),
                },
            ),
            "durationRules": few(record({"after": LOOSE_DURATION, "action": TEXT}, {"owner": who_or_name})),
            "dependsOn": many("function", "system", "supplier", "site"),
            "procedures": many("procedure"),
        },
    )
    data["recordKinds"] = [
        draw(
            record(
                {"id": st.just(key), "name": TEXT, "system": sure("system"), "fields": record_fields()},
                {"description": PROSE, "verification": verification()},
            )
        )
        for key in ids["recordKinds"]
    ]
    data["risks"] = parts(
        "risks",
        {"title": TEXT},
        {
            "likelihood": LOOSE_SCORE,
            "consequence": LOOSE_SCORE,
            "failure": enum(p.FailureKind),
            "causes": few(TEXT),
            "impact": PROSE,
            "stated": record({}, {"likelihood": PROSE, "consequence": PROSE, "rating": PROSE}),
            "recognise": few(TEXT),
            "response": record({}, {"summary": PROSE, "procedure": one("procedure")}),
            "affects": many("function", "system"),
            "owner": who,
        },
    )
    data["procedures"] = parts(
        "procedures", {"title": TEXT}, {"phase": enum(p.ProcedurePhase), "appliesTo": many("function", "system")}
    )
    for procedure in data["procedures"]:
        procedure["confirm"] = [check() for _ in range(draw(st.integers(0, 3)))]
        procedure["steps"] = steps = [step() for _ in range(draw(st.integers(0, 3)))]
        if len(steps) >= 2 and draw(st.booleans()):
            # An in-hours step and its out-of-hours counterpart, the pair written on either of them.
            day, night = draw(st.permutations(range(len(steps))))[:2]
            steps[day]["when"], steps[night]["when"] = "in-hours", "out-of-hours"
            named, naming = (day, night) if draw(st.booleans()) else (night, day)
            if "id" not in steps[named] and pool:
                steps[named]["id"], pool = pool[0], pool[1:]
            if "id" in steps[named]:
                steps[naming]["insteadOf"] = steps[named]["id"]
    data["triggers"] = [trigger(key) for key in ids["triggers"]]
    return data


def plans() -> st.SearchStrategy[p.PlanDocument]:
    """Valid PlanDocuments; a strategy bug shows as PlanInvalid naming the offending field."""
    return plan_data().map(build)

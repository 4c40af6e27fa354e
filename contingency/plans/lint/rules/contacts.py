"""The contact directory: reachable people, named consistently, not overloaded."""

from __future__ import annotations

import re
from collections.abc import Iterator

from ...problems import Path
from ...validate import references
from ..engine import Context, Severity, rule
from ._helpers import needed_out_of_hours, reachable_out_of_hours, responsibilities

Found = Iterator[tuple[Path, str]]


@rule("CON001", "person-overloaded", Severity.WARNING, "One person holds too many responsibilities")
def overloaded(ctx: Context) -> Found:
    """When one person owns, deputises, chairs and carries out most of a plan, the plan fails when
    that person is on leave, ill or is the one dealing with the outage. Spread duties or name roles."""
    limit = ctx.options.max_responsibilities
    for person, duties in sorted(responsibilities(ctx).items()):
        if len(duties) > limit:
            listed = "; ".join(duty for _, duty in duties)
            where = ctx.ids[person].path
            yield where, f"{ctx.name(person)} holds {len(duties)} responsibilities (limit {limit}): {listed}"


@rule("CON002", "no-out-of-hours-number", Severity.ERROR, "A contact needed out of hours has no out-of-hours number")
def no_out_of_hours(ctx: Context) -> Found:
    """A person, role or supplier named by a step that runs out of hours (or at any time), or by a
    trigger point, must have a number that is answered outside working hours: an extension staffed
    only in hours, or a helpdesk open only in office hours, leaves the night shift with no one to ring.
    Where a step informs departments that are closed at night, split it into in-hours and
    out-of-hours steps with their own lists."""
    unreachable: dict[Path, list[str]] = {}
    for path, key in needed_out_of_hours(ctx):
        if not reachable_out_of_hours(ctx, key):
            names = unreachable.setdefault(path, [])
            if ctx.name(key) not in names:
                names.append(ctx.name(key))
    for path, names in unreachable.items():
        listed = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
        verb = "is" if len(names) == 1 else "are"
        yield (
            path,
            f"{listed} {verb} needed out of hours but {'has' if len(names) == 1 else 'have'} no out-of-hours number",
        )


@rule("CON003", "contact-without-phone", Severity.WARNING, "A person with duties has no phone number")
def without_phone(ctx: Context) -> Found:
    """Everyone the plan gives a duty to must be reachable by phone when e-mail is down."""
    for person, duties in sorted(responsibilities(ctx).items()):
        if not ctx.item(person).phones and duties:
            yield ctx.ids[person].path, f"{ctx.name(person)} has duties in the plan but no phone number"


_LEGAL = re.compile(r"\b(ltd|limited|plc|llp|inc|co)\.?$", re.I)
_GENERIC = {
    "the", "and", "of", "ltd", "limited", "plc", "llp", "inc", "uk", "group", "services", "service", "systems",
    "system", "solutions", "medical", "healthcare", "health", "nhs", "trust", "foundation", "company", "helpdesk",
    "support", "technology", "technologies", "data", "centre", "center", "hosting", "it", "digital", "care",
    "imaging", "radiology", "eye", "optical", "referral", "referrals", "network", "networks", "cloud", "managed",
    "power", "energy", "telecom", "telecoms", "communications", "software", "clinical", "partners", "practice",
}  # fmt: skip


# Words that follow a name without making it another name ("Acme helpdesk", "WinPath server").
SUFFIXES = {
    "helpdesk", "help", "desk", "support", "team", "engineer", "engineers", "service", "services", "ltd",
    "limited", "plc", "hotline", "line", "lines", "portal", "account", "manager", "contract", "contact",
    "contacts", "server", "servers", "application", "app", "client", "website", "number", "phone", "office",
    "site", "staff", "on-call", "noc", "log", "logs", "system", "systems",
}  # fmt: skip


def _core(name: str) -> str:
    return " ".join(_LEGAL.sub("", name.lower()).split())


def _texts(ctx: Context) -> Iterator[tuple[Path, str]]:
    """Every piece of prose in the plan that tells someone what to do."""
    for i, procedure in enumerate(ctx.plan.procedures):
        for j, step in enumerate(procedure.steps):
            yield ("procedures", i, "steps", j, "text"), step.text
        for j, check in enumerate(procedure.confirm):
            yield ("procedures", i, "confirm", j, "check"), check.check
    for i, trigger in enumerate(ctx.plan.triggers):
        for j, action in enumerate(trigger.actions):
            yield ("triggers", i, "actions", j), action.text
    for i, risk in enumerate(ctx.plan.risks):
        if risk.response and risk.response.summary:
            yield ("risks", i, "response", "summary"), risk.response.summary
    for i, fn in enumerate(ctx.plan.functions):
        for j, rule_ in enumerate(fn.duration_rules):
            yield ("functions", i, "durationRules", j, "action"), rule_.action


@rule("CON004", "supplier-name-mismatch", Severity.WARNING, "A supplier is named differently than in the directory")
def supplier_name(ctx: Context) -> Found:
    """A procedure that says "log a call with Acme Medical" when the directory lists "Acme Imaging
    Systems Ltd" sends the person on shift hunting for a number that is not there. Use the directory
    name, or record the other name as an alias of the supplier. The brand alone ("log a call with
    Acme") is the directory name shortened, and is not reported."""
    systems = [_core(system.name) for system in ctx.plan.systems]
    for supplier in ctx.plan.suppliers:
        names = [_core(n) for n in (supplier.name, *supplier.aliases)]
        brand = _supplier_brand(names[0])
        if brand is None:
            continue
        shared = any(_supplier_brand(name) == brand for name in systems)
        for path, text in _texts(ctx):
            lowered = " ".join(text.lower().split())
            if not re.search(rf"\b{re.escape(brand)}\b", lowered) or any(
                n and n != brand and re.search(rf"\b{re.escape(n)}\b", lowered) for n in names
            ):
                continue
            phrase = re.search(rf"(?i:\b{re.escape(brand)})(?:\s+[A-Z][\w&-]*)*", text)
            said = phrase.group(0) if phrase else brand
            own = set(" ".join(names).split()) | SUFFIXES
            if not [w for w in said.split()[1:] if w.lower() not in own]:
                continue  # the brand alone ("log a call with CareNote") is the name, shortened
            if shared and (
                any(_core(said).startswith(n) for n in systems) or not _about_supplier(ctx, path, text, supplier.id)
            ):
                continue  # the system of the same brand ("Medora Web"), or another name of it (NAM001)
            yield path, f"says {said!r}, but the directory names this supplier {supplier.name!r}"


def _supplier_brand(core_name: str) -> str | None:
    """The first word of a name that is not a generic trade word."""
    return next((w for w in re.findall(r"[a-z0-9']+", core_name) if w not in _GENERIC and len(w) > 2), None)


_SUPPLIER_CONTEXT = re.compile(r"\b(helpdesk|help desk|service desk|engineers?|log a call|account|contract)\b", re.I)


def _about_supplier(ctx: Context, path: Path, text: str, supplier: str) -> bool:
    """Whether a text that names a brand shared by a supplier and a system is about the supplier: a
    step that calls or informs the supplier, or words such as helpdesk, engineer or contract."""
    if path[0] == "procedures" and path[2] == "steps":
        step = ctx.plan.procedures[int(path[1])].steps[int(path[3])]
        if supplier in (step.who, *step.targets):
            return True
    return bool(_SUPPLIER_CONTEXT.search(text))


_ROLE_NOUNS = (
    r"manager|managers|radiographer|radiographers|coordinator|co-ordinator|officer|administrator|administrators|"
    r"director|nurse|consultant|matron|supervisor|controller|lead|leads|team"
)
_NOT_QUALIFIERS = {
    "the", "a", "an", "to", "and", "or", "inform", "call", "ring", "contact", "tell", "with", "by", "of", "for",
    "from", "your", "our", "their", "each", "all", "every", "any", "if", "then", "via", "through", "that", "who",
    "is", "are", "be", "as", "at", "in", "on", "this", "relevant", "appropriate", "other", "own",
}  # fmt: skip


@rule("CON005", "unknown-role-in-text", Severity.WARNING, "A step names a role that is not in the directory")
def unknown_role(ctx: Context) -> Found:
    """Steps written as "inform the duty manager" are only as good as the directory entry that says
    who the duty manager is and how to reach them. A role named in prose but defined nowhere (no role,
    job title, list or supplier of that name) is a call that will not be made. A trigger point's
    actions are its agenda ("review the estates manager's report"), not people to call, and are not read;
    a team named after a supplier ("the Acme portal team") is the supplier's, reached through its entry."""
    known: set[str] = set()
    names = [r.name for r in ctx.plan.roles] + [lst.name for lst in ctx.plan.lists]
    names += [s.name for s in ctx.plan.suppliers] + [p.job_title or "" for p in ctx.plan.people]
    names += [a for s in ctx.plan.suppliers for a in s.aliases]
    for name in names:
        known.update(re.findall(r"[a-z0-9]+", name.lower()))
    pattern = re.compile(rf"([\w-]+)\s+({_ROLE_NOUNS})\b", re.I)
    suppliers = [_core(n) for s in ctx.plan.suppliers for n in (s.name, *s.aliases)]
    for path, text in _texts(ctx):
        if path[0] == "triggers":
            continue
        for match in pattern.finditer(text):
            qualifier = match.group(1).lower()
            if qualifier in _NOT_QUALIFIERS:
                continue
            before = " ".join(text[max(0, match.start() - 40) : match.start()].lower().split())
            if any(name and name in before for name in suppliers):
                continue  # "the Voxwell portal team" is the supplier's, reached through the supplier
            words = set(re.findall(r"[a-z0-9]+", qualifier)) | {match.group(2).lower().rstrip("s")}
            if not words <= known | {w + "s" for w in known} | {w.rstrip("s") for w in known}:
                yield path, f"names {match.group(0)!r}, which is not a role, list, job title or supplier in the plan"


@rule("CON006", "unused-person", Severity.INFO, "A person in the directory is named nowhere in the plan")
def unused_person(ctx: Context) -> Found:
    """A directory entry nobody refers to is either a missing duty or stale data that will not be
    kept up to date; both are worth a look at review."""
    used = {target for _, target, _ in references(ctx.plan)}
    for i, person in enumerate(ctx.plan.people):
        if person.id not in used:
            yield ("people", i), f"{person.name} is not named as owner, deputy, member, contact or holder"

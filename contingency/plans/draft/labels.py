"""The labels real plans put on their tables and headings, with synonyms, and the values read beside them (pure).

A label matches when its words are one of the synonyms, or begin with one ("Recovery timeframe
(hours)"), or its bracketed part is one ("Recovery timeframe (RTO)"). The longest synonym wins, so
"Out of hours phone" is a phone taken out of hours, not a plain phone.
"""

from __future__ import annotations

import re
from datetime import date, datetime

# Document control: a two-column table of labels and values, usually on the first page.
DOCUMENT = {
    "number": ("document number", "document reference", "document ref", "reference", "ref", "plan number", "doc ref"),
    "issue": ("version", "version number", "issue", "issue number", "version no", "issue no"),
    "issueDate": ("date", "issue date", "date of issue", "version date", "effective date", "date issued", "published"),
    "reviewDate": ("review date", "next review", "next review date", "date of next review", "review due"),
    "reviewInterval": ("review interval", "review frequency", "review period", "review cycle"),
    "owner": ("owner", "plan owner", "document owner", "business owner", "policy owner", "lead"),
    "originator": ("author", "authors", "originator", "prepared by", "written by"),
    "approvedBy": ("approved by", "signed off by", "sign off"),
    "approvingBody": ("approving body", "approving committee", "ratified by", "ratifying committee", "approval group"),
    "approvalDate": ("approval date", "date approved", "date of approval", "ratification date", "date ratified"),
    "classification": ("classification", "security classification", "protective marking"),
    "title": ("title", "document title", "plan title", "plan name"),
}

# A critical function: a two-column table per function, or one row per function under a header row.
FUNCTION = {
    "name": (
        "critical function",
        "critical functions",
        "function",
        "critical activity",
        "critical service",
        "service",
        "activity",
        "business function",
        "prioritised activity",
    ),
    "description": ("description", "summary", "purpose", "what it does", "function description"),
    "owner": ("responsibility", "responsible", "owner", "function owner", "lead", "responsible person", "accountable"),
    "deputy": ("deputy", "deputy owner", "deputy lead", "alternate", "cover", "substitute", "second contact"),
    "rto": ("recovery timeframe", "recovery time", "recovery time objective", "rto", "target recovery time"),
    "rpo": ("recovery point objective", "rpo", "acceptable data loss", "maximum data loss"),
    "mtpd": (
        "maximum tolerable period of disruption",
        "mtpd",
        "maximum tolerable downtime",
        "mtd",
        "maximum acceptable outage",
        "mao",
    ),
    "likelihood": ("likelihood of disruption",),
}

CONTACT = {
    "name": ("name", "contact", "contact name", "person", "full name", "staff member"),
    "jobTitle": ("role", "job title", "title", "position", "post", "designation"),
    "employer": ("organisation", "company", "employer", "department", "team", "service"),
    "landline": (
        "phone",
        "telephone",
        "tel",
        "telephone number",
        "phone number",
        "work phone",
        "office",
        "landline",
        "direct line",
        "desk phone",
    ),
    "mobile": ("mobile", "mobile number", "mobile phone", "mob", "cell", "work mobile"),
    "extension": ("extension", "ext", "internal", "internal extension"),
    "outOfHours": ("out of hours", "out of hours number", "out of hours phone", "out of hours contact", "ooh"),
    "bleep": ("bleep", "bleep number"),
    "pager": ("pager",),
    "email": ("email", "e-mail", "email address", "e-mail address", "mail"),
    "deputy": ("deputy", "alternate", "cover"),
}

CHANGE = {
    "issue": ("version", "issue", "version number", "issue number", "version no", "issue no", "ver", "v"),
    "date": ("date", "date of change", "change date", "issue date", "version date", "date issued"),
    "author": ("author", "by", "changed by", "amended by", "updated by", "editor", "reviewer", "name"),
    "summary": (
        "change",
        "changes",
        "summary",
        "summary of changes",
        "description",
        "description of change",
        "amendment",
        "amendments",
        "details",
        "comments",
        "reason for change",
        "changes made",
    ),
}

RISK = {
    "title": ("risk", "risk description", "hazard", "threat", "description", "risk title", "scenario", "issue"),
    "likelihood": ("likelihood", "probability", "l", "likelihood score"),
    "consequence": ("impact", "consequence", "severity", "c", "i", "impact score", "consequence score"),
    "rating": ("score", "rating", "risk score", "risk rating", "rag", "overall", "overall risk", "level", "risk level"),
    "mitigation": (
        "mitigation",
        "mitigations",
        "controls",
        "control measures",
        "response",
        "actions",
        "action",
        "treatment",
        "mitigating actions",
    ),
    "owner": ("owner", "risk owner", "lead"),
    "causes": ("cause", "causes"),
}

# Headings whose text is what follows.
SECTION = {
    "aim": ("aim", "purpose", "aim of the plan", "purpose of the plan", "introduction and purpose"),
    "objectives": ("objectives", "objective", "aims and objectives", "plan objectives"),
    "scope": ("scope", "scope of the plan", "in scope", "plan scope"),
    "audience": ("audience", "intended audience", "who this plan is for", "distribution", "target audience"),
}

# A heading followed by a list of steps; "in hours" and "out of hours" say when the steps apply.
IN_HOURS = ("in hours", "in-hours", "during working hours", "working hours", "during office hours", "in normal hours")
OUT_OF_HOURS = (
    "out of hours",
    "out-of-hours",
    "ooh",
    "outside working hours",
    "out of office hours",
    "evenings and weekends",
)
PROCEDURE = (
    "procedure",
    "procedures",
    "action",
    "actions",
    "action plan",
    "action card",
    "steps",
    "what to do",
    "immediate actions",
    "immediate response",
    "response",
    "response procedure",
    "invocation",
    "workaround",
    "workarounds",
    "recovery procedure",
    "restoration",
    "recovery",
    "failover",
)

# Words a plan uses for a level of impact or likelihood: such a value is a score, kept as written.
LEVEL_WORDS = frozenset(
    [
        "rare",
        "unlikely",
        "possible",
        "likely",
        "almost",
        "certain",
        "negligible",
        "insignificant",
        "minor",
        "low",
        "moderate",
        "medium",
        "major",
        "high",
        "severe",
        "catastrophic",
        "very",
        "extreme",
        "critical",
        "significant",
    ]
)


def normalise(text: str) -> str:
    text = text.casefold().replace("&", " and ").replace("\u2019", "'")
    text = re.sub(r"[*:.?#/\\]+", " ", text)
    return re.sub(r"\s+", " ", text).strip()


def match(text: str, table: dict[str, tuple[str, ...]]) -> str | None:
    """The key of `table` whose synonyms the label `text` matches, or None."""
    words = normalise(text)
    if not words or len(words) > 80:
        return None
    plain = normalise(re.sub(r"\(.*?\)", " ", text))
    brackets = [normalise(inner) for inner in re.findall(r"\((.*?)\)", text)]
    best: tuple[int, str] | None = None
    for key, synonyms in table.items():
        for synonym in synonyms:
            exact = synonym in (words, plain) or synonym in brackets
            prefix = plain.startswith(synonym + " ") and len(synonym) > 2
            if (exact or prefix) and (best is None or len(synonym) + 100 * exact > best[0]):
                best = (len(synonym) + 100 * exact, key)
    return best[1] if best else None


def is_one_of(text: str, synonyms: tuple[str, ...]) -> bool:
    text = re.sub(r"^\s*(\d+(\.\d+)*\.?|[a-z]\))\s+", "", text)  # a numbered heading: "4.2 In hours"
    return normalise(re.sub(r"\(.*?\)", " ", text)) in synonyms


_ORDINAL = re.compile(r"(\d)(st|nd|rd|th)\b", re.IGNORECASE)
_DATE_FORMATS = (
    "%d/%m/%Y",
    "%d/%m/%y",
    "%d.%m.%Y",
    "%d-%m-%Y",
    "%Y-%m-%d",
    "%d %B %Y",
    "%d %b %Y",
    "%d %b %y",
    "%B %d %Y",
)


def parse_date(text: str) -> date | None:
    """A day written the British way (12/03/2025, 12 March 2025, 2025-03-12), or None (never guessed)."""
    cleaned = re.sub(r"\s+", " ", _ORDINAL.sub(r"\1", text.replace(",", " "))).strip()
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(cleaned, fmt).date()  # noqa: DTZ007 - a calendar day, no time or zone
        except ValueError:
            continue
    return None


def parse_issue(text: str) -> int | None:
    """A whole issue number ("3", "Issue 3", "v2", "2.0"), or None: "1.1" is not a whole issue."""
    found = re.fullmatch(r"(?:issue|version|ver|v)?\s*\.?\s*(\d{1,6})(?:\.0+)?", text.strip(), re.IGNORECASE)
    value = int(found.group(1)) if found else 0
    return value if value >= 1 else None


def is_level_word(text: str) -> bool:
    """Whether a value is a score or words for one ("3", "High", "Very likely", "4 - Major")."""
    words = re.sub(r"[^a-z0-9 ]", " ", text.casefold()).split()
    return bool(words) and len(words) <= 4 and all(w.isdigit() or w in LEVEL_WORDS for w in words)


def slug(text: str, fallback: str = "item") -> str:
    """A readable id from text: lower-case words joined by hyphens, at most 48 characters."""
    words = re.sub(r"[^a-z0-9]+", "-", text.casefold()).strip("-")
    cut = words[:48].rstrip("-")
    return cut or fallback

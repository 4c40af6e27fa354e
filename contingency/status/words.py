"""The status page's fixed words in English and Welsh, and which language a reader gets (pure).

A small catalogue rather than Django's translation machinery: the rest of the product is English
only (USE_I18N is off), the status page is the one public surface, and its words must be the same
in the product, the static bundle, the feeds and the e-mails. The organisation's own words
(service names, updates) are written by its staff, in Welsh too when they give it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

Language = Literal["en", "cy"]
LANGUAGES: tuple[Language, ...] = ("en", "cy")

WORDS: dict[str, tuple[str, str]] = {
    # key: (English, Welsh)
    "skip": ("Skip to main content", "Neidio i'r prif gynnwys"),
    "status": ("Service status", "Statws gwasanaethau"),
    "other_language": ("Cymraeg", "English"),
    "all_good": ("All services are working normally.", "Mae pob gwasanaeth yn gweithio fel arfer."),
    "some_bad": ("Some services have problems.", "Mae problemau gyda rhai gwasanaethau."),
    "maintenance_now": ("Planned maintenance is under way.", "Mae gwaith cynnal a chadw wedi'i gynllunio ar waith."),
    "services": ("Services", "Gwasanaethau"),
    "no_services": ("No services are listed yet.", "Nid oes gwasanaethau wedi'u rhestru eto."),
    "updates": ("Updates", "Diweddariadau"),
    "no_updates": ("There are no updates.", "Nid oes diweddariadau."),
    "maintenance": ("Planned maintenance", "Gwaith cynnal a chadw wedi'i gynllunio"),
    "no_maintenance": ("No maintenance is planned.", "Nid oes gwaith cynnal a chadw wedi'i gynllunio."),
    "in_progress": ("In progress", "Ar waith"),
    "scheduled": ("Scheduled", "Wedi'i drefnu"),
    "cancelled": ("Cancelled", "Wedi'i ganslo"),
    "from_to": ("From {start} to {end}", "O {start} tan {end}"),
    "affects": ("Affects", "Yn effeithio ar"),
    "posted": ("Posted", "Cyhoeddwyd"),
    "last_changed": ("Last changed", "Newidiwyd ddiwethaf"),
    "feeds": ("Follow", "Dilyn"),
    "atom": ("Updates as an Atom feed", "Diweddariadau fel ffrwd Atom"),
    "ics": ("Maintenance calendar (iCalendar)", "Calendr cynnal a chadw (iCalendar)"),
    "json": ("Status as JSON", "Statws fel JSON"),
    "subscribe_title": ("Get updates by e-mail", "Cael diweddariadau drwy e-bost"),
    "subscribe_hint": (
        "We send you a link to confirm first. Every e-mail has a link to stop them.",
        "Byddwn yn anfon dolen atoch i gadarnhau yn gyntaf. Mae dolen i'w hatal ym mhob e-bost.",
    ),
    "email": ("E-mail address", "Cyfeiriad e-bost"),
    "subscribe": ("Subscribe", "Tanysgrifio"),
    "subscribe_elsewhere": (
        "Get updates by e-mail (on the main site)",
        "Cael diweddariadau drwy e-bost (ar y brif wefan)",
    ),
    "check_email": ("Check your e-mail", "Gwiriwch eich e-bost"),
    "check_email_text": (
        "If that address can be subscribed, we have sent it a link to confirm. The link works for {hours} hours.",
        "Os gellir tanysgrifio'r cyfeiriad hwnnw, rydym wedi anfon dolen ato i gadarnhau. "
        "Mae'r ddolen yn gweithio am {hours} awr.",
    ),
    "back": ("Back to the status page", "Yn ôl i'r dudalen statws"),
    "confirm_title": ("Confirm your subscription", "Cadarnhau eich tanysgrifiad"),
    "confirm_text": (
        "Press the button to get e-mails when {name} posts a public update.",
        "Pwyswch y botwm i gael e-byst pan fydd {name} yn cyhoeddi diweddariad cyhoeddus.",
    ),
    "confirm": ("Confirm", "Cadarnhau"),
    "confirmed": ("You are subscribed.", "Rydych wedi tanysgrifio."),
    "unsubscribe_title": ("Stop e-mail updates", "Atal diweddariadau e-bost"),
    "unsubscribe_text": (
        "Press the button to stop e-mails from the {name} status page.",
        "Pwyswch y botwm i atal e-byst gan dudalen statws {name}.",
    ),
    "unsubscribe": ("Unsubscribe", "Dad-danysgrifio"),
    "unsubscribed": (
        "You will get no more e-mails from this page.",
        "Ni fyddwch yn cael rhagor o e-byst gan y dudalen hon.",
    ),
    "link_invalid": (
        "This link is not valid: it may have been cut short when copied.",
        "Nid yw'r ddolen hon yn ddilys: efallai iddi gael ei thorri wrth ei chopïo.",
    ),
    "link_expired": (
        "This link has expired. Subscribe again on the status page.",
        "Mae'r ddolen hon wedi dod i ben. Tanysgrifiwch eto ar y dudalen statws.",
    ),
    "confirm_mail_subject": ("Confirm your subscription to {name}", "Cadarnhewch eich tanysgrifiad i {name}"),
    "confirm_mail_body": (
        "Someone, probably you, asked for e-mail updates from the {name} status page.\n\n"
        "To confirm, open this link within {hours} hours:\n{link}\n\n"
        "If it was not you, ignore this e-mail: nothing more will be sent.",
        "Mae rhywun, chi mae'n debyg, wedi gofyn am ddiweddariadau e-bost gan dudalen statws {name}.\n\n"
        "I gadarnhau, agorwch y ddolen hon o fewn {hours} awr:\n{link}\n\n"
        "Os nad chi oedd hyn, anwybyddwch yr e-bost hwn: ni fydd dim mwy yn cael ei anfon.",
    ),
    "update_mail_footer": (
        "Status page: {page}\nTo stop these e-mails: {unsubscribe}",
        "Tudalen statws: {page}\nI atal yr e-byst hyn: {unsubscribe}",
    ),
    "email_required": ("Enter your e-mail address", "Rhowch eich cyfeiriad e-bost"),
    "email_invalid": (
        "Enter an e-mail address like name@example.org",
        "Rhowch gyfeiriad e-bost fel enw@example.org",
    ),
    "too_many": (
        "Too many requests from your connection. Try again in an hour.",
        "Gormod o geisiadau o'ch cysylltiad. Rhowch gynnig arall arni ymhen awr.",
    ),
    "no_email_here": (
        "E-mail updates are not available on this page.",
        "Nid oes diweddariadau e-bost ar gael ar y dudalen hon.",
    ),
    "error_title": ("There is a problem", "Mae problem"),
    # Service states.
    "operational": ("Working normally", "Yn gweithio fel arfer"),
    "maintenance_state": ("Under maintenance", "Gwaith cynnal a chadw"),
    "degraded": ("Slower than usual", "Yn arafach na'r arfer"),
    "partial-outage": ("Partly unavailable", "Ddim ar gael yn rhannol"),
    "major-outage": ("Unavailable", "Ddim ar gael"),
}

MONTHS = {
    "en": [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
    "cy": [
        "Ionawr",
        "Chwefror",
        "Mawrth",
        "Ebrill",
        "Mai",
        "Mehefin",
        "Gorffennaf",
        "Awst",
        "Medi",
        "Hydref",
        "Tachwedd",
        "Rhagfyr",
    ],
}
DAYS = {
    "en": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"],
    "cy": ["Dydd Llun", "Dydd Mawrth", "Dydd Mercher", "Dydd Iau", "Dydd Gwener", "Dydd Sadwrn", "Dydd Sul"],
}


def word(key: str, language: Language, **values: object) -> str:
    """A fixed word or sentence in `language`, with `{placeholders}` filled in."""
    english, welsh = WORDS[key]
    text = welsh if language == "cy" else english
    return text.format(**values) if values else text


def state_word(state: str, language: Language) -> str:
    return word("maintenance_state" if state == "maintenance" else state, language)


def when(moment: datetime, language: Language) -> str:
    """'Tuesday 3 March 2026, 14:05' / 'Dydd Mawrth 3 Mawrth 2026, 14:05', in the moment's own zone.

    The day first and the time after a comma: the Welsh needs no mutation after a preposition.
    """
    day = DAYS[language][moment.weekday()]
    month = MONTHS[language][moment.month - 1]
    return f"{day} {moment.day} {month} {moment.year}, {moment:%H:%M}"


def choose(query: str | None, accept_language: str | None) -> Language:
    """The reader's language: `?lang=` when it names one, else the Accept-Language header's preference."""
    if query in LANGUAGES:
        return query  # type: ignore[return-value]
    return from_header(accept_language or "")


def from_header(header: str) -> Language:
    """Welsh when the header prefers it to English (`cy`, `cy-GB`, or a higher q than en); English otherwise."""
    best: dict[Language, float] = {}
    for part in header.split(",")[:20]:  # bounded: a header is the client's to fill
        tag, _, params = part.strip().partition(";")
        primary = tag.strip().lower().split("-")[0]
        if primary not in LANGUAGES:
            continue
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        language: Language = "cy" if primary == "cy" else "en"
        best[language] = max(best.get(language, 0.0), quality)
    return "cy" if best.get("cy", 0.0) > best.get("en", 0.0) else "en"

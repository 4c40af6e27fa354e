"""The files of the status page, made from its PageData: HTML in English and Welsh, JSON, Atom, iCalendar.

The same function makes the product's page and the static bundle's (mode "live" or "static"): the
live page links languages with ?lang= and has the subscription form; the static page links the
other language's file and sends readers to the main site to subscribe. Everything is inline (one
<style>, no script, no image), so a bundle on another server makes no request back to this one.
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from feedgen.feed import FeedGenerator
from icalendar import Calendar, Event

from .models import ServiceState
from .readmodel import PageData, Text, UpdateView, WindowView
from .words import LANGUAGES, WORDS, Language, state_word, when, word

FILES = ("index.html", "index.cy.html", "status.json", "feed.atom", "feed.cy.atom", "maintenance.ics")
PAGE_LANGUAGE: dict[str, Language] = {"index.html": "en", "index.cy.html": "cy"}
FEED_LANGUAGE: dict[str, Language] = {"feed.atom": "en", "feed.cy.atom": "cy"}
STATE_MARK = {  # a shape as well as a colour: the state never rests on colour alone
    ServiceState.OPERATIONAL: "✓",
    ServiceState.MAINTENANCE: "⚙",
    ServiceState.DEGRADED: "!",
    ServiceState.PARTIAL: "!",
    ServiceState.MAJOR: "✕",
}


def render(data: PageData, name: str, mode: str) -> bytes:
    """One file of the page."""
    if name in PAGE_LANGUAGE:
        return html(data, PAGE_LANGUAGE[name], mode).encode()
    if name in FEED_LANGUAGE:
        return atom(data, FEED_LANGUAGE[name])
    if name == "status.json":
        return as_json(data)
    if name == "maintenance.ics":
        return ics(data)
    raise KeyError(name)


def bundle(data: PageData) -> dict[str, bytes]:
    """Every file of the static bundle."""
    return {name: render(data, name, "static") for name in FILES}


def page_url(slug: str) -> str:
    return f"{settings.CONTINGENCY_BASE_URL}{reverse('status-page', kwargs={'org': slug})}"


# ---------------------------------------------------------------- HTML


def _text(text: Text, language: Language) -> dict[str, str]:
    """Words with the language they are really in (lang="en" on English shown on the Welsh page)."""
    value, used = text.get(language)
    return {"text": value, "lang": used if used != language else ""}


def _state(state: str, language: Language) -> dict[str, str]:
    return {"key": state, "word": state_word(state, language), "mark": STATE_MARK[ServiceState(state)]}


def _update(update: UpdateView, language: Language) -> dict[str, Any]:
    return {
        "id": update.id,
        "at": update.at.isoformat(),
        "when": when(update.at, language),
        "text": _text(update.text, language),
        "state": _state(update.state, language) if update.state else None,
        "services": [_text(name, language) for name in update.services],
    }


def _window(window: WindowView, language: Language) -> dict[str, Any]:
    return {
        "uid": window.uid,
        "title": _text(window.title, language),
        "description": _text(window.description, language),
        "span": word("from_to", language, start=when(window.starts_at, language), end=when(window.ends_at, language)),
        "starts": window.starts_at.isoformat(),
        "in_progress": window.in_progress,
        "services": [_text(name, language) for name in window.services],
    }


def html(data: PageData, language: Language, mode: str) -> str:
    other: Language = "en" if language == "cy" else "cy"
    static = mode == "static"
    overall = data.overall
    summary = (
        "all_good"
        if overall == ServiceState.OPERATIONAL
        else "maintenance_now"
        if overall == ServiceState.MAINTENANCE
        else "some_bad"
    )
    context = {
        "lang": language,
        "other_lang": other,
        "w": {key: pair[1] if language == "cy" else pair[0] for key, pair in WORDS.items()},
        "title": _text(data.title, language),
        "intro": _text(data.intro, language),
        "organisation": data.organisation,
        "summary": word(summary, language),
        "overall": overall.value,
        "services": [
            {"key": s.key, "name": _text(s.name, language), "description": _text(s.description, language)}
            | {"state": _state(s.state, language)}
            for s in data.services
        ],
        "updates": [_update(u, language) for u in data.updates],
        "windows": [_window(w, language) for w in data.windows],
        "changed": when(data.changed_at, language),
        "changed_iso": data.changed_at.isoformat(),
        "static": static,
        "other_link": ("index.html" if other == "en" else "index.cy.html") if static else f"?lang={other}",
        "atom": "feed.cy.atom" if language == "cy" else "feed.atom",
        "subscribe_action": reverse("status-subscribe", kwargs={"org": data.slug}),
        "live_page": page_url(data.slug),
    }
    return render_to_string("status/page.html", context)


# ---------------------------------------------------------------- JSON, Atom, iCalendar


def _both(text: Text) -> dict[str, str]:
    return {"en": text.en, "cy": text.cy} if text.cy else {"en": text.en}


def as_json(data: PageData) -> bytes:
    document = {
        "organisation": data.slug,
        "title": _both(data.title),
        "changedAt": data.changed_at.isoformat(),
        "overall": data.overall.value,
        "services": [
            {"key": s.key, "name": _both(s.name), "description": _both(s.description), "state": s.state.value}
            for s in data.services
        ],
        "updates": [
            {
                "id": u.id,
                "at": u.at.isoformat(),
                "text": _both(u.text),
                "state": u.state or None,
                "services": [name.en for name in u.services],
                "incident": u.incident,
            }
            for u in data.updates
        ],
        "maintenance": [
            {
                "uid": w.uid,
                "title": _both(w.title),
                "description": _both(w.description),
                "startsAt": w.starts_at.isoformat(),
                "endsAt": w.ends_at.isoformat(),
                "inProgress": w.in_progress,
                "services": [name.en for name in w.services],
            }
            for w in data.windows
        ],
    }
    return json.dumps(document, ensure_ascii=False, indent=1).encode()


def atom(data: PageData, language: Language) -> bytes:
    base = page_url(data.slug)
    feed = FeedGenerator()
    feed.id(f"{base}{'feed.cy.atom' if language == 'cy' else 'feed.atom'}")
    feed.title(f"{data.title.get(language)[0]}: {word('updates', language)}")
    feed.author({"name": data.organisation})
    feed.link(href=base + ("?lang=cy" if language == "cy" else ""), rel="alternate")
    feed.link(href=f"{base}{'feed.cy.atom' if language == 'cy' else 'feed.atom'}", rel="self")
    feed.language(language)
    feed.updated(data.last_modified)
    for update in data.updates:
        entry = feed.add_entry(order="append")
        entry.id(f"{base}#update-{update.id}")
        text, _ = update.text.get(language)
        heading = state_word(update.state, language) if update.state else word("updates", language)
        names = ", ".join(name.get(language)[0] for name in update.services)
        entry.title(f"{heading}: {names}" if names else heading)
        entry.content(text, type="text")
        entry.link(href=f"{base}#update-{update.id}")
        entry.published(update.at)
        entry.updated(update.at)
    return bytes(feed.atom_str(pretty=True))


def ics(data: PageData) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", "-//Contingency//Status page//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", f"{data.title.en}: {word('maintenance', 'en')}")
    for window in data.calendar:
        event = Event()
        event.add("uid", f"{window.uid}@contingency")
        event.add("dtstamp", max(window.created_at, window.cancelled_at or window.created_at))
        event.add("dtstart", window.starts_at)
        event.add("dtend", window.ends_at)
        event.add("summary", window.title.en)
        description = window.description.en
        if window.services:
            description += f"\n\n{word('affects', 'en')}: {', '.join(name.en for name in window.services)}"
        if window.title.cy or window.description.cy:
            description += f"\n\nCymraeg: {window.title.cy}\n{window.description.cy}".rstrip()
        event.add("description", description.strip())
        event.add("sequence", window.sequence)
        event.add("status", "CANCELLED" if window.cancelled_at else "CONFIRMED")
        calendar.add_component(event)
    return bytes(calendar.to_ical())


__all__ = ["FILES", "LANGUAGES", "bundle", "render"]

"""The public status page and its files (no log-in), and the subscription links.

The page, JSON, Atom and iCalendar files answer from the read model (contingency/status/readmodel.py):
a conditional request whose ETag or date still matches is answered 304 after one indexed query, and
otherwise the bytes come from a per-process cache keyed by the page's version, rendered once each.
The page negotiates its language (?lang=cy or ?lang=en, else Accept-Language), so it varies on
Accept-Language; it carries no cookie, no CSRF token and nothing about the reader, so any cache may
keep it. The subscription form is the one POST that the cached page makes: it is exempt from CSRF
(there is no session to ride, and the same form on any site could only ask for a confirmation e-mail,
which the throttles bound).
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.utils.http import http_date, parse_http_date_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from contingency.core.errors import Kind
from contingency.core.models import Organisation
from contingency.lib.signing import TokenInvalid
from contingency.status import readmodel, subscriptions
from contingency.status import render as files
from contingency.status.publishing.base import content_type
from contingency.status.services import StatusError
from contingency.status.words import WORDS, Language, choose, word

CACHE_CONTROL = "public, max-age=10"  # a reader's cache asks again (conditionally) within ten seconds
PUBLIC_FILES = frozenset(files.FILES)


def _stamp(org: str) -> readmodel.Stamp:
    found = readmodel.stamp(org)
    if found is None:
        raise Http404("No such page.")
    return found


def _not_modified(request: HttpRequest, stamp: readmodel.Stamp, etag: str) -> bool:
    tags = request.headers.get("If-None-Match")
    if tags is not None:
        return tags.strip() == "*" or etag in (tag.strip().removeprefix("W/") for tag in tags.split(","))
    since = parse_http_date_safe(request.headers.get("If-Modified-Since", ""))
    return since is not None and since >= int(stamp.last_modified.timestamp())


def _serve(request: HttpRequest, stamp: readmodel.Stamp, name: str, *, negotiated: bool = False) -> HttpResponse:
    etag = stamp.etag(name)
    if _not_modified(request, stamp, etag):
        response = HttpResponse(status=304)
    else:
        body = readmodel.page(stamp).file(name, "live", files.render)
        response = HttpResponse(body, content_type=content_type(name))
    response["ETag"] = etag
    response["Last-Modified"] = http_date(stamp.last_modified.timestamp())
    response["Cache-Control"] = CACHE_CONTROL
    if negotiated:
        patch_vary_headers(response, ["Accept-Language"])
    return response


@require_safe
def page(request: HttpRequest, org: str) -> HttpResponse:
    """The page, in the reader's language."""
    stamp = _stamp(org)
    language = choose(request.GET.get("lang"), request.headers.get("Accept-Language"))
    return _serve(request, stamp, "index.cy.html" if language == "cy" else "index.html", negotiated=True)


@require_safe
def status_file(request: HttpRequest, org: str, name: str) -> HttpResponse:
    """One file of the bundle by its name (status.json, feed.atom, maintenance.ics, ...)."""
    if name not in PUBLIC_FILES:
        raise Http404("No such page.")
    return _serve(request, _stamp(org), name)


def _message(request: HttpRequest, language: Language, context: dict[str, Any], status: int = 200) -> HttpResponse:
    words = {key: pair[1] if language == "cy" else pair[0] for key, pair in WORDS.items()}
    response = render(request, "status/message.html", {"lang": language, "w": words, **context}, status=status)
    response["Cache-Control"] = "no-store"
    return response


@csrf_exempt
@require_POST
def subscribe(request: HttpRequest, org: str) -> HttpResponse:
    """Ask for updates by e-mail; the same answer whatever the address (see status/subscriptions.py)."""
    _stamp(org)
    organisation = Organisation.objects.get(slug=org)
    language = choose(request.POST.get("lang"), request.headers.get("Accept-Language"))
    email = request.POST.get("email", "")[:320]
    back = {"back": f"../?lang={language}"}
    try:
        subscriptions.request(
            organisation=organisation, email=email, language=language, client=request.META.get("REMOTE_ADDR", "")
        )
    except StatusError as refused:
        status = 400 if refused.kind == Kind.INVALID else 429 if isinstance(refused, subscriptions.TooMany) else 409
        context = {"title": word("error_title", language), "error": refused.message, "form": True, "email": email}
        return _message(request, language, {**back, **context, "field": refused.field}, status=status)
    hours = int(subscriptions.PERIOD.total_seconds() // 3600)
    text = word("check_email_text", language, hours=hours)
    return _message(request, language, {**back, "title": word("check_email", language), "text": text})


def _link_language(request: HttpRequest) -> Language:
    return choose(request.GET.get("lang"), request.headers.get("Accept-Language"))


def _invalid(request: HttpRequest, language: Language, invalid: TokenInvalid) -> HttpResponse:
    key = "link_expired" if invalid.expired else "link_invalid"
    context = {"title": word("error_title", language), "error": word(key, language)}
    return _message(request, language, context, status=410 if invalid.expired else 404)


@never_cache
@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest, signed: str) -> HttpResponse:
    """GET: one button (mail scanners follow links); POST: store the address."""
    language = _link_language(request)
    try:
        token = subscriptions.read_confirmation(signed)
    except TokenInvalid as invalid:
        return _invalid(request, language, invalid)
    language = "cy" if token.language == "cy" else "en"
    organisation = Organisation.objects.filter(pk=token.organisation_id, status_site__published=True).first()
    if organisation is None:
        raise Http404("No such page.")
    name = subscriptions.site_name(organisation, language)
    back = f"/status/{organisation.slug}/?lang={language}"
    if request.method == "POST":
        try:
            subscriptions.confirm(signed=signed)
        except TokenInvalid as invalid:
            return _invalid(request, language, invalid)
        return _message(request, language, {"title": word("confirmed", language), "back": back})
    context = {
        "title": word("confirm_title", language),
        "text": word("confirm_text", language, name=name),
        "button": word("confirm", language),
        "back": back,
    }
    return _message(request, language, context)


@never_cache
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, signed: str) -> HttpResponse:
    """GET: one button; POST: delete the subscription (and with it the address)."""
    language = _link_language(request)
    try:
        subscriber = subscriptions.subscriber_for(signed)
    except TokenInvalid as invalid:
        return _invalid(request, language, invalid)
    if subscriber is not None:
        language = "cy" if subscriber.language == "cy" else "en"
    if request.method == "POST" or subscriber is None:
        if request.method == "POST":
            subscriptions.unsubscribe(signed=signed)
        return _message(request, language, {"title": word("unsubscribed", language)})
    name = subscriptions.site_name(subscriber.organisation, language)
    context = {
        "title": word("unsubscribe_title", language),
        "text": word("unsubscribe_text", language, name=name),
        "button": word("unsubscribe", language),
    }
    return _message(request, language, context)

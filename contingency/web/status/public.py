"""The public status page and its files (no log-in), and the subscription links.

The page, JSON, Atom and iCalendar files are answered by contingency/status/serving.py (most of them by
its WSGI edge, before Django; these views answer the rest the same way): a conditional request whose
ETag or date still matches is answered 304 after one indexed query, and otherwise the bytes come from a
per-process cache keyed by the page's version, rendered once each.
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
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from contingency.core.errors import Kind
from contingency.core.models import Organisation
from contingency.lib.signing import TokenInvalid
from contingency.status import readmodel, serving, subscriptions
from contingency.status.services import StatusError
from contingency.status.words import WORDS, Language, choose, word


def _response(found: serving.Answer | None) -> HttpResponse:
    if found is None:
        raise Http404("No such page.")
    response = HttpResponse(found.body, status=found.status)
    if found.status == 304:
        del response["Content-Type"]
    for name, value in found.headers:
        response[name] = value
    return response


def _stamp(org: str) -> readmodel.Stamp:
    found = readmodel.stamp(org)
    if found is None:
        raise Http404("No such page.")
    return found


@require_safe
def page(request: HttpRequest, org: str) -> HttpResponse:
    """The page, in the reader's language (the WSGI edge answers most of these before Django)."""
    return _response(
        serving.answer(
            org,
            None,
            language=request.GET.get("lang"),
            accept_language=request.headers.get("Accept-Language"),
            if_none_match=request.headers.get("If-None-Match"),
            if_modified_since=request.headers.get("If-Modified-Since"),
        )
    )


@require_safe
def status_file(request: HttpRequest, org: str, name: str) -> HttpResponse:
    """One file of the bundle by its name (status.json, feed.atom, maintenance.ics, ...)."""
    return _response(
        serving.answer(
            org,
            name,
            if_none_match=request.headers.get("If-None-Match"),
            if_modified_since=request.headers.get("If-Modified-Since"),
        )
    )


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
    back = f"{reverse('status-page', kwargs={'org': organisation.slug})}?lang={language}"
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

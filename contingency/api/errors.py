"""Error bodies: every refusal is JSON with a `detail`, and invalid input lists its problems by field.

{"detail": "The plan is not valid.", "errors": [{"path": "rto[0].duration", "loc": ["rto", 0, "duration"],
"code": "schema.value", "message": "..."}]}. Paths are relative to the request body; a problem
elsewhere in the plan that a change caused starts with "@plan" (e.g. "@plan.functions[2].systems[0]").

A service's refusal (core.errors.Refused) is answered here, once, for every endpoint: bad input
naming a field is 422 with that field (camelCase, as the request body spells it) as the error's
location and the refusal's code ("incident.refused", "notify.refused", ...); a refusal about the
state of things is 409, and a thing that is not there 404, each with the reason as `detail`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any, TypeVar, cast

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError, ValidationErrorContext
from ninja.parser import Parser
from ninja.types import DictStrAny
from pydantic.alias_generators import to_camel

from contingency.core.errors import Kind, Refused
from contingency.plans.limits import parse_json
from contingency.plans.problems import PlanInvalid, Problem, format_path

from .auth import UNAUTHENTICATED

E = TypeVar("E", bound=Exception)
INVALID_PLAN = "The plan is not valid."
INVALID_REQUEST = "The request is not valid."
NOT_JSON = "The request body is not valid JSON."
REFUSED_STATUS = {Kind.INVALID: 422, Kind.CONFLICT: 409, Kind.NOT_FOUND: 404}
# The services name fields as Python does; the API's bodies are camelCase, and a few differ.
BODY_FIELDS = {"to_user": "to"}
TOO_COMPLEX = "The request body is too large, too deeply nested or has a number too long to read."

# Pydantic's words for the request shapes the API accepts, in the plan format's words.
_REQUEST_WORDS = {
    "dict_type": "expected a JSON object (a mapping of fields)",
    "missing": "this is required",
    "int_parsing": "expected a whole number",
    "int_type": "expected a whole number",
    "greater_than_equal": "is too small",
    "less_than_equal": "is too large",
}


def where(loc: Sequence[str | int]) -> str:
    """A readable path within the request body; the body itself is "(body)"."""
    return format_path(tuple(loc)) if loc else "(body)"


def problem_error(problem: Problem) -> dict[str, Any]:
    return {"path": where(problem.path), "loc": list(problem.path), "code": problem.code, "message": problem.message}


def field_error(field: str | None, message: str, code: str) -> dict[str, Any]:
    """A problem with one field of the request body (a service's name for it, in the body's spelling)."""
    loc = [BODY_FIELDS.get(field, to_camel(field))] if field else []
    return {"path": where(loc), "loc": loc, "code": code, "message": message}


def refused_body(exc: Refused) -> tuple[int, dict[str, Any]]:
    """The status and body answering a service's refusal."""
    status, problems = REFUSED_STATUS[exc.kind], exc.problems()
    if exc.kind is Kind.INVALID and any(field for field, _ in problems):
        errors = [field_error(field, message, exc.code) for field, message in problems]
        return status, {"detail": INVALID_REQUEST, "errors": errors}
    return status, {"detail": exc.message}


def request_error(error: dict[str, Any]) -> dict[str, Any]:
    """One of ninja's (pydantic's) errors, in the same shape; a body's location starts at the body."""
    loc = [part for part in error.get("loc", ()) if isinstance(part, str | int)]
    if loc[:2] == ["body", "body"]:
        loc = loc[2:]
    kind = str(error.get("type", "invalid"))
    message = _REQUEST_WORDS.get(kind, str(error.get("msg", "is not valid")))
    if kind == "dict_type":
        message += f", got {_json_kind(error.get('input'))}"
    return {"path": where(loc), "loc": loc, "code": f"request.{kind}", "message": message}


def json_error(exc: BaseException | None) -> dict[str, Any]:
    if isinstance(exc, json.JSONDecodeError):
        message = f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
    elif isinstance(exc, UnicodeDecodeError):
        message = "not valid JSON: the body is not UTF-8 text"
    else:
        message = "not valid JSON"
    return {"path": "(body)", "loc": [], "code": "request.json", "message": message}


def _json_kind(value: Any) -> str:
    names = {list: "an array", str: "a string", bool: "true or false", int: "a number", float: "a number"}
    return "null" if value is None else names.get(type(value), "something else")


class BoundedJson(Parser):
    """JSON bodies within the plan limits: a deep body or a huge number is a 400, never a 500."""

    def parse_body(self, request: HttpRequest) -> DictStrAny:
        data: DictStrAny = parse_json(request.body)
        return data


class Api(NinjaAPI):
    def validation_error_from_error_contexts(
        self, error_contexts: list[ValidationErrorContext[Any]]
    ) -> ValidationError:
        # ninja drops each error's input; keep it long enough to say what was sent instead.
        errors: list[dict[str, Any]] = []
        for context in error_contexts:
            source = (context.model.__ninja_param_source__,)
            flatten = context.model.__ninja_flatten_map_reverse__
            for error in context.pydantic_validation_error.errors(include_url=False):
                errors.append(request_error({**error, "loc": source + flatten.get(error["loc"], error["loc"])}))
        return ValidationError(errors)


def install(api: NinjaAPI) -> None:
    """Register the handlers that give every error its JSON shape."""

    def invalid_plan(request: HttpRequest, exc: PlanInvalid) -> HttpResponse:
        errors = [problem_error(p) for p in exc.problems]
        return api.create_response(request, {"detail": INVALID_PLAN, "errors": errors}, status=422)

    def invalid_request(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        errors = [e if "path" in e else request_error(e) for e in exc.errors]
        return api.create_response(request, {"detail": INVALID_REQUEST, "errors": errors}, status=422)

    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        body: dict[str, Any] = {"detail": str(exc)}
        if exc.status_code == 400 and isinstance(exc.__cause__, PlanInvalid):
            # JSON, but beyond the limits (BoundedJson): unprocessable, like an invalid plan.
            errors = [problem_error(p) for p in exc.__cause__.problems]
            return api.create_response(request, {"detail": TOO_COMPLEX, "errors": errors}, status=422)
        if exc.status_code == 400 and exc.__cause__ is not None:
            # ninja could not parse the body; it keeps the reason as the cause.
            body = {"detail": NOT_JSON, "errors": [json_error(exc.__cause__)]}
        if isinstance(exc, AuthenticationError) and str(exc) == "Unauthorized":
            body = {"detail": UNAUTHENTICATED}
        response = api.create_response(request, body, status=exc.status_code)
        if exc.status_code == 401:
            response["WWW-Authenticate"] = 'Bearer realm="contingency"'
        return response

    def not_found(request: HttpRequest, exc: LookupError) -> HttpResponse:
        message = exc.args[0] if exc.args and isinstance(exc.args[0], str) else "Not found."
        return api.create_response(request, {"detail": message}, status=404)

    def refused(request: HttpRequest, exc: Refused) -> HttpResponse:
        status, body = refused_body(exc)
        return api.create_response(request, body, status=status)

    _on(api, PlanInvalid, invalid_plan)
    _on(api, Refused, refused)
    _on(api, ValidationError, invalid_request)
    _on(api, HttpError, http_error)
    _on(api, LookupError, not_found)


def _on(api: NinjaAPI, exc_class: type[E], handler: Callable[[HttpRequest, E], HttpResponse]) -> None:
    # ninja types a handler as taking the exception or its class; it is always given the exception.
    api.add_exception_handler(exc_class, cast(Callable[[HttpRequest, Any], HttpResponse], handler))

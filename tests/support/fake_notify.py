"""A local HTTP server standing in for GOV.UK Notify's API (v2), close enough that the official client
cannot tell: the same paths, request bodies, authentication and answers.

- POST /v2/notifications/sms and /v2/notifications/email; 201 with id, reference, content, template, uri.
- Authorization: Bearer <JWT>, HS256 signed with the API key's secret, `iss` = the service id, `iat` within
  30 seconds of now (checked with PyJWT); otherwise 401/403 AuthError with Notify's messages.
- 400 ValidationError (a number that is not a UK mobile, an invalid e-mail address, a missing field) and
  BadRequestError (unknown template, missing personalisation), with Notify's `errors` list.
- Its own rate limit (`rate_limit` requests a rolling `rate_window` seconds: 429 RateLimitError above
  it) and daily limit (429 TooManyRequestsError), so a benchmark can show a sender never exceeds it.
- Scripted trouble: a delay on every answer, the next N requests failing with 429/500/503, or answering
  only after a while (past the client's timeout: the notification is still accepted, as Notify would).

    with FakeNotify(delay=0.2, rate_limit=3000) as notify:
        config = NotifyConfig(api_key=notify.api_key, base_url=notify.base_url,
                              sms_template_id=notify.sms_template_id, ...)
        ...
        notify.notifications  # every accepted one, with personalisation and reference
"""

from __future__ import annotations

import collections
import json
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import jwt

from .background_http import BackgroundHTTPServer, QuietHandler

CLOCK_BOUND = 30  # seconds, as Notify's


def make_api_key(service_id: str, secret: str, name: str = "contingency_test") -> str:
    """A key shaped as Notify's: `{name}-{service id}-{secret}`."""
    return f"{name}-{service_id}-{secret}"


@dataclass(frozen=True)
class Template:
    type: str  # "sms" or "email"
    body: str = "((body))"
    subject: str = "((subject))"
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    version: int = 1


@dataclass(frozen=True)
class NotifyRecord:
    id: str
    type: str  # "sms" or "email"
    to: str
    template_id: str
    personalisation: dict[str, Any]
    reference: str | None
    sender_id: str | None  # sms_sender_id or email_reply_to_id
    received_at: float  # time.monotonic() when the request arrived


@dataclass(frozen=True)
class RequestRecord:
    path: str
    status: int
    received_at: float  # time.monotonic()


class NotifyError(Exception):
    def __init__(self, status: int, error: str, message: str) -> None:
        self.status, self.error, self.message = status, error, message

    def body(self) -> dict[str, Any]:
        return {"errors": [{"error": self.error, "message": self.message}], "status_code": self.status}


_PLACEHOLDER = re.compile(r"\(\(([^()]+)\)\)")
_EMAIL = re.compile(r"^[^\s@]+@[^\s@]+\.[^\s@]+$")


def check_uk_mobile(number: str) -> None:
    """Notify's checks on a UK mobile number, with its messages."""
    digits = re.sub(r"[\s().\-]", "", number)
    if digits.startswith("+"):
        digits = digits[1:]
        if not digits.startswith("44"):
            raise NotifyError(400, "BadRequestError", "Cannot send to international mobile numbers")
    if not digits.isdigit():
        raise NotifyError(400, "ValidationError", "phone_number Must not contain letters or symbols")
    for prefix in ("0044", "44", "0"):
        if digits.startswith(prefix):
            digits = digits[len(prefix) :]
            break
    if len(digits) > 10:
        raise NotifyError(400, "ValidationError", "phone_number Too many digits")
    if len(digits) < 10:
        raise NotifyError(400, "ValidationError", "phone_number Not enough digits")
    if not digits.startswith("7"):
        raise NotifyError(400, "ValidationError", "phone_number Not a UK mobile number")


class _Handler(QuietHandler):
    def do_POST(self) -> None:
        owner: FakeNotify = self.owner
        received = time.monotonic()
        status, body, headers = owner._handle(self.path, self.headers.get("Authorization"), self.read_body(), received)
        with owner.lock:
            slow = owner._slow.pop(0) if owner._slow else owner.delay
        if slow:
            owner.stopping.wait(slow)
        if status == 503:
            # What a load balancer in front says: not JSON.
            self.answer(503, raw=b"<html><body>503 Service Unavailable</body></html>", content_type="text/html")
        else:
            self.answer(status, body, headers=headers)

    def do_GET(self) -> None:
        self.answer(404, NotifyError(404, "NotFound", "Not found").body())


class FakeNotify(BackgroundHTTPServer):
    handler = _Handler

    def __init__(
        self,
        *,
        service_id: str | None = None,
        secret: str | None = None,
        delay: float = 0.0,
        rate_limit: int | None = None,
        rate_window: float = 60.0,
        daily_limit: int | None = None,
    ) -> None:
        super().__init__()
        self.service_id = service_id or str(uuid.uuid4())
        self.secret = secret or str(uuid.uuid4())
        self.delay = delay
        self.rate_limit = rate_limit
        self.rate_window = rate_window
        self.daily_limit = daily_limit
        sms, email = Template("sms"), Template("email")
        self.templates: dict[str, Template] = {sms.id: sms, email.id: email}
        self.sms_template_id, self.email_template_id = sms.id, email.id
        self._failures: list[tuple[int, Callable[[dict[str, Any]], bool] | None]] = []
        self._slow: list[float] = []
        self._window: collections.deque[float] = collections.deque()
        self._notifications: list[NotifyRecord] = []
        self._requests: list[RequestRecord] = []
        self.rate_limited = 0  # requests answered 429 by the rate limit (not the scripted ones)

    @property
    def api_key(self) -> str:
        return make_api_key(self.service_id, self.secret)

    def add_template(self, template: Template) -> str:
        with self.lock:
            self.templates[template.id] = template
        return template.id

    def fail_next(self, count: int, status: int = 500, *, only: Callable[[dict[str, Any]], bool] | None = None) -> None:
        """Answer the next `count` authenticated requests (those whose JSON body `only` accepts, when given)
        with `status` (429, 500, 503...), accepting nothing."""
        with self.lock:
            self._failures += [(status, only)] * count

    def slow_next(self, count: int, seconds: float) -> None:
        """Answer the next `count` requests only after `seconds` (they are still handled and recorded)."""
        with self.lock:
            self._slow += [seconds] * count

    @property
    def notifications(self) -> list[NotifyRecord]:
        with self.lock:
            return list(self._notifications)

    @property
    def requests(self) -> list[RequestRecord]:
        with self.lock:
            return list(self._requests)

    def max_in_window(self, window: float | None = None) -> int:
        """The most notifications accepted within any `window` seconds (default: the rate window)."""
        span = self.rate_window if window is None else window
        times = sorted(n.received_at for n in self.notifications)
        most, start = 0, 0
        for end, at in enumerate(times):
            while at - times[start] >= span:
                start += 1
            most = max(most, end - start + 1)
        return most

    # The request itself.

    def _handle(
        self, path: str, authorization: str | None, raw: bytes, received: float
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        try:
            self._authenticate(authorization)
            scripted = self._scripted_failure(raw)
            if scripted is not None:
                raise _scripted(scripted, self.rate_limit)
            kind = {"/v2/notifications/sms": "sms", "/v2/notifications/email": "email"}.get(path)
            if kind is None:
                raise NotifyError(404, "NotFound", "Not found")
            self._admit(received)
            record, answer = self._notification(kind, raw, received)
        except NotifyError as exc:
            with self.lock:
                self._requests.append(RequestRecord(path, exc.status, received))
            return exc.status, exc.body(), {}
        with self.lock:
            self._notifications.append(record)
            self._requests.append(RequestRecord(path, 201, received))
        return 201, answer, {}

    def _scripted_failure(self, raw: bytes) -> int | None:
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            body = {}
        with self.lock:
            for n, (status, only) in enumerate(self._failures):
                if only is None or (isinstance(body, dict) and only(body)):
                    del self._failures[n]
                    return status
        return None

    def _authenticate(self, authorization: str | None) -> None:
        if not authorization:
            raise NotifyError(401, "AuthError", "Unauthorized: authentication token must be provided")
        if authorization[:7].title() != "Bearer ":
            raise NotifyError(401, "AuthError", "Unauthorized: authentication bearer scheme must be used")
        token = authorization[7:]
        try:
            claims = jwt.decode(token, options={"verify_signature": False})
            algorithm = jwt.get_unverified_header(token).get("alg")
        except jwt.PyJWTError:
            raise NotifyError(403, "AuthError", "Invalid token: signature, api token is not valid") from None
        if "iss" not in claims:
            raise NotifyError(403, "AuthError", "Invalid token: iss field not provided")
        if claims["iss"] != self.service_id:
            raise NotifyError(403, "AuthError", "Invalid token: service not found")
        if algorithm != "HS256":
            raise NotifyError(403, "AuthError", "Invalid token: algorithm used is not HS256")
        try:
            jwt.decode(token, key=self.secret, algorithms=["HS256"], options={"verify_iat": False})
        except jwt.InvalidSignatureError:
            raise NotifyError(403, "AuthError", "Invalid token: API key not found") from None
        except jwt.PyJWTError:
            raise NotifyError(403, "AuthError", "Invalid token: signature, api token is not valid") from None
        iat = claims.get("iat")
        if not isinstance(iat, int | float):
            raise NotifyError(403, "AuthError", "Invalid token: iat field not provided")
        if abs(time.time() - iat) > CLOCK_BOUND:
            raise NotifyError(403, "AuthError", "Error: Your system clock must be accurate to within 30 seconds")

    def _admit(self, received: float) -> None:
        with self.lock:
            if self.daily_limit is not None and len(self._notifications) >= self.daily_limit:
                raise NotifyError(429, "TooManyRequestsError", f"Exceeded send limits ({self.daily_limit}) for today")
            if self.rate_limit is None:
                return
            while self._window and received - self._window[0] >= self.rate_window:
                self._window.popleft()
            if len(self._window) >= self.rate_limit:
                self.rate_limited += 1
                raise _scripted(429, self.rate_limit)
            self._window.append(received)

    def _notification(self, kind: str, raw: bytes, received: float) -> tuple[NotifyRecord, dict[str, Any]]:
        try:
            data = json.loads(raw)
        except ValueError:
            raise NotifyError(400, "BadRequestError", "Invalid JSON supplied in POST data") from None
        if not isinstance(data, dict):
            raise NotifyError(400, "ValidationError", "request body is not an object")
        to_field = "phone_number" if kind == "sms" else "email_address"
        for name in (to_field, "template_id"):
            if not isinstance(data.get(name), str):
                raise NotifyError(400, "ValidationError", f"{name} is a required property")
        to, template_id = data[to_field], data["template_id"]
        if kind == "sms":
            check_uk_mobile(to)
        elif not _EMAIL.match(to):
            raise NotifyError(400, "ValidationError", "email_address Not a valid email address")
        try:
            uuid.UUID(template_id)
        except ValueError:
            raise NotifyError(400, "ValidationError", "template_id is not a valid UUID") from None
        template = self.templates.get(template_id)
        if template is None:
            raise NotifyError(400, "BadRequestError", "Template not found")
        if template.type != kind:
            raise NotifyError(
                400, "BadRequestError", f"{template.type} template is not suitable for {kind} notification"
            )
        personalisation = data.get("personalisation") or {}
        if not isinstance(personalisation, dict):
            raise NotifyError(400, "ValidationError", "personalisation is not of type object")
        wanted = set(_PLACEHOLDER.findall(template.body)) | (
            set(_PLACEHOLDER.findall(template.subject)) if kind == "email" else set()
        )
        if missing := sorted(wanted - set(personalisation)):
            raise NotifyError(400, "BadRequestError", f"Missing personalisation: {', '.join(missing)}")

        def fill(text: str) -> str:
            return _PLACEHOLDER.sub(lambda m: str(personalisation[m.group(1)]), text)

        sender = data.get("sms_sender_id" if kind == "sms" else "email_reply_to_id")
        notification_id = str(uuid.uuid4())
        record = NotifyRecord(
            id=notification_id,
            type=kind,
            to=to,
            template_id=template_id,
            personalisation=dict(personalisation),
            reference=data.get("reference"),
            sender_id=sender,
            received_at=received,
        )
        content: dict[str, Any] = {"body": fill(template.body)}
        if kind == "sms":
            content["from_number"] = "Contingency"
        else:
            content |= {"subject": fill(template.subject), "from_email": "contingency@notifications.service.gov.uk"}
        base = "https://api.notifications.service.gov.uk"
        answer = {
            "id": notification_id,
            "reference": record.reference,
            "content": content,
            "uri": f"{base}/v2/notifications/{notification_id}",
            "template": {"id": template_id, "version": template.version, "uri": f"{base}/v2/template/{template_id}"},
        }
        if kind == "email":
            answer["scheduled_for"] = None
        return record, answer


def _scripted(status: int, rate_limit: int | None) -> NotifyError:
    if status == 429:
        limit = rate_limit or 3000
        return NotifyError(
            429, "RateLimitError", f"Exceeded rate limit for key type LIVE of {limit} requests per 60 seconds"
        )
    if status == 503:
        return NotifyError(503, "ServiceUnavailable", "Service Unavailable")
    if status >= 500:
        return NotifyError(status, "Exception", "Internal server error")
    return NotifyError(status, "BadRequestError", f"Scripted failure {status}")

"""Wrong passwords: a growing delay per username and address, the per-username lock-out, and lifting both.

Design (docs/decisions/0008-sign-in-throttle-and-lock-out.md):
- Every username and address pair gets MAX_FREE_FAILURES wrong passwords without delay; after that each
  attempt must wait `delay_after(failures)` (2, 4, 8 ... seconds, at most MAX_DELAY) since the last wrong one,
  and is refused before the password is checked ("try again in N seconds"). Nothing sleeps.
- django-axes keeps the per-username lock-out (settings.AXES_*), but an address the user has signed in from
  in the last KNOWN_FOR is exempt (`known_address`, its whitelist callable): failures from anywhere else
  never lock the on-call team out of the workstations they use.
- A success clears its pair; counts are forgotten FORGET_AFTER the last wrong password.
- Administrators see the locks of their organisation's members (`current_locks`) and lift them (`lift`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from axes.handlers.proxy import AxesProxyHandler
from axes.models import AccessAttempt
from axes.utils import reset as reset_axes
from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone

from . import audit
from .errors import Refused
from .models import Membership, Organisation, SignInAddress, SignInThrottle

MAX_FREE_FAILURES = 5
MAX_DELAY = timedelta(minutes=5)
KNOWN_FOR = timedelta(days=90)
FORGET_AFTER = timedelta(days=1)
USERNAME_LENGTH = 255


def delay_after(failures: int) -> timedelta:
    """How long after the last wrong password the next attempt must wait: none for the first five."""
    if failures < MAX_FREE_FAILURES:
        return timedelta(0)
    doublings = min(failures - MAX_FREE_FAILURES + 1, 20)  # 2**20 seconds is past MAX_DELAY already
    return min(timedelta(seconds=2**doublings), MAX_DELAY)


def address_of(meta: Mapping[str, Any], trusted_proxies: int) -> str:
    """The client's address: REMOTE_ADDR, or behind `trusted_proxies` proxies the address the outermost one
    saw (X-Forwarded-For, counted from the right, so a client cannot choose it)."""
    if trusted_proxies > 0:
        forwarded = [part.strip() for part in str(meta.get("HTTP_X_FORWARDED_FOR", "")).split(",") if part.strip()]
        if len(forwarded) >= trusted_proxies:
            return forwarded[-trusted_proxies][:64]
    return str(meta.get("REMOTE_ADDR", ""))[:64]


def client_address(request: HttpRequest) -> str:
    """django-axes' AXES_CLIENT_IP_CALLABLE, and the address of every record here."""
    return address_of(request.META, settings.CONTINGENCY_TRUSTED_PROXIES)


def _username(value: object) -> str:
    return str(value or "")[:USERNAME_LENGTH]


def known_address(request: HttpRequest, credentials: Mapping[str, Any] | None) -> bool:
    """django-axes' AXES_WHITELIST_CALLABLE: has this username signed in from this address lately?"""
    username = _username((credentials or {}).get("username") or request.POST.get("username"))
    since = timezone.now() - KNOWN_FOR
    return SignInAddress.objects.filter(
        username=username, address=client_address(request), last_signed_in_at__gte=since
    ).exists()


def locked_out(request: HttpRequest, username: str) -> bool:
    """Whether django-axes refuses this username from this address now (its per-username lock-out)."""
    return not AxesProxyHandler.is_allowed(request, {"username": username})


def wait_for(username: str, address: str, now: datetime) -> timedelta:
    """How much longer this username must wait before trying a password from this address."""
    row = SignInThrottle.objects.filter(username=_username(username), address=address).first()
    if row is None:
        return timedelta(0)
    return max(row.last_failure_at + delay_after(row.failures) - now, timedelta(0))


def record_failure(username: str, address: str, now: datetime) -> None:
    """One more wrong password for this pair (and old counts forgotten)."""
    username = _username(username)
    with transaction.atomic():
        SignInThrottle.objects.filter(last_failure_at__lt=now - FORGET_AFTER).delete()
        updated = SignInThrottle.objects.filter(username=username, address=address).update(
            failures=F("failures") + 1, last_failure_at=now
        )
        if not updated:
            try:
                with transaction.atomic():
                    SignInThrottle.objects.create(username=username, address=address, failures=1, last_failure_at=now)
            except IntegrityError:  # another request made it first
                SignInThrottle.objects.filter(username=username, address=address).update(
                    failures=F("failures") + 1, last_failure_at=now
                )


def record_success(username: str, address: str, now: datetime) -> None:
    """The user signed in from here: the address is known, and its wrong passwords are forgotten."""
    username = _username(username)
    with transaction.atomic():
        SignInAddress.objects.update_or_create(username=username, address=address, defaults={"last_signed_in_at": now})
        SignInThrottle.objects.filter(username=username, address=address).delete()


def on_failure(sender: object, credentials: Mapping[str, Any], request: HttpRequest | None = None, **_: Any) -> None:
    """Receiver of django's user_login_failed signal (connected in apps.py)."""
    if request is not None:
        record_failure(_username(credentials.get("username")), client_address(request), timezone.now())


def on_success(sender: object, request: HttpRequest | None, user: AbstractBaseUser, **_: Any) -> None:
    """Receiver of django's user_logged_in signal (connected in apps.py)."""
    if request is not None:
        record_success(user.get_username(), client_address(request), timezone.now())


# ---------------------------------------------------------------- what administrators see and lift


@dataclass(frozen=True)
class Lock:
    username: str
    kind: str  # "locked": django-axes' per-username lock-out; "slowed": one address's growing delay
    failures: int
    until: datetime
    address: str = ""  # for "slowed"

    @property
    def words(self) -> str:
        if self.kind == "locked":
            return (
                f"Locked out after {self.failures} wrong passwords from addresses {self.username} has not signed in "
                "from lately (their usual addresses still work)"
            )
        return f"Slowed down after {self.failures} wrong passwords from {self.address}"


def current_locks(usernames: Iterable[str], now: datetime) -> list[Lock]:
    """The locks and delays in force now for these usernames, soonest to end first."""
    names = {_username(name) for name in usernames}
    found: list[Lock] = []
    cool_off: timedelta = settings.AXES_COOLOFF_TIME
    totals: dict[str, tuple[int, datetime]] = {}
    for attempt in AccessAttempt.objects.filter(username__in=names, attempt_time__gte=now - cool_off):
        count, last = totals.get(attempt.username, (0, attempt.attempt_time))
        totals[attempt.username] = (count + attempt.failures_since_start, max(last, attempt.attempt_time))
    for username, (count, last) in totals.items():
        if count >= settings.AXES_FAILURE_LIMIT:
            found.append(Lock(username, "locked", count, last + cool_off))
    for row in SignInThrottle.objects.filter(username__in=names):
        until = row.last_failure_at + delay_after(row.failures)
        if until > now:
            found.append(Lock(row.username, "slowed", row.failures, until, row.address))
    return sorted(found, key=lambda lock: (lock.until, lock.username, lock.address))


class LockRefused(Refused):
    """The lock cannot be lifted here; the message says why."""

    code = "signin.refused"


Actor = AbstractBaseUser | AnonymousUser | None


def lift(*, organisation: Organisation, username: str, actor: Actor, via: str = "web") -> list[Lock]:
    """Lift every lock and delay on a member's username, and record it in the organisation's audit log."""
    with transaction.atomic():
        if not Membership.objects.filter(organisation=organisation, user__username=username).exists():
            raise LockRefused(f"{username!r} is not a member of {organisation.name}.")
        now = timezone.now()
        locks = current_locks([username], now)
        if not locks:
            raise LockRefused(f"{username} is not locked out or slowed down now.")
        reset_axes(username=username)
        SignInThrottle.objects.filter(username=username).delete()
        audit.record(
            organisation=organisation,
            actor=actor,
            verb=audit.Verb.DELETE,
            object_type=audit.LOCK_OUT,
            object_key=username,
            label=f"lock-out of {username}",
            before=[
                {"kind": lock.kind, "failures": lock.failures, "until": lock.until.isoformat(), "address": lock.address}
                for lock in locks
            ],
            note="lock-out lifted",
            via=via,
        )
    return locks

"""Rendered parts of pages, kept per process and keyed by everything they show.

A fragment's key names every input of its HTML: a plan's (pk, revision), an incident's (pk,
token, version), the minute for anything that shows the time, and the viewer's permissions.
Nothing is keyed by time alone, so a fragment is never stale: when an input changes, so does
the key, and the old entry simply ages out of the LRU.

Fragments hold no per-user secret. A fragment with forms is rendered with CSRF_SLOT in place of
the CSRF token; `with_csrf` puts the request's own token in on the way out.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Callable, Hashable
from threading import Lock
from typing import Generic, TypeVar

from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.utils.safestring import SafeString, mark_safe

T = TypeVar("T")

# What {% csrf_token %} writes into a cached fragment (a context's csrf_token), replaced per request.
CSRF_SLOT = "csrf-slot-0f6d2c7e9a1b4c3d8e5f"


class Fragments(Generic[T]):
    """An LRU of rendered parts; one thread renders a missing key while the others asking wait.

    `render` returns what is kept: HTML from render_to_string (already safe), or an object of them.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[Hashable, T] = OrderedDict()
        self._lock = Lock()
        self._building: dict[Hashable, Lock] = {}

    def get(self, key: Hashable, render: Callable[[], T], stand_in: Hashable | None = None) -> T:
        """The entry for `key`, rendered if missing. While another thread renders it, the entry for
        `stand_in` is returned at once if there is one (a caller names one only where it differs in
        nothing that matters, such as the minute before for a clock shown to the minute)."""
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
            if stand_in is not None and key in self._building and stand_in in self._items:
                return self._items[stand_in]
            building = self._building.setdefault(key, Lock())
        with building:
            with self._lock:
                if key in self._items:
                    return self._items[key]
            try:
                made = render()
                with self._lock:
                    self._items[key] = made
                    while len(self._items) > self.size:
                        self._items.popitem(last=False)
            finally:
                with self._lock:
                    self._building.pop(key, None)
            return made

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def __len__(self) -> int:
        return len(self._items)


def with_csrf(html: str, request: HttpRequest) -> SafeString:
    """The fragment with this request's CSRF token where it was rendered with CSRF_SLOT."""
    if CSRF_SLOT not in html:
        return mark_safe(html)
    return mark_safe(html.replace(CSRF_SLOT, get_token(request)))


def digest(html: str) -> str:
    """A short fingerprint of a fragment, for ETags."""
    return hashlib.blake2b(html.encode(), digest_size=6).hexdigest()

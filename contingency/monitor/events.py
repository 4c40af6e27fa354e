"""Signals sent inside the transaction of a probe report (or sweep) that changed something.

status_changed: organisation (Organisation), plan (str), system (str), name (str), state and previous
(verdict.State values; previous is "" the first time), summary (str), at (datetime). Sent when a
system's verdict changes, so a later layer (the public status page's publisher) can write its own rows
in the same transaction. Receivers must not swallow errors: an exception rolls the report back.
"""

from __future__ import annotations

from django.dispatch import Signal

status_changed = Signal()

"""Signals sent inside the transaction of a plan change, for later layers (the grab pack) to act on.

Plans never import their listeners; a receiver writes its own rows in the same transaction, so what
it queues exists exactly when the change committed. Receivers must not swallow errors.
"""

from __future__ import annotations

from django.dispatch import Signal

# plan, issue (PlanIssue), imported (bool), actor, via: an issue was recorded. `imported` is True for a
# plan recorded as already issued at its stated issue (loaded from its file): it was issued, printed and
# distributed outside Contingency, so nothing new is printed for it.
plan_issued = Signal()

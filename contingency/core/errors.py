"""The one refusal of the domain: a service declined to make a change, and says why.

Every service (incidents, notifications, plan workflow, memberships) refuses by raising a
`Refused` (or a subclass that names its app). Nothing has changed when one is raised: the service
raises before writing, or inside its transaction, which then rolls back. The callers only render
it: the API answers it with one registered handler (api/errors.py), the pages with one helper
(web/refusals.py), the command line as `error: <option>: <message>` (cli/common.py).

What kind of refusal it is decides the answer:

- INVALID: the input is at fault; `field` names it when it is one input (the API answers 422
  located at that field, a page shows the message beside it);
- CONFLICT: the thing's state does not allow it now (restoring an incident that is not invoked,
  approving your own draft): 409, a message at the top of the page;
- NOT_FOUND: the thing asked about is not there: 404.
"""

from __future__ import annotations

from enum import StrEnum


class Kind(StrEnum):
    INVALID = "invalid"
    CONFLICT = "conflict"
    NOT_FOUND = "not-found"


class Refused(Exception):
    """A change that was not made: `message` for the person who asked, `field` the input at fault (if one is).

    Without an explicit `kind`, a refusal naming a field is INVALID and one naming none is CONFLICT.
    """

    code = "refused"  # the API's error code for a field's problem: "<app>.refused"

    def __init__(self, message: str, field: str | None = None, *, kind: Kind | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field or None
        self.kind = kind or (Kind.INVALID if self.field else Kind.CONFLICT)

    def problems(self) -> list[tuple[str | None, str]]:
        """(field or None, message) for each problem; one unless a subclass collects several."""
        return [(self.field, self.message)]

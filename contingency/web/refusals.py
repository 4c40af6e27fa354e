"""A service's refusal on a page, shown the same way everywhere.

A page handler calls the service inside one of these blocks; a `Refused` raised in the block is
caught (the service changed nothing) and the code after the block renders the refusal:

    with refusals.onto(form):          # beside the form field it names, else at the top of the form
        record = services.hand_over(...)
        return redirect(...)           # reached only when the service did it
    return render(..., status=400)     # reached only when it was refused (or the form is invalid)

    with refusals.flashed(request):    # as the page's error message, for a button without a form
        workflow.approve(...)
        messages.success(request, "Approved.")
    return redirect(...)               # back to the page either way

    with refusals.caught() as caught:  # kept for the page to render itself (the incident page)
        done = change()
    if caught.refused is not None:
        ...

The block must contain the service's transaction, not sit inside one: the transaction rolls back
as the refusal leaves it.
"""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType

from django.contrib import messages
from django.forms import BaseForm
from django.http import HttpRequest

from contingency.core.errors import Refused

STATUS = 400  # a page re-rendered with a refusal on it


class Caught:
    """A `with` block in which a refusal is caught; `refused` is it afterwards (None when there was none)."""

    def __init__(self, show: Callable[[Refused], None] | None = None) -> None:
        self.refused: Refused | None = None
        self._show = show

    def __enter__(self) -> Caught:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> bool:
        if not isinstance(error, Refused):
            return False
        self.refused = error
        if self._show is not None:
            self._show(error)
        return True


def caught() -> Caught:
    """Catch a refusal for the page to render as it needs."""
    return Caught()


def add_to_form(form: BaseForm, refused: Refused) -> None:
    """Each of the refusal's problems beside the field it names, or at the top of the form."""
    for field, message in refused.problems():
        form.add_error(field if field in form.fields else None, message)


def onto(form: BaseForm) -> Caught:
    """Catch a refusal and put it on `form` (which then is not valid)."""
    return Caught(lambda refused: add_to_form(form, refused))


def flashed(request: HttpRequest) -> Caught:
    """Catch a refusal and show it as an error message on the next page."""
    return Caught(lambda refused: messages.error(request, refused.message))

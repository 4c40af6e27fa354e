"""The one domain refusal: its kinds, the API's one answer to it, the pages' one helper and the command line's."""

from __future__ import annotations

import pytest
from django import forms

from contingency.api.errors import refused_body
from contingency.cli.common import EXIT_INVALID
from contingency.cli.common import refusals as cli_refusals
from contingency.core.errors import Kind, Refused
from contingency.core.membership import MembershipRefused
from contingency.incidents.services import IncidentError
from contingency.notify.dispatch import NotifyError
from contingency.plans.workflow import WorkflowError
from contingency.web import refusals


def test_every_app_refuses_with_the_one_type() -> None:
    for refusal in (
        IncidentError("x"),
        NotifyError("x"),
        WorkflowError("x"),
        MembershipRefused({"": ["x"]}),
    ):
        assert isinstance(refusal, Refused)


def test_a_field_means_bad_input_and_none_a_conflict_unless_told() -> None:
    assert IncidentError("say why", "reason").kind is Kind.INVALID
    assert IncidentError("the task is done").kind is Kind.CONFLICT
    assert NotifyError("no such thing", kind=Kind.NOT_FOUND).kind is Kind.NOT_FOUND
    assert WorkflowError("Approval needs a plan that is submitted").kind is Kind.CONFLICT
    assert IncidentError("x", "").field is None


def test_the_api_answers_bad_input_422_located_at_the_body_field() -> None:
    status, body = refused_body(IncidentError("'zed' is not a member", "to_user"))
    assert status == 422
    assert body == {
        "detail": "The request is not valid.",
        "errors": [{"path": "to", "loc": ["to"], "code": "incident.refused", "message": "'zed' is not a member"}],
    }
    status, body = refused_body(NotifyError("choose one", "restored_at"))
    assert (status, body["errors"][0]["loc"], body["errors"][0]["code"]) == (422, ["restoredAt"], "notify.refused")


def test_the_api_answers_conflicts_409_and_absences_404_with_the_reason() -> None:
    assert refused_body(IncidentError("only an invoked incident is restored")) == (
        409,
        {"detail": "only an invoked incident is restored"},
    )
    assert refused_body(WorkflowError("Issuing needs a plan that is approved")) == (
        409,
        {"detail": "Issuing needs a plan that is approved"},
    )
    assert refused_body(Refused("No such call-out.", kind=Kind.NOT_FOUND)) == (404, {"detail": "No such call-out."})


def test_several_problems_are_each_located() -> None:
    refusal = MembershipRefused({"username": ["taken"], "email": ["not an address"]})
    assert refusal.kind is Kind.INVALID
    status, body = refused_body(refusal)
    assert status == 422
    assert [(e["path"], e["message"]) for e in body["errors"]] == [("username", "taken"), ("email", "not an address")]
    whole = MembershipRefused({"": ["cannot remove ada: they are the last administrator"]})
    assert refused_body(whole) == (409, {"detail": "cannot remove ada: they are the last administrator"})


class NoteForm(forms.Form):
    reason = forms.CharField(required=False)


def test_a_page_puts_the_refusal_beside_its_field_or_atop_the_form() -> None:
    form = NoteForm({"reason": ""})
    assert form.is_valid()
    with refusals.onto(form):
        raise IncidentError("say why the task is skipped", "reason")
    assert form.errors == {"reason": ["say why the task is skipped"]}
    other = NoteForm({"reason": ""})
    other.is_valid()
    with refusals.onto(other):
        raise IncidentError("no such field here", "assignee")
    assert other.non_field_errors() == ["no such field here"]


def test_a_page_catches_only_refusals_and_only_when_one_is_raised() -> None:
    with refusals.caught() as caught:
        pass
    assert caught.refused is None
    with refusals.caught() as caught:
        raise WorkflowError("Approval needs a plan that is submitted")
    assert caught.refused is not None and caught.refused.message.startswith("Approval")
    with pytest.raises(KeyError), refusals.caught():
        raise KeyError("a bug is not a refusal")


def test_the_command_line_names_the_option_and_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_, cli_refusals({"restored_at": "--at"}, otherwise="incident"):
        raise IncidentError("the service cannot come back in the future", "restored_at")
    assert exit_.value.code == EXIT_INVALID
    assert capsys.readouterr().err == "error: --at: the service cannot come back in the future\n"
    with pytest.raises(SystemExit), cli_refusals({}, otherwise="incident"):
        raise IncidentError("only an invoked incident is restored")
    assert capsys.readouterr().err == "error: incident: only an invoked incident is restored\n"

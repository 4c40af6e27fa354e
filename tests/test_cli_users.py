"""`contingency user add`: the accounts of a laptop copy (or any install) from the command line."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from django.contrib.auth.models import User

from contingency.cli import main
from contingency.core.models import AuditEntry, Membership

from .web import HOME_ORG

pytestmark = pytest.mark.django_db
ADD = ("user", "add", "--org", HOME_ORG)


def test_a_new_user_with_roles_then_an_existing_one(demo_plans: list[object]) -> None:
    runner = CliRunner()
    made = runner.invoke(
        main, [*ADD, "nightshift", "--role", "responder", "--email", "night@example.org", "--password-stdin"],
        input="a long night password\n",
    )  # fmt: skip
    assert made.exit_code == 0, made.output
    assert made.stdout == "nightshift is now responder of Northwick General Hospital NHS Foundation Trust\n"
    user = User.objects.get(username="nightshift")
    assert user.check_password("a long night password")
    assert list(Membership.objects.filter(user=user).values_list("role", flat=True)) == ["responder"]
    assert AuditEntry.objects.filter(object_type="membership", object_key="nightshift", actor_name="system").exists()
    again = runner.invoke(main, [*ADD, "nightshift", "--role", "viewer"])
    assert again.exit_code == 2 and "already a member" in again.stderr


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("nobody-here", "--role", "viewer"), "error: USERNAME: There is no user called 'nobody-here'."),
        (("x", "--role", "king"), "error: --role: Unknown role: king."),
        (("weak", "--role", "viewer", "--email", "weak@example.org", "--password-stdin"), "error: password:"),
    ],
)
def test_bad_input_says_which_option(demo_plans: list[object], args: tuple[str, ...], says: str) -> None:
    result = CliRunner().invoke(main, [*ADD, *args], input="short\n")
    assert result.exit_code == 2 and result.stderr.startswith(says), result.stderr
    assert not User.objects.filter(username__in=("weak", "x")).exists()
    wrong = CliRunner().invoke(main, ["user", "add", "--org", "nowhere", "a", "--role", "viewer"])
    assert wrong.exit_code == 2 and "there is no organisation 'nowhere' here" in wrong.stderr

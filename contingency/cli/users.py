"""`contingency user add`: an account for somebody, with roles in one organisation (e.g. on a laptop copy,
where the shift signs in to the copied plans and runs incidents while the main server is down)."""

from __future__ import annotations

import sys

import click

from .common import _django, _error, _require_migrated, refusals

OPTIONS = {"username": "USERNAME", "roles": "--role", "email": "--email", "password": "password"}


@click.group(name="user")
def user() -> None:
    """Accounts and their roles."""


@user.command(name="add")
@click.argument("username")
@click.option("--org", "org_slug", required=True, help="The organisation's id (its slug).")
@click.option(
    "--role", "roles", multiple=True, required=True, help="viewer, responder, editor, approver, administrator"
)
@click.option("--email", help="The new user's e-mail address (a new user needs one).")
@click.option("--password-stdin", is_flag=True, help="Read the new user's password from standard input.")
def user_add(username: str, org_slug: str, roles: tuple[str, ...], email: str | None, password_stdin: bool) -> None:
    """Give USERNAME roles in an organisation, making the user first when --email is given.

    The password of a new user is asked for (twice), or read from standard input with --password-stdin.
    """
    _django()
    _require_migrated()
    from ..core.membership import add_member
    from ..core.models import Organisation

    organisation = Organisation.objects.filter(slug=org_slug).first()
    if organisation is None:
        _error("--org", f"there is no organisation {org_slug!r} here")
    password = None
    if email is not None:
        if password_stdin:
            password = sys.stdin.readline().rstrip("\n")
        else:
            password = click.prompt("Password", hide_input=True, confirmation_prompt=True, err=True)
    with refusals(OPTIONS, otherwise="USERNAME"):
        add_member(organisation, username=username, roles=roles, actor=None, email=email, password=password)
    click.echo(f"{username} is now {', '.join(sorted(set(roles)))} of {organisation.name}")

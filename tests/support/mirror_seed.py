"""Run against a mirror test server's database (DATABASE_URL): make tokens, revoke one, re-issue a plan.

python tests/support/mirror_seed.py token USER [--scope mirror|api] [--expired]   -> prints the token
python tests/support/mirror_seed.py revoke TOKEN
python tests/support/mirror_seed.py reissue ORG PLAN TEXT   -> edits the plan's aim, issues it, prints the issue
python tests/support/mirror_seed.py draft ORG PLAN TEXT     -> edits the plan's aim without issuing
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "contingency.settings")


def main() -> None:
    parser = argparse.ArgumentParser()
    commands = parser.add_subparsers(dest="command", required=True)
    token = commands.add_parser("token")
    token.add_argument("user")
    token.add_argument("--scope", default="mirror")
    token.add_argument("--expired", action="store_true")
    revoke = commands.add_parser("revoke")
    revoke.add_argument("token")
    for name in ("reissue", "draft"):
        edit = commands.add_parser(name)
        edit.add_argument("org")
        edit.add_argument("plan")
        edit.add_argument("text")
    args = parser.parse_args()

    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.utils import timezone

    from contingency.core import tokens
    from contingency.core.models import ApiToken
    from contingency.plans import editing, workflow
    from contingency.plans.models import Plan
    from contingency.plans.validate import validate_data

    if args.command == "token":
        user = User.objects.get(username=args.user)
        expires = timezone.now() + timedelta(days=-1 if args.expired else 90)
        _, plain = tokens.create_token(user, "laptop", scope=args.scope, expires_at=expires)
        print(plain)
    elif args.command == "revoke":
        tokens.revoke_token(ApiToken.objects.get(digest=tokens.digest(args.token)))
    else:
        plan = Plan.objects.get(organisation__slug=args.org, key=args.plan)
        editor, approver = User.objects.get(username="editor"), User.objects.get(username="approver")
        data = editing.plan_data(plan)
        data["aim"] = args.text
        editing.save_document(validate_data(data), organisation=plan.organisation, actor=editor, via="test", plan=plan)
        if args.command == "reissue":
            workflow.submit(plan, actor=editor, summary=args.text, via="test")
            workflow.approve(plan, actor=approver, reason="Known findings accepted", via="test")
            print(workflow.issue(plan, actor=approver, reason="Known findings accepted", via="test").issue)


if __name__ == "__main__":
    main()

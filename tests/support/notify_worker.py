"""`contingency worker` with a shorter claim lease, for tests/test_notify_kill_restart.py.

    python tests/support/notify_worker.py worker --only delivery --poll 0.05 --name w1

The same command line as `python -m contingency.cli`, after setting delivery.LEASE_MARGIN from
NOTIFY_TEST_LEASE_MARGIN (seconds). The lease is the transport's timeout (CONTINGENCY_*_TIMEOUT, which
the test shortens) plus that margin, so the messages a killed worker held come back within seconds.
"""

from __future__ import annotations

import os
import sys
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "contingency.settings")
    import django

    django.setup()  # the delivery module needs the apps; the command's own set-up then finds them ready
    from contingency.notify import delivery

    delivery.LEASE_MARGIN = timedelta(seconds=float(os.environ["NOTIFY_TEST_LEASE_MARGIN"]))
    from contingency.cli import main as cli

    cli()


if __name__ == "__main__":
    main()

"""Seeding and reading the database of tests/test_reconciliation_killed.py, run in a subprocess.

    python tests/support/reconcile_kill.py seed     # migrate, the demo plans, a PACS outage over the Orthanc
                                                    # scenario's window with its 502 examinations logged
    python tests/support/reconcile_kill.py dump     # the runs kept (JSON), and the digest of a run made here

The database is the one DATABASE_URL names; the archive is the one the CONTINGENCY_ARCHIVE_* variables name.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent.parent))
from tests.support.seeding import command_line, pacs_plan


def seed(args: argparse.Namespace) -> None:
    from contingency.incidents import services
    from tests.reconcile_support import records_of
    from tests.support.orthanc import WINDOW_END, WINDOW_START, downtime_scenario

    plan = pacs_plan()
    incident = services.report(plan=plan, subject="system:pacs", actor=None, began_at=WINDOW_START, via="kill test")
    incident = services.invoke(incident=incident, actor=None, via="kill test")
    incident = services.restore(incident=incident, actor=None, restored_at=WINDOW_END, via="kill test")
    records_of(incident, downtime_scenario().expected)
    print(f"incident={incident.number}", flush=True)


def dump() -> None:
    from contingency.downtime.archive import reconcile
    from contingency.downtime.models import Outcome, ReconciliationRun, UnloggedStudy
    from contingency.downtime.reconciliation import configured, expected_of, usable, window_of
    from contingency.incidents.models import Incident

    incident = Incident.objects.get()
    config = usable(configured())
    looked = expected_of(incident, config.systems)
    start, end = window_of(incident, incident.restored_at or incident.began_at)
    reference = reconcile([item.study for item in looked], config, start=start, end=end)
    data = {
        "runs": [
            {"number": r.number, "status": r.status, "digest": r.digest, "outcomes": r.outcomes.count()}
            for r in ReconciliationRun.objects.order_by("number")
        ],
        "outcomes": Outcome.objects.count(),
        "unlogged": UnloggedStudy.objects.count(),
        "reference": reference.digest(),
        # For a digest that differs: each record's bucket, in the last run kept and in the reference run.
        "run_buckets": {
            o.expected_accession: o.bucket
            for o in Outcome.objects.filter(run=ReconciliationRun.objects.order_by("number").last())
        },
        "reference_buckets": {
            m.expected.accession_number: str(m.bucket)
            for m in (reference.matching.matches if reference.matching else ())
        },
    }
    json.dump(data, sys.stdout)


if __name__ == "__main__":
    command_line(seed, dump, {})

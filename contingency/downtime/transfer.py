"""Downtime records and spot-check draws in an incident export (see incidents/transfer/sections.py).

A record made on a laptop copy comes back with its number in the incident, its values and where it
is in the ledger (re-entered, checked, resolved); a downtime ID (or a phone's client key) already
recorded here refuses the import, naming both, rather than recording the same paper form twice.
"""

from __future__ import annotations

from typing import Any

from django.db import models

from contingency.incidents.models import Incident
from contingency.incidents.transfer.sections import Section, register

from .models import DowntimeRecord, SpotCheckDraw


def _records(incident: Incident) -> models.QuerySet[Any]:
    return DowntimeRecord.objects.filter(incident=incident).order_by("number")


def register_sections() -> None:
    register(
        Section(
            "spotCheckDraws",
            SpotCheckDraw,
            ("incident", "incident"),
            (
                "kind_key",
                "day",
                "seed",
                "share",
                "at_least",
                "population",
                "target",
                "drawn",
                "reason",
                "drawn_at",
                "drawn_by_name",
            ),
        )
    )
    register(
        Section(
            "downtimeRecords",
            DowntimeRecord,
            ("incident", "incident"),
            (
                "number",
                "function_key",
                "kind_key",
                "system_key",
                "values",
                "downtime_id",
                "nhs_number",
                "hospital_number",
                "accession_number",
                "study_uid",
                "reference",
                "occurred_at",
                "day",
                "site_key",
                "department_key",
                "modality",
                "expected_instances",
                "state",
                "client_key",
                "recorded_at",
                "recorded_by_name",
                "recorded_via",
                "reentered_at",
                "reentered_by_name",
                "system_reference",
                "checked_at",
                "checked_by_name",
                "discrepancy",
                "resolved_at",
                "resolved_by_name",
                "resolution",
            ),
            refs={"sampled_in": "spotCheckDraws"},
            natural=("number",),
            unique_in_organisation=("downtime_id", "client_key"),
            rows=_records,
        )
    )

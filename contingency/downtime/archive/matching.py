"""Matching expected studies against the archive's studies: one bucket per record, and what nobody logged.

Pure and deterministic (records in record-id order, archive studies by date, time and UID), O(n) with
dictionaries. A record is matched by its StudyInstanceUID when it has one the archive knows, otherwise by
accession number (preferring a study of the same patient). Then:

- present and complete: found, same patient, and the instance count agrees (or is not known);
- identity mismatch: found, but the archive's patient ID differs from the record's (or, matched by UID,
  its accession number differs) - the archive needs a correction (IHE PIR / IOCM), so this wins over a
  count mismatch;
- instance-count mismatch: found, same patient, but the archive holds a different number of instances
  (images not all re-sent, or extra ones);
- missing: not found.
Every archive study that no record claims is "not logged": taken during the window, but in no log.
Identifiers are compared without spaces and case (`normal_id`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from .studies import ArchiveStudy, ExpectedStudy, normal_id


class Bucket(StrEnum):
    PRESENT = "present"
    MISSING = "missing"
    COUNT_MISMATCH = "count-mismatch"
    IDENTITY_MISMATCH = "identity-mismatch"


BUCKET_LABELS = {
    Bucket.PRESENT: "present and complete",
    Bucket.MISSING: "missing from the archive",
    Bucket.COUNT_MISMATCH: "instance count differs",
    Bucket.IDENTITY_MISMATCH: "identity mismatch (needs a correction)",
}
UNLOGGED = "not-logged"


@dataclass(frozen=True, slots=True)
class Match:
    expected: ExpectedStudy
    bucket: Bucket
    study: ArchiveStudy | None = None
    matched_by: str = ""  # "study-uid" | "accession" | ""
    note: str = ""  # why, in words: "the archive has 2 of 3 instances"

    def to_json(self) -> dict[str, Any]:
        return {
            "record": self.expected.to_json(),
            "bucket": str(self.bucket),
            "study": self.study.to_json() if self.study else None,
            "matched_by": self.matched_by,
            "note": self.note,
        }


@dataclass(frozen=True)
class Matching:
    matches: tuple[Match, ...]  # one per expected study, by record id
    unlogged: tuple[ArchiveStudy, ...]  # archive studies no record claims, by date, time and UID

    def bucket(self, bucket: Bucket) -> list[Match]:
        return [m for m in self.matches if m.bucket == bucket]

    def counts(self) -> dict[str, int]:
        counted = Counter(m.bucket for m in self.matches)
        return {**{str(b): counted.get(b, 0) for b in Bucket}, UNLOGGED: len(self.unlogged)}

    @property
    def clean(self) -> bool:
        """Every record present and complete, and nothing in the archive that nobody logged."""
        return not self.unlogged and all(m.bucket == Bucket.PRESENT for m in self.matches)


def _pick(candidates: list[ArchiveStudy], patient: str) -> ArchiveStudy:
    """Of the studies sharing an accession number, the first (by UID) of the same patient, else the first."""
    same = [s for s in candidates if patient and normal_id(s.patient_id) == patient]
    return min(same or candidates, key=lambda s: s.study_uid)


def _judge(expected: ExpectedStudy, study: ArchiveStudy, matched_by: str) -> Match:
    want_patient, have_patient = normal_id(expected.patient_id), normal_id(study.patient_id)
    if want_patient and have_patient and want_patient != have_patient:
        note = (
            f"the archive has patient ID {study.patient_id.strip()!r}; the record says {expected.patient_id.strip()!r}"
        )
        return Match(expected, Bucket.IDENTITY_MISMATCH, study, matched_by, note)
    want_accession, have_accession = normal_id(expected.accession_number), normal_id(study.accession_number)
    if matched_by == "study-uid" and want_accession and want_accession != have_accession:
        note = (
            f"the archive has accession number {study.accession_number.strip()!r}; "
            f"the record says {expected.accession_number.strip()!r}"
        )
        return Match(expected, Bucket.IDENTITY_MISMATCH, study, matched_by, note)
    want, have = expected.expected_instances, study.instances
    if want is not None and have is not None and want != have:
        note = (
            f"the archive has {have} of {want} instances"
            if have < want
            else f"the archive has {have} instances, {want} expected"
        )
        return Match(expected, Bucket.COUNT_MISMATCH, study, matched_by, note)
    note = (
        ""
        if matched_by == "study-uid" or not expected.study_uid
        else "found by accession number under another study UID"
    )
    return Match(expected, Bucket.PRESENT, study, matched_by, note)


def match(expected: Iterable[ExpectedStudy], archive: Iterable[ArchiveStudy]) -> Matching:
    """Put every expected study in one bucket and list the archive studies nobody logged."""
    by_uid: dict[str, ArchiveStudy] = {}
    for study in archive:
        by_uid.setdefault(study.study_uid, study)
    by_accession: dict[str, list[ArchiveStudy]] = {}
    for study in by_uid.values():
        if key := normal_id(study.accession_number):
            by_accession.setdefault(key, []).append(study)
    claimed: set[str] = set()
    matches: list[Match] = []
    for record in sorted(expected, key=lambda e: e.record_id):
        found: ArchiveStudy | None = by_uid.get(record.study_uid.strip()) if record.study_uid.strip() else None
        matched_by = "study-uid" if found else ""
        if found is None and (candidates := by_accession.get(normal_id(record.accession_number))):
            found, matched_by = _pick(candidates, normal_id(record.patient_id)), "accession"
        if found is None:
            note = "" if record.study_uid or record.accession_number else "no accession number or study UID to look for"
            matches.append(Match(record, Bucket.MISSING, note=note))
            continue
        claimed.add(found.study_uid)
        matches.append(_judge(record, found, matched_by))
    unlogged = sorted((s for uid, s in by_uid.items() if uid not in claimed), key=lambda s: s.sort_key)
    return Matching(tuple(matches), tuple(unlogged))

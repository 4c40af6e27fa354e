"""Matching expected studies to the archive's: one bucket each, deterministic, linear."""

from __future__ import annotations

import random

from contingency.downtime.archive import ArchiveStudy, Bucket, ExpectedStudy, match


def study(
    uid: str, accession: str = "", patient: str = "", instances: int | None = 1, date: str = "20260302"
) -> ArchiveStudy:
    return ArchiveStudy(uid, accession, patient, date, "080000", ("CT",), instances)


def test_each_bucket():
    archive = [
        study("1.1", "ACC1", "RX1", 3),
        study("1.2", "ACC2", "RX2", 1),  # the patient was registered under a temporary number
        study("1.3", "ACC3", "RX3", 2),  # 2 of 3 images re-sent
        study("1.4", "ACC4", "RX4", 1),  # nobody logged it
        study("1.5", "WRONG", "RX5", 1),  # found by UID, but the accession differs
    ]
    expected = [
        ExpectedStudy("r1", "acc1", "rx 1", expected_instances=3),  # case and spaces do not matter
        ExpectedStudy("r2", "ACC2", "RX9"),
        ExpectedStudy("r3", "ACC3", "RX3", expected_instances=3),
        ExpectedStudy("r4", "ACC9", "RX9"),
        ExpectedStudy("r5", "ACC5", "RX5", study_uid="1.5"),
        ExpectedStudy("r6"),
    ]
    result = match(expected, archive)
    got = {m.expected.record_id: (m.bucket, m.note) for m in result.matches}
    assert got["r1"] == (Bucket.PRESENT, "")
    assert got["r2"] == (Bucket.IDENTITY_MISMATCH, "the archive has patient ID 'RX2'; the record says 'RX9'")
    assert got["r3"] == (Bucket.COUNT_MISMATCH, "the archive has 2 of 3 instances")
    assert got["r4"] == (Bucket.MISSING, "")
    assert got["r5"] == (Bucket.IDENTITY_MISMATCH, "the archive has accession number 'WRONG'; the record says 'ACC5'")
    assert got["r6"] == (Bucket.MISSING, "no accession number or study UID to look for")
    assert [s.study_uid for s in result.unlogged] == ["1.4"]
    assert result.counts() == {
        "present": 1,
        "missing": 2,
        "count-mismatch": 1,
        "identity-mismatch": 2,
        "not-logged": 1,
    }
    assert not result.clean


def test_identity_wins_over_count_and_more_instances_than_expected_is_a_mismatch_too():
    result = match(
        [ExpectedStudy("a", "A", "P1", expected_instances=2), ExpectedStudy("b", "B", "P2", expected_instances=2)],
        [study("1", "A", "P9", 1), study("2", "B", "P2", 5)],
    )
    assert [m.bucket for m in result.matches] == [Bucket.IDENTITY_MISMATCH, Bucket.COUNT_MISMATCH]
    assert result.matches[1].note == "the archive has 5 instances, 2 expected"


def test_a_shared_accession_prefers_the_same_patient_and_a_uid_beats_an_accession():
    archive = [study("9", "A", "P2"), study("8", "A", "P1"), study("7", "A", "P1")]
    result = match([ExpectedStudy("x", "A", "P1"), ExpectedStudy("y", "B", "P2", study_uid="9")], archive)
    assert [(m.study.study_uid if m.study else None, m.matched_by) for m in result.matches] == [
        ("7", "accession"),
        ("9", "study-uid"),
    ]
    assert result.matches[1].bucket == Bucket.IDENTITY_MISMATCH  # UID 9 has accession A, the record says B
    assert [s.study_uid for s in result.unlogged] == ["8"]


def test_unknown_counts_do_not_make_a_mismatch_and_a_clean_run_is_clean():
    result = match([ExpectedStudy("a", "A", "P1", expected_instances=4)], [study("1", "A", "P1", None)])
    assert result.matches[0].bucket == Bucket.PRESENT and result.clean


def test_ten_thousand_records_in_any_order_give_the_same_answer():
    rng = random.Random(7)
    archive = [study(f"2.{n}", f"ACC{n}", f"P{n}", 1 + n % 3) for n in range(10_000)]
    expected = [ExpectedStudy(f"R{n:05d}", f"ACC{n}", f"P{n}", expected_instances=1 + n % 3) for n in range(10_050)]
    first = match(expected, archive)
    rng.shuffle(expected)
    rng.shuffle(archive)
    again = match(expected, archive)
    assert first == again
    assert first.counts()["present"] == 10_000 and first.counts()["missing"] == 50

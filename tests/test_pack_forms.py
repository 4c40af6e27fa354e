"""The paper downtime form generator, fed plain descriptions (as the downtime-data format will feed it)."""

from __future__ import annotations

import pytest

from contingency.packs.paperforms import (
    ID_FIELD,
    FormField,
    RecordKind,
    fallback_ids,
    fallback_kinds,
    form_pages,
    qr_svg,
)

EXAM = RecordKind(
    key="exam",
    name="Examination done during PACS downtime",
    fields=(
        ID_FIELD,
        FormField("nhsNumber", "NHS number"),
        FormField("accession", "Accession number"),
        FormField("modality", "Modality"),
        FormField("at", "Date and time"),
        FormField("by", "Radiographer"),
    ),
    system="Meridian PACS",
)
REFERRAL = RecordKind("referral", "Referral processed by hand", (ID_FIELD, FormField("nhs", "NHS number")), "Linkway")


def test_each_id_gets_a_row_in_order_and_a_qr_code_of_itself() -> None:
    ids = {"exam": [f"NGH-X-{n:04d}" for n in range(1, 10)], "referral": ["CV-1", "CV-2"]}
    pages = form_pages([EXAM, REFERRAL], ids, per_page=4)
    assert [(p.kind.key, p.number, p.of) for p in pages] == [
        ("exam", 1, 3),
        ("exam", 2, 3),
        ("exam", 3, 3),
        ("referral", 1, 1),
    ]
    printed = [row.downtime_id for page in pages if page.kind is EXAM for row in page.rows]
    assert printed == ids["exam"]
    first = pages[0].rows[0]
    assert first.qr.startswith("<svg") and "QR code of NGH-X-0001" in first.qr
    assert first.qr == qr_svg("NGH-X-0001")  # the same ID always gives the same code
    assert pages[0].rows[1].qr != first.qr


def test_fields_keep_the_order_the_bulk_upload_reads() -> None:
    pages = form_pages([EXAM], {"exam": ["A-1"]})
    assert [f.key for f in pages[0].kind.fields] == ["downtimeId", "nhsNumber", "accession", "modality", "at", "by"]


def test_an_uncontrolled_copy_has_rows_with_no_id() -> None:
    pages = form_pages([EXAM, REFERRAL], None, blank_rows=3)
    assert [len(p.rows) for p in pages] == [3, 3]
    assert all(row.downtime_id == "" and row.qr == "" for p in pages for row in p.rows)


def test_an_id_given_twice_is_refused_and_a_kind_without_ids_is_left_out() -> None:
    with pytest.raises(ValueError, match="exam: a downtime ID is given twice"):
        form_pages([EXAM], {"exam": ["A-1", "A-1"]})
    assert [p.kind.key for p in form_pages([EXAM, REFERRAL], {"referral": ["CV-1"]})] == ["referral"]
    with pytest.raises(ValueError, match="per_page"):
        form_pages([EXAM], {"exam": ["A-1"]}, per_page=0)


def test_fallback_makes_a_log_per_function_reaching_its_first_system(demo_dir) -> None:
    from contingency.plans.files import collect, load_all

    files, _ = collect([str(demo_dir)])
    loaded, _ = load_all(files)
    pacs = next(item.plan for item in loaded if item.plan.id == "pacs-bcdr")
    kinds = fallback_kinds(pacs)
    assert [k.key for k in kinds] == [f.id for f in pacs.functions]
    assert kinds[0].system == "Meridian PACS" and kinds[0].fields[0] == ID_FIELD
    ids = fallback_ids(kinds, prefix="3-2611201004", rows=2)
    assert ids[kinds[1].key] == ["3-2611201004-2-01", "3-2611201004-2-02"]
    everyone = [i for values in ids.values() for i in values]
    assert len(everyone) == len(set(everyone))


def test_the_plans_record_kinds_become_the_forms_with_the_id_column_first(demo_dir) -> None:
    from contingency.packs.paperforms import plan_kinds
    from contingency.plans.files import collect, load_all

    files, _ = collect([str(demo_dir)])
    loaded, _ = load_all(files)
    pacs = next(item.plan for item in loaded if item.plan.id == "pacs-bcdr")
    kinds = plan_kinds(pacs)
    assert [k.key for k in kinds] == [k.id for k in pacs.record_kinds]
    exam, written = kinds[0], pacs.record_kinds[0]
    assert exam.fields[0].key == exam.id_key == "downtime-id" and exam.system == "Meridian PACS"
    assert [f.key for f in exam.fields] == [f.name for f in written.fields]  # the upload's order
    assert exam.function == "Image acquisition and storage"  # the function whose dataRecovery lists it
    without = pacs.model_copy(update={"record_kinds": []})
    assert [k.key for k in plan_kinds(without)] == [f.id for f in pacs.functions]  # the fallback

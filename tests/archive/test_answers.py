"""Reading the archive's C-FIND answers: raw values in their character set, bad answers skipped, not fatal."""

from __future__ import annotations

from io import BytesIO

from pydicom.dataelem import RawDataElement
from pydicom.dataset import Dataset
from pydicom.filebase import DicomBytesIO
from pydicom.filereader import read_dataset
from pydicom.filewriter import write_dataset
from pydicom.tag import BaseTag

from contingency.downtime.archive.dimse import to_study
from contingency.downtime.archive.qido import to_study as qido_study


def as_received(ds: Dataset) -> Dataset:
    """The dataset encoded and decoded as pynetdicom hands it over: raw elements, not yet converted."""
    fp = DicomBytesIO()
    fp.is_little_endian, fp.is_implicit_VR = True, True
    write_dataset(fp, ds)
    return read_dataset(BytesIO(fp.getvalue()), is_implicit_VR=True, is_little_endian=True)


def answer(charset: str = "", patient: str = "RX1", **extra: str) -> Dataset:
    ds = Dataset()
    if charset:
        ds.SpecificCharacterSet = charset
    ds.StudyInstanceUID = "1.2.3"
    ds.AccessionNumber = "NWG1 "
    ds.PatientID = patient
    ds.StudyDate, ds.StudyTime = "20260302", "081500.25"
    ds.ModalitiesInStudy = ["CT", "SR"]
    ds.NumberOfStudyRelatedInstances = "12"
    for key, value in extra.items():
        setattr(ds, key, value)
    return as_received(ds)


def test_an_answer_is_read_from_its_raw_values():
    study = to_study(answer())
    assert study is not None
    assert (study.study_uid, study.accession_number, study.patient_id) == ("1.2.3", "NWG1", "RX1")
    assert (study.study_date, study.study_time, study.modalities, study.instances) == (
        "20260302", "081500.25", ("CT", "SR"), 12,
    )  # fmt: skip


def test_character_sets():
    for charset in ("ISO_IR 192", "ISO_IR 100"):
        study = to_study(answer(charset, patient="Zoë-7"))
        assert study is not None and study.patient_id == "Zoë-7", charset
    # code extensions (ISO 2022) go through pydicom's own decoding
    study = to_study(answer("\\ISO 2022 IR 87", patient="RX2"))
    assert study is not None and study.patient_id == "RX2"


def test_an_answer_without_a_uid_or_with_a_bad_count_is_handled():
    no_uid = Dataset()
    no_uid.AccessionNumber = "NWG1"
    assert to_study(as_received(no_uid)) is None
    bad_count = answer()
    # what a careless archive might send, as pynetdicom hands it over (raw bytes)
    bad_count[0x00201208] = RawDataElement(BaseTag(0x00201208), "IS", 4, b"many", 0, True, True)
    study = to_study(bad_count)
    assert study is not None and study.instances is None


def test_qido_answers():
    item = {
        "0020000D": {"vr": "UI", "Value": ["1.2.3"]},
        "00080050": {"vr": "SH", "Value": ["NWG1"]},
        "00100020": {"vr": "LO", "Value": ["RX1"]},
        "00080061": {"vr": "CS", "Value": ["CT", "SR"]},
        "00201208": {"vr": "IS", "Value": [12]},
    }
    study = qido_study(item)
    assert study is not None and study.modalities == ("CT", "SR") and study.instances == 12
    assert qido_study({"00080050": {"vr": "SH"}}) is None
    assert qido_study(["not", "a", "study"]) is None

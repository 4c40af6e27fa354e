"""Synthetic imaging studies made with pydicom, and a C-STORE loader: the demo archive, tests and benchmark.

Each instance is a tiny header-only dataset (no pixel data) of the modality's storage class, so thousands
load in seconds. Everything is derived from the study's own fields, so the same study always has the same
UIDs. All names are fictional.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.fileset import FileSet
from pydicom.uid import PYDICOM_IMPLEMENTATION_UID, UID, ImplicitVRLittleEndian
from pynetdicom import AE, evt
from pynetdicom.association import Association

from contingency.lib.dicomnet import keep_answers

from .dimse import no_delay

SOP_CLASSES = {
    "CT": "1.2.840.10008.5.1.4.1.1.2",
    "MR": "1.2.840.10008.5.1.4.1.1.4",
    "CR": "1.2.840.10008.5.1.4.1.1.1",
    "DX": "1.2.840.10008.5.1.4.1.1.1.1",
    "US": "1.2.840.10008.5.1.4.1.1.6.1",
    "NM": "1.2.840.10008.5.1.4.1.1.20",
}


def uid(*parts: object) -> str:
    """A stable DICOM UID (2.25 form) from the given parts."""
    digest = hashlib.sha256("|".join(str(p) for p in parts).encode()).digest()
    return f"2.25.{int.from_bytes(digest[:15], 'big')}"


@dataclass(frozen=True)
class SyntheticStudy:
    accession_number: str
    patient_id: str
    performed_at: datetime  # local (naive) time on the modality
    modality: str = "CR"
    instances: int = 1
    patient_name: str = "TEST^PATIENT"

    @property
    def study_uid(self) -> str:
        return uid("study", self.accession_number, self.patient_id, self.performed_at.isoformat())


def instances(study: SyntheticStudy) -> Iterator[Dataset]:
    """The study's instances: one series, `study.instances` header-only images."""
    series_uid = uid("series", study.study_uid)
    for number in range(1, study.instances + 1):
        ds = Dataset()
        sop_class = SOP_CLASSES.get(study.modality, SOP_CLASSES["CR"])
        sop_instance = uid("instance", study.study_uid, number)
        ds.file_meta = FileMetaDataset()
        ds.file_meta.MediaStorageSOPClassUID = UID(sop_class)
        ds.file_meta.MediaStorageSOPInstanceUID = UID(sop_instance)
        ds.file_meta.TransferSyntaxUID = ImplicitVRLittleEndian
        ds.file_meta.ImplementationClassUID = PYDICOM_IMPLEMENTATION_UID
        ds.SOPClassUID = sop_class
        ds.SOPInstanceUID = sop_instance
        ds.PatientName = study.patient_name
        ds.PatientID = study.patient_id
        ds.StudyInstanceUID = study.study_uid
        ds.SeriesInstanceUID = series_uid
        ds.AccessionNumber = study.accession_number
        ds.StudyDate = study.performed_at.strftime("%Y%m%d")
        ds.StudyTime = study.performed_at.strftime("%H%M%S")
        ds.StudyID = study.accession_number[-16:]
        ds.Modality = study.modality
        ds.SeriesNumber = 1
        ds.InstanceNumber = number
        yield ds


class StoreError(Exception):
    pass


def store(
    studies: Iterable[SyntheticStudy],
    *,
    host: str,
    port: int,
    called_aet: str,
    calling_aet: str,
    associations: int = 1,
) -> int:
    """C-STORE every instance of the studies, over `associations` associations in parallel; instances stored."""
    batch = list(studies)
    if associations > 1:
        with ThreadPoolExecutor(associations) as pool:
            parts = [batch[i::associations] for i in range(associations)]
            return sum(
                pool.map(
                    lambda part: store(part, host=host, port=port, called_aet=called_aet, calling_aet=calling_aet),
                    parts,
                )
            )
    ae = AE(ae_title=calling_aet)
    ae.dimse_timeout = ae.acse_timeout = 120  # a loaded machine: Orthanc may pause to write its index
    for sop_class in SOP_CLASSES.values():
        ae.add_requested_context(sop_class, ImplicitVRLittleEndian)

    def associate() -> Association:
        assoc = ae.associate(host, port, ae_title=called_aet, evt_handlers=[(evt.EVT_CONN_OPEN, no_delay)])
        if not assoc.is_established:
            raise StoreError(f"could not open an association with {called_aet} at {host}:{port}")
        keep_answers(assoc)
        return assoc

    assoc = associate()
    stored = 0
    try:
        for study in batch:
            for ds in instances(study):
                for attempt in range(3):  # an association lost under load is opened again, the instance re-sent
                    status = assoc.send_c_store(ds)
                    if getattr(status, "Status", None) == 0x0000:
                        break
                    if "Status" in status or attempt == 2:
                        raise StoreError(f"C-STORE of {ds.SOPInstanceUID} answered {status or 'nothing'}")
                    assoc.abort()
                    assoc = associate()
                stored += 1
    finally:
        assoc.release()
    return stored


def write_cd(directory: Path, studies: Iterable[SyntheticStudy]) -> Path:
    """A CD image (IHE PDI layout: a DICOMDIR and the instances under it) of the studies; the DICOMDIR's path."""
    fileset = FileSet()
    fileset.ID = "CONTINGENCY"
    for study in studies:
        for ds in instances(study):
            fileset.add(ds)
    fileset.write(directory)
    return directory / "DICOMDIR"

"""Record kinds: what staff write down by hand while a system is down, and how it is checked afterwards.

A critical function's `dataRecovery.records` names the kinds of record kept during downtime; each kind
lists its fields (identifiers such as the NHS number or a pre-printed downtime ID, when it was done,
where, by whom, and free fields), the system every record must reach afterwards, and the rule that
decides how many re-entered records a second person spot-checks each day.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated

from pydantic import BeforeValidator, Field, PlainSerializer, WithJsonSchema, model_validator
from pydantic_core import PydanticCustomError

from .directory import Text
from .types import FormHint, Id, Spec, SystemRef


class FieldType(StrEnum):
    """What a field of a record holds; the first six identify the record or its patient."""

    NHS_NUMBER = "nhs-number"
    HOSPITAL_NUMBER = "hospital-number"  # the local patient id (DICOM PatientID)
    ACCESSION_NUMBER = "accession-number"
    STUDY_UID = "study-uid"  # a DICOM StudyInstanceUID
    DOWNTIME_ID = "downtime-id"  # pre-printed on the paper form, with its check character
    REFERENCE = "reference"  # another identifier of the record, e.g. a referral number
    TIME = "time"  # when it was done, on the organisation's clock
    SITE = "site"  # one of the plan's sites
    DEPARTMENT = "department"  # one of the plan's departments (roles of kind department)
    MODALITY = "modality"  # a DICOM modality code: CT, MR, CR, DX, US ...
    PERSON = "person"  # who did it, as written on the form
    INSTANCE_COUNT = "instance-count"  # how many images the study should hold
    TEXT = "text"
    NUMBER = "number"
    DATE = "date"
    CHOICE = "choice"
    YES_NO = "yes-no"


# Identifiers of the patient (not unique per record) and of the record itself (used to refuse duplicates).
PATIENT_IDENTIFIERS = frozenset({FieldType.NHS_NUMBER, FieldType.HOSPITAL_NUMBER})
RECORD_IDENTIFIERS = frozenset(
    {FieldType.ACCESSION_NUMBER, FieldType.STUDY_UID, FieldType.DOWNTIME_ID, FieldType.REFERENCE}
)
IDENTIFIERS = PATIENT_IDENTIFIERS | RECORD_IDENTIFIERS
# Free fields may appear any number of times in a kind; every other type at most once.
FREE_TYPES = frozenset({FieldType.TEXT, FieldType.NUMBER, FieldType.DATE, FieldType.CHOICE, FieldType.YES_NO})
_ACRONYMS = {"nhs": "NHS", "id": "ID", "uid": "UID", "cd": "CD", "ris": "RIS", "pacs": "PACS", "dicom": "DICOM"}
MODALITIES = ("CR", "CT", "DX", "ES", "IO", "MG", "MR", "NM", "OT", "PT", "RF", "US", "XA")


class RecordField(Spec):
    """One field of a record kind: its name (unique within the kind), type, and whether it is required."""

    name: Id
    type: FieldType
    label: str | None = None
    required: bool = False
    choices: list[Text] = []  # the allowed values of a `choice` field
    help: str | None = None

    @model_validator(mode="after")
    def _choices(self) -> RecordField:
        if self.type is FieldType.CHOICE and not self.choices:
            raise ValueError("a choice field needs its choices")
        if self.type is not FieldType.CHOICE and self.choices:
            raise ValueError(f"only a choice field has choices, not a {self.type.value} field")
        return self

    @property
    def shown(self) -> str:
        """The label on forms: as written, or made from the name (`nhs-number` -> `NHS number`)."""
        if self.label:
            return self.label
        words = [_ACRONYMS.get(word, word) for word in self.name.split("-")]
        return " ".join([words[0][:1].upper() + words[0][1:], *words[1:]])


_PERCENT_RE = re.compile(r"^\s*(\d{1,3})\s*%\s*$")


def _parse_percent(value: object) -> int:
    if isinstance(value, str) and (match := _PERCENT_RE.match(value)) and int(match.group(1)) <= 100:
        return int(match.group(1))
    raise PydanticCustomError("percent", "expected a share from 0% to 100% (e.g. 10%), got {got}", {"got": repr(value)})


Percent = Annotated[
    int,
    BeforeValidator(_parse_percent),
    PlainSerializer(lambda n: f"{n}%", return_type=str),
    WithJsonSchema({"type": "string", "pattern": r"^\s*\d{1,3}\s*%\s*$", "examples": ["10%", "100%"]}),
    FormHint("A share such as 10% or 100%."),
]


class Verification(Spec):
    """How many re-entered records of a kind a second person checks against the system, per day.

    Each day's re-entered records of the kind are sampled: `share` of them, at least `atLeast` (or all
    when there are fewer). A check that fails widens that day's sample to `widenTo`.
    """

    share: Percent = 100
    at_least: Annotated[int, Field(ge=0, le=10_000)] = 1
    widen_to: Percent = 100

    @model_validator(mode="after")
    def _widens(self) -> Verification:
        if self.widen_to < self.share:
            raise ValueError(f"widenTo ({self.widen_to}%) must be at least the share ({self.share}%)")
        return self


class RecordKind(Spec):
    """A kind of record kept by hand during downtime, e.g. an examination done or a referral processed."""

    id: Id
    name: Text
    description: str | None = None
    system: SystemRef  # the system every record of this kind must reach afterwards
    fields: list[RecordField] = []
    verification: Verification = Verification()

    @model_validator(mode="after")
    def _fields(self) -> RecordKind:
        seen: set[str] = set()
        types: set[FieldType] = set()
        for field in self.fields:
            if field.name in seen:
                raise ValueError(f"two fields are named {field.name!r}: each field needs its own name")
            seen.add(field.name)
            if field.type not in FREE_TYPES and field.type in types:
                raise ValueError(f"a record kind has at most one {field.type.value} field")
            types.add(field.type)
        return self

    def of_type(self, kind: FieldType) -> RecordField | None:
        """The kind's field of a (non-free) type, if it has one."""
        return next((f for f in self.fields if f.type is kind), None)

    @property
    def identifiers(self) -> list[RecordField]:
        return [f for f in self.fields if f.type in IDENTIFIERS]

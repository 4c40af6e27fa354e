"""The canonical form of a plan: the data and YAML text that import, export and `plan fmt` agree on.

Canonical means: camelCase keys in the format's field order, defaults left out, shorthand
collapsed (`- CD burner` rather than `- name: CD burner`), durations and hours normalised
(`4 hours` -> `4h`). Two equal PlanDocuments always give the same text.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from . import yamlio
from .spec import PlanDocument


def part_to_data(part: BaseModel) -> Any:
    """A part of a plan in its JSON form, as a plan file would write it."""
    return part.model_dump(mode="json", by_alias=True, exclude_defaults=True)


def document_to_data(plan: PlanDocument) -> dict[str, Any]:
    """The whole plan as plain YAML-shaped data."""
    data: dict[str, Any] = part_to_data(plan)
    return data


def to_yaml(plan: PlanDocument) -> str:
    """The plan as canonical YAML text."""
    return yamlio.dump(document_to_data(plan))

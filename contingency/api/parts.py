"""One part of a plan at a time: an item of a collection (a function, a person...) or a single section.

Every change goes through plans.editing, so it is validated with the plan file's messages, returns
an issued plan to draft and is audited, exactly as an edit made on the pages.
"""

from __future__ import annotations

from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Router, Status
from ninja.errors import HttpError
from ninja.params import functions as params

from contingency.core.permissions import Capability
from contingency.plans.compare import COLLECTION_KEYS, SECTION_NAMES, SINGLE_SECTIONS, item_key
from contingency.plans.editing import delete_part, find_item, part_of, plan_data, save_part
from contingency.plans.models import Plan

from . import schemas as s
from .access import plan_for
from .auth import caller
from .plans import DENIED, PLAN, REFUSED

router = Router(by_alias=True)
PARTS = PLAN + "/parts/{section}"
PartBody = Annotated[dict[str, Any], params.Body(..., description=s.PART_HELP)]


def collection(section: str) -> str:
    if section not in COLLECTION_KEYS:
        raise HttpError(404, f"There is no collection of parts {section!r}: use one of {', '.join(COLLECTION_KEYS)}.")
    return section


def single(section: str) -> str:
    if section not in SINGLE_SECTIONS:
        raise HttpError(404, f"There is no section {section!r}: use one of {', '.join(SINGLE_SECTIONS)}.")
    return section


def part_out(plan: Plan, section: str, index: int, item: Any) -> dict[str, Any]:
    return {"plan_status": plan.status, "section": section, "key": item_key(section, item, index), "data": item}


def item_at(plan: Plan, section: str, key: str) -> tuple[int, Any]:
    found = find_item(plan_data(plan), section, key)
    if found is None:
        raise LookupError(f"There is no {SECTION_NAMES[section]} {key!r} in plan {plan.key!r}.")
    return found


@router.get(PARTS, response={200: s.PartList, **DENIED}, url_name="parts")
def list_parts(request: HttpRequest, org: str, plan: str, section: str) -> dict[str, Any]:
    """Every item of one collection, in plan order."""
    found = plan_for(request, org, plan, Capability.VIEW)
    items = plan_data(found).get(collection(section), [])
    return {"section": section, "items": [part_out(found, section, i, item) for i, item in enumerate(items)]}


@router.post(PARTS, response={201: s.Part, **REFUSED}, url_name="parts")
def create_part(request: HttpRequest, org: str, plan: str, section: str, body: PartBody) -> Status[dict[str, Any]]:
    """Add an item at the end of a collection."""
    found = plan_for(request, org, plan, Capability.EDIT)
    saved = save_part(found, section=collection(section), key=None, data=body, actor=caller(request), via="api")
    items = plan_data(saved)[section]
    return Status(201, part_out(saved, section, len(items) - 1, items[-1]))


@router.get(PARTS + "/{key}", response={200: s.Part, **DENIED}, url_name="part")
def get_part(request: HttpRequest, org: str, plan: str, section: str, key: str) -> dict[str, Any]:
    found = plan_for(request, org, plan, Capability.VIEW)
    index, item = item_at(found, collection(section), key)
    return part_out(found, section, index, item)


@router.put(PARTS + "/{key}", response={200: s.Part, **REFUSED}, url_name="part")
def put_part(request: HttpRequest, org: str, plan: str, section: str, key: str, body: PartBody) -> dict[str, Any]:
    """Replace one item (its id may change, if nothing else names it)."""
    found = plan_for(request, org, plan, Capability.EDIT)
    index, _ = item_at(found, collection(section), key)
    saved = save_part(found, section=section, key=key, data=body, actor=caller(request), via="api")
    return part_out(saved, section, index, plan_data(saved)[section][index])


@router.delete(PARTS + "/{key}", response={204: None, **REFUSED}, url_name="part")
def remove_part(request: HttpRequest, org: str, plan: str, section: str, key: str) -> Status[None]:
    """Delete one item; refused (422) while other parts still name it."""
    found = plan_for(request, org, plan, Capability.EDIT)
    delete_part(found, section=collection(section), key=key, actor=caller(request), via="api")
    return Status(204, None)


def section_out(plan: Plan, section: str) -> dict[str, Any]:
    return {"plan_status": plan.status, "section": section, "data": part_of(plan_data(plan), section)}


@router.get(PLAN + "/sections/{section}", response={200: s.Section, **DENIED}, url_name="section")
def get_section(request: HttpRequest, org: str, plan: str, section: str) -> dict[str, Any]:
    """A single section: header (id, title, aim...), organisation, document (control) or riskMatrix."""
    return section_out(plan_for(request, org, plan, Capability.VIEW), single(section))


@router.put(PLAN + "/sections/{section}", response={200: s.Section, **REFUSED}, url_name="section")
def put_section(request: HttpRequest, org: str, plan: str, section: str, body: PartBody) -> dict[str, Any]:
    found = plan_for(request, org, plan, Capability.EDIT)
    saved = save_part(found, section=single(section), key=None, data=body, actor=caller(request), via="api")
    return section_out(saved, section)

"""The contact directory of a plan: organisation, sites, people, roles, lists, suppliers, systems."""

from __future__ import annotations

import zoneinfo
from enum import StrEnum
from functools import cache
from typing import Annotated

from pydantic import AfterValidator, Field
from pydantic_core import PydanticCustomError

from .probes import ProbeCheck, ProbeSettings
from .types import (
    AudienceRef,
    Count,
    Email,
    HoursText,
    Id,
    PersonRef,
    ResourceSourceRef,
    ServiceHours,
    Shorthand,
    SiteOrSystemRef,
    SiteRef,
    Spec,
    SupplierRef,
    SystemDependencyRef,
    WebAddress,
    WhoRef,
)
from .written import PersonOrName, WrittenDuration, WrittenHours

Text = Annotated[str, Field(min_length=1)]


class Nation(StrEnum):
    ENGLAND = "england"
    WALES = "wales"
    SCOTLAND = "scotland"
    NORTHERN_IRELAND = "northern-ireland"


@cache
def time_zone_names() -> frozenset[str]:
    """The zone names this machine knows, read once: listing them opens every file of the zone database."""
    return frozenset(zoneinfo.available_timezones())


def _check_zone(value: str) -> str:
    if value not in time_zone_names():
        raise PydanticCustomError(
            "time_zone", "'{value}' is not a time zone name (e.g. Europe/London)", {"value": value}
        )
    return value


class Organisation(Spec):
    id: Id
    name: Text
    timezone: Annotated[str, AfterValidator(_check_zone)] = "Europe/London"
    nation: Nation = Nation.ENGLAND
    working_hours: HoursText = ServiceHours.parse("Mon-Fri 08:00-17:00")


class SiteKind(StrEnum):
    HOSPITAL = "hospital"
    DATA_CENTRE = "data-centre"
    OFFICE = "office"
    CLINIC = "clinic"
    PRACTICE = "practice"
    OTHER = "other"


class Site(Spec):
    id: Id
    name: Text
    kind: SiteKind = SiteKind.OTHER
    address: str | None = None
    operator: SupplierRef | None = None


class PhoneKind(StrEnum):
    MOBILE = "mobile"
    LANDLINE = "landline"
    EXTENSION = "extension"
    BLEEP = "bleep"
    PAGER = "pager"
    SWITCHBOARD = "switchboard"
    HELPDESK = "helpdesk"


class Availability(StrEnum):
    ALWAYS = "always"
    IN_HOURS = "in-hours"
    OUT_OF_HOURS = "out-of-hours"


class Phone(Spec):
    kind: PhoneKind
    number: Annotated[str, Field(pattern=r"^[0-9+][0-9 ()#*+-]{1,30}$")]
    when: Availability = Availability.ALWAYS
    note: str | None = None

    def usable(self, in_hours: bool) -> bool:
        """Whether this number is answered in hours (True) or out of hours (False)."""
        return self.when is Availability.ALWAYS or (self.when is Availability.IN_HOURS) == in_hours

    @property
    def usable_out_of_hours(self) -> bool:
        return self.usable(False)


class Person(Spec):
    id: Id
    name: Text
    job_title: str | None = None
    employer: str | None = None
    phones: list[Phone] = []
    email: Email | None = None
    # Who a call tree tries when this person does not acknowledge; a name not in the directory is kept
    # as written (and linted), and a call tree cannot reach it.
    deputy: PersonOrName | None = None


class Contact(Spec):
    """How a role is reached at one time of day: a named person, numbers of its own, or both."""

    person: PersonRef | None = None
    phones: list[Phone] = []
    email: Email | None = None
    note: str | None = None


class RoleKind(StrEnum):
    TEAM = "team"
    ROLE = "role"
    DEPARTMENT = "department"
    EXTERNAL = "external"


class Role(Spec):
    """A team, a post such as the senior radiographer on shift, or a department to be told."""

    id: Id
    name: Text
    kind: RoleKind = RoleKind.ROLE
    members: list[PersonRef] = []
    in_hours: Contact | None = None
    out_of_hours: Contact | None = None


class ContactList(Spec):
    """A named list of people, roles and suppliers, e.g. the departments to inform out of hours."""

    id: Id
    name: Text
    members: list[AudienceRef] = Field(min_length=1)


class SupplierKind(StrEnum):
    VENDOR = "vendor"
    HOSTING = "hosting"
    SUBCONTRACTOR = "subcontractor"
    TELECOMS = "telecoms"
    UTILITY = "utility"
    COMMISSIONER = "commissioner"
    OTHER = "other"


class Helpdesk(Spec):
    phones: list[Phone] = []
    email: Email | None = None
    portal: WebAddress | None = None
    # More than one window a day, overnight hours and the like are kept as written; absent: always open.
    hours: WrittenHours | None = None


class Supplier(Spec):
    id: Id
    name: Text
    kind: SupplierKind = SupplierKind.VENDOR
    aliases: list[Text] = []
    services: list[Text] = []
    contract_reference: str | None = None
    helpdesk: Helpdesk | None = None
    contacts: list[PersonRef] = []


class Redundancy(StrEnum):
    NONE = "none"
    ACTIVE_PASSIVE = "active-passive"
    ACTIVE_ACTIVE = "active-active"
    CLUSTER_WITH_WITNESS = "cluster-with-witness"
    MIRROR = "mirror"


class ComponentRole(StrEnum):
    PRIMARY = "primary"
    STANDBY = "standby"
    NODE = "node"
    WITNESS = "witness"
    SERVICE = "service"
    STORAGE = "storage"
    DEVICE = "device"


class Component(Spec):
    name: Text
    role: ComponentRole = ComponentRole.SERVICE
    site: SiteRef | None = None
    redundancy: Redundancy | None = None
    note: str | None = None
    checks: list[ProbeCheck] = []  # run by the probes at each site (see spec/probes.py)


class Backup(Spec):
    every: WrittenDuration | None = None  # a backup described without its frequency is kept, and linted
    retention: WrittenDuration | None = None
    offsite: bool = False
    encrypted: bool = False
    restore_time: WrittenDuration | None = None  # e.g. "1-4 hours"
    note: str | None = None


class Failover(Spec):
    target: SiteOrSystemRef | None = None
    method: Text
    requires: list[Text] = []
    limitations: list[Text] = []


class System(Spec):
    id: Id
    name: Text
    description: str | None = None
    site: SiteRef | None = None
    supplier: SupplierRef | None = None
    redundancy: Redundancy = Redundancy.NONE
    components: list[Component] = []
    depends_on: list[SystemDependencyRef] = []
    backup: Backup | None = None
    failover: Failover | None = None
    owner: WhoRef | None = None  # who is called when the probes find it down
    probes: ProbeSettings | None = None


class Resource(Shorthand):
    """One resource a function needs to recover: `CD burner` or `{name: CD burner, quantity: 2}`."""

    short_field = "name"
    name: Text
    quantity: Count | None = None
    source: ResourceSourceRef | None = None

"""The plan-as-code format: pydantic models that are the single source of the JSON Schema."""

from .calltree import *  # noqa: F403
from .directory import *  # noqa: F403
from .plan import *  # noqa: F403
from .plan import PlanDocument
from .records import *  # noqa: F403
from .types import RefTo, ServiceHours

__all__ = ["PlanDocument", "RefTo", "ServiceHours"]

"""What a draft from a Word document placed, filled in and kept as text, as readable lines (pure)."""

from __future__ import annotations

from ..spec import PlanDocument
from ..yamlform import to_yaml
from .mapping import Draft

_NAMES = {
    "people": ("person", "people"),
    "functions": ("critical function", "critical functions"),
    "risks": ("risk", "risks"),
    "procedures": ("procedure", "procedures"),
    "changes": ("change record", "change records"),
}


def placed_summary(draft: Draft) -> str:
    parts = [f"{count} {_NAMES[name][count != 1]}" for name in _NAMES if (count := draft.placed.get(name, 0)) > 0]
    return ", ".join(parts) if parts else "no people, functions, risks, procedures or changes"


def render_report(draft: Draft, *, name: str, plan: str) -> str:
    """The draft report: what was placed, each value filled in, and each passage kept as text with its place."""
    lines = [f"Draft plan {plan} from {name}: placed {placed_summary(draft)}."]
    if draft.filled:
        lines.append(f"Filled in because the document does not say ({len(draft.filled)}); check each:")
        lines += [f"  - {filled}" for filled in draft.filled]
    if draft.leftovers:
        lines.append(f"Kept as text, not placed ({len(draft.leftovers)}); move each into the plan or leave it out:")
        lines += [f"  - {leftover}" for leftover in draft.leftovers]
    else:
        lines.append("Everything in the document was placed.")
    return "\n".join(lines) + "\n"


def draft_yaml(document: PlanDocument, draft: Draft, *, name: str) -> str:
    """The plan's YAML, headed by comments listing what was filled in and kept as text, so the file carries them."""
    header = [f"# Draft plan made from {name} by `contingency plan draft`: check it before importing it."]
    if draft.filled:
        header.append("# Filled in because the document does not say:")
        header += [f"#   - {_one_line(str(filled))}" for filled in draft.filled]
    if draft.leftovers:
        header.append("# Kept as text, not placed (with where it is in the document):")
        header += [f"#   - {_one_line(str(leftover))}" for leftover in draft.leftovers]
    return "\n".join(header) + "\n" + to_yaml(document)


def _one_line(text: str) -> str:
    return " ".join(text.split())

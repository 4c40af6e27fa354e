"""Pure parts of exercises: EXERCISE at the start of every message whatever its length, and the figures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from contingency.exercises.figures import CalloutFact, MessageFact, figures
from contingency.notify import messages
from contingency.notify.messages import DEFAULT, SMS_LIMIT, SUBJECT_LIMIT, Facts, render

AT = datetime(2027, 3, 10, 2, 0, tzinfo=UTC)


def facts(text: str = "PACS failure") -> Facts:
    return Facts(
        incident=text, function="Image reporting", status="invoked", next_meeting="TP2 at 06:00",
        incident_link="https://example.org/i/1", trigger="TP1", recipient="Helen Marsh", plan="PACS",
        ack_link="https://example.org/ack/x", ack_code="ABCD2345",
    )  # fmt: skip


def test_every_part_starts_with_exercise_even_when_cut_at_its_limit() -> None:
    for words in (facts(), facts("x" * 6000)):
        found = render(DEFAULT, words, exercise=True)
        for part in (found.subject, found.body, found.short):
            assert part.startswith(messages.EXERCISE), part[:40]
        assert len(found.subject) <= SUBJECT_LIMIT and len(found.short) <= SMS_LIMIT
        assert "https://example.org/ack/x" in found.body
    plain = render(DEFAULT, facts())
    assert not plain.subject.startswith(messages.EXERCISE) and not plain.body.startswith(messages.EXERCISE)
    assert messages.marked("EXERCISE: again", exercise=True) == "EXERCISE: again"


def test_a_person_counts_once_by_their_fastest_acknowledgement() -> None:
    def c(person: str, role: str, minutes: int | None, made: int = 0) -> CalloutFact:
        start = AT + timedelta(minutes=made)
        return CalloutFact(person, person, role, start, None if minutes is None else start + timedelta(minutes=minutes))

    found = figures(
        [c("a", "PACS manager", 70), c("a", "PACS manager", 10, made=240), c("b", "", None), c("c", "IT", 50)],
        [
            MessageFact("b", "sms", "07700 900999", True, "invalid number"),
            MessageFact("b", "sms", "07700 900999", True, "invalid number"),
            MessageFact("c", "email", "c@example.org", False),
        ],
    )
    assert (found.people, found.acknowledged) == (3, 2)
    assert [(s.minutes, s.acknowledged, s.percent) for s in found.shares] == [(15, 1, 33), (60, 2, 67)]
    roles = {r.role: r.first_words for r in found.roles}
    assert roles == {"IT": "50 minutes", "PACS manager": "10 minutes", "no role given": "nobody acknowledged"}
    assert [(f.address, f.error) for f in found.failures] == [("07700 900999", "invalid number")]
    assert figures([], []).shares[0].percent == 0

"""The verdict rules over plain data: complete, partial, degraded, probe suspect, no news, held, recovered."""

from __future__ import annotations

from collections.abc import Sequence

from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from contingency.monitor.verdict import (
    CheckRule,
    Run,
    Site,
    State,
    SystemVerdict,
    answers,
    check_verdict,
    streak,
    suspects,
    system_verdict,
)
from tests.conftest import budget

UP, DOWN, SLOW = Run(True), Run(False, layer="connect", detail="connection refused"), Run(True, degraded=True)
ECHO = CheckRule("echo", "Archive", "DICOM echo", fail_after=2, recover_after=2)
VIEWER = CheckRule("viewer", "Viewer", "Web viewer", fail_after=2, recover_after=2)
RIS = CheckRule("ris", "Engine", "RIS feed", fail_after=None, recover_after=1)
PACS = [ECHO, VIEWER]


def site(name: str, fresh: bool = True, **runs: Sequence[Run]) -> Site:
    return Site(name, fresh, {check: list(r) for check, r in runs.items()})


def verdict(sites: list[Site], rules: list[CheckRule] = PACS, open_on: str = "complete") -> SystemVerdict:
    return system_verdict(rules, sites, suspects(sites), open_on=open_on)


def test_every_site_up_is_up_and_recovered_once_long_enough() -> None:
    found = verdict([site("a", echo=[UP, UP], viewer=[UP, UP]), site("b", echo=[UP, UP], viewer=[UP])])
    assert found.state is State.UP and found.opens is None
    assert not found.recovered  # b has passed the viewer once only; recoverAfter is 2
    found = verdict([site("a", echo=[UP, UP], viewer=[UP, UP]), site("b", echo=[UP, UP], viewer=[UP, UP, DOWN])])
    assert found.recovered
    assert found.summary == "Up at every reporting site."


def test_slow_is_degraded_not_down() -> None:
    found = verdict([site("a", echo=[SLOW], viewer=[UP]), site("b", echo=[UP], viewer=[UP])])
    assert found.state is State.DEGRADED
    assert [c.state for c in found.components] == [State.DEGRADED, State.UP]


def test_every_site_failing_is_complete_and_opens_once_held() -> None:
    first = verdict([site("a", echo=[DOWN, UP], viewer=[UP]), site("b", echo=[DOWN, UP], viewer=[UP])])
    assert first.state is State.COMPLETE and first.opens is None  # held one interval; failAfter is 2
    held = verdict([site("a", echo=[DOWN, DOWN], viewer=[UP]), site("b", echo=[DOWN, DOWN, UP], viewer=[UP])])
    assert held.state is State.COMPLETE and held.opens is State.COMPLETE
    assert held.failing_sites == ("a", "b")
    assert held.summary == "DICOM echo fails at every site (connection refused)."


def test_complete_is_held_as_long_as_the_second_site_has_seen_it() -> None:
    found = check_verdict(ECHO, [site("a", echo=[DOWN] * 5), site("b", echo=[DOWN, UP])], frozenset(), "complete")
    assert (found.state, found.held, found.opens) == (State.COMPLETE, 1, None)


def test_one_site_down_for_long_and_blips_elsewhere_do_not_add_up_to_an_outage() -> None:
    sites = [site("a", echo=[DOWN] * 9), site("b", echo=[DOWN, UP, UP]), site("c", echo=[DOWN, UP])]
    found = check_verdict(ECHO, sites, frozenset(), "complete")
    assert (found.state, found.held, found.opens) == (State.COMPLETE, 1, None)
    # Two sites have now seen it twice in a row, and every site sees it: an outage.
    sites[1] = site("b", echo=[DOWN, DOWN, UP])
    assert check_verdict(ECHO, sites, frozenset(), "complete").opens is State.COMPLETE


def test_one_site_failing_is_partial_names_the_site_and_opens_nothing() -> None:
    sites = [site("north", echo=[DOWN] * 9, viewer=[UP]), site("south", echo=[UP], viewer=[UP])]
    found = verdict(sites)
    assert found.state is State.PARTIAL and found.opens is None
    assert found.failing_sites == ("north",)
    assert found.summary == "DICOM echo fails at north (connection refused); passes at south."
    assert verdict(sites, open_on="partial").opens is State.PARTIAL


def test_a_check_without_a_threshold_never_opens() -> None:
    found = verdict([site("a", ris=[DOWN] * 9), site("b", ris=[DOWN] * 9)], rules=[RIS])
    assert found.state is State.COMPLETE and found.opens is None


def test_the_one_site_failing_everything_is_a_suspect_probe() -> None:
    sites = [
        site("lost", echo=[DOWN] * 5, viewer=[DOWN] * 5, ris=[DOWN] * 5),
        site("a", echo=[UP], viewer=[UP], ris=[UP]),
        site("b", echo=[UP], viewer=[UP], ris=[UP]),
    ]
    assert suspects(sites) == {"lost"}
    found = verdict(sites)
    assert found.state is State.PROBE_SUSPECT and found.opens is None
    assert found.suspect_sites == ("lost",) and found.failing_sites == ()
    assert "lost fails everything it checks" in found.summary


def test_a_suspect_probe_does_not_hide_a_real_failure_elsewhere() -> None:
    sites = [site("lost", echo=[DOWN], viewer=[DOWN]), site("a", echo=[UP], viewer=[DOWN, DOWN])]
    assert suspects(sites) == {"lost"}  # a passes the echo: lost's network is at fault
    found = verdict(sites)
    assert found.components[1].state is State.COMPLETE  # the viewer fails at every usable site


def test_two_sites_failing_everything_is_an_outage_not_two_suspects() -> None:
    sites = [
        site("a", echo=[DOWN], viewer=[DOWN]),
        site("b", echo=[DOWN], viewer=[DOWN]),
        site("c", echo=[UP], viewer=[UP]),
    ]
    assert suspects(sites) == frozenset()
    assert verdict(sites).state is State.PARTIAL


def test_one_check_alone_is_not_enough_to_suspect_a_probe() -> None:
    sites = [site("a", echo=[DOWN]), site("b", echo=[UP])]
    assert suspects(sites) == frozenset()
    assert verdict(sites, rules=[ECHO]).state is State.PARTIAL


def test_a_single_site_failing_everything_is_complete() -> None:
    sites = [site("only", echo=[DOWN, DOWN], viewer=[DOWN, DOWN])]
    assert suspects(sites) == frozenset()
    assert verdict(sites).opens is State.COMPLETE


def test_silence_is_never_all_well() -> None:
    found = verdict([site("a", fresh=False, echo=[UP], viewer=[UP]), site("b", fresh=False, echo=[UP], viewer=[UP])])
    assert found.state is State.NO_NEWS and not found.recovered
    assert found.silent_sites == ("a", "b")
    assert verdict([]).state is State.NO_NEWS


def test_a_silent_site_is_left_out_and_named() -> None:
    found = verdict([site("a", fresh=False, echo=[UP]), site("b", echo=[DOWN, DOWN], viewer=[DOWN, DOWN])])
    assert found.state is State.COMPLETE and found.silent_sites == ("a",)
    assert found.summary.endswith("no news from a.")


def test_recovery_needs_every_site_up_long_enough() -> None:
    sites = [site("a", echo=[UP, UP, DOWN], viewer=[UP, UP]), site("b", echo=[UP, DOWN], viewer=[UP, UP])]
    assert not verdict(sites).recovered
    sites = [site("a", echo=[UP, UP, DOWN], viewer=[UP, UP]), site("b", echo=[UP, UP, DOWN], viewer=[UP, UP])]
    assert verdict(sites).recovered


def test_streak() -> None:
    assert streak([DOWN, DOWN, UP, DOWN], False) == 2
    assert streak([UP, DOWN], False) == 0
    assert streak([], True) == 0


def test_answers_from_the_plan_or_by_default() -> None:
    confirm = [("several-patients", "not-a-failure"), ("several-pcs", "partial-failure"), ("modalities", "continue")]
    complete = verdict([site("a", echo=[DOWN, DOWN], viewer=[UP]), site("b", echo=[DOWN, DOWN], viewer=[UP])])
    partial = verdict([site("a", echo=[DOWN, DOWN], viewer=[UP]), site("b", echo=[UP], viewer=[UP])])
    chosen = [("several-patients", "failing"), ("several-pcs", "every-site"), ("not-in-the-plan", "failing")]
    assert answers(confirm, chosen, complete) == {"several-patients": True, "several-pcs": True}
    assert answers(confirm, chosen, partial) == {"several-patients": True, "several-pcs": False}
    assert answers(confirm, [], partial) == {"several-pcs": False}
    assert answers(confirm, [], complete) == {"several-pcs": True}


# ---------------------------------------------------------------- properties

runs = st.lists(st.sampled_from([UP, DOWN, SLOW]), min_size=1, max_size=6)
sites_strategy = st.lists(
    st.builds(lambda fresh, e, v: (fresh, e, v), st.booleans(), runs, runs), min_size=1, max_size=5
).map(lambda found: [site(f"s{i}", fresh, echo=e, viewer=v) for i, (fresh, e, v) in enumerate(found)])


@hsettings(max_examples=budget(400))
@given(sites_strategy)
def test_complete_only_when_every_usable_site_fails(sites: list[Site]) -> None:
    suspect = suspects(sites)
    found = check_verdict(ECHO, sites, suspect, "complete")
    usable = [s for s in sites if s.fresh and s.name not in suspect]
    if found.state is State.COMPLETE:
        assert usable and all(not s.runs["echo"][0].ok for s in usable)
    if usable and all(not s.runs["echo"][0].ok for s in usable):
        assert found.state is State.COMPLETE
    if not any(s.fresh for s in sites):
        assert found.state is State.NO_NEWS


@hsettings(max_examples=budget(400))
@given(sites_strategy, st.integers(0, 4))
def test_one_failing_site_among_working_ones_never_opens_an_incident(sites: list[Site], which: int) -> None:
    # Whatever one site sees, while another reporting site passes every check, nothing opens by default.
    healthy = site("healthy", echo=[UP] * 6, viewer=[UP] * 6)
    lone = sites[which % len(sites)]
    found = verdict([healthy, lone])
    assert found.opens is None
    assert found.state is not State.COMPLETE

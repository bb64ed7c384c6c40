"""A stack deployed with 0.2.0 updates in place: every 0.2.0 URN is still registered, or named
by exactly one resource's alias (tests/fixtures/urns holds the engine URNs 0.2.0 registered).

The per-entry components (components/entries.py) moved each entry's resources under them; a
URN without an heir would be deleted and re-created on the next ``pulumi up``, which for the
protected groups and identities of prod fails, and for anything else destroys it first.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from gate.capture import Plan
from gate.urns import alias_urns, engine_urns, make_urn

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "urns"
ENTRY_TYPES = ("databricks-ml-entra:config:Group", "databricks-ml-entra:config:ServicePrincipal",
               "databricks-ml-entra:config:Model")


def released(version: str, stack: str) -> list[str]:
    return (FIXTURES / f"{version}-{stack}.txt").read_text(encoding="utf-8").split()


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_0_2_0_urn_is_kept_or_aliased_once(stack: str, request: pytest.FixtureRequest
                                                 ) -> None:
    plan: Plan = request.getfixturevalue(f"plan_{stack}")
    old = released("0.2.0", stack)
    assert len(old) > 100, "the fixture lost its URNs"
    engine = engine_urns(plan.resources, plan.stack, plan.project)
    current = set(engine.values())
    claims = Counter(a for r in plan.resources
                     for a in alias_urns(r, engine, plan.stack, plan.project))
    orphans = [u for u in old if u not in current and claims[u] == 0]
    assert not orphans, f"0.2.0 URNs no resource takes over (would be replaced): {orphans}"
    twice = [u for u in old if u not in current and claims[u] > 1]
    assert not twice, f"0.2.0 URNs claimed by more than one alias: {twice}"
    # An alias of a URN that still exists would make two resources one.
    assert not [u for u in claims if u in current]


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_moved_resources_keep_their_name_and_type(stack: str, request: pytest.FixtureRequest
                                                  ) -> None:
    """Only the parent changed: the alias differs from the new URN by the entry in the chain."""
    plan: Plan = request.getfixturevalue(f"plan_{stack}")
    by_urn = {r.urn: r for r in plan.resources}
    moved = [r for r in plan.resources if any(a.get("parentUrn") for a in r.aliases)]
    assert moved, "nothing carries a parent alias: the entries no longer own anything"
    for r in moved:
        (alias,) = [a for a in r.aliases if a.get("parentUrn")]
        assert not alias["name"] and not alias["type"], "only the parent may change"
        assert by_urn[r.parent].type in ENTRY_TYPES, f"{r.urn} moved, but not under an entry"
        assert by_urn[alias["parentUrn"]].type not in ENTRY_TYPES


def test_engine_urns_chain_every_ancestor() -> None:
    """The engine's URN names every ancestor's type and leaves the stack out."""
    parent = make_urn("dev", "p", "", "pkg:m:Outer", "outer")
    assert parent == "urn:pulumi:dev::p::pkg:m:Outer::outer"
    child = make_urn("dev", "p", parent, "pkg:m:Inner", "inner")
    assert make_urn("dev", "p", child, "az:index/x:X", "leaf") == \
        "urn:pulumi:dev::p::pkg:m:Outer$pkg:m:Inner$az:index/x:X::leaf"

"""Rules the Entra groups component must satisfy, on the real program's plan.

Groups are security groups with unique names, protected in prod, and membership belongs to
Entra: the plan does not grow with people, and the only member resources are the explicit,
bounded ``members`` lists.
"""

from __future__ import annotations

from collections import Counter
from functools import cache
from typing import Any

import pytest

from components.groups import unique_members
from gate.capture import Plan
from settings import Settings, SettingsError, parse
from settings.load import raw_from_stack_document
from settings.model import Group
from tests.conftest import NS, plan_for, stack_document

GROUP = "azuread:index/group:Group"
GROUP_MEMBER = "azuread:index/groupMember:GroupMember"
# Resource types that would mean "one resource per person".
PER_USER_TYPES = ("azuread:index/user:User", "databricks:index/user:User",
                  "databricks:index/groupMember:GroupMember")
STACKS = ("dev", "prod")
MAX_MEMBERS = 25
PEOPLE = [f"{n:08x}-1000-4000-8000-{n:012x}" for n in range(1, 1001)]


@pytest.fixture(params=STACKS)
def stack(request: pytest.FixtureRequest, plan_dev: Plan, plan_prod: Plan,
          settings_dev: Settings, settings_prod: Settings) -> tuple[Plan, Settings]:
    return {"dev": (plan_dev, settings_dev), "prod": (plan_prod, settings_prod)}[request.param]


def type_counts(plan: Plan) -> Counter[str]:
    return Counter(r.type for r in plan.resources)


def more_people(config: dict[str, Any]) -> None:
    """What 1000 more people look like in config: nothing about membership changes. Groups
    get bigger in Entra; at most their descriptions and (bounded) owner lists change."""
    for group in config[f"{NS}:groups"].values():
        group["description"] += " Now with 1000 more members."
        group["owners"] = group["owners"] + PEOPLE[:3]


def explicit_members(config: dict[str, Any]) -> None:
    """The largest explicit member list settings allow, on one group (not an admin group: prod
    refuses standing admin members, see tests/components/test_governance.py)."""
    first = next(g for g in config[f"{NS}:groups"].values() if g.get("role") != "admin")
    first["members"] = PEOPLE[:MAX_MEMBERS]


@cache
def plan_with(stack: str, mutation: str) -> Plan:
    return plan_for(stack, {"more_people": more_people,
                            "explicit_members": explicit_members}[mutation])


# --- rules on the shipped stacks -----------------------------------------------------------------

def test_one_security_group_per_config_key(stack: tuple[Plan, Settings]) -> None:
    plan, settings = stack
    groups = plan.by_type(GROUP)
    assert sorted(g.inputs["displayName"] for g in groups) == sorted(
        g.display_name for g in settings.groups.values())
    for g in groups:
        assert g.inputs["securityEnabled"] is True, g.name
        assert g.inputs.get("mailEnabled") is False, g.name
        assert g.inputs["preventDuplicateNames"] is True, g.name
        assert g.inputs["owners"], g.name
        assert g.inputs["description"]
        assert "members" not in g.inputs, "membership is owned by Entra"


def test_group_names_are_unique(stack: tuple[Plan, Settings]) -> None:
    plan, _ = stack
    names = [g.inputs["displayName"].casefold() for g in plan.by_type(GROUP)]
    assert len(names) == len(set(names))


def test_object_ids_output_maps_every_config_key(stack: tuple[Plan, Settings]) -> None:
    plan, settings = stack
    ids = plan.outputs["groupObjectIds"]
    assert set(ids) == set(settings.groups)
    assert sorted(ids.values()) == sorted(g.outputs["objectId"] for g in plan.by_type(GROUP))


def test_groups_are_protected_in_prod_only(plan_dev: Plan, plan_prod: Plan) -> None:
    assert plan_prod.by_type(GROUP) and all(g.protect for g in plan_prod.by_type(GROUP))
    assert not any(g.protect for g in plan_dev.by_type(GROUP))


def test_no_member_resources_without_explicit_members(stack: tuple[Plan, Settings]) -> None:
    plan, settings = stack
    declared = sum(len(g.members) for g in settings.groups.values())
    assert len(plan.by_type(GROUP_MEMBER)) == declared


# --- membership does not scale the plan --------------------------------------------------

def test_more_people_do_not_add_resources(plan_prod: Plan) -> None:
    grown = plan_with("prod", "more_people")
    assert type_counts(grown) == type_counts(plan_prod)
    assert not any(r.type in PER_USER_TYPES for r in grown.resources)


def test_explicit_members_are_one_stable_resource_each_and_bounded(plan_prod: Plan) -> None:
    base, plan = plan_prod, plan_with("prod", "explicit_members")
    members = plan.by_type(GROUP_MEMBER)
    assert len(members) == MAX_MEMBERS
    added = type_counts(plan) - type_counts(base)
    assert added == Counter({GROUP_MEMBER: MAX_MEMBERS})
    for m in members:
        assert m.name.endswith(m.inputs["memberObjectId"]), "named by member, not position"
    group_ids = {g.outputs["objectId"] for g in plan.by_type(GROUP)}
    assert {m.inputs["groupObjectId"] for m in members} <= group_ids


def test_settings_refuse_more_than_the_bound() -> None:
    doc = stack_document("prod")
    first = next(iter(doc["config"][f"{NS}:groups"].values()))
    first["members"] = PEOPLE[:MAX_MEMBERS + 1]
    with pytest.raises(SettingsError):
        parse(raw_from_stack_document(doc, "Pulumi.prod.yaml"), stack="prod",
              source="Pulumi.prod.yaml")


def test_duplicate_members_are_declared_once() -> None:
    group = Group.model_validate({
        "displayName": "g", "description": "d", "owners": [PEOPLE[0]],
        "members": [PEOPLE[1], PEOPLE[1].upper(), PEOPLE[2]]})
    assert unique_members(group) == [PEOPLE[1], PEOPLE[2]]

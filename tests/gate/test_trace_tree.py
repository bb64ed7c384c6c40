"""The gate reads each resource's config key from the tree: the nearest config entry component
(components/entries.py) on its parent chain names the section and the key.

These hold where guessing from names and type families went wrong: a key that is also a word
of the components' names, and a resource family the guess did not expect under a section.
"""

from __future__ import annotations

import copy
from typing import Any

from gate.access import build_access_report
from gate.capture import Plan
from gate.trace import ENTRY_SECTIONS, trace
from settings import Settings, parse
from settings.load import raw_from_stack_document
from tests.components.test_workspace_access import SCIM_APP, scim_with_unmapped_group
from tests.conftest import NS, plan_for, stack_document

APP_ROLE_ASSIGNMENT = "azuread:index/appRoleAssignment:AppRoleAssignment"


def _traced(stack: str, mutate: Any) -> tuple[Plan, Settings]:
    doc = stack_document(stack)
    mutate(doc["config"])
    settings = parse(raw_from_stack_document(doc, f"Pulumi.{stack}.yaml"), stack=stack)
    plan = plan_for(stack, mutate)
    trace(plan.resources, settings)
    return plan, settings


def _entry_of(plan: Plan, urn: str) -> tuple[str, str]:
    by_urn = {r.urn: r for r in plan.resources}
    node = by_urn.get(urn)
    while node is not None and node.type not in ENTRY_SECTIONS:
        node = by_urn.get(node.parent)
    assert node is not None, f"{urn} is under no config entry"
    return ENTRY_SECTIONS[node.type], node.name


def test_every_entry_resource_points_at_its_entry(plan_prod: Plan,
                                                  settings_prod: Settings) -> None:
    trace(plan_prod.resources, settings_prod)
    entries = [r for r in plan_prod.resources if r.type in ENTRY_SECTIONS]
    keys = {f"{NS}:{ENTRY_SECTIONS[e.type]}.{e.name}" for e in entries}
    assert keys == ({f"{NS}:groups.{k}" for k in settings_prod.groups}
                    | {f"{NS}:servicePrincipals.{k}" for k in settings_prod.service_principals}
                    | {f"{NS}:models.{k}" for k in settings_prod.models})
    under = [r for r in plan_prod.resources if r.custom and r.source_key in keys]
    assert len(under) > len(entries)
    for r in under:
        section, key = _entry_of(plan_prod, r.urn)
        assert r.source_key == f"{NS}:{section}.{key}"


def test_a_key_that_is_a_word_of_component_names_does_not_capture_other_entries() -> None:
    """A model keyed ``access`` (a word of ``model-access-<key>``) used to win every shorter
    model key by length: ``churn``'s model and grants were traced to ``models.access``."""
    def access_model(cfg: dict[str, Any]) -> None:
        models = cfg[f"{NS}:models"]
        extra = copy.deepcopy(models["churn"])
        extra["name"] = "churn_access"
        models["access"] = extra

    plan, _ = _traced("dev", access_model)
    churn = [r for r in plan.resources if r.name in ("model-access-churn",
                                                     "model-access-churn-grants")]
    assert len(churn) == 2
    assert {r.source_key for r in churn} == {f"{NS}:models.churn"}
    own = [r for r in plan.resources if r.name.startswith("model-access-access")]
    assert own and {r.source_key for r in own} == {f"{NS}:models.access"}


def test_scim_assignments_point_at_their_group() -> None:
    """The SCIM connector's assignment of a mapped group is that group's (it had no key)."""
    plan, settings = _traced("dev", scim_with_unmapped_group)
    scim = [r for r in plan.by_type(APP_ROLE_ASSIGNMENT)
            if r.inputs.get("resourceObjectId") == SCIM_APP]
    assert len(scim) == len(settings.mapped_groups)
    for r in scim:
        section, key = _entry_of(plan, r.urn)
        assert (section, key in settings.mapped_groups) == ("groups", True)
        assert r.source_key == f"{NS}:groups.{key}"


def test_the_access_review_lists_each_model_under_its_own_key() -> None:
    """With the guess, ``churn``'s grants showed up twice under ``access`` and ``churn`` not at
    all; read from the tree, each model keeps its own rights."""
    def access_model(cfg: dict[str, Any]) -> None:
        models = cfg[f"{NS}:models"]
        extra = copy.deepcopy(models["churn"])
        extra["name"] = "churn_access"
        models["access"] = extra

    plan, settings = _traced("dev", access_model)
    report = build_access_report(settings, plan)
    rights: dict[str, list[tuple[str, str]]] = {}
    for p in report.principals:
        for m in p.models:
            rights.setdefault(m.model, []).append((p.key, m.full_name))
    assert sorted(rights["churn"]) == sorted(set(rights["churn"]))
    assert {name for _, name in rights["churn"]} == {"ml_dev.customer.churn"}
    assert {name for _, name in rights["access"]} == {"ml_dev.customer.churn_access"}
    assert len(rights["churn"]) == len(rights["access"])


def test_the_gate_reads_the_entry_types_the_program_declares() -> None:
    """The gate keeps its own table of entry component types (it does not import the program's
    components); it must be exactly the program's."""
    from components.entries import ENTRY_TYPES, entry_type

    assert ENTRY_SECTIONS == {entry_type(section): section for section in ENTRY_TYPES}

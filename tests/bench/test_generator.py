"""The benchmark's synthetic organisation grows the plan linearly, and never per person.

Runs the real program under mocks at tiny sizes only (each plan has under 200 resources); the
benchmark itself (``bench/run.py``) is never run by the tests, and nothing here is timed.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import yaml

from bench.generate import synthetic_stack
from gate.capture import capture
from settings import load_stack_file
from settings.load import raw_from_stack_document

pytestmark = pytest.mark.slow

BASE = (3, 2, 3)  # groups, models, service principals
# Resource types that would track people rather than config entries.
PER_PERSON_TYPES = ("azuread:index/user:User", "databricks:index/user:User",
                    "azuread:index/groupMember:GroupMember",
                    "databricks:index/groupMember:GroupMember")


def _types(groups: int, models: int, service_principals: int) -> Counter[str]:
    doc = synthetic_stack(groups, models, service_principals)
    plan = capture("prod", raw_from_stack_document(doc, "synthetic"))
    return Counter(r.type for r in plan.resources)


@pytest.fixture(scope="module")
def counts() -> dict[tuple[int, int, int], Counter[str]]:
    sizes = [BASE, (6, 2, 3), (9, 2, 3), (3, 4, 3), (3, 2, 6), (6, 4, 6)]
    return {size: _types(*size) for size in sizes}


def _total(counts: dict[tuple[int, int, int], Counter[str]], size: tuple[int, int, int]) -> int:
    return sum(counts[size].values())


def test_generated_stack_is_a_valid_prod_stack(tmp_path: Path) -> None:
    path = tmp_path / "Pulumi.prod.yaml"
    path.write_text(yaml.safe_dump(synthetic_stack(4, 3, 3), sort_keys=False), encoding="utf-8")
    settings = load_stack_file(path, "prod")
    assert sum(1 for k in settings.groups if k.startswith("team-")) == 4
    assert sum(1 for k in settings.models if k.startswith("model-")) == 3
    assert sum(1 for k in settings.service_principals if k.startswith("automation-")) == 3


def test_plans_stay_small(counts: dict[tuple[int, int, int], Counter[str]]) -> None:
    # Under 200 resources each (with one Azure Databricks assignment per principal).
    assert all(_total(counts, size) < 200 for size in counts)


def test_each_group_adds_the_same_resources(counts: dict[tuple[int, int, int], Counter[str]]
                                            ) -> None:
    first = _total(counts, (6, 2, 3)) - _total(counts, BASE)
    second = _total(counts, (9, 2, 3)) - _total(counts, (6, 2, 3))
    assert first == second > 0


def test_groups_models_and_service_principals_add_up(
        counts: dict[tuple[int, int, int], Counter[str]]) -> None:
    base = _total(counts, BASE)
    groups = _total(counts, (6, 2, 3)) - base
    models = _total(counts, (3, 4, 3)) - base
    service_principals = _total(counts, (3, 2, 6)) - base
    assert models > 0 and service_principals > 0
    assert _total(counts, (6, 4, 6)) == base + groups + models + service_principals


def test_no_resource_per_person(counts: dict[tuple[int, int, int], Counter[str]]) -> None:
    for size, types in counts.items():
        assert not any(t in types for t in PER_PERSON_TYPES), size
        assert not any(t.lower().endswith(":user") for t in types), size

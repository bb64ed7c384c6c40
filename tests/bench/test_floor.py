"""The benchmark's floor replays exactly what the gate's program registers (bench/floor.py).

A floor that registered bare resources, or fewer properties, would make the gate look slower
than it is against what any faithful gate must pay. Nothing here is timed.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bench import floor
from bench.generate import synthetic_stack
from gate.capture import capture
from gate.model import UNKNOWN, CapturedResource, Secret
from settings.load import read_stack_file

pytestmark = pytest.mark.slow


def _registration(res):  # type: ignore[no-untyped-def]
    return (res.type, res.name, res.custom, res.inputs, res.parent,
            res.provider.rsplit("::", 1)[0], res.protect, res.delete_before_replace,
            res.retain_on_delete,
            sorted(res.dependencies), res.aliases)


def test_the_floor_registers_the_same_resources_properties_and_options(tmp_path: Path) -> None:
    stack_file = tmp_path / "Pulumi.prod.yaml"
    stack_file.write_text(yaml.safe_dump(synthetic_stack(3, 2, 3), sort_keys=False))
    _, raw = read_stack_file(stack_file, "prod")
    gate_plan = capture("prod", raw)

    floor.RESOURCES[:] = gate_plan.resources
    try:
        floor_plan = capture("prod", raw, program=floor.REPLAY_PROGRAM)
    finally:
        floor.RESOURCES.clear()

    gate_regs = {r.urn: _registration(r) for r in gate_plan.resources}
    floor_regs = {r.urn: _registration(r) for r in floor_plan.resources}
    assert floor_regs == gate_regs
    assert len(floor_regs) == len(gate_plan.resources) > 100
    assert any(r.provider for r in gate_plan.resources)  # requests describe providers
    assert any(r.aliases for r in gate_plan.resources)  # the SDK's alias work is replayed too


def test_the_floor_replays_unknowns_and_secrets_as_the_program_sent_them() -> None:
    res = CapturedResource(urn="urn:pulumi:prod::databricks-ml-entra::test:index:T::t",
                           type="test:index:T", name="t", custom=True,
                           inputs={"a": UNKNOWN, "b": Secret("s"), "c": [UNKNOWN, 1],
                                   "d": {"e": Secret(["t", 2])}})
    floor.RESOURCES[:] = [res]
    try:
        plan = capture("prod", {}, program=floor.REPLAY_PROGRAM)
    finally:
        floor.RESOURCES.clear()

    assert [r.inputs for r in plan.resources] == [res.inputs]

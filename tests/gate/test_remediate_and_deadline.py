"""Remediate as the engine sends it, and a policy pack that hangs or exits.

The engine's step generator calls ``Remediate`` for every resource before ``Analyze`` and
analyzes (and deploys) the remediated properties. A pack that hangs or ends its process
mid-session must not hang the gate or end it with a bare traceback: the gate stops it within
its deadline, names the policy that was running, and exits 3.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from gate.analyzer import PolicyPackSession
from gate.capture import Plan
from gate.evaluate import evaluate
from gate.model import UNKNOWN, CapturedResource

ROOT = Path(__file__).resolve().parents[2]
PACKS = ROOT / "tests" / "fixtures" / "packs"


def resource(type_name: str, name: str, **fields: Any) -> CapturedResource:
    return CapturedResource(urn=f"urn:pulumi:dev::proj::test:index:{type_name}::{name}",
                            type=f"test:index:{type_name}", name=name, custom=True, **fields)


def gate(*argv: str) -> subprocess.CompletedProcess[str]:
    # The timeout only keeps a broken gate from hanging the suite; nothing here is timed.
    return subprocess.run([sys.executable, "-m", "gate", *argv, "--quiet"], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)


def packs_running_in(folder: Path) -> set[int]:
    """PIDs of processes whose working directory is ``folder`` (a fixture pack's)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if Path(os.readlink(entry / "cwd")) == folder:
                    found.add(int(entry.name))
            except OSError:
                continue
    return found


# -- Remediate -------------------------------------------------------------------------------


def test_analyze_sees_the_remediated_properties() -> None:
    group = resource("Group", "g", inputs={"name": "rg"})
    with PolicyPackSession(PACKS / "remediating", stack="dev", project="proj") as session:
        properties, warnings = session.remediated(group)
        remediated = session.analyze(group, properties=properties)
        unremediated = session.analyze(group)

    assert warnings == []
    assert properties is not None and dict(properties["tags"]) == {"owner": "remediated"}
    assert remediated == []
    assert [v.policy_name for v in unremediated] == ["resource-groups-tagged"]


def test_a_remediation_that_cannot_run_is_an_advisory_warning_of_the_resource() -> None:
    later = resource("Later", "l", inputs={"later": UNKNOWN})
    with PolicyPackSession(PACKS / "remediating", stack="dev", project="proj") as session:
        properties, warnings = session.remediated(later)

    assert properties is None
    assert [(w.policy_name, w.enforcement_level, w.urn) for w in warnings] == [
        ("tag-resource-groups", "advisory", later.urn)]
    assert "can't run remediation 'tag-resource-groups'" in warnings[0].message


def test_the_gate_analyzes_and_reports_the_remediated_plan(plan_dev: Plan) -> None:
    plan = Plan(plan_dev.stack, plan_dev.project, list(plan_dev.resources),
                dict(plan_dev.outputs))
    groups = [r for r in plan.resources if r.type == "azure-native:resources:ResourceGroup"]
    untagged = [r.urn for r in groups if not r.inputs.get("tags")]
    # The shipped stack tags its groups: strip the tags so there is something to remediate.
    plan.resources = [r if r.type != "azure-native:resources:ResourceGroup"
                      else CapturedResource(**{**r.__dict__,
                                               "inputs": {k: v for k, v in r.inputs.items()
                                                          if k != "tags"}})
                      for r in plan.resources]

    result = evaluate(plan, PACKS / "remediating", None)

    assert groups and untagged == []
    assert [f.policy for f in result.findings] == []
    remediated = [r for r in plan.resources if r.type == "azure-native:resources:ResourceGroup"]
    assert [r.inputs["tags"] for r in remediated] == [{"owner": "remediated"}] * len(groups)


# -- A pack that hangs or exits --------------------------------------------------------------


def test_a_hanging_policy_is_stopped_at_the_deadline_and_named() -> None:
    pack = PACKS / "hanging"
    proc = gate("dev", "--policy-pack", str(pack), "--policy-pack-config", os.devnull,
                "--policy-timeout", "5")

    assert proc.returncode == 3, proc.stderr
    assert proc.stdout == ""
    assert "policy 'waits-forever' did not finish analyzing" in proc.stderr
    assert "azure-native:databricks:Workspace::workspace-databricks" in proc.stderr
    assert "within the 5s deadline (--policy-timeout)" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert packs_running_in(pack) == set()


def test_a_pack_that_exits_mid_session_is_named() -> None:
    pack = PACKS / "exiting"
    proc = gate("dev", "--policy-pack", str(pack), "--policy-pack-config", os.devnull)

    assert proc.returncode == 3, proc.stderr
    assert "while policy 'exits-the-pack' was analyzing" in proc.stderr
    assert "the pack exited with code 4" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert packs_running_in(pack) == set()


def test_a_policy_timeout_that_is_not_a_positive_number_is_a_usage_error() -> None:
    for bad in ("0", "-3", "soon", "inf"):
        proc = gate("dev", "--policy-timeout", bad)
        assert proc.returncode == 2, bad
        assert "--policy-timeout" in proc.stderr and "positive number of seconds" in proc.stderr


def test_lookups_are_reported_in_a_stable_order(plan_dev: Plan) -> None:
    """Invokes reach the monitor from executor threads in a varying order: the plan sorts them,
    so the same stack always gives the same report."""
    from gate.capture import lookup_order

    assert plan_dev.lookups
    assert plan_dev.lookups == sorted(plan_dev.lookups, key=lookup_order)

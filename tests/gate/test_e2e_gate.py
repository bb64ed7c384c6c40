"""The gate end to end, through the real subprocess and gRPC: exit codes, report formats that
validate against their schemas, and a policy pack that never outlives the gate."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from gate.document import build_document, load_schema
from gate.evaluate import evaluate
from gate.render_junit import render_junit
from gate.render_markdown import render_markdown
from gate.render_sarif import render_sarif
from gate.trace import trace

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
SARIF_SCHEMA = ROOT / "tests" / "schemas" / "sarif-schema-2.1.0.json"
CRASHING_PACK = ROOT / "tests" / "fixtures" / "packs" / "crashing"


# Packs inherit the gate's environment: this marker tells this module's packs from those of
# other test runs, benchmarks or checkouts on the same machine.
MARKER = f"GATE_E2E_TEST={os.getpid()}"
MARKED_ENV = {**os.environ, MARKER.split("=")[0]: MARKER.split("=")[1]}


def gate(*argv: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "gate", *argv], cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout, env=MARKED_ENV)


def policy_processes() -> set[int]:
    """PIDs of running policy packs (``python -u -m pulumi.policy``) started by this module."""
    pids = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmd = (entry / "cmdline").read_bytes().split(b"\0")
            environ = (entry / "environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if (b"pulumi.policy" in cmd and MARKER.encode() in environ
                and int(entry.name) != os.getpid()):
            pids.add(int(entry.name))
    return pids


@pytest.fixture(scope="module")
def prod_verdicts(plan_prod: Any, settings_prod: Any) -> tuple[dict[str, Any], Any]:
    trace(plan_prod.resources, settings_prod)
    result = evaluate(plan_prod, ROOT / "policies", ROOT / "policies" / "config" / "prod.json")
    return build_document(plan_prod, "prod", result), result


def test_compliant_stack_exits_0_and_leaves_no_pack_behind() -> None:
    before = policy_processes()
    proc = gate("prod", "--format", "markdown")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("### Policy gate: `databricks-ml-entra` / `prod` (prod)")
    assert "**Passed**" in proc.stdout
    assert "[gate" in proc.stderr and "[gate" not in proc.stdout
    assert policy_processes() - before == set()


def test_dev_code_against_prod_policy_config_exits_1_naming_rules() -> None:
    proc = gate("dev", "--policy-pack-config", str(ROOT / "policies" / "config" / "prod.json"),
                "--format", "json", "--quiet")
    assert proc.returncode == 1, proc.stderr
    doc = json.loads(proc.stdout)
    mandatory = {v["policy"] for v in doc["policies"]["violations"]
                 if v["enforcementLevel"] == "mandatory"}
    assert {"databricks-workspace-public-network-access-disabled",
            "databricks-workspace-private-endpoint", "protect-critical-resources",
            "ca-policies-enabled"} <= mandatory
    jsonschema.Draft202012Validator(load_schema()).validate(doc)


def test_crashing_policy_exits_3_naming_it_with_traceback() -> None:
    before = policy_processes()
    proc = gate("dev", "--policy-pack", str(CRASHING_PACK), "--policy-pack-config", os.devnull,
                "--quiet")
    assert proc.returncode == 3
    assert proc.stdout == ""
    assert "policy 'divides-by-zero' raised an exception" in proc.stderr
    assert "ZeroDivisionError: division by zero" in proc.stderr
    assert "Traceback (most recent call last)" in proc.stderr
    assert policy_processes() - before == set()


def test_interrupted_gate_leaves_no_pack_behind() -> None:
    before = policy_processes()
    proc = subprocess.Popen([sys.executable, "-m", "gate", "dev", "--quiet"], cwd=ROOT,
                            env=MARKED_ENV,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    # wait until the pack is up, then kill the gate hard (no cleanup code can run)
    import time

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not (policy_processes() - before):
        if proc.poll() is not None:
            break
        time.sleep(0.1)
    proc.kill()
    proc.wait()
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and policy_processes() - before:
        time.sleep(0.2)
    assert policy_processes() - before == set()


def test_json_report_with_verdicts_validates(prod_verdicts: Any) -> None:
    doc, result = prod_verdicts
    jsonschema.Draft202012Validator(load_schema()).validate(doc)
    assert doc["summary"]["violations"]["mandatory"] == 0
    assert {p["name"] for p in doc["policies"]["policies"]} >= {"databricks-workspace-premium-sku"}
    assert len(doc["policies"]["policies"]) >= 30


def test_sarif_validates_against_the_official_schema(prod_verdicts: Any, tmp_path: Path) -> None:
    doc, result = prod_verdicts
    log = json.loads(render_sarif(doc, result, ROOT / "Pulumi.prod.yaml", ROOT))
    schema = json.loads(SARIF_SCHEMA.read_text())
    jsonschema.Draft4Validator(schema).validate(log)
    run = log["runs"][0]
    rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    assert len(rules) == len(result.policies)
    for rule in rules.values():
        assert rule["help"]["text"]
        assert any(t.startswith(("soc2:", "iso27001")) for t in rule["properties"]["tags"]), rule
    for res in run["results"]:
        assert res["ruleId"] in rules
        assert res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == \
            "Pulumi.prod.yaml"


def test_sarif_locates_findings_at_the_config_key(plan_for_dev_under_prod: Any) -> None:
    doc, result = plan_for_dev_under_prod
    log = json.loads(render_sarif(doc, result, ROOT / "Pulumi.dev.yaml", ROOT))
    schema = json.loads(SARIF_SCHEMA.read_text())
    jsonschema.Draft4Validator(schema).validate(log)
    lines = (ROOT / "Pulumi.dev.yaml").read_text().splitlines()
    located = [r for r in log["runs"][0]["results"]
               if r["properties"]["configKey"] == "databricks-ml-entra:workspace"]
    assert located
    for r in located:
        line = r["locations"][0]["physicalLocation"]["region"]["startLine"]
        assert lines[line - 1].startswith("  databricks-ml-entra:workspace:")


@pytest.fixture(scope="module")
def plan_for_dev_under_prod(plan_dev: Any, settings_dev: Any) -> tuple[dict[str, Any], Any]:
    trace(plan_dev.resources, settings_dev)
    result = evaluate(plan_dev, ROOT / "policies", ROOT / "policies" / "config" / "prod.json")
    return build_document(plan_dev, "dev", result), result


def test_junit_has_one_case_per_policy_listing_violating_resources(
        plan_for_dev_under_prod: Any) -> None:
    doc, result = plan_for_dev_under_prod
    root = ET.fromstring(render_junit(doc, result))
    assert root.tag == "testsuites"
    (suite,) = root.findall("testsuite")
    cases = suite.findall("testcase")
    assert [c.get("name") for c in cases] == [p["name"] for p in result.policies]
    assert int(suite.get("tests", "-1")) == len(cases) == int(root.get("tests", "-2"))
    mandatory: dict[str, set[str]] = {}
    for f in result.findings:
        if f.blocking:
            mandatory.setdefault(f.policy, set()).add(f.resource_name or "stack")
    failed = {c.get("name", ""): c.find("failure") for c in cases
              if c.find("failure") is not None}
    assert set(failed) == set(mandatory) and failed
    assert int(suite.get("failures", "-1")) == len(failed) == int(root.get("failures", "-2"))
    for name, failure in failed.items():
        assert failure is not None
        body = failure.text or ""
        for resource in mandatory[name]:  # every violating resource is listed
            assert f"- {resource}" in body, (name, resource)
        assert f"resource(s) violate {name}" in failure.get("message", "")
    passing = [c for c in cases if c.find("failure") is None and c.find("skipped") is None]
    assert passing  # policies without a mandatory violation pass


def test_markdown_lists_mandatory_findings_with_fixes(plan_for_dev_under_prod: Any) -> None:
    doc, result = plan_for_dev_under_prod
    md = render_markdown(doc, result)
    assert "**Blocked**" in md and "#### Mandatory violations" in md
    assert "`databricks-workspace-public-network-access-disabled`" in md
    assert "<details><summary>How to fix</summary>" in md

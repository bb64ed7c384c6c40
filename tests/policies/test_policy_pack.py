"""The pack as a whole: metadata, config files, the compliant stack, coverage, catalogue."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import catalogue
import pytest
import yaml
from policy_harness import (
    PACK_NAME,
    POLICIES_DIR,
    PROD_ADVISORY,
    Case,
    Pack,
    compliant_stack,
    load_config,
)
from pulumi.runtime.proto import analyzer_pb2 as pb
from pulumi_policy import Severity
from rules import ALL_POLICIES, DOMAINS

NAMES = [p.name for p in ALL_POLICIES]
KEBAB = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
LEVELS = {"advisory", "mandatory", "disabled", "remediate"}

# Verified in Azure/azure-policy (built-in-policies/policyDefinitions/...).
VERIFIED_AZURE_POLICIES = {
    "2cc2c3b5-c2f8-45aa-a9e6-f90d85ae8352",  # Premium SKU
    "9c25c9e4-ee12-4882-afd2-11fb9d87893f",  # in a virtual network
    "51c1490f-3319-459c-bbbc-7f391bbed753",  # clusters disable public IP
    "0e7849de-b939-4c50-ab48-fc6b0f5eeba2",  # disable public network access
    "258823f2-4595-4b52-b333-cc96192710d8",  # use private link
    "138ff14d-b687-4faa-a81c-898c91a87fa2",  # resource logs enabled
    "23057b42-ca8d-4aa0-a3dc-96a98b5b5a3d",  # diagnostic settings to Log Analytics (DINE)
    "98728c90-32c7-4049-8429-847dc0f4fe37",  # Key Vault secrets should have an expiration date
}
# CIS Microsoft Azure Foundations Benchmark recommendation numbers we verified, plus the
# section-only references used where no single recommendation number was verified.
VERIFIED_CIS = {
    "v4.0.0-3.1.1", "v4.0.0-3.1.7", "v5.0.0-2.1.2", "v5.0.0-2.1.4", "v5.0.0-2.1.11",
    "v5.0.0-2.1",
}
DEV_ADVISORY = {
    "databricks-workspace-vnet-injection",
    "databricks-workspace-front-end-dns-beyond-vnet",
    "databricks-workspace-no-public-ip",
    "databricks-subnets-delegated-with-nsg",
    "databricks-workspace-customer-managed-keys",
    "databricks-production-transitions-by-service-principal",
    "entra-prefer-secretless-identity",
    "databricks-model-registry-unity-catalog",
    "entra-access-package-approval-and-expiry",
    "entra-admin-groups-just-in-time",
}
DEV_DISABLED = {
    "databricks-workspace-public-network-access-disabled",
    "databricks-workspace-private-endpoint",
    "protect-critical-resources",
    "ca-policies-enabled",
    "entra-access-review-removes-on-no-response",
}
# Rules that never read a value that could be unknown (options, presence or dependency checks).
NO_VALUE_READS = {
    "databricks-workspace-vnet-injection",
    "entra-app-owners",
    "entra-app-password-create-before-delete",
    "protect-critical-resources",
    "databricks-no-per-user-memberships",
    "providers-no-static-credentials",
    "databricks-model-registry-unity-catalog",  # flags the resource type; reads no value
}


def _all_cases() -> list[Case]:
    """The case tables of every test_policy_*.py module."""
    cases: list[Case] = []
    for path in sorted(Path(__file__).parent.glob("test_policy_*.py")):
        module = sys.modules.get(path.stem)
        if module is None:
            spec = importlib.util.spec_from_file_location(f"cases_{path.stem}", path)
            assert spec is not None and spec.loader is not None
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
        cases += getattr(module, "CASES", [])
    return cases


def _resolved_levels(config: dict[str, Any]) -> dict[str, str]:
    """Each policy's enforcement level once ``config`` is applied (as the engine does)."""
    levels = {}
    for policy in ALL_POLICIES:
        default = policy.enforcement_level.value if policy.enforcement_level else "mandatory"
        level = config.get("all", default)
        entry = config.get(policy.name)
        if isinstance(entry, str):
            level = entry
        elif isinstance(entry, dict):
            level = entry.get("enforcementLevel", level)
        levels[policy.name] = level
    return levels


# --- metadata ----------------------------------------------------------------------------------


def test_pack_has_at_least_30_uniquely_named_rules() -> None:
    assert len(NAMES) >= 30
    assert len(set(NAMES)) == len(NAMES)
    assert all(KEBAB.match(name) for name in NAMES)
    assert sum(len(p) for p in DOMAINS.values()) == len(NAMES)


def test_analyzer_info_carries_the_metadata(pack: Pack) -> None:
    info = pack.info()
    assert info.name == PACK_NAME
    assert [p.name for p in info.policies] == NAMES
    for policy in info.policies:
        assert policy.description and policy.remediation_steps, policy.name
        assert policy.severity != pb.POLICY_SEVERITY_UNSPECIFIED, policy.name
        assert policy.framework.name and policy.framework.reference, policy.name
        assert policy.policy_type in (pb.POLICY_TYPE_RESOURCE, pb.POLICY_TYPE_STACK)
        tags = list(policy.tags)
        assert any(t.startswith("soc2:") for t in tags), policy.name
        assert any(t.startswith("iso27001-2022:") for t in tags), policy.name
        assert any(t.startswith("domain:") for t in tags), policy.name


def test_framework_references_are_verified_ones() -> None:
    for policy in ALL_POLICIES:
        for tag in policy.tags or []:
            kind, _, value = tag.partition(":")
            if kind == "azure-policy":
                assert value in VERIFIED_AZURE_POLICIES, (policy.name, tag)
            if kind == "cis-azure-databricks":
                assert value in VERIFIED_CIS, (policy.name, tag)


def test_severities_are_sdk_enums() -> None:
    assert all(isinstance(p.severity, Severity) for p in ALL_POLICIES)


def test_main_builds_the_pack_with_mandatory_default(pack: Pack) -> None:
    levels = {p.name: p.enforcementLevel for p in pack.info().policies}
    assert {k for k, v in levels.items() if v == pb.ADVISORY} == PROD_ADVISORY
    assert {v for k, v in levels.items() if k not in PROD_ADVISORY} == {pb.MANDATORY}


def test_policy_pack_yaml() -> None:
    document = yaml.safe_load((POLICIES_DIR / "PulumiPolicy.yaml").read_text())
    assert document["runtime"] == {"name": "python", "options": {"virtualenv": "venv"}}
    assert document["description"] and re.match(r"^\d+\.\d+\.\d+$", document["version"])
    requirements = (POLICIES_DIR / "requirements.txt").read_text().split()
    assert "pulumi==3.272.0" in requirements and "pulumi-policy==1.21.0" in requirements


def test_main_module_only_builds_the_pack() -> None:
    source = (POLICIES_DIR / "__main__.py").read_text()
    assert "from rules import ALL_POLICIES" in source
    assert source.count("def ") == 0 and source.count("class ") == 0


# --- config files ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["dev", "prod"])
def test_config_file_names_only_existing_policies(name: str) -> None:
    config = load_config(name)
    schemas = {p.name: (p.config_schema.properties if p.config_schema else {})
               for p in ALL_POLICIES}
    for key, value in config.items():
        if key == "all":
            assert value in LEVELS
            continue
        assert key in schemas, f"{name}.json names unknown policy {key}"
        if isinstance(value, str):
            assert value in LEVELS
        else:
            assert value.get("enforcementLevel", "mandatory") in LEVELS
            unknown = set(value) - {"enforcementLevel"} - set(schemas[key])
            assert not unknown, f"{name}.json sets unknown properties {unknown} on {key}"


def test_prod_enforces_everything() -> None:
    config = load_config("prod")
    levels = _resolved_levels(config)
    assert {n for n, level in levels.items() if level != "mandatory"} == PROD_ADVISORY
    assert config["log-analytics-retention"]["minRetentionDays"] == 365


def test_dev_levels() -> None:
    config = load_config("dev")
    levels = _resolved_levels(config)
    assert {n for n, level in levels.items() if level == "advisory"} == DEV_ADVISORY
    assert {n for n, level in levels.items() if level == "disabled"} == DEV_DISABLED
    for domain in ("entra", "conditional-access", "databricks-access", "secrets"):
        for policy in DOMAINS[domain]:
            if policy.name not in DEV_DISABLED | DEV_ADVISORY:
                assert levels[policy.name] == "mandatory", policy.name
    assert config["log-analytics-retention"]["minRetentionDays"] == 90


# --- compliant stack ---------------------------------------------------------------------------


@pytest.mark.parametrize("config", ["prod", "dev"])
def test_compliant_stack_passes_every_rule(config: str) -> None:
    pack = Pack()
    pack.configure_stack(config)
    pack.configure(load_config(config))
    for resource in compliant_stack():
        assert pack.analyze(resource) == [], resource.name
    assert pack.analyze_stack(compliant_stack()) == []


# --- coverage ----------------------------------------------------------------------------------


def test_every_rule_has_pass_violation_and_preview_cases() -> None:
    cases = _all_cases()
    for name in NAMES:
        mine = [c for c in cases if c.rule == name]
        assert any(not c.expected for c in mine), f"{name}: no passing case"
        assert any(c.expected and not c.expected[0].startswith("can't run") for c in mine), (
            f"{name}: no violation case")
        has_preview = any(c.expected and c.expected[0].startswith("can't run") for c in mine)
        assert has_preview or name in NO_VALUE_READS, f"{name}: no unknown-value case"


# --- catalogue ---------------------------------------------------------------------------------


def test_catalogue_has_one_row_per_policy() -> None:
    rows = catalogue.render().splitlines()[2:]
    assert len(rows) == len(ALL_POLICIES)
    for row, policy in zip(rows, ALL_POLICIES, strict=True):
        assert policy.severity is not None
        assert row.startswith(f"| `{policy.name}` | {policy.severity.value} |")


def test_catalogue_check_detects_drift(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(f"# Pack\n\n{catalogue.START}\nstale\n{catalogue.END}\n\nMore.\n")
    script = str(POLICIES_DIR / "catalogue.py")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, script, *args], capture_output=True, text=True,
                              check=False)

    drift = run("--check", str(readme))
    assert drift.returncode == 1
    assert "rule catalogue is out of date" in drift.stderr and "-stale" in drift.stderr
    assert run("--write", str(readme)).returncode == 0
    text = readme.read_text()
    assert text.startswith("# Pack\n\n") and text.endswith(f"{catalogue.END}\n\nMore.\n")
    assert run("--check", str(readme)).returncode == 0
    readme.write_text(text.replace("| high |", "| low |", 1))
    assert run("--check", str(readme)).returncode == 1


def test_catalogue_requires_markers(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text("# no markers\n")
    assert catalogue.main(["--check", str(readme)]) == 1
    assert catalogue.main(["--write", str(readme)]) == 1
    assert readme.read_text() == "# no markers\n"

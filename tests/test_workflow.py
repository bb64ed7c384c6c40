"""The users' CI workflow: lints clean, uses only real action inputs, stores no secret."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = ROOT / ".github" / "workflows" / "infrastructure.yml"

# Inputs declared in each action's action.yml at the major version the workflow pins.
KNOWN_INPUTS: dict[str, set[str]] = {
    "actions/checkout@v4": {"repository", "ref", "token", "ssh-key", "ssh-known-hosts",
                            "ssh-strict", "ssh-user", "persist-credentials", "path", "clean",
                            "filter", "sparse-checkout", "sparse-checkout-cone-mode",
                            "fetch-depth", "fetch-tags", "show-progress", "lfs", "submodules",
                            "set-safe-directory", "github-server-url"},
    "actions/setup-python@v5": {"python-version", "python-version-file", "cache", "architecture",
                                "check-latest", "token", "cache-dependency-path",
                                "update-environment", "allow-prereleases", "freethreaded"},
    "github/codeql-action/upload-sarif@v3": {"sarif_file", "checkout_path", "ref", "sha", "token",
                                             "matrix", "wait-for-processing", "category"},
    "azure/login@v2": {"creds", "client-id", "tenant-id", "subscription-id", "enable-AzPSSession",
                       "environment", "allow-no-subscriptions", "audience", "auth-type"},
    "pulumi/auth-actions@v1": {"organization", "requested-token-type", "scope",
                               "token-expiration", "export-environment-variables", "cloud-url"},
    "pulumi/actions@v6": {"command", "stack-name", "pulumi-version", "pulumi-version-file",
                          "work-dir", "comment-on-pr", "comment-on-pr-number",
                          "comment-on-summary", "github-token", "cloud-url", "secrets-provider",
                          "parallel", "message", "config-map", "expect-no-changes", "diff",
                          "replace", "target", "target-dependents", "policyPacks",
                          "policyPackConfigs", "refresh", "upsert", "remove", "edit-pr-comment",
                          "color", "exclude-protected", "plan", "suppress-outputs",
                          "suppress-progress", "always-include-summary"},
}


def workflow() -> dict[str, Any]:
    return yaml.safe_load(WORKFLOW.read_text())


def test_workflow_passes_yamllint() -> None:
    result = subprocess.run([sys.executable, "-m", "yamllint", "-c", str(ROOT / ".yamllint.yaml"),
                             str(WORKFLOW)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_action_input_is_real() -> None:
    for job_name, job in workflow()["jobs"].items():
        for step in job["steps"]:
            uses = step.get("uses")
            if not uses:
                continue
            assert uses in KNOWN_INPUTS, f"{job_name}: unreviewed action {uses}"
            unknown = set(step.get("with", {})) - KNOWN_INPUTS[uses]
            assert not unknown, f"{job_name}: {uses} has no input(s) {sorted(unknown)}"


def test_no_stored_secrets_and_oidc_where_cloud_is_touched() -> None:
    text = WORKFLOW.read_text()
    assert "secrets." not in text
    for name, job in workflow()["jobs"].items():
        uses = {s.get("uses", "") for s in job["steps"]}
        if "azure/login@v2" in uses:
            assert job["permissions"]["id-token"] == "write", name
            assert job["env"]["DATABRICKS_AUTH_TYPE"] == "github-oidc-azure", name


def test_prod_deploys_after_dev_with_policy_pack() -> None:
    jobs = workflow()["jobs"]
    prod = jobs["deploy-prod"]
    assert prod["environment"] == "prod" and prod["needs"] == "deploy-dev"
    up = [s for s in prod["steps"] if s.get("uses") == "pulumi/actions@v6"][0]["with"]
    assert up["command"] == "up" and up["policyPacks"] == "policies"
    assert up["policyPackConfigs"] == "policies/config/prod.json"
    for stack in ("dev", "prod"):
        assert (ROOT / "policies" / "config" / f"{stack}.json").exists()

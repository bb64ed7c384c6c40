"""The users' CI workflows: lint clean, real action inputs, SHA pins, least privilege, no secret."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = ROOT / ".github" / "workflows"
WORKFLOW = WORKFLOWS / "infrastructure.yml"
DRIFT = WORKFLOWS / "drift.yml"

# Inputs declared in each action's action.yml at the release the workflows pin (read from the
# action repositories at those tags).
KNOWN_INPUTS: dict[str, set[str]] = {
    "actions/checkout": {"repository", "ref", "token", "ssh-key", "ssh-known-hosts",
                         "ssh-strict", "ssh-user", "persist-credentials", "path", "clean",
                         "filter", "sparse-checkout", "sparse-checkout-cone-mode",
                         "fetch-depth", "fetch-tags", "show-progress", "lfs", "submodules",
                         "set-safe-directory", "github-server-url", "allow-unsafe-pr-checkout"},
    "actions/setup-python": {"python-version", "python-version-file", "cache", "architecture",
                             "check-latest", "token", "cache-dependency-path",
                             "update-environment", "allow-prereleases", "freethreaded",
                             "pip-version"},
    "github/codeql-action/upload-sarif": {"sarif_file", "checkout_path", "ref", "sha", "token",
                                          "matrix", "wait-for-processing", "category"},
    "azure/login": {"creds", "client-id", "tenant-id", "subscription-id", "enable-AzPSSession",
                    "environment", "allow-no-subscriptions", "audience", "auth-type"},
    "pulumi/auth-actions": {"organization", "requested-token-type", "scope",
                            "token-expiration", "export-environment-variables", "cloud-url"},
    "pulumi/actions": {"command", "stack-name", "pulumi-version", "pulumi-version-file",
                       "work-dir", "comment-on-pr", "comment-on-pr-number",
                       "comment-on-summary", "github-token", "cloud-url", "secrets-provider",
                       "parallel", "message", "config-map", "expect-no-changes", "diff",
                       "replace", "target", "target-dependents", "policyPacks",
                       "policyPackConfigs", "refresh", "upsert", "remove", "edit-pr-comment",
                       "color", "exclude-protected", "plan", "suppress-outputs",
                       "suppress-progress", "always-include-summary", "continue-on-error",
                       "debug", "exclude", "exclude-dependents", "log-flow", "log-verbosity"},
    "actions/upload-artifact": {"name", "path", "if-no-files-found", "retention-days",
                                "compression-level", "overwrite", "include-hidden-files",
                                "archive"},
    "actions/download-artifact": {"name", "path", "pattern", "merge-multiple", "github-token",
                                  "repository", "run-id", "artifact-ids", "digest-mismatch",
                                  "skip-decompress"},
}
# The releases pinned (major versions current when pinned); Dependabot moves them on.
PINNED_MAJOR = {"actions/checkout": 7, "actions/setup-python": 7,
                "github/codeql-action/upload-sarif": 4, "azure/login": 3,
                "pulumi/auth-actions": 2, "pulumi/actions": 7, "actions/upload-artifact": 7,
                "actions/download-artifact": 8}
USES = re.compile(r"^\s*(?:-\s+)?uses:\s+(?P<action>[^@\s]+)@(?P<ref>\S+)(?P<rest>.*)$")


def load(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text())


def workflow() -> dict[str, Any]:
    return load(WORKFLOW)


def steps(job: dict[str, Any], action: str) -> list[dict[str, Any]]:
    return [s for s in job["steps"] if s.get("uses", "").split("@")[0] == action]


@pytest.mark.parametrize("path", [WORKFLOW, DRIFT, ROOT / ".github" / "dependabot.yml",
                                  ROOT / ".pre-commit-config.yaml"])
def test_passes_yamllint(path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "yamllint", "-c", str(ROOT / ".yamllint.yaml"),
                             str(path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("path", [WORKFLOW, DRIFT])
def test_actions_pinned_by_full_sha_with_the_release_named(path: Path) -> None:
    pins = [m for line in path.read_text().splitlines() if (m := USES.match(line))]
    assert pins
    for m in pins:
        assert re.fullmatch(r"[0-9a-f]{40}", m["ref"]), f"{m['action']}@{m['ref']} is not a SHA"
        version = re.fullmatch(r"\s+# v(\d+)\.\d+\.\d+", m["rest"])
        assert version, f"{m['action']}: the pin needs a '# vX.Y.Z' comment"
        assert int(version[1]) == PINNED_MAJOR[m["action"]], m["action"]
    # One release per action across the workflows: the same SHA everywhere.
    shas: dict[str, set[str]] = {}
    for p in (WORKFLOW, DRIFT):
        for line in p.read_text().splitlines():
            if m := USES.match(line):
                shas.setdefault(m["action"], set()).add(m["ref"])
    assert all(len(s) == 1 for s in shas.values()), shas


@pytest.mark.parametrize("path", [WORKFLOW, DRIFT])
def test_every_action_input_is_real(path: Path) -> None:
    for job_name, job in load(path)["jobs"].items():
        for step in job["steps"]:
            uses = step.get("uses")
            if not uses:
                continue
            action = uses.split("@")[0]
            assert action in KNOWN_INPUTS, f"{job_name}: unreviewed action {uses}"
            unknown = set(step.get("with", {})) - KNOWN_INPUTS[action]
            assert not unknown, f"{job_name}: {action} has no input(s) {sorted(unknown)}"


@pytest.mark.parametrize("path", [WORKFLOW, DRIFT])
def test_least_privilege_per_job_and_oidc_only(path: Path) -> None:
    doc = load(path)
    assert doc["permissions"] == {}, "nothing by default; each job asks for what it needs"
    assert "secrets." not in path.read_text()
    for name, job in doc["jobs"].items():
        perms = job["permissions"]
        assert perms.get("contents") == "read", name
        assert "write-all" not in str(perms)
        cloud = steps(job, "azure/login")
        assert (perms.get("id-token") == "write") == bool(cloud), name
        if cloud:
            assert job["env"]["DATABRICKS_AUTH_TYPE"] == "github-oidc-azure", name
        for step in steps(job, "actions/checkout"):
            assert step["with"]["persist-credentials"] is False, name


def test_sarif_upload_has_what_private_repositories_need() -> None:
    gate = workflow()["jobs"]["gate"]
    assert gate["permissions"] == {"contents": "read", "security-events": "write",
                                   "actions": "read"}
    assert steps(gate, "github/codeql-action/upload-sarif")


def test_previews_run_as_the_read_only_identity_without_approval() -> None:
    preview = workflow()["jobs"]["preview"]
    # No environment: the OIDC subject is the pull_request one, which only the preview
    # identity trusts; so no approval and none of the deployer's rights.
    assert "environment" not in preview
    assert set(preview["permissions"]) == {"contents", "id-token"}
    clients = {i["stack"]: i["client-id"] for i in preview["strategy"]["matrix"]["include"]}
    assert clients == {"dev": "${{ vars.AZURE_PREVIEW_CLIENT_ID_DEV }}",
                       "prod": "${{ vars.AZURE_PREVIEW_CLIENT_ID_PROD }}"}
    assert preview["env"]["ARM_CLIENT_ID"] == "${{ matrix.client-id }}"
    (login,) = steps(preview, "azure/login")
    assert login["with"]["client-id"] == "${{ matrix.client-id }}"
    (auth,) = steps(preview, "pulumi/auth-actions")
    assert auth["with"]["requested-token-type"].endswith(":team")
    (run,) = steps(preview, "pulumi/actions")
    assert run["with"]["command"] == "preview" and run["with"]["policyPacks"] == "policies"


def test_the_stacks_declare_the_preview_identity_the_workflow_uses() -> None:
    from settings import load_stack_file

    for stack in ("dev", "prod"):
        s = load_stack_file(ROOT / f"Pulumi.{stack}.yaml")
        assert s.previewer and s.previewer != s.deployer
        fed = s.service_principals[s.previewer].federation
        assert fed is not None and fed.pull_request


def test_deploys_keep_the_admin_deployer_behind_approval_one_group_per_stack() -> None:
    jobs = workflow()["jobs"]
    prod, dev = jobs["deploy-prod"], jobs["deploy-dev"]
    assert prod["environment"] == "prod" and prod["needs"] == "deploy-dev"
    assert dev["environment"] == "dev"
    for stack, job in (("dev", dev), ("prod", prod)):
        assert job["concurrency"] == {"group": f"pulumi-{stack}", "cancel-in-progress": False}
        assert job["env"]["ARM_CLIENT_ID"] == "${{ vars.AZURE_CLIENT_ID }}"
        (up,) = steps(job, "pulumi/actions")
        assert up["with"]["command"] == "up" and up["with"]["policyPacks"] == "policies"
        # The environment comes from stacks.json (tests/adversarial/test_environment_binding).
        assert up["with"]["policyPackConfigs"] == (
            "policies/config/${{ steps.env.outputs.environment }}.json")
        assert up["with"]["stack-name"].endswith(f"/{stack}")
        assert (ROOT / "policies" / "config" / f"{stack}.json").exists()
    # Previews and drift checks never share (and so never displace) a deploy's group.
    groups = [j.get("concurrency", {}).get("group", "") for j in jobs.values()]
    groups += [j.get("concurrency", {}).get("group", "") for j in load(DRIFT)["jobs"].values()]
    assert sum(g.startswith("pulumi-") for g in groups) == 2


def test_private_workspace_jobs_run_on_the_private_runner_label() -> None:
    label = "${{ vars.PRIVATE_RUNNER_LABEL || 'self-hosted' }}"
    jobs = workflow()["jobs"]
    assert jobs["deploy-prod"]["runs-on"] == label
    for job in (jobs["preview"], load(DRIFT)["jobs"]["refresh"]):
        runners = {i["stack"]: i["runner"] for i in job["strategy"]["matrix"]["include"]}
        assert runners["prod"] == label and job["runs-on"] == "${{ matrix.runner }}"


def test_sticky_comment_is_one_comment_with_gate_and_diff() -> None:
    jobs = workflow()["jobs"]
    comment = jobs["comment"]
    assert comment["permissions"] == {"contents": "read", "pull-requests": "write"}
    assert comment["needs"] == "gate" and "always()" in comment["if"]
    text = "\n".join(s.get("run", "") for s in comment["steps"])
    assert "python3 -m gate comment" in text and "--report-url" in text
    assert "<!-- dbx-gate:sticky-comment -->" in text and "PATCH" in text
    from gate.comment import MARKER

    assert MARKER == "<!-- dbx-gate:sticky-comment -->"
    gate_runs = "\n".join(s.get("run", "") for s in jobs["gate"]["steps"])
    assert 'gate diff "$STACK@origin/$BASE_REF" "$STACK"' in gate_runs
    assert (steps(jobs["gate"], "actions/checkout")[0]["with"]["fetch-depth"]) == 0


def test_ci_runs_ruff_mypy_and_validate() -> None:
    lint = "\n".join(s.get("run", "") for s in workflow()["jobs"]["lint"]["steps"])
    ci = (ROOT / ".ci" / "run").read_text()
    for command in ("ruff check .", "mypy .", "-m gate validate", "-m gate schema --check"):
        assert command in lint and command in ci


def test_drift_workflow_refreshes_read_only_and_opens_one_issue() -> None:
    doc = load(DRIFT)
    raw: dict[Any, Any] = doc
    triggers = raw["on"] if "on" in raw else raw[True]  # YAML 1.1 reads the key `on` as true
    assert "schedule" in triggers
    refresh = doc["jobs"]["refresh"]
    run = "\n".join(s.get("run", "") for s in refresh["steps"])
    assert "pulumi refresh" in run and "--preview-only" in run and "--expect-no-changes" in run
    assert refresh["env"]["ARM_CLIENT_ID"] == "${{ matrix.client-id }}"  # the read-only one
    assert "environment" not in refresh
    issue = doc["jobs"]["issue"]
    assert issue["permissions"] == {"contents": "read", "issues": "write"}
    script = "\n".join(s.get("run", "") for s in issue["steps"])
    assert "python3 -m gate drift-issue" in script
    assert "gh issue edit" in script and "gh issue create" in script and "gh issue close" in script


def test_dependabot_watches_actions_and_pip() -> None:
    doc = load(ROOT / ".github" / "dependabot.yml")
    ecosystems = {(u["package-ecosystem"], u["directory"]) for u in doc["updates"]}
    assert {("github-actions", "/"), ("pip", "/"), ("pip", "/policies")} <= ecosystems


def test_pre_commit_runs_validate_ruff_and_yamllint() -> None:
    doc = load(ROOT / ".pre-commit-config.yaml")
    entries = [h["entry"] for r in doc["repos"] for h in r["hooks"]]
    assert any("gate validate" in e for e in entries)
    assert any("ruff" in e for e in entries) and any("yamllint" in e for e in entries)

"""``dbx-gate revocations``: what the first authoritative apply would take away from live ACLs."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path
from typing import Any

import yaml

from gate.commands import main
from tests.conftest import stack_document, with_legacy_model

# As `databricks permissions get registered-models <id> -o json` returns it.
LIVE_WORKSPACE_MODEL = {
    "object_id": "/registered-models/1234", "object_type": "registered-model",
    "access_control_list": [
        {"group_name": "admins", "all_permissions": [
            {"permission_level": "CAN_MANAGE", "inherited": True,
             "inherited_from_object": ["/registered-models/"]}]},
        {"group_name": "sg-dbx-prod-ml-engineers", "display_name": "sg-dbx-prod-ml-engineers",
         "all_permissions": [{"permission_level": "CAN_MANAGE_PRODUCTION_VERSIONS",
                              "inherited": False}]},
        {"user_name": "alice@fabrikam.example", "display_name": "Alice",
         "all_permissions": [{"permission_level": "CAN_MANAGE", "inherited": False}]},
        {"group_name": "sg-dbx-prod-auditors",
         "all_permissions": [{"permission_level": "CAN_READ", "inherited": False}]},
        {"service_principal_name": "12345678-aaaa-bbbb-cccc-1234567890ab",
         "all_permissions": [{"permission_level": "CAN_READ", "inherited": False}]},
    ]}
# As `databricks grants get function ml_prod.credit_risk.credit_default -o json` returns it.
LIVE_UC_MODEL = {"privilege_assignments": [
    {"principal": "sg-dbx-prod-data-scientists", "privileges": ["EXECUTE"]},
    {"principal": "legacy-scorers", "privileges": ["APPLY_TAG", "EXECUTE"]}]}


def legacy_prod_stack(tmp_path: Path) -> Path:
    """The prod stack with ``churn-legacy`` still in the workspace registry (both ACL kinds)."""
    doc = stack_document("prod")
    with_legacy_model(doc["config"])
    path = tmp_path / "Pulumi.prod.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def revocations(tmp_path: Path, snapshot: Any, *extra: str) -> tuple[int, str, str]:
    path = tmp_path / "live.json"
    path.write_text(json.dumps(snapshot))
    out, err = io.StringIO(), io.StringIO()
    code = main(["revocations", "prod", "--stack-file", str(legacy_prod_stack(tmp_path)),
                 "--live", str(path), "--quiet", *extra], stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def snapshot() -> dict[str, Any]:
    return {"models": {"churn-legacy": LIVE_WORKSPACE_MODEL, "credit-default": LIVE_UC_MODEL},
            "principals": {"12345678-aaaa-bbbb-cccc-1234567890ab": "batch-scoring"}}


def test_live_rights_the_stack_does_not_declare_are_revocations(tmp_path: Path) -> None:
    code, out, err = revocations(tmp_path, snapshot(), "--format", "json")
    assert code == 0, err
    changes = {(c["principal"], c["subject"]): c for c in json.loads(out)}
    alice = changes[("alice@fabrikam.example", "model:churn-legacy")]
    assert alice["kind"] == "revoked" and alice["before"] == ["CAN_MANAGE"] and alice["highlighted"]
    legacy = changes[("legacy-scorers", "model:credit-default")]
    assert legacy["kind"] == "revoked" and legacy["after"] == []
    # A declared principal whose live right is higher than declared loses the difference.
    eng = changes[("ml-engineers", "model:churn-legacy")]
    assert eng["kind"] == "changed" and eng["before"] == ["CAN_MANAGE_PRODUCTION_VERSIONS"]
    assert eng["highlighted"]
    # Matching live rights are no change; the built-in admins group is never a revocation.
    assert ("auditors", "model:churn-legacy") not in changes
    assert ("batch-scoring", "model:churn-legacy") not in changes  # mapped by application id
    assert not any(p == "admins" for p, _ in changes)


def test_markdown_uses_the_access_diff_form(tmp_path: Path) -> None:
    code, out, _ = revocations(tmp_path, snapshot())
    assert code == 0
    assert "3 live right(s) would be removed" in out
    assert "| change | principal | on | before | after |" in out
    assert ":warning: `alice@fabrikam.example` on model:churn-legacy: revoked" in out


def test_fail_on_revocations(tmp_path: Path) -> None:
    assert revocations(tmp_path, snapshot(), "--fail-on-revocations")[0] == 1
    clean: dict[str, Any] = {"models": {"credit-default": {"privilege_assignments": []}}}
    code, out, _ = revocations(tmp_path, clean, "--fail-on-revocations")
    assert code == 0 and "No live right would be removed" in out


def test_bad_snapshots_exit_2_naming_the_place(tmp_path: Path) -> None:
    code, _, err = revocations(tmp_path, {"models": {"nope": LIVE_UC_MODEL}})
    assert code == 2 and "models.nope: is not a model of this stack" in err
    code, _, err = revocations(tmp_path, {"models": {"churn-legacy": LIVE_UC_MODEL}})
    assert code == 2 and "models.churn-legacy.access_control_list: is missing" in err
    assert "databricks permissions get registered-models" in err
    code, _, err = revocations(tmp_path, {"models": {}})
    assert code == 2 and "models: is missing or empty" in err
    (tmp_path / "x.json").write_text("{not json")
    assert main(["revocations", "prod", "--live", str(tmp_path / "x.json"), "-q"],
                stdout=io.StringIO(), stderr=io.StringIO()) == 2


def test_a_snapshot_that_is_not_a_regular_utf8_file_is_exit_2(tmp_path: Path) -> None:
    fifo = tmp_path / "live.fifo"
    os.mkfifo(fifo)
    err = io.StringIO()
    assert main(["revocations", "prod", "--live", str(fifo), "-q"], stdout=io.StringIO(),
                stderr=err) == 2
    assert "live.fifo" in err.getvalue()
    latin = tmp_path / "latin.json"
    latin.write_bytes('{"models": {"caf\xe9": {}}}'.encode("latin-1"))
    assert main(["revocations", "prod", "--live", str(latin), "-q"], stdout=io.StringIO(),
                stderr=io.StringIO()) == 2

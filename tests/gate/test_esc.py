"""Stack files that take their values from Pulumi ESC are not misread as incomplete."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import yaml

from gate.cli import main as gate_main
from gate.commands import main
from gate.esc import environments
from tests.conftest import NS, stack_document

ESC_KEYS = ("groups", "servicePrincipals", "models", "conditionalAccess")


def esc_stack(tmp_path: Path) -> tuple[Path, dict[str, Any]]:
    """prod with most structured keys moved into an ESC environment's pulumiConfig."""
    doc = stack_document("prod")
    moved = {f"{NS}:{k}": doc["config"].pop(f"{NS}:{k}") for k in ESC_KEYS}
    doc = {"environment": ["fabrikam/ml-platform-prod"], **doc}
    path = tmp_path / "Pulumi.prod.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path, moved


def resolved_config(doc_config: dict[str, Any], moved: dict[str, Any]) -> dict[str, Any]:
    """What `pulumi config --json --open --show-secrets=false` prints for the stack."""
    out: dict[str, Any] = {}
    for key, value in {**doc_config, **moved}.items():
        if isinstance(value, (dict, list)):
            out[key] = {"value": json.dumps(value), "objectValue": value, "secret": False}
        else:
            out[key] = {"value": str(value).lower() if isinstance(value, bool) else str(value),
                        "secret": False}
    out[f"{NS}:scimToken"] = {"secret": True}
    return out


def test_missing_keys_are_attributed_to_esc_not_reported_one_by_one(tmp_path: Path) -> None:
    path, _ = esc_stack(tmp_path)
    err = io.StringIO()
    code = gate_main(["prod", "--stack-file", str(path), "--quiet"], stdout=io.StringIO(),
                     stderr=err)
    text = err.getvalue()
    assert code == 2
    assert "values come from Pulumi ESC (fabrikam/ml-platform-prod)" in text
    assert "pulumi config --stack prod --json --open --show-secrets=false" in text
    assert "--resolved-config" in text
    assert "required key is missing" not in text
    assert "registered no resource" in text


def test_the_resolved_config_is_accepted(tmp_path: Path) -> None:
    path, moved = esc_stack(tmp_path)
    config = yaml.safe_load(path.read_text())["config"]
    resolved = tmp_path / "prod.config.json"
    resolved.write_text(json.dumps(resolved_config(config, moved)))
    out, err = io.StringIO(), io.StringIO()
    code = main(["plan", "prod", "--stack-file", str(path), "--resolved-config", str(resolved),
                 "--no-policies", "--format", "json", "--quiet"], stdout=out, stderr=err)
    assert code == 0, err.getvalue()
    plan = json.loads(out.getvalue())
    assert any(r["type"] == "azuread:index/group:Group" for r in plan["resources"])
    assert main(["validate", "prod", "--stack-file", str(path), "--resolved-config",
                 str(resolved)], stdout=io.StringIO(), stderr=io.StringIO()) == 0


def test_bad_resolved_configs_exit_2(tmp_path: Path) -> None:
    path, moved = esc_stack(tmp_path)
    config = yaml.safe_load(path.read_text())["config"]
    resolved = resolved_config(config, moved)
    resolved[f"{NS}:protect"] = {"value": "[unknown]", "secret": False}
    bad = tmp_path / "unknown.json"
    bad.write_text(json.dumps(resolved))
    err = io.StringIO()
    assert main(["validate", "prod", "--stack-file", str(path), "--resolved-config", str(bad)],
                stdout=err, stderr=io.StringIO()) == 2
    assert "was not resolved" in err.getvalue() and "--open" in err.getvalue()
    # A config value that ESC marks secret is refused unless it is a secret setting.
    resolved[f"{NS}:protect"] = {"secret": True}
    bad.write_text(json.dumps(resolved))
    out = io.StringIO()
    assert main(["validate", "prod", "--stack-file", str(path), "--resolved-config", str(bad)],
                stdout=out, stderr=io.StringIO()) == 2
    assert f"{NS}:protect" in out.getvalue()
    (tmp_path / "not.json").write_text("[1, 2]")
    assert main(["validate", "prod", "--stack-file", str(path), "--resolved-config",
                 str(tmp_path / "not.json")], stdout=io.StringIO(), stderr=io.StringIO()) == 2


def test_environment_block_forms() -> None:
    assert environments({"environment": ["a/b", "c"]}) == ["a/b", "c"]
    assert environments({"environment": {"imports": ["a/b"]}}) == ["a/b"]
    assert environments({"config": {}}) == []

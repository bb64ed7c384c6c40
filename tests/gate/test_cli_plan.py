"""The gate's plan: bad config exits 2 before any registration; the JSON plan fits its schema."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from gate.capture import RecordingMonitor, capture
from gate.cli import main
from gate.document import load_schema
from gate.mocks import TypeAwareMocks
from settings import SettingsError
from settings.load import raw_from_stack_document
from tests.conftest import NS, stack_document


def run_gate(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def bad_prod_file(tmp_path: Path) -> Path:
    doc = stack_document("prod")
    doc["config"][f"{NS}:protect"] = False
    doc["config"][f"{NS}:groups"]["auditors"]["displayName"] = "sg-dbx-prod-ml-engineers"
    path = tmp_path / "Pulumi.prod.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def test_bad_config_registers_zero_resources(tmp_path: Path) -> None:
    doc = yaml.safe_load(bad_prod_file(tmp_path).read_text())
    monitor = RecordingMonitor(TypeAwareMocks())
    with pytest.raises(SettingsError) as info:
        capture("prod", raw_from_stack_document(doc, "Pulumi.prod.yaml"), monitor=monitor)
    assert {p.key for p in info.value.problems} >= {f"{NS}:protect",
                                                    f"{NS}:groups.auditors.displayName"}
    assert monitor.records == []
    assert monitor.resources == {}


def test_bad_config_exits_2_with_the_full_report(tmp_path: Path) -> None:
    code, out, err = run_gate("prod", "--stack-file", str(bad_prod_file(tmp_path)), "-q")
    assert code == 2
    assert out == ""
    assert f"{NS}:protect: is false in a prod stack" in err
    assert f"{NS}:groups.auditors.displayName" in err
    assert "registered no resource" in err


def test_unknown_stack_is_a_usage_error() -> None:
    code, _, err = run_gate("staging", "-q")
    assert code == 2 and "known stacks: dev, prod" in err


def test_json_plan_validates_against_checked_in_schema() -> None:
    code, out, _ = run_gate("prod", "--no-policies", "--format", "json", "-q")
    assert code == 0
    doc: dict[str, Any] = json.loads(out)
    jsonschema.Draft202012Validator(load_schema()).validate(doc)
    assert doc["stack"] == "prod" and doc["environment"] == "prod"
    assert doc["summary"]["resources"] == len(doc["resources"]) > 0


def test_schema_rejects_a_malformed_document() -> None:
    code, out, _ = run_gate("dev", "--no-policies", "--format", "json", "-q")
    doc = json.loads(out)
    doc["resources"][0].pop("urn")
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(load_schema()).validate(doc)


def test_text_plan_shows_tree_and_counts() -> None:
    code, out, err = run_gate("dev", "--no-policies")
    assert code == 0
    assert out.startswith("PLAN ONLY  databricks-ml-entra/dev (dev): policy pack not run")
    assert "Plan (by parent):" in out and "Resources by type:" in out
    assert max(len(line) for line in out.splitlines()) <= 100
    assert "[gate" not in out and "[gate" in err  # progress only on stderr

"""Reports for every outcome and a command line that means what it says.

A config error (exit 2) or a crash (exit 3) still writes the report CI asked for, naming the
problem; options that would be ignored are refused; a bad DATABRICKS_AUTH_TYPE is exit 2; the
text report starts with the verdict and, with ``--base``, what changed since that revision.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from gate.cli import main
from gate.document import load_schema
from tests.conftest import NS, stack_document

ROOT = Path(__file__).resolve().parents[2]
SARIF_SCHEMA = json.loads((ROOT / "tests" / "schemas" / "sarif-schema-2.1.0.json").read_text())
CRASHING_PACK = ROOT / "tests" / "fixtures" / "packs" / "crashing"
TOKEN = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"  # GitHub token shape, not a real one
FORMATS = ("sarif", "junit", "markdown", "json")


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def check_report(fmt: str, text: str, code: int) -> dict[str, Any] | ET.Element | str:
    """The report is valid for its format and says the run failed with ``code``."""
    if fmt == "sarif":
        log = json.loads(text)
        jsonschema.Draft4Validator(SARIF_SCHEMA).validate(log)
        assert log["runs"][0]["invocations"][0] == {"executionSuccessful": False,
                                                     "exitCode": code}
        assert log["runs"][0]["results"] and all(r["level"] == "error"
                                                 for r in log["runs"][0]["results"])
        return log
    if fmt == "junit":
        root = ET.fromstring(text)
        assert root.get("errors") == "1" and root.find("./testsuite/testcase/error") is not None
        return root
    if fmt == "json":
        doc = json.loads(text)
        jsonschema.Draft202012Validator(load_schema()).validate(doc)
        assert doc["outcome"]["exitCode"] == code and doc["errors"]
        return doc
    assert text.startswith("### Policy gate:") and f"**Failed** (exit {code})" in text
    return text


def bad_config_file(tmp_path: Path) -> Path:
    doc = stack_document("prod")
    doc["config"][f"{NS}:protect"] = False
    doc["config"][f"{NS}:groups"]["auditors"]["description"] = f"token {TOKEN}"
    path = tmp_path / "Pulumi.prod.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


@pytest.mark.parametrize("fmt", FORMATS)
def test_config_error_still_writes_the_report_naming_each_key(fmt: str, tmp_path: Path) -> None:
    out_file = tmp_path / "out" / f"gate.{fmt}"
    code, out, err = run("prod", "--stack-file", str(bad_config_file(tmp_path)), "--format", fmt,
                         "--output", str(out_file), "-q")
    assert code == 2 and out == ""
    assert "registered no resource" in err
    text = out_file.read_text(encoding="utf-8")
    check_report(fmt, text, 2)
    assert f"{NS}:protect" in text and f"{NS}:groups.auditors.description" in text
    assert TOKEN not in text and TOKEN not in err  # masked as the settings mask it
    if fmt == "sarif":
        results = json.loads(text)["runs"][0]["results"]
        lines = bad_config_file(tmp_path).read_text().splitlines()
        protect = next(r for r in results if r["properties"]["configKey"] == f"{NS}:protect")
        line = protect["locations"][0]["physicalLocation"]["region"]["startLine"]
        assert lines[line - 1].strip().startswith(f"{NS}:protect:")


def test_config_error_report_goes_to_stdout_without_output(tmp_path: Path) -> None:
    code, out, _ = run("prod", "--stack-file", str(bad_config_file(tmp_path)), "--format",
                       "sarif", "-q")
    assert code == 2
    check_report("sarif", out, 2)


def test_usage_error_report_even_when_argparse_refuses(tmp_path: Path) -> None:
    out_file = tmp_path / "gate.sarif"
    code, _, err = run("dev", "--format", "sarif", "--output", str(out_file), "--bogus")
    assert code == 2 and "unrecognized arguments: --bogus" in err
    log = check_report("sarif", out_file.read_text(), 2)
    assert isinstance(log, dict)
    assert "--bogus" in log["runs"][0]["results"][0]["message"]["text"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_internal_error_writes_the_report_with_secrets_masked(
        fmt: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import gate.capture

    def explode(*_a: Any, **_k: Any) -> Any:
        raise RuntimeError(f"boom while reading {TOKEN}")

    monkeypatch.setattr(gate.capture, "capture", explode)
    out_file = tmp_path / f"gate.{fmt}"
    code, _, err = run("dev", "--format", fmt, "--output", str(out_file), "-q")
    assert code == 3 and "internal error" in err
    text = out_file.read_text()
    check_report(fmt, text, 3)
    assert "RuntimeError: boom while reading" in text.replace("&#58;", ":")
    assert TOKEN not in text


@pytest.mark.e2e
def test_a_crashing_policy_still_writes_sarif_naming_it(tmp_path: Path) -> None:
    out_file = tmp_path / "gate.sarif"
    code, _, err = run("dev", "--policy-pack", str(CRASHING_PACK), "--policy-pack-config",
                       os.devnull, "--format", "sarif", "--output", str(out_file), "-q")
    assert code == 3 and "divides-by-zero" in err
    log = check_report("sarif", out_file.read_text(), 3)
    assert isinstance(log, dict)
    (result,) = log["runs"][0]["results"]
    assert result["ruleId"] == "gate-policy-crashed"
    assert result["properties"]["configKey"] == "divides-by-zero"
    assert "ZeroDivisionError" in result["message"]["text"]


@pytest.mark.parametrize(("argv", "named"), [
    (["--csv"], "--csv applies only to --access-report"),
    (["--no-policies", "--format", "sarif"], "--format sarif reports policy verdicts"),
    (["--no-policies", "--format", "junit"], "--format junit reports policy verdicts"),
    (["--no-policies", "--format", "markdown"], "--format markdown reports policy verdicts"),
    (["--no-policies", "--policy-pack-config", "x.json"], "--no-policies does not use"),
    (["--access-report", "--format", "sarif"], "--access-report has no sarif format"),
    (["--access-report", "--format", "text"], "--access-report has no text format"),
    (["--access-report", "--csv", "--format", "json"], "both choose"),
    (["--access-report", "--no-policies"], "never runs the policy pack"),
    (["--access-report", "--policy-pack", "p"], "does not use --policy-pack"),
    (["--access-report", "--base", "HEAD"], "python -m gate.diff"),
    (["--base", "HEAD", "--format", "json"], "--base applies to the text report"),
    (["--base=--upload-pack=x"], "not a git revision"),
])
def test_ignored_option_combinations_are_refused(argv: list[str], named: str) -> None:
    code, out, err = run("dev", *argv)
    assert code == 2, err
    assert named in err
    assert "[gate" not in err  # refused before any work


def test_bad_databricks_auth_type_is_exit_2_with_a_report(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DATABRICKS_AUTH_TYPE", "pat")
    out_file = tmp_path / "gate.sarif"
    code, out, err = run("dev", "--format", "sarif", "--output", str(out_file), "-q")
    assert code == 2 and out == ""
    assert "env:DATABRICKS_AUTH_TYPE: is not an Azure (Entra ID) authentication type" in err
    assert "Traceback" not in err
    log = check_report("sarif", out_file.read_text(), 2)
    assert isinstance(log, dict)
    (result,) = log["runs"][0]["results"]
    assert result["properties"]["configKey"] == "env:DATABRICKS_AUTH_TYPE"
    assert result["locations"][0]["physicalLocation"]["region"]["startLine"] == 1


def test_a_secret_in_databricks_auth_type_is_masked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABRICKS_AUTH_TYPE", TOKEN)
    code, out, err = run("dev", "--no-policies", "--format", "json", "-q")
    assert code == 2 and TOKEN not in err and TOKEN not in out
    assert json.loads(out)["errors"][0]["key"] == "env:DATABRICKS_AUTH_TYPE"


def test_text_starts_with_the_verdict_and_marks_mock_ids() -> None:
    code, out, _ = run("dev", "-q")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("PASSED  databricks-ml-entra/dev (dev): no mandatory policy "
                               "violation")
    assert max(len(line) for line in lines) <= 100
    outputs = {line.strip().split(":", 1)[0]: line for line in
               lines[lines.index("Stack outputs:"):] if ":" in line}
    assert outputs["clientAppClientId"].endswith("(mock)")
    group_ids = lines[lines.index("  groupObjectIds:") + 1]
    assert group_ids.startswith("    ") and group_ids.endswith("(mock)")
    assert outputs["workspaceUrl"].endswith("(mock)")
    assert not outputs["tenantId"].endswith("(mock)")  # from the config, not invented
    assert "(mock)" in out and "invented by the offline mock" in out


def test_text_blocked_verdict_comes_before_the_plan() -> None:
    code, out, _ = run("dev", "--policy-pack-config",
                       str(ROOT / "policies" / "config" / "prod.json"), "-q")
    assert code == 1
    lines = out.splitlines()
    assert lines[0].startswith("BLOCKED  databricks-ml-entra/dev (dev):")
    assert lines.index("MANDATORY (blocks the deploy)") < lines.index("Plan (by parent):")
    assert max(len(line) for line in lines) <= 100


def _git_head() -> bool:
    proc = subprocess.run(["git", "cat-file", "-e", "HEAD:Pulumi.dev.yaml"], cwd=ROOT,
                          capture_output=True)
    return proc.returncode == 0


@pytest.mark.skipif(not _git_head(), reason="needs a git checkout with Pulumi.dev.yaml committed")
def test_base_shows_what_is_new_or_changed(tmp_path: Path) -> None:
    doc = stack_document("dev")
    groups = doc["config"][f"{NS}:groups"]
    groups["fraud-analysts"] = {"displayName": "sg-dbx-dev-fraud-analysts",
                                "description": "Review fraud model output.",
                                "owners": ["aaaaaaaa-0000-0000-0000-000000000002"],
                                "role": "auditor"}
    doc["config"][f"{NS}:models"]["fraud-score"]["permissions"]["fraud-analysts"] = ["EXECUTE"]
    head = tmp_path / "Pulumi.dev.yaml"
    head.write_text(yaml.safe_dump(doc, sort_keys=False))
    code, out, err = run("dev", "--stack-file", str(head), "--base", "HEAD", "--no-policies",
                         "-q")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("PLAN ONLY")
    since = next(i for i, line in enumerate(lines) if line.startswith("Since HEAD:"))
    assert since <= 3  # right after the verdict
    block = "\n".join(lines[since:lines.index("Plan (by parent):")])
    assert "  + groups-fraud-analysts  azuread:Group" in block  # the new Entra group
    assert "  ~ model-access-fraud-score-grants  databricks:Grants  changed: grants" in block
    assert "access granted: fraud-analysts on model:fraud-score: - -> EXECUTE" in block
    assert "\n  - " not in block  # nothing removed
    assert max(len(line) for line in lines) <= 100


@pytest.mark.skipif(not _git_head(), reason="needs a git checkout")
def test_base_at_an_unknown_revision_is_reported_not_fatal() -> None:
    code, out, _ = run("dev", "--base", "no-such-revision-xyz", "--no-policies", "-q")
    assert code == 0
    assert out.splitlines()[3].startswith("Since no-such-revision-xyz: not compared")


def test_schema_keeps_version_1_0_documents_valid() -> None:
    """1.1 only adds fields: a document as 1.0 wrote it still validates."""
    code, out, _ = run("dev", "--no-policies", "--format", "json", "-q")
    doc = json.loads(out)
    assert doc["outcome"] == {"exitCode": 0, "verdict": "plan-only"}
    old = {k: v for k, v in doc.items() if k != "outcome"} | {"schemaVersion": "1.0"}
    jsonschema.Draft202012Validator(load_schema()).validate(old)
    broken = {**doc, "errors": []}  # an error list is never empty
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(load_schema()).validate(broken)

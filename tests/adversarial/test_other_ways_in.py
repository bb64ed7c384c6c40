"""Issue 14.9 (this helper's part): every other way in is exit 2, never 3."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
import yaml

from gate.cli import main
from settings import SettingsError, parse
from settings.load import raw_from_stack_document
from tests.conftest import NS, stack_document


@pytest.mark.parametrize("content,needle", [
    ("{bad json", "not valid JSON"),
    (b"\xff\xfe{}", "not valid JSON"),
    ('["all"]', "JSON object"),
    ('{"all": "strict"}', "not a valid enforcement level"),
    ('{"all": {"enforcementLevel": 3}}', "must be a string"),
    ('{"databricks-acl-keeps-admins-and-deployr": "mandatory"}',
     "did you mean 'databricks-acl-keeps-admins-and-deployer'"),
])
def test_invalid_policy_config_is_a_usage_error(tmp_path: Path, content: str | bytes,
                                                needle: str) -> None:
    config = tmp_path / "policy.json"
    if isinstance(content, bytes):
        config.write_bytes(content)
    else:
        config.write_text(content, encoding="utf-8")
    err = io.StringIO()
    code = main(["dev", "-q", "--policy-pack-config", str(config)], stdout=io.StringIO(),
                stderr=err)
    assert code == 2, err.getvalue()
    assert needle in err.getvalue()
    assert "Traceback" not in err.getvalue()


def test_entra_only_group_in_an_acl_is_refused() -> None:
    doc = stack_document("prod")
    groups = doc["config"][f"{NS}:groups"]
    groups["readers"] = {"displayName": "sg-dbx-prod-readers", "description": "Entra only",
                         "owners": ["aaaaaaaa-0000-0000-0000-000000000002"]}
    doc["config"][f"{NS}:models"]["credit-default"]["permissions"]["readers"] = ["EXECUTE"]
    with pytest.raises(SettingsError) as info:
        parse(raw_from_stack_document(doc, "x"), stack="prod")
    assert f"{NS}:models.credit-default.permissions.readers" in [
        p.key for p in info.value.problems]
    assert "Entra-only" in info.value.render()


@pytest.mark.parametrize("spec", ["prod@--output=/tmp/gate-diff-pwned", "prod@-p",
                                  "prod@HEAD:README.md", "prod@a..b", "prod@ma in",
                                  "../../etc/passwd", "prod-x@HEAD"])
def test_diff_refuses_option_like_revisions_and_unknown_stacks(
        spec: str, capsys: pytest.CaptureFixture[str]) -> None:
    from gate.diff import main as diff_main

    assert diff_main([spec, "prod"]) == 2
    err = capsys.readouterr().err
    assert "gate.diff:" in err and "Traceback" not in err
    assert not Path("/tmp/gate-diff-pwned").exists()


def test_config_value_too_large_for_the_pack_is_explained(tmp_path: Path) -> None:
    doc = stack_document("dev")
    doc["config"][f"{NS}:groups"]["auditors"]["description"] = "x" * 140_000
    path = tmp_path / "Pulumi.dev.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    err = io.StringIO()
    code = main(["dev", "--stack-file", str(path), "-q"], stdout=io.StringIO(), stderr=err)
    assert code == 2, err.getvalue()[-2000:]
    assert "128 KiB" in err.getvalue() and "Traceback" not in err.getvalue()


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_scim_mode_with_its_secure_token_passes_its_own_pack(tmp_path: Path, stack: str) -> None:
    doc = stack_document(stack)
    doc["config"][f"{NS}:scimToken"] = {"secure": "v1:AAAABBBBCCCC"}
    doc["config"][f"{NS}:provisioning"] = {
        "mode": "scim", "scimServicePrincipalObjectId": "cccccccc-0000-0000-0000-000000000001"}
    path = tmp_path / f"Pulumi.{stack}.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    main([stack, "--stack-file", str(path), "-q", "--format", "json"], stdout=out, stderr=err)
    report = json.loads(out.getvalue())
    flagged = [v for v in report["policies"]["violations"]
               if v["policy"] == "no-plaintext-secrets-in-inputs"]
    assert not flagged, flagged

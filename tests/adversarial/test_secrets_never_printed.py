"""Issue 14.1: whatever made settings refuse a value as secret never appears in any output.

Every way a value is judged secret x every output the gate (and gate.diff) can produce: the
stdout report in each format, the --output file, stderr (the settings error and progress lines)
and the exception text a program run under pulumi would print.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from gate.cli import main
from settings import SettingsError, parse
from settings.load import raw_from_stack_document
from tests.conftest import NS, stack_document

PAT = "dapi" + "0123456789abcdef" * 2
GH = "ghp_" + "A1b2C3d4E5f6G7h8I9j0" * 2
CLIENT_SECRET = "abc8Q~" + "x" * 34
PLAIN_PASSWORD = "Correct-Horse-Battery-42"
SCIM_TOKEN = "scim-plaintext-token-4711"
CIPHERTEXT = "v1:CIPHERTEXTshouldNotShow=="

Config = dict[str, Any]


def _pattern_in_description(c: Config) -> str:
    c[f"{NS}:groups"]["auditors"]["description"] = f"ask for token {PAT}"
    return PAT


def _pattern_in_tag_value(c: Config) -> str:
    c[f"{NS}:tags"]["extra"]["note"] = GH
    return GH


def _pattern_as_map_key(c: Config) -> str:
    c[f"{NS}:tags"]["extra"][CLIENT_SECRET] = "x"
    return CLIENT_SECRET


def _credential_key_name(c: Config) -> str:
    c[f"{NS}:tags"]["extra"]["adminPassword"] = PLAIN_PASSWORD
    return PLAIN_PASSWORD


def _credential_key_name_and_type_error(c: Config) -> str:
    # The same secret also sits in a section with a type error, whose value a message shows.
    c[f"{NS}:audit"] = {"logAnalyticsName": 5, "password": PLAIN_PASSWORD}
    return PLAIN_PASSWORD


def _scim_token_plaintext(c: Config) -> str:
    c[f"{NS}:scimToken"] = SCIM_TOKEN
    return SCIM_TOKEN


def _foreign_credential_key(c: Config) -> str:
    c["azuread:clientSecret"] = PLAIN_PASSWORD
    return PLAIN_PASSWORD


def _secure_where_not_allowed(c: Config) -> str:
    c[f"{NS}:tags"]["owner"] = {"secure": CIPHERTEXT}
    return CIPHERTEXT


def _secure_beside_other_keys(c: Config) -> str:
    c[f"{NS}:tags"]["owner"] = {"secure": PLAIN_PASSWORD, "x": 1}
    return PLAIN_PASSWORD


WAYS: dict[str, Callable[[Config], str]] = {
    f.__name__.strip("_"): f for f in (
        _pattern_in_description, _pattern_in_tag_value, _pattern_as_map_key,
        _credential_key_name, _credential_key_name_and_type_error, _scim_token_plaintext,
        _foreign_credential_key, _secure_where_not_allowed, _secure_beside_other_keys)
}
OUTPUTS = [["--format", f] for f in ("text", "json", "junit", "sarif", "markdown")] + [
    ["--access-report"], ["--access-report", "--csv"], ["--access-report", "--format", "json"],
    ["--no-policies", "--format", "json"]]


def _write(tmp_path: Path, stack: str, way: Callable[[Config], str]) -> tuple[Path, str]:
    doc = stack_document(stack)
    secret = way(doc["config"])
    path = tmp_path / f"Pulumi.{stack}.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return path, secret


@pytest.mark.parametrize("way", sorted(WAYS))
def test_settings_error_never_contains_the_secret(way: str) -> None:
    doc = stack_document("prod")
    secret = WAYS[way](doc["config"])
    with pytest.raises(SettingsError) as info:
        parse(raw_from_stack_document(doc, "Pulumi.prod.yaml"), stack="prod")
    for text in (info.value.render(), str(info.value), repr(info.value.args)):
        assert secret not in text
    assert any(p.secret or "secure" in p.message for p in info.value.problems), \
        info.value.render()


@pytest.mark.parametrize("output", OUTPUTS, ids=lambda o: "-".join(o).strip("-"))
@pytest.mark.parametrize("way", sorted(WAYS))
def test_no_output_format_prints_a_refused_secret(tmp_path: Path, way: str,
                                                  output: list[str]) -> None:
    path, secret = _write(tmp_path, "prod", WAYS[way])
    report = tmp_path / "out" / "report"
    out, err = io.StringIO(), io.StringIO()
    code = main(["prod", "--stack-file", str(path), "--output", str(report), *output],
                stdout=out, stderr=err)
    assert code == 2, err.getvalue()
    written = report.read_text(encoding="utf-8") if report.exists() else ""
    for text in (out.getvalue(), err.getvalue(), written):
        assert secret not in text
    assert "configuration problem" in err.getvalue()


@pytest.mark.parametrize("way", ["pattern_in_description", "credential_key_name",
                                 "scim_token_plaintext"])
def test_a_yaml_syntax_error_never_quotes_the_line(tmp_path: Path, way: str) -> None:
    path, secret = _write(tmp_path, "prod", WAYS[way])
    text = path.read_text(encoding="utf-8").replace(secret, secret + "\n  : [", 1)
    path.write_text(text, encoding="utf-8")
    err = io.StringIO()
    assert main(["prod", "--stack-file", str(path), "-q"], stdout=io.StringIO(),
                stderr=err) == 2
    assert secret not in err.getvalue()
    assert "line" in err.getvalue()

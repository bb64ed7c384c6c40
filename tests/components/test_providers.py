"""Provider inputs do not depend on who deploys; static Databricks credentials are refused."""

from __future__ import annotations

import subprocess
import sys

import pytest

from gate.capture import Plan
from tests.conftest import ROOT, plan_for


def provider_inputs(plan: Plan) -> dict[str, dict]:
    return {r.name: r.inputs for r in plan.resources if r.type.startswith("pulumi:providers:")}


def test_provider_inputs_are_identical_whoever_deploys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABRICKS_AUTH_TYPE", "azure-cli")  # a person
    person = provider_inputs(plan_for("prod"))
    monkeypatch.setenv("DATABRICKS_AUTH_TYPE", "github-oidc-azure")  # CI
    monkeypatch.setenv("ARM_USE_OIDC", "true")
    ci = provider_inputs(plan_for("prod"))
    assert set(person) >= {"databricks-account", "databricks-workspace"}
    assert person == ci
    for name in ("databricks-account", "databricks-workspace"):
        assert "authType" not in person[name]
        assert not {"token", "password", "clientSecret", "azureClientSecret"} & set(person[name])


@pytest.mark.parametrize(("variable", "value"), [
    ("DATABRICKS_TOKEN", "dapi0123456789abcdef"),
    ("DATABRICKS_AUTH_TYPE", "pat"),
    ("DATABRICKS_CONFIG_PROFILE", "DEFAULT"),
])
def test_static_databricks_credentials_in_the_environment_exit_2(variable: str,
                                                                 value: str) -> None:
    env = {"PATH": "/usr/bin:/bin", variable: value}
    result = subprocess.run([sys.executable, "-m", "gate", "dev", "-q", "--no-policies"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
                            check=False)
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    assert f"env:{variable}:" in result.stderr
    assert "registered no resource" in result.stderr
    assert "dapi0123456789abcdef" not in result.stderr  # the token itself is never echoed

"""Bad input for the metastore / default catalog keys and the Key Vault destinations.

Each case breaks one thing in a shipped stack; the settings must name the key, say what is
wrong and how to fix it, and the program must register nothing (gate exit 2).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from gate.capture import RecordingMonitor, capture
from gate.mocks import TypeAwareMocks
from settings import SettingsError, parse
from settings.environment import environment_problems
from settings.load import raw_from_stack_document
from tests.conftest import NS, ROOT, stack_document

Config = dict[str, Any]
SP = f"{NS}:servicePrincipals.batch-scoring.keyVault"
OTHER_SUB_VAULT = ("/subscriptions/99999999-9999-9999-9999-999999999999/resourceGroups/rg-kv/"
                   "providers/Microsoft.KeyVault/vaults/kv-elsewhere")


def problems(stack: str, mutate: Callable[[Config], None]) -> dict[str, str]:
    doc = stack_document(stack)
    mutate(doc["config"])
    with pytest.raises(SettingsError) as info:
        parse(raw_from_stack_document(doc, "x"), stack=stack)
    return {p.key: p.render() for p in info.value.problems}


def no_metastore(cfg: Config) -> None:
    del cfg[f"{NS}:databricks"]["metastoreId"]
    del cfg[f"{NS}:databricks"]["defaultCatalog"]


def vault(**target: Any) -> Callable[[Config], None]:
    def mutate(cfg: Config) -> None:
        sp = cfg[f"{NS}:servicePrincipals"]["batch-scoring"]
        if target:
            sp["keyVault"] = target
        else:
            del sp["keyVault"]
    return mutate


CASES: list[tuple[str, str, Callable[[Config], None], str, str]] = [
    # (id, stack, mutation, key, words the message must contain)
    ("uc-models-without-metastore", "prod", no_metastore, f"{NS}:databricks.metastoreId",
     "credit-default"),
    ("default-catalog-without-metastore", "dev",
     lambda c: c[f"{NS}:databricks"].pop("metastoreId"), f"{NS}:databricks.defaultCatalog",
     "needs a metastore"),
    ("default-catalog-not-an-identifier", "dev",
     lambda c: c[f"{NS}:databricks"].update(defaultCatalog="ML-Dev"),
     f"{NS}:databricks.defaultCatalog", "not a valid Unity Catalog identifier"),
    ("secret-without-vault", "dev", vault(), SP, "nobody can retrieve them"),
    ("vault-name-and-id", "dev", vault(secretName="s", vaultName="kv-a1",
                                       vaultId=OTHER_SUB_VAULT), SP, "exactly one"),
    ("neither-name-nor-id", "dev", vault(secretName="s"), SP, "exactly one"),
    ("bad-vault-name", "prod", vault(secretName="s", vaultName="kv--bad_name"),
     f"{SP}.vaultName", "not a valid Key Vault name"),
    ("vault-name-too-long", "prod", vault(secretName="s", vaultName="kv" + "x" * 30),
     f"{SP}.vaultName", "3-24"),
    ("vault-id-not-an-id", "dev", vault(secretName="s", vaultId="kv-central"),
     f"{SP}.vaultId", "not a Key Vault resource id"),
    ("vault-in-another-subscription", "dev", vault(secretName="s", vaultId=OTHER_SUB_VAULT),
     f"{SP}.vaultId", "another subscription"),
    ("resource-group-with-vault-id", "dev",
     vault(secretName="s", resourceGroupName="rg-x",
           vaultId=OTHER_SUB_VAULT.replace("9999", "2222")), f"{SP}.resourceGroupName",
     "only applies to a vault this stack declares"),
    ("vault-without-secret-name", "dev", vault(vaultName="kv-ok-name"), f"{SP}.secretName",
     "required key is missing"),
    # Provider inputs no longer take an auth type: the environment picks it (see below).
    ("old-auth-type-key", "dev", lambda c: c[f"{NS}:databricks"].update(authType="azure-cli"),
     f"{NS}:databricks.authType", "is not a valid key"),
]


@pytest.mark.parametrize(("stack", "mutate", "key", "words"),
                         [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_is_refused_with_its_key(stack: str, mutate: Callable[[Config], None],
                                           key: str, words: str) -> None:
    found = problems(stack, mutate)
    assert key in found, f"{key} not reported; got {sorted(found)}"
    assert words in found[key]
    assert "fix:" in found[key]


def test_refused_config_registers_nothing() -> None:
    doc = stack_document("prod")
    no_metastore(doc["config"])
    vault()(doc["config"])
    monitor = RecordingMonitor(TypeAwareMocks())
    with pytest.raises(SettingsError) as info:
        capture("prod", raw_from_stack_document(doc, "Pulumi.prod.yaml"), monitor=monitor)
    assert {f"{NS}:databricks.metastoreId", SP} <= {p.key for p in info.value.problems}
    assert monitor.records == [] and monitor.lookups == []


def test_the_gate_exits_2_on_uc_models_without_a_metastore(tmp_path: Path) -> None:
    doc = stack_document("prod")
    no_metastore(doc["config"])
    path = tmp_path / "Pulumi.prod.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    result = subprocess.run([sys.executable, "-m", "gate", "prod", "--stack-file", str(path),
                             "-q"], cwd=ROOT, capture_output=True, text=True, timeout=300,
                            check=False)
    assert result.returncode == 2
    assert f"{NS}:databricks.metastoreId:" in result.stderr
    assert "registered no resource" in result.stderr


@pytest.mark.parametrize(("environ", "keys"), [
    ({"DATABRICKS_AUTH_TYPE": "azure-cli"}, set()),
    ({"DATABRICKS_AUTH_TYPE": "github-oidc-azure", "ARM_USE_OIDC": "true"}, set()),
    ({}, set()),
    ({"DATABRICKS_AUTH_TYPE": "pat"}, {"env:DATABRICKS_AUTH_TYPE"}),
    ({"DATABRICKS_TOKEN": "dapi-x"}, {"env:DATABRICKS_TOKEN"}),
    ({"DATABRICKS_AUTH_TYPE": "basic", "DATABRICKS_PASSWORD": "p"},
     {"env:DATABRICKS_AUTH_TYPE", "env:DATABRICKS_PASSWORD"}),
])
def test_the_environment_may_not_carry_static_databricks_credentials(
        environ: dict[str, str], keys: set[str]) -> None:
    found = environment_problems(environ)
    assert {p.key for p in found} == keys
    assert all("dapi-x" not in p.render() for p in found)

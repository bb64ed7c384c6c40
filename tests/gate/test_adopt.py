"""``dbx-gate import``: a `pulumi import --file` document that adopts objects at the
program's URNs."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pytest
import yaml

from gate.adopt import engine_urn
from gate.commands import main
from tests.conftest import ROOT

SUB = "66666666-6666-6666-6666-666666666666"  # Pulumi.prod.yaml's subscriptionId
# Fields `pulumi import --file` reads (pkg/cmd/pulumi import file: nameTable, resources[]).
IMPORT_SPEC_FIELDS = {"type", "name", "id", "parent", "provider", "version", "component",
                      "remote", "logicalName", "properties", "pluginDownloadUrl"}


def run_import(tmp_path: Path, ids: dict[str, str]) -> tuple[int, dict | None, str]:
    ids_file = tmp_path / "adopt.yaml"
    ids_file.write_text(yaml.safe_dump(ids))
    out_file = tmp_path / "import.json"
    err = io.StringIO()
    code = main(["import", "prod", "--ids", str(ids_file), "-o", str(out_file)],
                stdout=io.StringIO(), stderr=err)
    doc = json.loads(out_file.read_text()) if out_file.exists() else None
    return code, doc, err.getvalue()


@pytest.fixture(scope="module")
def adopted(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, str]:
    code, doc, err = run_import(tmp_path_factory.mktemp("adopt"), {
        "workspace-rg": f"/subscriptions/{SUB}/resourceGroups/rg-fabrikam-ml-prod",
        "workspace-databricks": f"/subscriptions/{SUB}/resourceGroups/rg-fabrikam-ml-prod/"
                                "providers/Microsoft.Databricks/workspaces/dbw-fabrikam-ml-prod",
        "groups-ml-engineers": "0a0a0a0a-1111-2222-3333-444444444444",
        "model-access-credit-default-grants": "model/ml_prod.credit_risk.credit_default",
    })
    assert code == 0, err
    assert doc is not None
    return doc, err


def test_document_has_only_import_file_fields(adopted: tuple[dict, str]) -> None:
    doc, _ = adopted
    assert set(doc) <= {"nameTable", "resources"}
    for entry in doc["resources"]:
        assert set(entry) <= IMPORT_SPEC_FIELDS
        assert entry.get("component") or entry.get("id"), entry


def test_parents_are_components_created_in_the_same_file_before_children(
        adopted: tuple[dict, str]) -> None:
    doc, _ = adopted
    seen: dict[str, dict] = {}
    for entry in doc["resources"]:
        if "parent" in entry:
            assert entry["parent"] in seen, f"{entry['name']}: parent declared later or missing"
            assert seen[entry["parent"]].get("component") is True
        seen[entry["name"]] = entry
    by_name = {e["name"]: e for e in doc["resources"]}
    assert by_name["workspace-rg"]["parent"] == "workspace"
    assert by_name["workspace"]["type"] == "databricks-ml-entra:workspace:DatabricksWorkspace"
    # a group's resources sit under the component of its config entry, named by its key
    assert by_name["groups-ml-engineers"]["parent"] == "ml-engineers"
    assert by_name["ml-engineers"]["type"] == "databricks-ml-entra:config:Group"


def test_providers_are_named_by_engine_urns_and_versions_are_pinned(
        adopted: tuple[dict, str]) -> None:
    doc, err = adopted
    table = doc["nameTable"]
    for entry in doc["resources"]:
        if "id" in entry:
            assert entry["provider"] in table
            assert entry["version"] in (ROOT / "requirements.txt").read_text()
    for urn in table.values():
        # The engine does not qualify children of the stack with the stack's type.
        assert "pulumi:pulumi:Stack$" not in urn
        assert urn.startswith("urn:pulumi:prod::databricks-ml-entra::pulumi:providers:")
    assert "pulumi import --stack prod --file" in err and "--target" in err
    assert engine_urn("urn:pulumi:s::p::pulumi:pulumi:Stack$a:b:C::n") == (
        "urn:pulumi:s::p::a:b:C::n")


def test_ids_are_normalised_to_the_providers_import_ids(adopted: tuple[dict, str]) -> None:
    by_name = {e["name"]: e for e in adopted[0]["resources"]}
    assert by_name["groups-ml-engineers"]["id"] == "/groups/0a0a0a0a-1111-2222-3333-444444444444"
    assert by_name["model-access-credit-default-grants"]["id"] == (
        "model/ml_prod.credit_risk.credit_default")


@pytest.mark.parametrize("ids, key, words", [
    ({"workspace-rg": "/subscriptions/77777777-7777-7777-7777-777777777777/resourceGroups/rg"},
     "workspace-rg", "not the stack's subscriptionId"),
    ({"workspace-databricks": f"/subscriptions/{SUB}/resourceGroups/rg"},
     "workspace-databricks", "is not the id of a Workspace"),
    ({"workspace-rg": f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Network/x/y"},
     "workspace-rg", "not a resource group id"),
    ({"groups-ml-engineer": "0a0a0a0a-1111-2222-3333-444444444444"},
     "groups-ml-engineer", "did you mean `groups-ml-engineers`"),
    ({"groups-ml-engineers": "ml-engineers"}, "groups-ml-engineers", "not an Entra object id"),
    ({"model-access-credit-default-grants": "ml_prod.credit_risk.credit_default"},
     "model-access-credit-default-grants", "not a Grants import id"),
    ({"identity-sp-batch-scoring-password-a": "x"},
     "identity-sp-batch-scoring-password-a", "is not adopted"),
    ({"workspace-rg": ""}, "workspace-rg", "has no id"),
])
def test_bad_ids_exit_2_naming_the_entry(tmp_path: Path, ids: dict[str, str], key: str,
                                         words: str) -> None:
    code, doc, err = run_import(tmp_path, ids)
    assert code == 2 and doc is None
    line = next(ln for ln in err.splitlines() if f": {key}:" in ln)
    assert words in err[err.index(line):]


def test_ids_file_must_be_a_map(tmp_path: Path) -> None:
    bad = tmp_path / "adopt.yaml"
    bad.write_text("- workspace-rg\n")
    code = main(["import", "prod", "--ids", str(bad)], stdout=io.StringIO(),
                stderr=io.StringIO())
    assert code == 2


def test_ids_file_is_read_like_a_stack_file(tmp_path: Path) -> None:
    """Duplicate keys (the second id would win silently) and special files: exit 2, no hang."""
    dup = tmp_path / "dup.yaml"
    dup.write_text("workspace-rg: /subscriptions/a\nworkspace-rg: /subscriptions/b\n")
    err = io.StringIO()
    assert main(["import", "prod", "--ids", str(dup)], stdout=io.StringIO(), stderr=err) == 2
    assert "dup.yaml" in err.getvalue() and "duplicate" in err.getvalue().lower()
    fifo = tmp_path / "ids.fifo"
    os.mkfifo(fifo)
    err = io.StringIO()
    assert main(["import", "prod", "--ids", str(fifo)], stdout=io.StringIO(), stderr=err) == 2
    assert "ids.fifo" in err.getvalue()


def test_components_that_share_a_logical_name_get_distinct_file_names(tmp_path: Path) -> None:
    """A group and a model both keyed ``auditors``: two components named ``auditors``
    (``config:Group`` and ``config:Model``). A parent named twice in an import file is
    refused by `pulumi import` ("ambiguous parent"), so each goes by a qualified file name and
    keeps its logical name (its URN) in ``logicalName``."""
    from gate.adopt import _component_file_names
    from gate.model import CapturedResource

    def res(urn: str, type_: str, name: str, parent: str = "", custom: bool = True
            ) -> CapturedResource:
        return CapturedResource(urn=urn, type=type_, name=name, custom=custom, inputs={},
                                parent=parent)

    stack = "urn:pulumi:s::p::pulumi:pulumi:Stack::p-s"
    group = res("urn:g", "databricks-ml-entra:config:Group", "auditors", stack, False)
    model = res("urn:m", "databricks-ml-entra:config:Model", "auditors", stack, False)
    ws = res("urn:w", "databricks-ml-entra:workspace:DatabricksWorkspace", "workspace", stack,
             False)
    chosen = [(res("urn:1", "azuread:index/group:Group", "groups-auditors", "urn:g"), "x"),
              (res("urn:2", "databricks:index/grants:Grants", "model-access-auditors-grants",
                   "urn:m"), "y"),
              (res("urn:3", "azure-native:resources:ResourceGroup", "workspace-rg", "urn:w"),
               "z")]
    by_urn = {r.urn: r for r in (group, model, ws)}
    names = _component_file_names(chosen, by_urn)
    assert names == {"urn:g": "group-auditors", "urn:m": "model-auditors",
                     "urn:w": "workspace"}
    from gate.adopt import _document
    doc = _document(chosen, by_urn)
    components = {e["name"]: e for e in doc["resources"] if e.get("component")}
    assert components["group-auditors"]["logicalName"] == "auditors"
    assert components["model-auditors"]["logicalName"] == "auditors"
    assert "logicalName" not in components["workspace"]
    parents = {e["name"]: e.get("parent") for e in doc["resources"] if not e.get("component")}
    assert parents == {"groups-auditors": "group-auditors",
                       "model-access-auditors-grants": "model-auditors",
                       "workspace-rg": "workspace"}

"""Generate a synthetic organisation as a stack file, from the shipped prod stack.

``python bench/generate.py --groups 2000 --models 1000 --service-principals 200 -o out.yaml``

Groups get roles in rotation (engineer, scientist, auditor); models alternate between the
workspace registry and Unity Catalog (over 10 catalogs x 10 schemas); every model is granted to
a few groups and service principals; service principals alternate between federated, secret
and managed-identity kinds. The result is a valid prod stack: the settings accept it.
"""

from __future__ import annotations

import argparse
import copy
import uuid
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
NS = "databricks-ml-entra"
ROLES = ("engineer", "scientist", "auditor")
OWNER = "aaaaaaaa-0000-0000-0000-000000000001"


def _uuid(*parts: object) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "/".join(map(str, parts))))


def synthetic_stack(groups: int, models: int, service_principals: int) -> dict[str, Any]:
    doc = yaml.safe_load((ROOT / "Pulumi.prod.yaml").read_text())
    cfg = doc["config"]
    base_groups = cfg[f"{NS}:groups"]
    base_sps = cfg[f"{NS}:servicePrincipals"]
    keep_groups = {"platform-admins": base_groups["platform-admins"]}
    keep_sps = {"ci-deployer": base_sps["ci-deployer"], "model-release": base_sps["model-release"]}
    # The preview identity is left out, so the sizes stay comparable with bench/RESULTS.md.
    cfg.pop(f"{NS}:previewer", None)

    new_groups = dict(keep_groups)
    for i in range(groups):
        new_groups[f"team-{i:04d}"] = {
            "displayName": f"sg-dbx-prod-team-{i:04d}", "description": f"Synthetic team {i}",
            "owners": [OWNER], "role": ROLES[i % len(ROLES)]}
    new_sps = dict(keep_sps)
    for i in range(service_principals):
        kind = ("federated", "secret", "managed-identity")[i % 3]
        sp: dict[str, Any] = {"displayName": f"sp-dbx-prod-synthetic-{i:04d}", "kind": kind,
                              "purpose": f"synthetic automation {i}", "role": "automation",
                              "owners": [OWNER]}
        if kind == "federated":
            sp["federation"] = {"repository": f"fabrikam/pipeline-{i:04d}", "environment": "prod"}
        elif kind == "secret":
            sp["rotation"] = {"periodDays": 90, "overlapDays": 30}
            sp["keyVault"] = {"vaultName": "kv-fabrikam-ml-prod",  # one shared, declared vault
                              "secretName": f"synthetic-{i:04d}-client-secret"}
        new_sps[f"automation-{i:04d}"] = sp
    team_keys = [k for k in new_groups if k.startswith("team-")]
    sp_keys = [k for k in new_sps if k.startswith("automation-")]
    new_models: dict[str, Any] = {}
    for i in range(models):
        readers = [team_keys[(i * 3 + j) % len(team_keys)] for j in range(3)] if team_keys else []
        automations = [sp_keys[i % len(sp_keys)]] if sp_keys else []
        if i % 2 == 0:
            perms: dict[str, Any] = {k: "CAN_READ" for k in readers}
            perms.update({k: "CAN_READ" for k in automations})
            perms["model-release"] = "CAN_MANAGE_PRODUCTION_VERSIONS"
            new_models[f"model-{i:04d}"] = {"registry": "workspace", "name": f"model-{i:04d}",
                                            "permissions": perms}
        else:
            perms = {k: ["EXECUTE"] for k in readers + automations}
            perms["model-release"] = ["EXECUTE", "MANAGE"]
            new_models[f"model-{i:04d}"] = {
                "registry": "unity-catalog", "name": f"model_{i:04d}",
                "catalog": f"ml_prod_{i % 10}", "schema": f"domain_{(i // 10) % 10}",
                "permissions": perms}
    cfg[f"{NS}:groups"] = new_groups
    cfg[f"{NS}:servicePrincipals"] = new_sps
    cfg[f"{NS}:models"] = new_models
    # The shipped access packages name groups the synthetic org replaces: the synthetic org does
    # not opt in to Entra ID Governance, so the benchmark numbers stay comparable (governance
    # grows one package per requestable group: tests/components/test_governance.py).
    cfg.pop(f"{NS}:governance", None)
    return copy.deepcopy(doc)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--groups", type=int, default=2000)
    p.add_argument("--models", type=int, default=1000)
    p.add_argument("--service-principals", type=int, default=200)
    p.add_argument("-o", "--output", required=True)
    a = p.parse_args()
    doc = synthetic_stack(a.groups, a.models, a.service_principals)
    Path(a.output).write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")


if __name__ == "__main__":
    main()

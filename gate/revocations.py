"""What the first apply of an authoritative ACL or grant set would revoke on live objects.

``Permissions`` (workspace registry) and ``Grants`` (Unity Catalog) are authoritative: the
first ``pulumi up`` over an existing model replaces whatever the live ACL holds. Before that,
take a snapshot of the live permissions with the Databricks CLI, one entry per model key::

    {
      "models": {
        "churn-legacy":
            <databricks permissions get registered-models <registered model id> -o json>,
        "credit-default":
            <databricks grants get function ml_prod.credit_risk.credit_default -o json>
      },
      "principals": {"<application id as Databricks shows it>": "batch-scoring"}
    }

(Unity Catalog models are ``function`` securables in the grants API: the provider maps
``Grants.model`` to securable type ``function``.) The report is the access diff from the live
rights to the stack's declared rights, in the same form as ``dbx-gate diff``: every live right
the stack does not declare is a revocation and is highlighted.

Shapes read (Databricks REST API): permissions ``{"object_id", "object_type",
"access_control_list": [{"user_name" | "group_name" | "service_principal_name",
"display_name", "all_permissions": [{"permission_level", "inherited"}]}]}``, of which only
direct (not inherited) levels count, and the workspace ``admins`` group is left out (its
CAN_MANAGE cannot be changed); grants ``{"privilege_assignments": [{"principal",
"privileges": [...]}]}``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from gate.access import BUILTIN_ADMINS, AccessReport
from gate.diff import Change, diff_rights, rights_of
from settings import Settings
from settings.errors import Problem, SettingsError
from settings.yaml12 import YamlRefused, read_text

PERMISSIONS_COMMAND = "databricks permissions get registered-models <registered model id> -o json"
GRANTS_COMMAND = "databricks grants get function <catalog>.<schema>.<model> -o json"


def read_snapshot(path: Path) -> dict[str, Any]:
    source = str(path)
    try:
        doc = json.loads(read_text(path))  # regular UTF-8 file only (FIFOs, devices refused)
    except FileNotFoundError:
        raise SettingsError([Problem(source, "snapshot file not found",
                                     "write it as README.md, 'Adopting existing objects' shows")],
                            source) from None
    except json.JSONDecodeError as exc:
        raise SettingsError([Problem(source, f"is not JSON ({exc})", "")], source) from None
    except (YamlRefused, OSError) as exc:
        raise SettingsError([Problem(source, f"cannot be read: {exc}",
                                     "save the command's JSON output as a UTF-8 file")],
                            source) from None
    if not isinstance(doc, dict) or not isinstance(doc.get("models"), dict) or not doc["models"]:
        raise SettingsError([Problem(f"{source}: models", "is missing or empty",
                                     "map each model key to the CLI's JSON for that model")],
                            source)
    if not isinstance(doc.get("principals", {}), dict):
        raise SettingsError([Problem(f"{source}: principals", "is not a map",
                                     "map live principal names to config keys")], source)
    return doc


def live_rights(snapshot: dict[str, Any], settings: Settings, report: AccessReport,
                source: str = "snapshot") -> dict[tuple[str, str], tuple[str, ...]]:
    """(principal, "model:<key>") -> sorted live rights, principals named by config key."""
    names = _principal_names(settings, report)
    names.update({str(k): str(v) for k, v in snapshot.get("principals", {}).items()})
    problems: list[Problem] = []
    out: dict[tuple[str, str], set[str]] = {}
    for model_key, body in snapshot["models"].items():
        where = f"{source}: models.{model_key}"
        model = settings.models.get(model_key)
        if model is None:
            problems.append(Problem(where, "is not a model of this stack",
                                    f"use one of: {', '.join(sorted(settings.models))}"))
            continue
        if not isinstance(body, dict):
            problems.append(Problem(where, "is not the CLI's JSON object", ""))
            continue
        if model.registry == "workspace":
            entries = _permissions(body, where, problems)
        else:
            entries = _grants(body, where, problems)
        for live_name, rights in entries:
            key = names.get(live_name.casefold(), live_name)
            out.setdefault((key, f"model:{model_key}"), set()).update(rights)
    if problems:
        raise SettingsError(problems, source)
    return {k: tuple(sorted(v)) for k, v in out.items() if v}


def revocations(snapshot: dict[str, Any], settings: Settings, report: AccessReport,
                source: str = "snapshot") -> list[Change]:
    live = live_rights(snapshot, settings, report, source)
    subjects = {f"model:{k}" for k in snapshot["models"]}
    declared = {k: v for k, v in rights_of(report).items() if k[1] in subjects}
    return diff_rights(live, declared)


def _permissions(body: dict[str, Any], where: str,
                 problems: list[Problem]) -> list[tuple[str, list[str]]]:
    acl = body.get("access_control_list")
    if not isinstance(acl, list):
        problems.append(Problem(f"{where}.access_control_list", "is missing",
                                f"a workspace-registry model takes the output of "
                                f"`{PERMISSIONS_COMMAND}`"))
        return []
    out = []
    for i, entry in enumerate(acl):
        name = entry.get("group_name") or entry.get("service_principal_name") or \
            entry.get("user_name") if isinstance(entry, dict) else None
        if not name:
            problems.append(Problem(f"{where}.access_control_list.{i}",
                                    "names no user, group or service principal", ""))
            continue
        if name == BUILTIN_ADMINS:
            continue
        levels = [str(p.get("permission_level")) for p in entry.get("all_permissions") or []
                  if isinstance(p, dict) and not p.get("inherited")]
        if levels:
            out.append((str(name), levels))
    return out


def _grants(body: dict[str, Any], where: str,
            problems: list[Problem]) -> list[tuple[str, list[str]]]:
    assignments = body.get("privilege_assignments", [])  # absent when nothing is granted
    if not isinstance(assignments, list):
        problems.append(Problem(f"{where}.privilege_assignments", "is not a list",
                                f"a Unity Catalog model takes the output of `{GRANTS_COMMAND}`"))
        return []
    out = []
    for i, entry in enumerate(assignments):
        if not isinstance(entry, dict) or not entry.get("principal"):
            problems.append(Problem(f"{where}.privilege_assignments.{i}", "has no principal", ""))
            continue
        out.append((str(entry["principal"]), [str(p) for p in entry.get("privileges") or []]))
    return out


def _principal_names(settings: Settings, report: AccessReport) -> dict[str, str]:
    """Live names (casefolded) -> config key: group display names, SP names and app ids."""
    names: dict[str, str] = {}
    for key, group in settings.groups.items():
        names[group.display_name.casefold()] = key
    for key, sp in settings.service_principals.items():
        names[sp.display_name.casefold()] = key
    for p in report.principals:
        if p.identifier and not p.identifier.startswith("<"):
            names.setdefault(p.identifier.casefold(), p.key)
    return names


def render_markdown(changes: list[Change], snapshot_name: str, stack: str) -> str:
    from gate.diff import render_markdown as render_diff

    revoked = [c for c in changes if c.kind == "revoked" or
               (c.kind == "changed" and set(c.before) - set(c.after))]
    head = [f"## What the first apply would revoke ({stack})", "",
            f"{len(revoked)} live right(s) would be removed by the stack's authoritative ACLs "
            "and grants." if revoked else
            "No live right would be removed: the stack declares everything the snapshot holds.",
            ""]
    return "\n".join(head) + render_diff(changes, f"live ({snapshot_name})", f"{stack} stack")

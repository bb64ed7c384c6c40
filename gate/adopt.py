"""Brownfield adoption: a ``pulumi import --file`` document for objects that already exist.

The input is a small YAML (or JSON) map from the logical name of a resource, as the plan lists
it (``dbx-gate plan prod --format json`` → ``resources[].name``), to the id of the existing
object, in the provider's import-id format::

    # adopt.prod.yaml
    workspace-rg: /subscriptions/<sub>/resourceGroups/rg-fabrikam-ml-prod
    groups-ml-engineers: <Entra object id>            # written as /groups/<id>
    model-access-credit-default-grants: model/ml_prod.credit_risk.credit_default

The output is the documented import file (``pulumi import --file``): ``nameTable`` maps short
names to the URNs of the explicit providers; ``resources[]`` holds one entry per adopted
object with its exact ``type`` token, logical ``name``, ``id``, ``parent`` (by name, the
component resources it lives under, which the same file creates with ``component: true``),
``provider`` (a ``nameTable`` name) and the provider plugin ``version``. With these, the
imported objects land at the very URNs the program declares, so the next ``pulumi preview``
shows them as unchanged or updated, never as replaced.

Ids are checked before anything is written: Azure ids must be ARM ids in the stack's
subscription and of the resource's provider namespace; Entra ids must be object ids (a bare
UUID is turned into the provider's documented form); Databricks ACL ids must name the right
object type.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path
from typing import Any
from uuid import UUID

from gate.capture import Plan
from gate.model import CapturedResource
from settings import Settings
from settings.errors import Problem, SettingsError
from settings.model import is_uuid
from settings.yaml12 import YamlRefused, read_document

_ARM_ID = re.compile(r"^/subscriptions/(?P<sub>[^/]+)/resourceGroups/(?P<rg>[^/]+)"
                     r"(?:/providers/(?P<ns>[^/]+)/(?P<rest>.+))?$", re.I)
# azuread import ids as the pinned SDK documents them (`pulumi import` examples).
_AZUREAD_PREFIX = {
    "azuread:index/group:Group": "/groups/",
    "azuread:index/application:Application": "/applications/",
    "azuread:index/conditionalAccessPolicy:ConditionalAccessPolicy":
        "/identity/conditionalAccess/policies/",
    "azuread:index/namedLocation:NamedLocation": "/identity/conditionalAccess/namedLocations/",
    "azuread:index/servicePrincipal:ServicePrincipal": "",
}
# Databricks: the provider's import ids for the authoritative ACLs ("<object type>/<id>" for
# Permissions, "<securable>/<full name>" for Grants, see catalog/permissions in the provider).
_DATABRICKS_PREFIX = {
    "databricks:index/permissions:Permissions": ("/registered-models/",),
    "databricks:index/grants:Grants": ("model/", "catalog/", "schema/"),
}
# Whatever the type, these are never imported: providers and objects that hold credentials.
_NOT_IMPORTABLE = {
    "azuread:index/applicationPassword:ApplicationPassword":
        "a password's value cannot be read back; let the stack create fresh slots and retire "
        "the old secret after consumers switched",
    "azure-native:keyvault:Secret": "the stack writes the current password; do not adopt",
}


def read_ids(path: Path) -> dict[str, str]:
    source = str(path)
    try:
        # The stack files' reader: YAML 1.2, duplicate keys and hostile files refused.
        doc = read_document(path)
    except FileNotFoundError:
        raise SettingsError([Problem(source, "ids file not found",
                                     "write a YAML map `<resource name>: <existing id>`")],
                            source) from None
    except (YamlRefused, OSError) as exc:
        raise SettingsError([Problem(source, f"cannot be read as YAML/JSON: {exc}",
                                     "write a plain UTF-8 YAML map `<resource name>: <id>`")],
                            source) from None
    if not isinstance(doc, dict) or not doc:
        raise SettingsError([Problem(source, "is not a non-empty map of resource names to ids",
                                     "write `<resource name>: <existing id>` per line")], source)
    problems = [Problem(f"{source}: {k}", "has no id (or a non-text id)",
                        "give the existing object's id as a string", v, True)
                for k, v in doc.items() if not isinstance(v, str) or not v.strip()]
    if problems:
        raise SettingsError(problems, source)
    return {str(k): str(v).strip() for k, v in doc.items()}


def import_document(plan: Plan, settings: Settings, ids: dict[str, str],
                    source: str = "ids") -> dict[str, Any]:
    """The ``pulumi import --file`` document for ``ids`` (logical name → existing id)."""
    by_name: dict[str, list[CapturedResource]] = {}
    for r in plan.resources:
        by_name.setdefault(r.name, []).append(r)
    by_urn = {r.urn: r for r in plan.resources}
    problems: list[Problem] = []
    chosen: list[tuple[CapturedResource, str]] = []
    for name, raw_id in ids.items():
        key = f"{source}: {name}"
        candidates = [r for r in by_name.get(name, []) if r.custom
                      and not r.type.startswith("pulumi:providers:")]
        if not candidates:
            names = sorted(n for n, rs in by_name.items() if any(r.custom for r in rs))
            close = difflib.get_close_matches(name, names, n=1, cutoff=0.6)
            problems.append(Problem(key, f"is not a resource the {plan.stack} stack declares",
                                    f"did you mean `{close[0]}`?" if close else
                                    "use a name from `dbx-gate plan <stack> --format json`"))
            continue
        resource = candidates[0]
        if resource.type in _NOT_IMPORTABLE:
            problems.append(Problem(key, f"is a {resource.type} and is not adopted",
                                    _NOT_IMPORTABLE[resource.type]))
            continue
        checked, problem = check_id(resource.type, raw_id, settings)
        if problem:
            problems.append(Problem(key, problem, _fix_for(resource.type), raw_id, True))
            continue
        chosen.append((resource, checked))
    if problems:
        raise SettingsError(problems, source)
    return _document(chosen, by_urn)


def check_id(type_token: str, value: str, settings: Settings) -> tuple[str, str]:
    """(the id to import, "" ) or ("", what is wrong with it)."""
    if type_token.startswith("azure-native:"):
        m = _ARM_ID.match(value)
        if not m:
            return "", "is not an Azure resource id (/subscriptions/<id>/resourceGroups/...)"
        if m["sub"].lower() != settings.subscription_id.lower():
            return "", (f"is in subscription {m['sub']}, not the stack's subscriptionId "
                        f"{settings.subscription_id}")
        module = type_token.split(":")[1].split("/")[0]
        if module == "resources":
            if m["ns"]:
                return "", "is not a resource group id (it names a resource inside one)"
        elif not m["ns"] or not _namespace_matches(module, m["ns"]):
            return "", f"is not the id of a {type_token.split(':')[-1]} ({module})"
        return value, ""
    if type_token in _AZUREAD_PREFIX:
        prefix = _AZUREAD_PREFIX[type_token]
        bare = value[len(prefix):] if prefix and value.lower().startswith(prefix.lower()) \
            else value
        if not is_uuid(bare):
            return "", "is not an Entra object id (a UUID, or the provider's import id)"
        return prefix + str(UUID(bare)), ""
    if type_token in _DATABRICKS_PREFIX:
        prefixes = _DATABRICKS_PREFIX[type_token]
        if not value.startswith(prefixes) or len(value) <= len(
                next(p for p in prefixes if value.startswith(p))):
            return "", f"is not a {type_token.split(':')[-1]} import id ({' or '.join(prefixes)}…)"
        return value, ""
    return value, ""


def _namespace_matches(module: str, namespace: str) -> bool:
    wanted = {
        "databricks": "microsoft.databricks", "network": "microsoft.network",
        "privatedns": "microsoft.network", "operationalinsights": "microsoft.operationalinsights",
        "managedidentity": "microsoft.managedidentity", "monitor": "microsoft.insights",
        "keyvault": "microsoft.keyvault",
    }.get(module)
    return wanted is None or namespace.lower() == wanted


def _fix_for(type_token: str) -> str:
    if type_token.startswith("azure-native:"):
        return "copy the resource's id from `az resource show --ids ...` or the portal's JSON view"
    if type_token.startswith("azuread:"):
        return "use the object id shown in the Entra admin center"
    return "use the provider's import id for this type (README, 'Adopting existing objects')"


def _document(chosen: list[tuple[CapturedResource, str]],
              by_urn: dict[str, CapturedResource]) -> dict[str, Any]:
    name_table: dict[str, str] = {}
    entries: list[dict[str, Any]] = []
    components: dict[str, str] = {}  # URN -> name used in this file
    file_names = _component_file_names(chosen, by_urn)

    def component_ref(urn: str) -> str | None:
        parent = by_urn.get(urn)
        if parent is None:  # the stack itself
            return None
        if urn in components:
            return components[urn]
        grand = component_ref(parent.parent) if parent.parent else None
        name = file_names[urn]
        components[urn] = name
        entry: dict[str, Any] = {"type": parent.type, "name": name, "component": True}
        if name != parent.name:
            entry["logicalName"] = parent.name
        if grand:
            entry["parent"] = grand
        entries.append(entry)
        return name

    for resource, import_id in chosen:
        entry = {"type": resource.type, "name": resource.name, "id": import_id}
        parent = component_ref(resource.parent) if resource.parent else None
        if parent:
            entry["parent"] = parent
        if resource.provider:
            provider_urn = resource.provider.split("::")
            urn = "::".join(provider_urn[:-1]) if len(provider_urn) > 4 else resource.provider
            provider = by_urn.get(urn)
            alias = f"provider-{provider.name if provider else urn.rsplit('::', 1)[-1]}"
            name_table[alias] = engine_urn(urn)
            entry["provider"] = alias
            version = _plugin_version(resource.type.split(":", 1)[0])
            if version:
                entry["version"] = version
        entries.append(entry)
    doc: dict[str, Any] = {}
    if name_table:
        doc["nameTable"] = dict(sorted(name_table.items()))
    doc["resources"] = entries
    return doc


def _component_file_names(chosen: list[tuple[CapturedResource, str]],
                          by_urn: dict[str, CapturedResource]) -> dict[str, str]:
    """The name each ancestor component goes by in the file (children name it as ``parent``).

    The import file refers to a parent by its ``name``, and a name two entries share is an
    "ambiguous parent". Two components may share a logical name (a group and a model both keyed
    ``auditors``: ``config:Group`` and ``config:Model``), so such a component is named
    ``<type>-<name>`` in the file (``group-auditors``) and keeps its real logical name in
    ``logicalName``, which is what its URN is built from.
    """
    ancestors: dict[str, CapturedResource] = {}
    for resource, _ in chosen:
        urn = resource.parent
        while urn and urn in by_urn and urn not in ancestors:
            ancestors[urn] = by_urn[urn]
            urn = by_urn[urn].parent
    counts: dict[str, int] = {}
    for res in [r for r, _ in chosen] + list(ancestors.values()):
        counts[res.name] = counts.get(res.name, 0) + 1
    names: dict[str, str] = {}
    taken = set(counts)
    for urn, component in ancestors.items():
        name = component.name
        if counts[name] > 1:
            base = f"{component.type.rsplit(':', 1)[-1].lower()}-{name}"
            name, n = base, 2
            while name in taken:
                name, n = f"{base}-{n}", n + 1
            taken.add(name)
        names[urn] = name
    return names


def _plugin_version(package: str) -> str:
    """The provider plugin version: the pinned SDK's (requirements.txt), as `pulumi up` uses."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(f"pulumi-{package}")
    except PackageNotFoundError:
        return ""


def engine_urn(urn: str) -> str:
    """The URN the engine gives a resource: children of the stack carry no ``Stack$`` prefix.

    The SDK's mock monitor qualifies children of the root stack with its type
    (``pulumi:pulumi:Stack$pulumi:providers:azuread``); the engine does not (it skips the root
    stack type when it builds a URN), and the import file must name real URNs.
    """
    return urn.replace("::pulumi:pulumi:Stack$", "::", 1)


def provider_urns(doc: dict[str, Any]) -> list[str]:
    return sorted(set(doc.get("nameTable", {}).values()))

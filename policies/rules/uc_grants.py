"""Unity Catalog grants: never to every user; EXECUTE on a model comes with the catalog and
schema usage it needs.
"""

from __future__ import annotations

from typing import Any, Optional

from pulumi_policy import PolicyResource, ResourceValidationArgs, Severity, StackValidationArgs

from ._common import (
    Report,
    config_strings,
    dependencies,
    elements,
    is_type,
    of_type,
    peek,
    read,
    read_all,
)
from ._policy import Controls, Family, string_list_property
from ._types import DB_GRANT, DB_GRANTS, DB_REGISTERED_MODEL

policy = Family("databricks-access")


EXECUTE_PRIVILEGES = {"EXECUTE", "ALL_PRIVILEGES"}
USE_CATALOG_PRIVILEGES = {"USE_CATALOG", "ALL_PRIVILEGES"}
USE_SCHEMA_PRIVILEGES = {"USE_SCHEMA", "ALL_PRIVILEGES"}
GRANTS_SECURABLE_PROPS = (
    "metastore", "catalog", "schema", "table", "volume", "model", "function",
    "externalLocation", "storageCredential", "credential", "foreignConnection", "share",
    "recipient", "pipeline", "modelService", "mcpService", "modelProviderService",
)
DEFAULT_BROAD_UC_PRINCIPALS = ("account users", "users")


def grants_of(props: Any) -> list[tuple[str, list[str]]]:
    """(principal, privileges) pairs of a Grants resource, or of a single Grant resource."""
    if peek(props, "grants") is None and peek(props, "principal") is not None:
        return [(str(read(props, "principal")),
                 [str(p) for p in read_all(props, "privileges") or []])]
    return [
        (str(read(g, "principal")), [str(p) for p in read_all(g, "privileges") or []])
        for g in elements(read(props, "grants"))
    ]


@policy.resource(
    name="databricks-uc-no-grants-to-everyone",
    types=[DB_GRANTS, DB_GRANT],
    severity=Severity.HIGH,
    controls=Controls(soc2=("CC6.3",), iso27001=("A.5.15", "A.8.3"), cis=("v5.0.0-2.1",)),
    remediation="Grant the privileges to a dedicated, Entra-synced group.",
    config={
        "broadPrincipals": string_list_property(
            DEFAULT_BROAD_UC_PRINCIPALS, "Principals that stand for every user."
        ),
    },
)
def check_no_grant_to_everyone(args: ResourceValidationArgs, report: Report) -> None:
    """Unity Catalog privileges are never granted to 'account users' or 'users'."""
    broad = {p.lower() for p in config_strings(
        args.get_config(), "broadPrincipals", DEFAULT_BROAD_UC_PRINCIPALS)}
    for principal, privileges in grants_of(args.props):
        if principal.lower() in broad:
            report(
                f"grants {privileges} to '{principal}' (every user); grant them to a specific "
                "group instead."
            )


def _model_name(grants: PolicyResource) -> Optional[str]:
    """Full name (catalog.schema.model) of the model a Grants resource targets."""
    value = peek(grants.props, "model")
    if value is None or isinstance(value, str):
        return value
    models = [
        d for d in dependencies(grants, "model") if is_type(d.resource_type, DB_REGISTERED_MODEL)
    ]
    if len(models) == 1:
        parts = [peek(models[0].props, k) for k in ("catalogName", "schemaName", "name")]
        if all(isinstance(p, str) for p in parts):
            return ".".join(parts)
    return str(read(grants.props, "model"))


def _privileges_on(resources: list[PolicyResource], prop: str) -> dict[str, dict[str, set[str]]]:
    """{securable (lower): {principal (lower): privileges}} for Grants on ``prop`` securables."""
    result: dict[str, dict[str, set[str]]] = {}
    for grants in [*of_type(resources, DB_GRANTS), *of_type(resources, DB_GRANT)]:
        if peek(grants.props, prop) is None:
            continue
        securable = str(read(grants.props, prop)).lower()
        for principal, privileges in grants_of(grants.props):
            result.setdefault(securable, {}).setdefault(principal.lower(), set()).update(
                p.upper() for p in privileges
            )
    return result


@policy.stack(
    name="databricks-uc-model-execute-has-usage",
    severity=Severity.LOW,
    controls=Controls(soc2=("CC6.3",), iso27001=("A.5.15", "A.5.18")),
    remediation=(
        "Grant USE_CATALOG on the catalog and USE_SCHEMA on the schema to every principal that "
        "has EXECUTE on a model."
    ),
)
def check_model_execute_usage(args: StackValidationArgs, report: Report) -> None:
    """Principals with EXECUTE on a UC model can use its catalog and schema.

    EXECUTE is read from the model's authoritative Grants resources; USE_CATALOG and USE_SCHEMA
    from Grants and Grant resources on the catalog and the schema.
    """
    catalogs = _privileges_on(args.resources, "catalog")
    schemas = _privileges_on(args.resources, "schema")
    for grants in of_type(args.resources, DB_GRANTS):
        model = _model_name(grants)
        if model is None or model.count(".") != 2:
            continue
        catalog, schema, _ = model.lower().split(".")
        for principal, privileges in grants_of(grants.props):
            if not EXECUTE_PRIVILEGES & {p.upper() for p in privileges}:
                continue
            on_catalog = catalogs.get(catalog, {}).get(principal.lower(), set())
            on_schema = schemas.get(f"{catalog}.{schema}", {}).get(principal.lower(), set())
            missing = []
            if not on_catalog & USE_CATALOG_PRIVILEGES:
                missing.append(f"USE_CATALOG on catalog '{catalog}'")
            if not (on_schema | on_catalog) & USE_SCHEMA_PRIVILEGES:
                missing.append(f"USE_SCHEMA on schema '{catalog}.{schema}'")
            if missing:
                report(
                    f"'{principal}' has EXECUTE on model '{model}' but lacks "
                    + " and ".join(missing)
                    + "; grant them on the catalog and the schema (databricks Grant or Grants).",
                    grants.urn,
                )

"""How a rule is declared: its metadata sits on its check, as a decorator.

Each rule module keeps one :class:`Family` (its policies, in declaration order) and declares
every policy on the function that checks it::

    policy = Family("entra")

    @policy.resource(name="entra-app-single-tenant", types=[APPLICATION],
                     severity=Severity.HIGH,
                     controls=Controls(soc2=("CC6.1",), iso27001=("A.5.15", "A.8.5")),
                     remediation="Set signInAudience='AzureADMyOrg' on the azuread Application.")
    def check_single_tenant(args: ResourceValidationArgs, report: Report) -> None:
        \"\"\"Entra applications are single-tenant (AzureADMyOrg).\"\"\"

The first paragraph of the check's docstring is the policy's description (whitespace
normalised); later paragraphs explain the check to a reader and are not published. The
decorator returns the check unchanged, so tests can call it directly. ``rules/__init__.py``
collects the families in a fixed order into the pack's policy list.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Optional, cast

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyComplianceFramework,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)

from ._common import Report, ResourceCheck, StackCheck, StackResources, canonical_type

# ---------------------------------------------------------------------------------------------
# Policy configuration schemas
# ---------------------------------------------------------------------------------------------


def schema(properties: dict[str, dict[str, Any]]) -> PolicyConfigSchema:
    """A config schema whose properties all carry a default (none are required)."""
    return PolicyConfigSchema(properties=properties)


def string_list_property(default: Sequence[str], description: str) -> dict[str, Any]:
    """JSON schema for a list-of-strings config property."""
    return {
        "type": "array",
        "items": {"type": "string"},
        "default": list(default),
        "description": description,
    }


def integer_property(default: int, description: str, minimum: int = 0) -> dict[str, Any]:
    """JSON schema for an integer config property."""
    return {"type": "integer", "default": default, "minimum": minimum, "description": description}


# ---------------------------------------------------------------------------------------------
# Compliance metadata
# ---------------------------------------------------------------------------------------------

CIS_NAME = "CIS Microsoft Azure Foundations Benchmark"
SOC2_NAME = "SOC 2"
ISO_NAME = "ISO/IEC 27001"


# Built-in Azure Policy definitions the rules map to (Azure/azure-policy; the ids are verified
# in tests/policies/test_policy_pack.py).
AP_PREMIUM_SKU = "2cc2c3b5-c2f8-45aa-a9e6-f90d85ae8352"
AP_VNET = "9c25c9e4-ee12-4882-afd2-11fb9d87893f"
AP_NO_PUBLIC_IP = "51c1490f-3319-459c-bbbc-7f391bbed753"
AP_PUBLIC_NETWORK_ACCESS = "0e7849de-b939-4c50-ab48-fc6b0f5eeba2"
AP_PRIVATE_LINK = "258823f2-4595-4b52-b333-cc96192710d8"
AP_RESOURCE_LOGS = "138ff14d-b687-4faa-a81c-898c91a87fa2"
AP_DIAG_TO_LOG_ANALYTICS = "23057b42-ca8d-4aa0-a3dc-96a98b5b5a3d"
AP_KEY_VAULT_SECRET_EXPIRY = "98728c90-32c7-4049-8429-847dc0f4fe37"


@dataclass(frozen=True)
class Controls:
    """Every framework mapping of one rule.

    ``cis`` entries look like ``"v5.0.0-2.1.11"`` (a verified recommendation number) or
    ``"v5.0.0-2.1"`` (the Azure Databricks section, when no single recommendation matches).
    ``azure_policy`` entries are built-in Azure Policy definition GUIDs.
    """

    soc2: tuple[str, ...] = ()
    iso27001: tuple[str, ...] = ()
    cis: tuple[str, ...] = ()
    azure_policy: tuple[str, ...] = ()

    def tags(self, domain: str) -> list[str]:
        """The policy's tags: its domain plus every framework mapping."""
        result = [f"domain:{domain}"]
        result += [f"soc2:{c}" for c in self.soc2]
        result += [f"iso27001-2022:{c}" for c in self.iso27001]
        result += [f"cis-azure-databricks:{c}" for c in self.cis]
        result += [f"azure-policy:{guid}" for guid in self.azure_policy]
        return result

    def primary(self, description: str) -> PolicyComplianceFramework:
        """The primary framework: CIS when mapped, else SOC 2, else ISO 27001."""
        if self.cis:
            version, _, reference = self.cis[0].partition("-")
            return PolicyComplianceFramework(
                name=CIS_NAME,
                version=version.lstrip("v"),
                reference=reference,
                specification=description,
            )
        if self.soc2:
            return PolicyComplianceFramework(
                name=SOC2_NAME,
                version="2017 TSC (rev. 2022)",
                reference=self.soc2[0],
                specification=description,
            )
        return PolicyComplianceFramework(
            name=ISO_NAME,
            version="2022",
            reference=self.iso27001[0] if self.iso27001 else "",
            specification=description,
        )


# ---------------------------------------------------------------------------------------------
# Declaring policies
# ---------------------------------------------------------------------------------------------


def description_of(check: Callable[..., None]) -> str:
    """The first paragraph of the check's docstring, whitespace normalised."""
    doc = inspect.getdoc(check)
    if not doc:
        raise TypeError(f"{check.__qualname__}: a policy's check needs a docstring (its "
                        "first paragraph is the policy's description)")
    return " ".join(doc.split("\n\n", 1)[0].split())


class Family:
    """The policies of one rule module (one resource family), in declaration order."""

    def __init__(self, domain: str) -> None:
        self.domain = domain
        self.policies: list[Policy] = []

    def _metadata(self, check: Callable[..., None], name: str, severity: Severity,
                  controls: Controls, remediation: str,
                  config: Optional[dict[str, dict[str, Any]]],
                  enforcement: Optional[EnforcementLevel]) -> dict[str, Any]:
        description = description_of(check)
        return {
            "name": name,
            "description": description,
            "enforcement_level": enforcement,
            "config_schema": schema(config) if config else None,
            "severity": severity,
            "framework": controls.primary(description),
            "tags": controls.tags(self.domain),
            "remediation_steps": remediation,
        }

    def resource(
        self,
        *,
        name: str,
        types: Sequence[str],
        severity: Severity,
        controls: Controls,
        remediation: str,
        config: Optional[dict[str, dict[str, Any]]] = None,
        enforcement: Optional[EnforcementLevel] = None,
    ) -> Callable[[ResourceCheck], ResourceCheck]:
        """Declare a resource policy whose check runs only for the given type tokens (every
        resource when ``types`` is empty)."""
        wanted = frozenset(types)

        def declare(check: ResourceCheck) -> ResourceCheck:
            def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
                if wanted and canonical_type(args.resource_type) not in wanted:
                    return
                check(args, cast(Report, report))

            validate.__doc__ = check.__doc__
            self.policies.append(ResourceValidationPolicy(
                validate=validate,
                **self._metadata(check, name, severity, controls, remediation, config,
                                 enforcement)))
            return check

        return declare

    def stack(
        self,
        *,
        name: str,
        severity: Severity,
        controls: Controls,
        remediation: str,
        config: Optional[dict[str, dict[str, Any]]] = None,
        enforcement: Optional[EnforcementLevel] = None,
    ) -> Callable[[StackCheck], StackCheck]:
        """Declare a stack policy (its check runs once over every resource of the stack)."""
        def declare(check: StackCheck) -> StackCheck:
            def validate(args: StackValidationArgs, report: ReportViolation) -> None:
                args.resources = StackResources(args.resources)
                check(args, cast(Report, report))

            validate.__doc__ = check.__doc__
            self.policies.append(StackValidationPolicy(
                validate=validate,
                **self._metadata(check, name, severity, controls, remediation, config,
                                 enforcement)))
            return check

        return declare

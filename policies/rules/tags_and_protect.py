"""Every Azure resource: required tags, and protect=True on the critical ones."""

from __future__ import annotations

from pulumi_policy import ResourceValidationArgs, Severity

from ._common import Report, config_strings, is_set, is_type, peek, read
from ._policy import Controls, Family, string_list_property
from ._types import (
    DB_GRANTS,
    DB_PERMISSIONS,
    GROUP,
    KEY_VAULT_SECRET,
    LOG_ANALYTICS,
    PRIVATE_ENDPOINT,
    PRIVATE_ZONE,
    RESOURCE_GROUP,
    USER_ASSIGNED_IDENTITY,
    WORKSPACE,
    ZONE_LINK,
)

policy = Family("workspace")


DEFAULT_REQUIRED_TAGS = ("owner", "cost-center", "environment", "data-classification")
DEFAULT_PROTECTED_TYPES = (
    WORKSPACE,
    RESOURCE_GROUP,
    LOG_ANALYTICS,
    DB_PERMISSIONS,
    DB_GRANTS,
    GROUP,
)
TAGGABLE_TYPES = (
    RESOURCE_GROUP,
    WORKSPACE,
    LOG_ANALYTICS,
    PRIVATE_ENDPOINT,
    "azure-native:network:VirtualNetwork",
    "azure-native:network:NetworkSecurityGroup",
    "azure-native:network:NatGateway",
    "azure-native:network:PublicIPAddress",
    PRIVATE_ZONE,
    ZONE_LINK,
    USER_ASSIGNED_IDENTITY,
    "azure-native:keyvault:Vault",
    KEY_VAULT_SECRET,
    "azure-native:databricks:AccessConnector",
    "azure-native:storage:StorageAccount",
)


@policy.resource(
    name="azure-required-tags",
    types=TAGGABLE_TYPES,
    severity=Severity.LOW,
    controls=Controls(soc2=("CC2.1",), iso27001=("A.5.9", "A.5.12")),
    remediation="Pass tags with every required key (non-empty values) to the resource.",
    config={
        "requiredTags": string_list_property(DEFAULT_REQUIRED_TAGS, "Tag keys to require."),
    },
)
def check_required_tags(args: ResourceValidationArgs, report: Report) -> None:
    """Taggable Azure resources carry the required tags.

    Every tag of ``requiredTags`` is present with a non-empty value, on the resource types of
    ``TAGGABLE_TYPES``.
    """
    required = config_strings(args.get_config(), "requiredTags", DEFAULT_REQUIRED_TAGS)
    tags = read(args.props, "tags")
    missing = [key for key in required if not is_set(peek(tags, key))]
    if missing:
        report(
            f"tags {missing} are missing or empty; set every required tag "
            f"({', '.join(required)}) on this resource."
        )


@policy.resource(
    name="protect-critical-resources",
    types=(),
    severity=Severity.HIGH,
    controls=Controls(soc2=("CC8.1", "A1.2"), iso27001=("A.8.32", "A.8.13")),
    remediation="Declare the resource with opts=pulumi.ResourceOptions(protect=True).",
    config={
        "protectedTypes": string_list_property(
            DEFAULT_PROTECTED_TYPES, "Type tokens that must be declared with protect=True."
        ),
    },
)
def check_protect(args: ResourceValidationArgs, report: Report) -> None:
    """Critical resources are protected against deletion (production).

    The resource types of ``protectedTypes`` are declared with ``protect=True``.
    """
    protected = config_strings(args.get_config(), "protectedTypes", DEFAULT_PROTECTED_TYPES)
    if not is_type(args.resource_type, *protected):
        return
    if not args.opts.protect:
        report(
            f"{args.resource_type} '{args.name}' is not protected; declare it with "
            "opts=pulumi.ResourceOptions(protect=True) so no update or destroy can delete it."
        )

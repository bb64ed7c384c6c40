"""Checks of the workspace and what protects it: prod hardening, resource names, the replacement
lock, encryption and compliance, audit logs and tags."""

from __future__ import annotations

import re
from collections.abc import Iterator

from settings.checks.registry import check, key, problem, too_long
from settings.errors import Problem
from settings.limits import (
    BUILT_IN_TAGS,
    LOG_ANALYTICS_NAME,
    TAG_NAME_FORBIDDEN,
    TAG_NAME_MAX,
    TAG_NAME_RESERVED_PREFIXES,
    TAG_VALUE_MAX,
    TAGS_PER_RESOURCE_MAX,
    WORKSPACE_NAME,
)
from settings.model import AZURE_NAME, Settings

MIN_PROD_RETENTION_DAYS = 365
_LAW_ID = re.compile(r"^/subscriptions/[0-9a-fA-F-]{36}/resourceGroups/[^/]+/providers/"
                     r"Microsoft\.OperationalInsights/workspaces/(?P<name>[^/]+)$", re.I)


@check
def check_prod_protected(s: Settings) -> Iterator[Problem]:
    """A prod stack protects its critical resources (``protect: true``)."""
    if s.is_prod and s.protect is False:
        yield problem(key("protect"), "is false in a prod stack: the workspace, groups and ACLs "
                      "could be deleted by a single `pulumi up`",
                      "set `databricks-ml-entra:protect: true`", False)


@check
def check_prod_private(s: Settings) -> Iterator[Problem]:
    """A prod workspace has no public network access, and a private one is reachable by link."""
    ws = s.workspace
    if s.is_prod and ws.public_network_access != "Disabled":
        yield problem(key("workspace", "publicNetworkAccess"), "prod workspaces must not be "
                      "reachable from the public internet", "set `publicNetworkAccess: "
                      "Disabled` (users reach the workspace through the private endpoint)",
                      ws.public_network_access)
    if ws.public_network_access == "Disabled" and not ws.private_link.enabled:
        yield problem(key("workspace", "privateLink", "enabled"), "public network access is "
                      "disabled and private link is off, so nobody could reach the workspace",
                      "set `privateLink.enabled: true`", False)


@check
def check_prod_retention(s: Settings) -> Iterator[Problem]:
    """Prod audit logs are kept at least a year."""
    days = s.audit.retention_days
    if s.is_prod and days < MIN_PROD_RETENTION_DAYS:
        yield problem(key("audit", "retentionDays"), f"prod audit logs must be kept at least "
                      f"{MIN_PROD_RETENTION_DAYS} days", f"set `retentionDays: "
                      f"{MIN_PROD_RETENTION_DAYS}` or more", days)


@check
def check_workspace_names(s: Settings) -> Iterator[Problem]:
    """The workspace's resource names are valid, and its two resource groups differ."""
    ws = s.workspace
    for field, value in (("name", ws.name), ("resourceGroupName", ws.resource_group_name),
                         ("managedResourceGroupName", ws.managed_resource_group_name)):
        if not AZURE_NAME.match(value):
            yield problem(key("workspace", field), "is not a valid Azure resource name",
                          "use 3-64 letters, digits, '-', '_' or '.', not ending in '.' or '-'",
                          value)
    if ws.resource_group_name.casefold() == ws.managed_resource_group_name.casefold():
        yield problem(key("workspace", "managedResourceGroupName"), "must differ from "
                      "resourceGroupName: Azure Databricks owns and locks the managed resource "
                      "group", "use e.g. '<resourceGroupName>-managed'",
                      ws.managed_resource_group_name)


@check
def check_replacement_guard(s: Settings) -> Iterator[Problem]:
    """In prod, a change to a property that replaces the workspace must be acknowledged."""
    ws = s.workspace
    lock = s.replacement_lock
    if not s.is_prod or lock is None or ws.acknowledge_replacement:
        return
    current = {"workspace_name": ws.name, "location": s.location,
               "managed_resource_group_name": ws.managed_resource_group_name,
               "resource_group_name": ws.resource_group_name}
    paths = {"workspace_name": "workspace.name", "location": "azure-native:location",
             "managed_resource_group_name": "workspace.managedResourceGroupName",
             "resource_group_name": "workspace.resourceGroupName"}
    for field, value in current.items():
        locked = getattr(lock, field)
        if value != locked:
            path = paths[field]
            yield problem(path if ":" in path else key(path), f"differs from replacementLock "
                          f"({locked!r}): this change REPLACES the prod workspace, deleting its "
                          "notebooks, jobs, clusters and workspace model registry", "revert it; "
                          "or, if the replacement is intended, set "
                          "`workspace.acknowledgeReplacement: <change ticket>` and update "
                          "replacementLock after the migration", value)


@check
def check_prod_has_lock(s: Settings) -> Iterator[Problem]:
    """A prod stack pins the properties whose change replaces the workspace."""
    if s.is_prod and s.replacement_lock is None:
        yield problem(key("replacementLock"), "prod stacks must pin the properties whose change "
                      "replaces the workspace", "add `replacementLock: {workspaceName, location, "
                      "managedResourceGroupName, resourceGroupName}` with the deployed values")


@check
def check_customer_managed_keys(s: Settings) -> Iterator[Problem]:
    """Azure needs name, version and vault URI for each customer-managed key it is given."""
    cmk = s.workspace.customer_managed_keys
    if cmk is None:
        return
    path = ("workspace", "customerManagedKeys")
    if not cmk.key_vault_uri.startswith("https://"):
        yield problem(key(*path, "keyVaultUri"), "must be the https URI of the key vault",
                      "use e.g. https://kv-name.vault.azure.net/", cmk.key_vault_uri)
    slots = (("managedServices", cmk.managed_services_key_name, cmk.managed_services_key_version),
             ("managedDisks", cmk.managed_disks_key_name, cmk.managed_disks_key_version))
    if not any(name for _, name, _ in slots):
        yield problem(key(*path), "names no key", "set managedServicesKeyName and/or "
                      "managedDisksKeyName with their versions, or remove customerManagedKeys")
    for slot, name, version in slots:
        if name and not version:
            yield problem(key(*path, f"{slot}KeyVersion"), "Azure Databricks needs the key "
                          "version together with the key name", "add the key's current version "
                          "(the last segment of its key identifier)")
        if version and not name:
            yield problem(key(*path, f"{slot}KeyName"), "a key version without its key name",
                          f"add `{slot}KeyName`, or remove `{slot}KeyVersion`")


@check
def check_enhanced_security_compliance(s: Settings) -> Iterator[Problem]:
    """The compliance security profile turns on monitoring and cluster updates with it."""
    esc = s.workspace.enhanced_security_compliance
    if esc is None:
        return
    path = ("workspace", "enhancedSecurityCompliance")
    if esc.enabled:
        for field, value in (("automaticClusterUpdate", esc.automatic_cluster_update),
                             ("enhancedSecurityMonitoring", esc.enhanced_security_monitoring)):
            if not value:
                yield problem(key(*path, field), "the compliance security profile always "
                              "enables automatic cluster update and enhanced security "
                              "monitoring", f"set `{field}: true`, or `enabled: false`", value)
    elif esc.compliance_standards:
        yield problem(key(*path, "complianceStandards"), "compliance standards apply through the "
                      "compliance security profile, which is disabled", "set `enabled: true` or "
                      "remove complianceStandards", esc.compliance_standards)
    if "NONE" in esc.compliance_standards and len(esc.compliance_standards) > 1:
        yield problem(key(*path, "complianceStandards"), "'NONE' cannot be combined with a "
                      "standard", "remove 'NONE'", esc.compliance_standards)


@check
def check_existing_log_analytics(s: Settings) -> Iterator[Problem]:
    """An existing Log Analytics workspace is given by its ARM id, and logAnalyticsName agrees."""
    audit = s.audit
    if audit.existing_workspace_id is None:
        return
    match = _LAW_ID.match(audit.existing_workspace_id)
    if match is None:
        yield problem(key("audit", "existingWorkspaceId"), "is not the ARM id of a Log Analytics "
                      "workspace", "copy it from the workspace's JSON view: /subscriptions/<id>/"
                      "resourceGroups/<rg>/providers/Microsoft.OperationalInsights/workspaces/"
                      "<name>", audit.existing_workspace_id)
    elif match["name"].casefold() != audit.log_analytics_name.casefold():
        yield problem(key("audit", "logAnalyticsName"), f"does not match the existing workspace "
                      f"'{match['name']}' named by audit.existingWorkspaceId",
                      f"set `logAnalyticsName: {match['name']}`", audit.log_analytics_name)


@check
def check_azure_tags(s: Settings) -> Iterator[Problem]:
    """Tags fit Azure's limits on count, names and values."""
    tags = s.tags
    for field, value in (("owner", tags.owner), ("costCenter", tags.cost_center)):
        yield from too_long(("tags", field), value, TAG_VALUE_MAX, "an Azure tag value")
    if len(tags.extra) + BUILT_IN_TAGS > TAGS_PER_RESOURCE_MAX:
        yield problem(key("tags", "extra"), f"has {len(tags.extra)} tags; with the "
                      f"{BUILT_IN_TAGS} the program adds, a resource would carry more than the "
                      f"{TAGS_PER_RESOURCE_MAX} Azure accepts",
                      f"keep at most {TAGS_PER_RESOURCE_MAX - BUILT_IN_TAGS} extra tags")
    for name, value in tags.extra.items():
        path = ("tags", "extra", name)
        if not name.strip():
            yield problem(key(*path), "is an empty tag name", "give the tag a name")
        if len(name) > TAG_NAME_MAX:
            yield problem(key("tags", "extra"), f"has a tag name of {len(name)} characters; "
                          f"Azure accepts at most {TAG_NAME_MAX}",
                          f"shorten it to {TAG_NAME_MAX} characters")
        bad = sorted(set(name) & set(TAG_NAME_FORBIDDEN))
        if bad:
            yield problem(key(*path), f"contains {' '.join(bad)}, which Azure refuses in tag "
                          f"names (forbidden: {' '.join(TAG_NAME_FORBIDDEN)})", "rename the tag")
        if name.casefold().startswith(TAG_NAME_RESERVED_PREFIXES):
            yield problem(key(*path), "starts with a prefix Azure reserves for its own tags "
                          f"({', '.join(TAG_NAME_RESERVED_PREFIXES)})", "rename the tag")
        yield from too_long(path, value, TAG_VALUE_MAX, "an Azure tag value")


@check
def check_workspace_resource_name(s: Settings) -> Iterator[Problem]:
    """The workspace name is one ARM accepts for an Azure Databricks workspace."""
    name = s.workspace.name
    if not WORKSPACE_NAME.fullmatch(name):
        yield problem(key("workspace", "name"), "is not a valid Azure Databricks workspace name "
                      "(ARM: 3-64 letters, digits, '_' and '-')", "use e.g. dbw-fabrikam-ml-prod",
                      name)


@check
def check_log_analytics_name(s: Settings) -> Iterator[Problem]:
    """The Log Analytics workspace name is one ARM accepts."""
    name = s.audit.log_analytics_name
    if not LOG_ANALYTICS_NAME.fullmatch(name):
        yield problem(key("audit", "logAnalyticsName"), "is not a valid Log Analytics workspace "
                      "name (ARM: 4-63 letters, digits and '-', starting and ending with a letter "
                      "or digit)", "use e.g. log-fabrikam-ml-prod", name)

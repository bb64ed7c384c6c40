"""Checks of the map keys, the groups and the automation identities (service principals and
managed identities): unique, nameable, the right credential for each kind, an admin and a
deployer that exist."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from settings.checks.registry import check, key, problem, too_long
from settings.errors import Problem
from settings.limits import APP_DISPLAY_NAME_MAX, FIC_SUBJECT_MAX, GROUP_DISPLAY_NAME_MAX
from settings.model import AZURE_NAME, SLUG, VAULT_NAME, Role, Settings, parse_vault_id

_REPO = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
# A user-assigned managed identity's resource name (it is also its Entra display name), and
# the name of a federated identity credential on it (Microsoft.ManagedIdentity naming rules).
_UAMI_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{2,127}$")
_FIC_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{2,119}$")
# Built-in Databricks groups: a mapped group with one of these names would become a grant to
# every user of the workspace or account.
RESERVED_GROUP_NAMES = ("users", "admins", "account users")


@check
def check_stable_keys(s: Settings) -> Iterator[Problem]:
    """Map keys become resource names: they must be short lower-case slugs."""
    maps: list[tuple[tuple[str, ...], dict[str, Any]]] = [
        (("groups",), s.groups), (("servicePrincipals",), s.service_principals),
        (("models",), s.models),
        (("conditionalAccess", "namedLocations"), s.conditional_access.named_locations)]
    for sp_key, sp in s.service_principals.items():
        maps.append((("servicePrincipals", sp_key, "federatedCredentials"),
                     sp.federated_credentials))
    for path, mapping in maps:
        for k in mapping:
            if not SLUG.match(k):
                yield problem(key(*path, k), "is not a valid map key: keys become resource "
                              "names", "use lower-case letters, digits and '-', starting with a "
                              "letter or digit, at most 63 characters (e.g. 'ml-engineers')", k)


@check
def check_principal_keys_unique(s: Settings) -> Iterator[Problem]:
    """A service principal never shares its key with a group (ACLs name principals by key)."""
    for k in set(s.groups) & set(s.service_principals):
        yield problem(key("servicePrincipals", k), "uses the same key as a group, so ACLs naming "
                      f"'{k}' would be ambiguous", "rename the service principal or the group key")


@check
def check_group_display_names_unique(s: Settings) -> Iterator[Problem]:
    """No two groups share a display name, compared case-insensitively."""
    yield from _unique_names(s.groups, "groups")


@check
def check_sp_display_names_unique(s: Settings) -> Iterator[Problem]:
    """No two service principals share a display name, compared case-insensitively."""
    yield from _unique_names(s.service_principals, "servicePrincipals")


def _unique_names(mapping: dict[str, Any], section: str) -> Iterator[Problem]:
    seen: dict[str, str] = {}
    for k, item in mapping.items():
        folded = item.display_name.casefold()
        if folded in seen:
            yield problem(key(section, k, "displayName"),
                          f"duplicates the display name of {section}.{seen[folded]} (names are "
                          "compared case-insensitively, as Entra ID and Databricks do)",
                          "give every entry a distinct displayName", item.display_name)
        else:
            seen[folded] = k


@check
def check_admin_group_declared(s: Settings) -> Iterator[Problem]:
    """Some group has role admin, so somebody administers the workspace."""
    if not s.admin_groups:
        yield problem(key("groups"), "no group has role 'admin', so nobody would administer the "
                      "workspace", "set `role: admin` on the platform administrators' group")


@check
def check_deployer_declared(s: Settings) -> Iterator[Problem]:
    """The deployer is a declared service principal with role admin."""
    sps = s.service_principals
    if s.deployer not in sps:
        yield problem(key("deployer"), "does not name a declared service principal",
                      "set it to one of the keys of servicePrincipals: "
                      f"{', '.join(sorted(sps)) or '(none)'}", s.deployer)
    elif sps[s.deployer].role is not Role.ADMIN:
        yield problem(key("servicePrincipals", s.deployer, "role"),
                      "the deployer manages every ACL and must be a workspace admin",
                      "set `role: admin` on the deployer", sps[s.deployer].role.value)


@check
def check_sp_kinds(s: Settings) -> Iterator[Problem]:
    """Each identity carries exactly the credential settings of its kind, and they are sound."""
    for k, sp in s.service_principals.items():
        path = ("servicePrincipals", k)
        if sp.kind == "federated":
            if sp.federation is None:
                yield problem(key(*path, "federation"), "a federated identity needs its "
                              "federation", "add `federation: {repository: org/repo, "
                              "environment: prod}`")
            elif not _REPO.match(sp.federation.repository):
                yield problem(key(*path, "federation", "repository"), "must be "
                              "'owner/repository' with no wildcards", "write the GitHub "
                              "repository as e.g. contoso/ml-platform", sp.federation.repository)
            if sp.federation is not None and any(c in (sp.federation.environment or "")
                                                 for c in "*?:"):
                yield problem(key(*path, "federation", "environment"), "must name one GitHub "
                              "environment", "use the environment name exactly, without "
                              "wildcards", sp.federation.environment)
        if sp.kind != "federated" and sp.federation is not None:
            yield problem(key(*path, "federation"), f"only kind 'federated' takes a federation "
                          f"(this one is '{sp.kind}')", "remove it or change `kind: federated`")
        if sp.kind == "secret" and sp.rotation is None:
            yield problem(key(*path, "rotation"), "a secret-bearing identity needs a rotation "
                          "schedule", "add `rotation: {periodDays: 90, overlapDays: 30}`")
        if sp.kind != "secret" and sp.rotation is not None:
            yield problem(key(*path, "rotation"), f"kind '{sp.kind}' has no password to rotate",
                          "remove `rotation`")
        if sp.kind != "secret" and sp.key_vault is not None:
            yield problem(key(*path, "keyVault"), f"kind '{sp.kind}' has no secret to store",
                          "remove `keyVault`")
        if sp.kind != "managed-identity" and sp.federated_credentials:
            yield problem(key(*path, "federatedCredentials"), "only managed identities take "
                          "federatedCredentials", "use `federation` for a GitHub Actions identity")
        if sp.rotation is not None and sp.rotation.overlap_days >= sp.rotation.period_days:
            yield problem(key(*path, "rotation", "overlapDays"), "must be shorter than "
                          "periodDays, or the two slots could never be staggered",
                          "use e.g. periodDays 90, overlapDays 30", sp.rotation.overlap_days)
        for fk, fc in sp.federated_credentials.items():
            if not fc.issuer.startswith("https://"):
                yield problem(key(*path, "federatedCredentials", fk, "issuer"), "must be an "
                              "https URL", "use the OIDC issuer URL of your cluster", fc.issuer)


@check
def check_managed_identity_names(s: Settings) -> Iterator[Problem]:
    """A managed identity's displayName becomes an Azure resource name; its credential keys too."""
    for k, sp in s.service_principals.items():
        if sp.kind != "managed-identity":
            continue
        if not _UAMI_NAME.match(sp.display_name):
            yield problem(key("servicePrincipals", k, "displayName"), "names a user-assigned "
                          "managed identity, so it must be a valid Azure resource name",
                          "use 3-128 letters, digits, '-' or '_', starting with a letter or "
                          "digit (e.g. mi-dbx-prod-risk-agent)", sp.display_name)
        for fk in sp.federated_credentials:
            if not _FIC_NAME.match(fk):
                yield problem(key("servicePrincipals", k, "federatedCredentials", fk), "becomes "
                              "the name of a federated identity credential, which needs 3-120 "
                              "characters", "use a longer key, e.g. 'aks-<service-account>'", fk)


@check
def check_reserved_group_names(s: Settings) -> Iterator[Problem]:
    """A mapped group is never named like a built-in Databricks group."""
    for k, group in s.groups.items():
        if group.is_mapped and group.display_name.casefold() in RESERVED_GROUP_NAMES:
            yield problem(key("groups", k, "displayName"), "is the name of a built-in Databricks "
                          "group; mapping it would grant access to every user", "give the Entra "
                          "group its own name, e.g. 'sg-dbx-<env>-<team>'", group.display_name)


@check
def check_secret_identities_have_a_vault(s: Settings) -> Iterator[Problem]:
    """A rotated password nobody can retrieve is useless: it goes to a Key Vault."""
    subscription = s.subscription_id.lower()
    for k, sp in s.service_principals.items():
        path = ("servicePrincipals", k, "keyVault")
        if sp.kind == "secret" and sp.key_vault is None:
            yield problem(key(*path), "a secret-bearing identity needs a Key Vault destination: "
                          "without one its two rotated passwords exist but nobody can retrieve "
                          "them", "add `keyVault: {secretName: <name>, vaultName: <new vault>}` "
                          "(declared by this stack) or `keyVault: {secretName: <name>, vaultId: "
                          "<existing vault resource id>}`; or switch to kind federated / "
                          "managed-identity")
        target = sp.key_vault
        if target is None:
            continue
        if (target.vault_name is None) == (target.vault_id is None):
            yield problem(key(*path), "must give exactly one of vaultName (a vault this stack "
                          "declares) and vaultId (an existing vault)", "keep one of the two")
        if target.vault_name is not None and not VAULT_NAME.match(target.vault_name):
            yield problem(key(*path, "vaultName"), "is not a valid Key Vault name",
                          "use 3-24 letters, digits and single hyphens, starting with a letter",
                          target.vault_name)
        if target.resource_group_name is not None and target.vault_name is None:
            yield problem(key(*path, "resourceGroupName"), "only applies to a vault this stack "
                          "declares (vaultName); an existing vault's resource group is part of "
                          "its vaultId", "remove `resourceGroupName`")
        if target.resource_group_name is not None and not AZURE_NAME.match(
                target.resource_group_name):
            yield problem(key(*path, "resourceGroupName"), "is not a valid Azure resource group "
                          "name", "use 3-64 letters, digits, '-', '_' or '.'",
                          target.resource_group_name)
        if target.vault_id is not None:
            parsed = parse_vault_id(target.vault_id)
            if parsed is None:
                yield problem(key(*path, "vaultId"), "is not a Key Vault resource id",
                              "use /subscriptions/<id>/resourceGroups/<rg>/providers/"
                              "Microsoft.KeyVault/vaults/<name>", target.vault_id)
            elif parsed[0] != subscription:
                yield problem(key(*path, "vaultId"), "is in another subscription than the "
                              "stack's subscriptionId; the stack's azure-native provider writes "
                              "the secret in its own subscription", "use a vault in the stack's "
                              "subscription, or declare one with vaultName", target.vault_id)


@check
def check_group_name_length(s: Settings) -> Iterator[Problem]:
    """A group's displayName fits Entra's limit."""
    for k, g in s.groups.items():
        yield from too_long(("groups", k, "displayName"), g.display_name,
                            GROUP_DISPLAY_NAME_MAX, "an Entra group's displayName")


@check
def check_service_principal_limits(s: Settings) -> Iterator[Problem]:
    """An app registration's displayName and a federated credential's subject fit Entra's limits."""
    for k, sp in s.service_principals.items():
        if sp.kind != "managed-identity":  # a managed identity's name has its own check
            yield from too_long(("servicePrincipals", k, "displayName"), sp.display_name,
                                APP_DISPLAY_NAME_MAX, "an Entra app registration's displayName")
        for fk, fc in sp.federated_credentials.items():
            yield from too_long(("servicePrincipals", k, "federatedCredentials", fk, "subject"),
                                fc.subject, FIC_SUBJECT_MAX,
                                "a federated identity credential's subject")

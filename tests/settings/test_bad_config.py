"""Every malformed config is rejected with a message naming the key, the problem and the fix.

Each case starts from a shipped, valid stack and breaks one thing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from settings import SettingsError, parse
from settings.load import raw_from_stack_document
from tests.conftest import NS, stack_document, with_legacy_model

Config = dict[str, Any]


def problems_for(stack: str, mutate: Callable[[Config], None]) -> SettingsError:
    doc = stack_document(stack)
    mutate(doc["config"])
    with pytest.raises(SettingsError) as info:
        parse(raw_from_stack_document(doc, f"Pulumi.{stack}.yaml"), stack=stack,
              source=f"Pulumi.{stack}.yaml")
    return info.value


def only(err: SettingsError, key: str) -> str:
    """The rendered problem for ``key``; fails if the key has no problem."""
    found = [p.render() for p in err.problems if p.key == key]
    assert found, f"no problem reported for {key}; got:\n{err.render()}"
    return found[0]


def c(key: str) -> str:
    return f"{NS}:{key}"


# --- shape and types ---------------------------------------------------------------------

def test_missing_required_key() -> None:
    err = problems_for("dev", lambda cfg: cfg.pop(c("tenantId")))
    msg = only(err, c("tenantId"))
    assert "required key is missing" in msg and "Pulumi.dev.yaml" in msg


def test_missing_nested_key() -> None:
    err = problems_for("dev", lambda cfg: cfg[c("groups")]["auditors"].pop("owners"))
    assert "required key is missing" in only(err, c("groups.auditors.owners"))


def test_wrong_type() -> None:
    def mutate(cfg: Config) -> None:
        cfg[c("audit")]["retentionDays"] = "a year"

    msg = only(problems_for("dev", mutate), c("audit.retentionDays"))
    assert "wrong type: expected a whole number, got str" in msg and "'a year'" in msg


def test_wrong_type_for_a_map() -> None:
    msg = only(problems_for("dev", lambda cfg: cfg.update({c("groups"): ["ml-engineers"]})),
               c("groups"))
    assert "expected a mapping" in msg


def test_unknown_top_level_key_suggests_closest() -> None:
    def mutate(cfg: Config) -> None:
        cfg[c("workspce")] = {"name": "x"}

    msg = only(problems_for("dev", mutate), c("workspce"))
    assert "not a setting of this project" in msg and f"did you mean `{c('workspace')}`" in msg


def test_unknown_nested_key_suggests_closest() -> None:
    def mutate(cfg: Config) -> None:
        cfg[c("groups")]["ml-engineers"]["dispalyName"] = "x"

    msg = only(problems_for("dev", mutate), c("groups.ml-engineers.dispalyName"))
    assert "did you mean `displayName`?" in msg


def test_unnamespaced_key() -> None:
    msg = only(problems_for("dev", lambda cfg: cfg.update({"groups": {}})), "groups")
    assert "not namespaced" in msg and f"'{c('groups')}'" in msg


# --- identity ----------------------------------------------------------------------------

def test_duplicate_group_display_names_case_insensitive() -> None:
    def mutate(cfg: Config) -> None:
        cfg[c("groups")]["auditors"]["displayName"] = "SG-DBX-DEV-ML-ENGINEERS"

    msg = only(problems_for("dev", mutate), c("groups.auditors.displayName"))
    assert "duplicates the display name of groups.ml-engineers" in msg
    assert "case-insensitively" in msg


def test_invalid_uuid() -> None:
    def mutate(cfg: Config) -> None:
        cfg[c("groups")]["auditors"]["owners"] = ["jane.doe@fabrikam.example"]

    msg = only(problems_for("dev", mutate), c("groups.auditors.owners.0"))
    assert "is not a UUID" in msg and "jane.doe@fabrikam.example" in msg


def test_plaintext_secret_is_rejected_and_masked() -> None:
    leaked = "Abc8Q~" + "x" * 34

    def mutate(cfg: Config) -> None:
        cfg[c("groups")]["auditors"]["description"] = f"temp creds {leaked}"

    err = problems_for("dev", mutate)
    msg = only(err, c("groups.auditors.description"))
    assert "Entra ID client secret in plaintext" in msg
    assert "pulumi config set --secret" in msg
    assert leaked not in err.render()


def test_secret_setting_in_plaintext() -> None:
    msg = only(problems_for("dev", lambda cfg: cfg.update({c("scimToken"): "plain"})),
               c("scimToken"))
    assert "holds a secret in plaintext" in msg
    assert f"pulumi config set --secret {c('scimToken')}" in msg


def test_secure_value_the_gate_cannot_decrypt() -> None:
    def mutate(cfg: Config) -> None:
        cfg[c("subscriptionId")] = {"secure": "v1:AAAABBBBCCCC"}

    err = problems_for("dev", mutate)
    msg = only(err, c("subscriptionId"))
    assert "is encrypted" in msg
    assert "no access to the stack's secrets provider to decrypt it" in msg
    assert sum(p.key == c("subscriptionId") for p in err.problems) == 1


def test_deployer_must_be_declared() -> None:
    msg = only(problems_for("dev", lambda cfg: cfg.update({c("deployer"): "jenkins"})),
               c("deployer"))
    assert "does not name a declared service principal" in msg and "ci-deployer" in msg


def test_federated_identity_needs_federation() -> None:
    def mutate(cfg: Config) -> None:
        cfg[c("servicePrincipals")]["ci-deployer"].pop("federation")

    assert "needs its federation" in only(problems_for("dev", mutate),
                                          c("servicePrincipals.ci-deployer.federation"))


def test_rotation_period_out_of_range() -> None:
    def mutate(cfg: Config) -> None:
        cfg[c("servicePrincipals")]["batch-scoring"]["rotation"]["periodDays"] = 400

    msg = only(problems_for("dev", mutate),
               c("servicePrincipals.batch-scoring.rotation.periodDays"))
    assert "less than or equal to 365" in msg and "at most 365" in msg


def test_rotation_overlap_not_shorter_than_period() -> None:
    def mutate(cfg: Config) -> None:
        cfg[c("servicePrincipals")]["batch-scoring"]["rotation"] = {"periodDays": 30,
                                                                     "overlapDays": 30}

    msg = only(problems_for("dev", mutate),
               c("servicePrincipals.batch-scoring.rotation.overlapDays"))
    assert "must be shorter than periodDays" in msg


def test_redirect_uri_must_be_https() -> None:
    def mutate(cfg: Config) -> None:
        cfg[c("clientApp")]["redirectUris"] = ["http://tools.fabrikam.example/callback"]

    msg = only(problems_for("dev", mutate), c("clientApp.redirectUris.0"))
    assert "must be https://" in msg and "loopback" in msg


def test_map_keys_must_be_slugs() -> None:
    def mutate(cfg: Config) -> None:
        cfg[c("groups")]["ML Engineers"] = cfg[c("groups")].pop("ml-engineers")

    assert "not a valid map key" in only(problems_for("dev", mutate), c("groups.ML Engineers"))


# --- conditional access ------------------------------------------------------------------

def test_enabled_conditional_access_needs_break_glass() -> None:
    def mutate(cfg: Config) -> None:
        cfg[c("conditionalAccess")]["breakGlassGroupObjectIds"] = []

    msg = only(problems_for("prod", mutate), c("conditionalAccess.breakGlassGroupObjectIds"))
    assert "no break-glass group is excluded" in msg


def test_report_only_conditional_access_also_needs_break_glass() -> None:
    def mutate(cfg: Config) -> None:
        cfg[c("conditionalAccess")].pop("breakGlassGroupObjectIds")

    msg = only(problems_for("dev", mutate), c("conditionalAccess.breakGlassGroupObjectIds"))
    assert "'enabledForReportingButNotEnforced'" in msg


def test_conditional_access_state_outside_enum() -> None:
    def mutate(cfg: Config) -> None:
        cfg[c("conditionalAccess")]["state"] = "on"

    msg = only(problems_for("dev", mutate), c("conditionalAccess.state"))
    assert "not an allowed value" in msg
    assert "'enabled', 'enabledForReportingButNotEnforced', 'disabled'" in msg


# --- environment hardening ---------------------------------------------------------------

def test_prod_with_protection_off() -> None:
    msg = only(problems_for("prod", lambda cfg: cfg.update({c("protect"): False})), c("protect"))
    assert "false in a prod stack" in msg


def test_prod_with_public_network_access() -> None:
    def mutate(cfg: Config) -> None:
        cfg[c("workspace")]["publicNetworkAccess"] = "Enabled"

    msg = only(problems_for("prod", mutate), c("workspace.publicNetworkAccess"))
    assert "must not be reachable from the public internet" in msg


def test_prod_conditional_access_report_only() -> None:
    def mutate(cfg: Config) -> None:
        cfg[c("conditionalAccess")]["state"] = "enabledForReportingButNotEnforced"

    assert "must be enforced" in only(problems_for("prod", mutate), c("conditionalAccess.state"))


def test_prod_retention_minimum() -> None:
    def mutate(cfg: Config) -> None:
        cfg[c("audit")]["retentionDays"] = 90

    assert "at least 365 days" in only(problems_for("prod", mutate), c("audit.retentionDays"))


def test_prod_replacement_needs_acknowledgement() -> None:
    def mutate(cfg: Config) -> None:
        cfg[c("workspace")]["managedResourceGroupName"] = "rg-fabrikam-ml-prod-managed2"

    msg = only(problems_for("prod", mutate), c("workspace.managedResourceGroupName"))
    assert "REPLACES the prod workspace" in msg and "acknowledgeReplacement" in msg


def test_prod_replacement_acknowledged_is_accepted(settings_prod: Any) -> None:
    doc = stack_document("prod")
    doc["config"][c("workspace")]["name"] = "dbw-fabrikam-ml-prod-v2"
    doc["config"][c("workspace")]["acknowledgeReplacement"] = "CHG-1234 move to v2"
    s = parse(raw_from_stack_document(doc, "x"), stack="prod")
    assert s.workspace.name == "dbw-fabrikam-ml-prod-v2"


# --- network -----------------------------------------------------------------------------

def test_invalid_cidr() -> None:
    def mutate(cfg: Config) -> None:
        cfg[c("network")]["publicSubnetCidr"] = "10.40.0.0/33"

    msg = only(problems_for("dev", mutate), c("network.publicSubnetCidr"))
    assert "not a valid CIDR range" in msg


def test_overlapping_subnets() -> None:
    def mutate(cfg: Config) -> None:
        cfg[c("network")]["privateSubnetCidr"] = "10.40.0.128/25"

    msg = only(problems_for("dev", mutate), c("network.privateSubnetCidr"))
    assert "overlaps publicSubnetCidr" in msg


def test_subnet_outside_address_space() -> None:
    def mutate(cfg: Config) -> None:
        cfg[c("network")]["privateSubnetCidr"] = "10.99.0.0/24"

    assert "not inside addressSpace" in only(problems_for("dev", mutate),
                                             c("network.privateSubnetCidr"))


# --- models and ACLs ---------------------------------------------------------------------

def test_acl_names_undeclared_group() -> None:
    def mutate(cfg: Config) -> None:
        with_legacy_model(cfg)
        cfg[c("models")]["churn-legacy"]["permissions"]["marketing"] = "CAN_READ"

    msg = only(problems_for("dev", mutate), c("models.churn-legacy.permissions.marketing"))
    assert "undeclared principal" in msg and "data-scientists" in msg


def test_acl_names_undeclared_service_principal() -> None:
    def mutate(cfg: Config) -> None:
        cfg[c("models")]["fraud-score"]["permissions"]["batch-scorer"] = ["EXECUTE"]

    msg = only(problems_for("dev", mutate), c("models.fraud-score.permissions.batch-scorer"))
    assert "undeclared principal" in msg and "batch-scoring" in msg


def test_unknown_permission_level_lists_allowed() -> None:
    def mutate(cfg: Config) -> None:
        with_legacy_model(cfg)
        cfg[c("models")]["churn-legacy"]["permissions"]["auditors"] = "CAN_VIEW"

    msg = only(problems_for("dev", mutate), c("models.churn-legacy.permissions.auditors"))
    assert "CAN_READ, CAN_EDIT, CAN_MANAGE_STAGING_VERSIONS, CAN_MANAGE_PRODUCTION_VERSIONS, " \
           "CAN_MANAGE" in msg


def test_unknown_unity_catalog_privilege() -> None:
    def mutate(cfg: Config) -> None:
        cfg[c("models")]["fraud-score"]["permissions"]["data-scientists"] = ["SELECT"]

    msg = only(problems_for("dev", mutate), c("models.fraud-score.permissions.data-scientists"))
    assert "EXECUTE, APPLY_TAG, MANAGE, ALL_PRIVILEGES" in msg


def test_empty_acl() -> None:
    def mutate(cfg: Config) -> None:
        cfg[c("models")]["fraud-score"]["permissions"] = {}

    assert "is empty" in only(problems_for("dev", mutate), c("models.fraud-score.permissions"))


def test_invalid_workspace_model_name() -> None:
    def mutate(cfg: Config) -> None:
        with_legacy_model(cfg)
        cfg[c("models")]["churn-legacy"]["name"] = "churn/legacy:v1"

    msg = only(problems_for("dev", mutate), c("models.churn-legacy.name"))
    assert "not a valid workspace model name" in msg


def test_invalid_unity_catalog_model_name() -> None:
    def mutate(cfg: Config) -> None:
        cfg[c("models")]["fraud-score"]["name"] = "FraudScore"

    msg = only(problems_for("dev", mutate), c("models.fraud-score.name"))
    assert "not a valid unity-catalog model name" in msg and "lower-case" in msg


def test_unity_catalog_model_without_catalog_or_schema() -> None:
    def mutate(cfg: Config) -> None:
        cfg[c("models")]["fraud-score"].pop("catalog")
        cfg[c("models")]["fraud-score"].pop("schema")

    err = problems_for("dev", mutate)
    assert "needs its catalog and schema" in only(err, c("models.fraud-score.catalog"))
    assert "needs its catalog and schema" in only(err, c("models.fraud-score.schema"))


def test_operator_cannot_be_lowered() -> None:
    def mutate(cfg: Config) -> None:
        with_legacy_model(cfg)
        cfg[c("models")]["churn-legacy"]["permissions"]["platform-admins"] = "CAN_READ"

    msg = only(problems_for("dev", mutate), c("models.churn-legacy.permissions.platform-admins"))
    assert "lowers an operator below CAN_MANAGE" in msg


def test_prod_human_production_transitions_need_exception() -> None:
    def mutate(cfg: Config) -> None:
        with_legacy_model(cfg)
        cfg[c("models")]["churn-legacy"]["permissions"]["ml-engineers"] = \
            "CAN_MANAGE_PRODUCTION_VERSIONS"

    msg = only(problems_for("prod", mutate), c("models.churn-legacy.permissions.ml-engineers"))
    assert "only service principals may move model versions to production" in msg
    assert "exceptions.ml-engineers" in msg


def test_prod_human_production_transitions_with_exception_pass() -> None:
    doc = stack_document("prod")
    model = with_legacy_model(doc["config"])[c("models")]["churn-legacy"]
    model["permissions"]["ml-engineers"] = "CAN_MANAGE_PRODUCTION_VERSIONS"
    model["exceptions"] = {"ml-engineers": "INC-77: release pipeline down, manual promotions"}
    s = parse(raw_from_stack_document(doc, "x"), stack="prod")
    assert s.models["churn-legacy"].exceptions["ml-engineers"].startswith("INC-77")


def test_agent_is_read_only() -> None:
    def mutate(cfg: Config) -> None:
        cfg[c("models")]["credit-default"]["permissions"]["risk-agent"] = ["EXECUTE", "APPLY_TAG"]

    msg = only(problems_for("dev", mutate), c("models.credit-default.permissions.risk-agent"))
    assert "agent identity may only read or execute" in msg


# --- all at once -------------------------------------------------------------------------

def test_every_problem_is_reported_at_once() -> None:
    """Every field problem at once; once the fields are valid, every cross-field problem at
    once (the checks run over the validated model, as pydantic runs model validators after the
    fields)."""
    def cross_field(cfg: Config) -> None:
        with_legacy_model(cfg)
        cfg[c("models")]["churn-legacy"]["permissions"]["nobody"] = "CAN_READ"
        cfg[c("protect")] = False

    def mutate(cfg: Config) -> None:
        cross_field(cfg)
        cfg[c("tenantId")] = "tenant"
        cfg[c("network")]["publicSubnetCidr"] = "nonsense"
        cfg[c("conditionalAccess")]["state"] = "maybe"

    err = problems_for("prod", mutate)
    keys = {p.key for p in err.problems}
    assert {c("tenantId"), c("network.publicSubnetCidr"), c("conditionalAccess.state")} <= keys
    assert err.render().startswith(f"{len(err.problems)} configuration problem(s)")

    err = problems_for("prod", cross_field)
    keys = {p.key for p in err.problems}
    assert {c("models.churn-legacy.permissions.nobody"), c("protect")} <= keys
    assert err.render().startswith(f"{len(err.problems)} configuration problem(s)")


def test_shipped_stacks_are_valid(settings_dev: Any, settings_prod: Any) -> None:
    assert settings_dev.environment.value == "dev" and not settings_dev.is_prod
    assert settings_prod.is_prod and settings_prod.protect


# --- rules added with the workspace, identity and access components ------------------------

def test_customer_managed_keys_need_a_key() -> None:
    def mutate(cfg: Config) -> None:
        cfg[c("workspace")]["customerManagedKeys"] = {"keyVaultUri": "https://kv.vault.azure.net/"}

    assert "names no key" in only(problems_for("prod", mutate), c("workspace.customerManagedKeys"))


def test_customer_managed_key_needs_its_version() -> None:
    def mutate(cfg: Config) -> None:
        cfg[c("workspace")]["customerManagedKeys"] = {
            "keyVaultUri": "https://kv.vault.azure.net/", "managedServicesKeyName": "dbx"}

    msg = only(problems_for("prod", mutate),
               c("workspace.customerManagedKeys.managedServicesKeyVersion"))
    assert "needs the key version" in msg


def test_compliance_profile_needs_monitoring_and_updates() -> None:
    def mutate(cfg: Config) -> None:
        cfg[c("workspace")]["enhancedSecurityCompliance"]["enhancedSecurityMonitoring"] = False

    msg = only(problems_for("prod", mutate),
               c("workspace.enhancedSecurityCompliance.enhancedSecurityMonitoring"))
    assert "compliance security profile always enables" in msg


def test_managed_identity_name_must_be_an_azure_name() -> None:
    def mutate(cfg: Config) -> None:
        cfg[c("servicePrincipals")]["risk-agent"]["displayName"] = "risk agent (AKS)"

    msg = only(problems_for("dev", mutate), c("servicePrincipals.risk-agent.displayName"))
    assert "must be a valid Azure resource name" in msg


def test_mapped_group_cannot_use_a_built_in_name() -> None:
    def mutate(cfg: Config) -> None:
        cfg[c("groups")]["auditors"]["displayName"] = "users"

    assert "built-in Databricks group" in only(problems_for("dev", mutate),
                                               c("groups.auditors.displayName"))


def test_workspace_identity_mode_cannot_grant_unity_catalog_to_groups() -> None:
    def mutate(cfg: Config) -> None:
        cfg[c("databricks")]["identityMode"] = "workspace"
        cfg[c("provisioning")] = {
            "mode": "scim", "scimServicePrincipalObjectId": "cccccccc-0000-0000-0000-000000000001"}
        cfg[c("scimToken")] = {"secure": "v1:AAAA"}

    msg = only(problems_for("dev", mutate), c("models.fraud-score.permissions.ml-engineers"))
    assert "cannot be granted Unity Catalog privileges" in msg


def test_automatic_identity_management_needs_account_mode() -> None:
    def mutate(cfg: Config) -> None:
        cfg[c("databricks")]["identityMode"] = "workspace"

    msg = only(problems_for("dev", mutate), c("provisioning.mode"))
    assert "automatic identity management needs account identity mode" in msg


def test_scim_needs_connector_and_token() -> None:
    def mutate(cfg: Config) -> None:
        cfg[c("provisioning")] = {"mode": "scim"}

    err = problems_for("dev", mutate)
    assert "needs the object id" in only(err, c("provisioning.scimServicePrincipalObjectId"))
    assert "pulumi config set --secret" in only(err, c("scimToken"))

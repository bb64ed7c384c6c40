"""Credential hygiene rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from policy_harness import (
    CLIENT_SECRET_LIKE,
    DATABRICKS_PAT_LIKE,
    DELETE,
    UNKNOWN,
    Case,
    Res,
    Secret,
    application,
    azuread_provider,
    check_case,
    compliant_stack,
    databricks_provider,
    key_vault_secret,
    passes,
    preview,
    stack_resource,
    swap,
    violation,
)

PLAINTEXT = "no-plaintext-secrets-in-inputs"
OUTPUTS = "no-secrets-in-stack-outputs"
EXPIRY = "key-vault-secret-expiry"
PROVIDERS = "providers-no-static-credentials"

GITHUB_TOKEN_LIKE = "ghp_" + "A1b2C3d4E5" * 4
PRIVATE_KEY_LIKE = "-----BEGIN RSA PRIVATE KEY-----\nMIIEow...\n-----END RSA PRIVATE KEY-----"
PLAIN_FIX = " holds a credential in plaintext; pass it as a Pulumi secret " \
    "(pulumi.Output.secret(...) or config.require_secret(...))."
PATTERN_FIX = " in plaintext; keep credentials out of resource inputs (Key Vault) or pass them " \
    "as Pulumi secrets."
OUTPUT_FIX = "; do not export credentials as stack outputs - let consumers read them from Key " \
    "Vault."
PROVIDER_FIX = "' configures a static credential; authenticate with OIDC workload identity " \
    "federation or a managed identity instead."


def _epoch_in(days: float) -> float:
    return (datetime.now(UTC) + timedelta(days=days)).timestamp()


def _sync_secret(value) -> Res:
    return Res("azuread:index/synchronizationSecret:SynchronizationSecret", "sync-secret", {
        "servicePrincipalId": "/servicePrincipals/0000", "credentials": [
            {"key": "BaseAddress", "value": "https://scim.example.com"},
            {"key": "SecretToken", "value": value}]})


def _azure_native_provider(**props) -> Res:
    return Res("pulumi:providers:azure-native", "azure-native-oidc",
               {"useOidc": "true", "subscriptionId": "sub", **props})


def _outputs(**outputs) -> list[Res]:
    stack = stack_resource()
    return swap(compliant_stack(), stack.with_(props={**stack.props, **outputs}))


CASES: list[Case] = [
    # --- plaintext secrets in inputs -------------------------------------------------------
    passes(PLAINTEXT, "key-vault-secret-is-secret", key_vault_secret()),
    passes(PLAINTEXT, "unknown-secret", key_vault_secret().set("properties.value",
                                                               Secret(UNKNOWN))),
    passes(PLAINTEXT, "provider-flags", databricks_provider().set(
        "disableOauthRefreshToken", "true")),
    passes(PLAINTEXT, "provider-oidc-token-secret", azuread_provider()),
    passes(PLAINTEXT, "secret-names-are-not-credentials", key_vault_secret().set(
        "secretName", "client-secret")),
    passes(PLAINTEXT, "uc-credential-securable-name", Res(
        "databricks:index/grants:Grants", "grants-credential", {
            "credential": "ml-storage-credential",
            "grants": [{"principal": "ml-engineers", "privileges": ["ACCESS"]}]})),
    violation(PLAINTEXT, "databricks-secret", Res(
        "databricks:index/secret:Secret", "dbx-secret", {
            "scope": "ml", "key": "api-key", "stringValue": "hunter2"}),
              "stringValue" + PLAIN_FIX),
    violation(PLAINTEXT, "key-vault-plaintext", key_vault_secret().set(
        "properties.value", "hunter2"), "properties.value" + PLAIN_FIX),
    violation(PLAINTEXT, "key-vault-client-secret", key_vault_secret().set(
        "properties.value", CLIENT_SECRET_LIKE), "properties.value" + PLAIN_FIX),
    violation(PLAINTEXT, "provider-client-secret", azuread_provider().set(
        "clientSecret", "s3cr3t"), "clientSecret" + PLAIN_FIX),
    violation(PLAINTEXT, "provider-token", databricks_provider().set(
        "token", DATABRICKS_PAT_LIKE), "token" + PLAIN_FIX),
    passes(PLAINTEXT, "sync-secret-block-secret", _sync_secret("scim-token").with_(props={
        "servicePrincipalId": "/servicePrincipals/0000",
        "credentials": Secret(_sync_secret("scim-token").props["credentials"])})),
    # The SCIM mode as the program declares it: the endpoint in plaintext, the token secret.
    passes(PLAINTEXT, "sync-secret-token-secret", _sync_secret(Secret("scim-token"))),
    # BaseAddress is the connector's endpoint URL, a setting: only the token is a credential.
    violation(PLAINTEXT, "sync-secret", _sync_secret("scim-token"),
              "credentials[1].value" + PLAIN_FIX),
    violation(PLAINTEXT, "sync-secret-unknown-key", _sync_secret(Secret("t")).set(
        "credentials", [{"key": "BaseAddress", "value": "https://scim.example.com"},
                        {"key": "SecretToken", "value": Secret("t")},
                        {"key": "Oauth2ClientSecret", "value": "plain"},
                        {"key": "SomeFutureKey", "value": "plain"}]),
              "credentials[2].value" + PLAIN_FIX, "credentials[3].value" + PLAIN_FIX),
    violation(PLAINTEXT, "pat-in-notes", application().set(
        "notes", f"break glass token {DATABRICKS_PAT_LIKE}"),
              "notes contains what looks like a Databricks personal access token" + PATTERN_FIX),
    violation(PLAINTEXT, "client-secret-in-description", application().set(
        "description", f"secret={CLIENT_SECRET_LIKE}"),
              "description contains what looks like an Entra ID client secret" + PATTERN_FIX),
    violation(PLAINTEXT, "private-key-in-tag", key_vault_secret().set(
        "tags.note", PRIVATE_KEY_LIKE),
              "tags.note contains what looks like a private key" + PATTERN_FIX),
    violation(PLAINTEXT, "github-token-nested", application().set(
        "web.homepageUrl", f"https://x/?t={GITHUB_TOKEN_LIKE}"),
              "web.homepageUrl contains what looks like a GitHub token" + PATTERN_FIX),
    preview(PLAINTEXT, "computed-plaintext", key_vault_secret().set(
        "properties.value", UNKNOWN), "properties.value"),
    # --- stack outputs (stack) -------------------------------------------------------------
    passes(OUTPUTS, "plain-urls", compliant_stack()),
    passes(OUTPUTS, "unknown-plain-output", _outputs(hostname=UNKNOWN)),
    violation(OUTPUTS, "secret-output", _outputs(spSecret=Secret("x")),
              "stack output 'spSecret' is a secret" + OUTPUT_FIX),
    violation(OUTPUTS, "nested-secret", _outputs(sp={"clientSecret": Secret("x")}),
              "stack output 'sp.clientSecret' is a secret" + OUTPUT_FIX),
    violation(OUTPUTS, "secret-number", _outputs(port=Secret(443)),
              "stack output 'port' is a secret" + OUTPUT_FIX),
    violation(OUTPUTS, "unknown-secret", _outputs(token=Secret(UNKNOWN)),
              "stack output 'token' is a secret" + OUTPUT_FIX),
    violation(OUTPUTS, "looks-like-pat", _outputs(bootstrap=DATABRICKS_PAT_LIKE),
              "stack output 'bootstrap' looks like a Databricks personal access token"
              + OUTPUT_FIX),
    violation(OUTPUTS, "named-like-credential", _outputs(adminPassword="hunter2"),
              "stack output 'adminPassword' is named like a credential" + OUTPUT_FIX),
    preview(OUTPUTS, "computed-credential", _outputs(clientSecret=UNKNOWN), "clientSecret"),
    # --- Key Vault secret expiry -----------------------------------------------------------
    passes(EXPIRY, "90-days", key_vault_secret()),
    violation(EXPIRY, "no-expiry", key_vault_secret().set("properties.attributes", DELETE),
              "properties.attributes.expires is not set; set an expiry (seconds since the epoch) "
              "at most 365 days ahead and rotate the secret before it."),
    violation(EXPIRY, "too-far", key_vault_secret().set(
        "properties.attributes.expires", _epoch_in(400.5)),
              "properties.attributes.expires is 400 days from now; set it at most 365 days ahead."),
    violation(EXPIRY, "configured", key_vault_secret(),
              "properties.attributes.expires is 89 days from now; set it at most 30 days ahead.",
              config={"maxLifetimeDays": 30}),
    preview(EXPIRY, "expires", key_vault_secret().set("properties.attributes.expires", UNKNOWN),
            "properties.attributes.expires"),
    # --- provider credentials --------------------------------------------------------------
    passes(PROVIDERS, "oidc", azuread_provider()),
    passes(PROVIDERS, "azure-cli", databricks_provider()),
    passes(PROVIDERS, "azure-native-oidc", _azure_native_provider()),
    violation(PROVIDERS, "azuread-secret", azuread_provider().set("clientSecret", Secret("x")),
              "provider input 'clientSecret" + PROVIDER_FIX),
    violation(PROVIDERS, "databricks-pat", databricks_provider().set("token", Secret("dapi")),
              "provider input 'token" + PROVIDER_FIX),
    violation(PROVIDERS, "azure-native-certificate", _azure_native_provider(
        clientCertificatePath="/certs/sp.pfx"),
              "provider input 'clientCertificatePath" + PROVIDER_FIX),
    violation(PROVIDERS, "unknown-counts-as-set", databricks_provider().set(
        "azureClientSecret", UNKNOWN), "provider input 'azureClientSecret" + PROVIDER_FIX),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.rule}:{c.id}")
def test_secret_rules(pack, case: Case) -> None:
    check_case(pack, case)


def test_secret_rules_are_mandatory_in_dev(dev_pack) -> None:
    bad = key_vault_secret().set("properties.value", "hunter2")
    assert {d.level for d in dev_pack.analyze(bad) if d.policy == PLAINTEXT} == {"mandatory"}

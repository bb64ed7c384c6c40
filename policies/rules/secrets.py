"""Credential hygiene: no plaintext secrets in inputs, outputs or provider configuration."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from pulumi_policy import ResourceValidationArgs, Severity, StackValidationArgs

from ._common import (
    DAY_SECONDS,
    Report,
    canonical_type,
    config_int,
    is_set,
    now_utc,
    of_type,
    peek,
    read,
)
from ._policy import AP_KEY_VAULT_SECRET_EXPIRY, Controls, Family, integer_property
from ._sdk import is_secret, is_unknown_sentinel, raw
from ._types import DB_GRANTS, KEY_VAULT_SECRET, STACK_TYPE, SYNCHRONIZATION_SECRET

policy = Family("secrets")


# Property names that hold credentials (matched on the last path segment, case-insensitive);
# the same expression as settings/secrets.py SECRET_KEY_NAMES (checked by
# tests/policies/test_policy_copies_agree.py).
SECRET_KEY_NAMES = re.compile(
    r"(password|passwd|secret|token|apikey|api_key|privatekey|connectionstring|sharedkey|"
    r"accesskey|clientcertificate|credential)s?$", re.IGNORECASE)


_FLAG_NAME = re.compile(r"^(disable|enable|use|is|has|allow|require)[A-Z]")
# Paths whose generic name ("value") holds a credential for a specific resource type.
_TYPED_SECRET_PATHS: dict[str, tuple[tuple[str, ...], ...]] = {
    KEY_VAULT_SECRET: (("properties", "value"),),
    SYNCHRONIZATION_SECRET: (("credentials", "*", "value"),),
    "databricks:index/secret:Secret": (("stringValue",),),
}
# Paths whose credential-like name is not a credential (e.g. the name of a UC securable).
_NOT_SECRET_PATHS: dict[str, tuple[tuple[str, ...], ...]] = {
    DB_GRANTS: (("secret",), ("credential",)),
}
# Shapes of real credentials, the same list as settings/secrets.py (the pack is an independent
# control and does not import settings); tests/policies/test_policy_copies_agree.py asserts
# the two agree.
SECRET_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("an Entra ID client secret", re.compile(r"[A-Za-z0-9_~.\-]{3}\dQ~[A-Za-z0-9_~.\-]{31,34}")),
    ("a Databricks personal access token", re.compile(r"dapi[0-9a-f]{32}(?:-\d)?")),
    ("a GitHub token", re.compile(r"gh[pousr]_[A-Za-z0-9]{36,}")),
    ("a GitHub fine-grained token", re.compile(r"github_pat_[A-Za-z0-9_]{22,}")),
    ("a private key", re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----")),
    ("a storage account key", re.compile(r"AccountKey=[A-Za-z0-9+/=]{40,}")),
    ("a SAS token", re.compile(r"[?&]sig=[A-Za-z0-9%+/=]{20,}")),
)
# synchronizationSecretKeyStringValuePair keys that are settings, not credentials (Microsoft
# Graph, https://learn.microsoft.com/en-us/graph/api/resources/synchronization-
# synchronizationsecretkeystringvaluepair): a SCIM job's BaseAddress is its endpoint URL. Any
# other key (SecretToken, Password, ClientSecret, ... and keys Graph adds later) is a credential.
SYNCHRONIZATION_SETTING_KEYS = frozenset({
    "None", "UserName", "BaseAddress", "ClientIdentifier", "SingleSignOnType", "Sandbox", "Url",
    "Domain", "TokenExpiration", "Oauth2AccessTokenCreationTime", "SyncAll", "InstanceName",
    "Oauth2ClientId", "CompanyId", "UpdateKeyOnSoftDelete", "SynchronizationSchedule",
    "SystemOfRecord", "SandboxName", "EnforceDomain", "SyncNotificationSettings",
    "SkipOutOfScopeDeletions", "Oauth2RedirectUri", "ApplicationTemplateIdentifier",
    "Oauth2TokenExchangeUri", "Oauth2AuthorizationUri", "AuthenticationType", "Server",
    "PerformInboundEntitlementGrants", "HardDeletesEnabled", "SyncAgentCompatibilityKey",
    "SyncAgentADContainer", "ValidateDomain", "TestReferences",
})


PROVIDER_CREDENTIALS: dict[str, tuple[str, ...]] = {
    "pulumi:providers:azure-native": (
        "clientSecret", "clientCertificatePassword", "clientCertificatePath",
    ),
    "pulumi:providers:azuread": (
        "clientSecret", "clientSecretFilePath", "clientCertificate", "clientCertificatePassword",
        "clientCertificatePath",
    ),
    "pulumi:providers:databricks": (
        "token", "password", "clientSecret", "azureClientSecret", "googleCredentials",
    ),
}
Path = tuple[Any, ...]
SECRET_CONTROLS = Controls(soc2=("CC6.1", "CC6.7"), iso27001=("A.5.17", "A.8.12", "A.8.24"))


def walk(value: Any, path: Path = ()) -> Iterator[tuple[Path, Any]]:
    """Every scalar leaf of a property tree as (path, raw value); never trips unknown checks."""
    container = raw(value)
    if isinstance(container, Mapping):
        for key in container:
            yield from walk(container[key], path + (key,))
    elif isinstance(container, Sequence) and not isinstance(container, str):
        for index, item in enumerate(container):
            yield from walk(item, path + (index,))
    else:
        yield path, container


def format_path(path: Path) -> str:
    """``("credentials", 0, "value")`` -> ``credentials[0].value``."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _matches(path: Path, pattern: tuple[str, ...]) -> bool:
    """Does a concrete path match a pattern where ``*`` stands for any list index?"""
    return len(path) == len(pattern) and all(
        p == "*" and isinstance(k, int) or p == k for k, p in zip(path, pattern, strict=True)
    )


def is_secret_path(resource_type: str, path: Path) -> bool:
    """True when the property at ``path`` holds a credential by its name or position."""
    token = canonical_type(resource_type)
    if any(_matches(path, p) for p in _TYPED_SECRET_PATHS.get(token, ())):
        return True
    if any(_matches(path, p) for p in _NOT_SECRET_PATHS.get(token, ())):
        return False
    names = [part for part in path if isinstance(part, str)]
    if not names or not isinstance(path[-1], str):
        return False
    return SECRET_KEY_NAMES.search(names[-1]) is not None and not _FLAG_NAME.match(names[-1])


def looks_like(value: str) -> str:
    """What credential a plaintext string looks like ("" when none)."""
    for kind, pattern in SECRET_PATTERNS:
        if pattern.search(value):
            return kind
    return ""


def _is_plain_credential(value: Any) -> bool:
    """A non-empty, non-secret string that is not a boolean flag."""
    return (
        isinstance(value, str)
        and not is_secret(value)
        and value.strip() != ""
        and value.lower() not in ("true", "false")
    )


def _is_setting_entry(resource_type: str, props: Any, path: Path) -> bool:
    """A synchronization secret entry whose ``key`` names a setting (e.g. BaseAddress)."""
    if canonical_type(resource_type) != SYNCHRONIZATION_SECRET or len(path) != 3:
        return False
    entries = raw(raw(props).get("credentials"))
    if not isinstance(entries, Sequence) or isinstance(entries, str):
        return False
    entry = raw(entries[path[1]]) if isinstance(path[1], int) and path[1] < len(entries) else None
    return isinstance(entry, Mapping) and raw(entry).get("key") in SYNCHRONIZATION_SETTING_KEYS


@policy.resource(
    name="no-plaintext-secrets-in-inputs",
    types=(),
    severity=Severity.CRITICAL,
    controls=SECRET_CONTROLS,
    remediation=(
        "Wrap credential inputs with pulumi.Output.secret(...) or read them with "
        "config.require_secret(...); never hard-code tokens, client secrets or keys."
    ),
)
def check_plaintext_inputs(args: ResourceValidationArgs, report: Report) -> None:
    """Credentials in resource inputs are Pulumi secrets.

    An input named like a credential (``SECRET_KEY_NAMES``, or a credential position such as a
    Key Vault secret's value) must be a Pulumi secret; any other plaintext input that looks like
    a known credential (``SECRET_PATTERNS``) is flagged too.
    """
    for path, value in walk(args.props):
        shown = format_path(path)
        if (is_secret_path(args.resource_type, path) and _is_plain_credential(value)
                and not _is_setting_entry(args.resource_type, args.props, path)):
            if is_unknown_sentinel(value):
                read(args.props, *path)  # computed and not secret: the SDK reports it
            report(
                f"{shown} holds a credential in plaintext; pass it as a Pulumi secret "
                "(pulumi.Output.secret(...) or config.require_secret(...))."
            )
            continue
        if isinstance(value, str) and not is_secret(value):
            kind = looks_like(value)
            if kind:
                report(
                    f"{shown} contains what looks like {kind} in plaintext; keep credentials out "
                    "of resource inputs (Key Vault) or pass them as Pulumi secrets."
                )


@policy.stack(
    name="no-secrets-in-stack-outputs",
    severity=Severity.HIGH,
    controls=SECRET_CONTROLS,
    remediation="Remove the output; store the credential in Key Vault and export its name.",
)
def check_stack_outputs(args: StackValidationArgs, report: Report) -> None:
    """Stack outputs carry no secrets."""
    for stack in of_type(args.resources, STACK_TYPE):
        for path, value in walk(stack.props):
            if not path:
                continue
            shown = format_path(path)
            if is_secret(value):
                problem = "is a secret"
            elif is_secret_path(STACK_TYPE, path) and _is_plain_credential(value):
                if is_unknown_sentinel(value):
                    read(stack.props, *path)  # computed and not secret: the SDK reports it
                problem = "is named like a credential"
            elif isinstance(value, str) and looks_like(value):
                problem = f"looks like {looks_like(value)}"
            else:
                continue
            report(
                f"stack output '{shown}' {problem}; do not export credentials as stack outputs - "
                "let consumers read them from Key Vault.",
                stack.urn,
            )


@policy.resource(
    name="key-vault-secret-expiry",
    types=[KEY_VAULT_SECRET],
    severity=Severity.MEDIUM,
    controls=Controls(
        soc2=("CC6.1",), iso27001=("A.5.17",),
        azure_policy=(AP_KEY_VAULT_SECRET_EXPIRY,),
    ),
    remediation="Set properties.attributes.expires (epoch seconds) and rotate before expiry.",
    config={
        "maxLifetimeDays": integer_property(365, "Maximum secret lifetime in days.", minimum=1),
    },
)
def check_key_vault_expiry(args: ResourceValidationArgs, report: Report) -> None:
    """Key Vault secrets have an expiry within the maximum lifetime."""
    maximum = config_int(args.get_config(), "maxLifetimeDays", 365)
    expires = read(args.props, "properties", "attributes", "expires")
    if expires is None:
        report(
            "properties.attributes.expires is not set; set an expiry (seconds since the epoch) "
            f"at most {maximum} days ahead and rotate the secret before it."
        )
        return
    if isinstance(expires, bool) or not isinstance(expires, (int, float)):
        report(f"properties.attributes.expires is {expires!r}, not seconds since the epoch.")
        return
    days = (float(expires) - now_utc().timestamp()) / DAY_SECONDS
    if days > maximum:
        report(
            f"properties.attributes.expires is {int(days)} days from now; set it at most "
            f"{maximum} days ahead."
        )


@policy.resource(
    name="providers-no-static-credentials",
    types=tuple(PROVIDER_CREDENTIALS),
    severity=Severity.HIGH,
    controls=Controls(soc2=("CC6.1",), iso27001=("A.5.17", "A.8.5")),
    remediation=(
        "Use OIDC (useOidc / auth_type 'github-oidc-azure') or managed identity in CI and "
        "Azure CLI locally; remove client secrets, certificates, tokens and passwords."
    ),
)
def check_provider_credentials(args: ResourceValidationArgs, report: Report) -> None:
    """Providers do not authenticate with static credentials."""
    for key in PROVIDER_CREDENTIALS.get(args.resource_type, ()):
        if is_set(peek(args.props, key)):
            report(
                f"provider input '{key}' configures a static credential; authenticate with OIDC "
                "workload identity federation or a managed identity instead."
            )

"""Facts the pack states once more on purpose, and the test that the two copies agree.

The policy pack is an independent control: it runs in its own process with its own
requirements and never imports the program's ``settings``. Where it needs a fact the program
also owns (credential shapes, Microsoft's well-known ids, the federation issuer and audience),
it keeps a copy; each copy is checked against its owner here, so they cannot drift apart.
"""

from __future__ import annotations

import pytest
from rules import _common as pack_common
from rules import secrets as pack_secrets

from settings import secrets as settings_secrets
from settings import wellknown

CLIENT_SECRET_LIKE = "abc" + "8Q~" + "A" * 32
SAMPLES = [
    CLIENT_SECRET_LIKE,
    "dapi" + "0123456789abcdef" * 2,
    "dapi" + "0123456789abcdef" * 2 + "-2",
    "ghp_" + "A1b2C3d4E5" * 4,
    "github_pat_" + "A1b2C3d4E5_" * 3,
    "-----BEGIN RSA PRIVATE KEY-----",
    "-----BEGIN OPENSSH PRIVATE KEY-----",
    "-----BEGIN PRIVATE KEY-----",
    "DefaultEndpointsProtocol=https;AccountName=a;AccountKey=" + "A" * 86 + "==",
    "https://a.blob.core.windows.net/c?sv=2022-11-02&sig=" + "abcdEFGH1234%2B" * 3,
    # not credentials: ids, names and URLs
    "2ff814a6-3304-4ab8-85cb-cd0e6f879c1d",
    "https://adb-1234567890123456.7.azuredatabricks.net",
    "ml-engineers",
    "repo:org/repo:environment:prod",
    "dapi-x",
]


def test_credential_shapes_are_the_same_list_in_settings_and_pack() -> None:
    ours = [(kind, p.pattern, p.flags) for kind, p in settings_secrets.SECRET_PATTERNS]
    pack = [(kind, p.pattern, p.flags) for kind, p in pack_secrets.SECRET_PATTERNS]
    assert pack == ours


@pytest.mark.parametrize("value", SAMPLES)
def test_settings_and_pack_see_the_same_credential_in_a_value(value: str) -> None:
    assert (settings_secrets.secret_kind(value) or "") == pack_secrets.looks_like(value)


def test_the_samples_cover_every_shape_and_some_non_credentials() -> None:
    kinds = {settings_secrets.secret_kind(v) for v in SAMPLES}
    assert kinds == {kind for kind, _ in settings_secrets.SECRET_PATTERNS} | {None}


@pytest.mark.parametrize("name", ["AZURE_DATABRICKS_APP_ID", "MS_GRAPH_APP_ID",
                                  "GITHUB_ISSUER", "TOKEN_EXCHANGE_AUDIENCE"])
def test_well_known_ids_agree(name: str) -> None:
    assert getattr(pack_common, name) == getattr(wellknown, name)


def test_credential_key_names_are_the_same_expression_in_settings_and_pack() -> None:
    ours, pack = settings_secrets.SECRET_KEY_NAMES, pack_secrets.SECRET_KEY_NAMES
    assert (pack.pattern, pack.flags) == (ours.pattern, ours.flags)
    for name in ("clientSecret", "scimToken", "adminPassword", "connectionString", "apiKeys",
                 "primarySharedKey", "credentials"):
        assert ours.search(name) and pack.search(name), name
    for name in ("displayName", "objectId", "tokenLifetime", "secretName"):
        assert not ours.search(name) and not pack.search(name), name


def test_the_azure_databricks_domain_agrees() -> None:
    """The host no redirect URI may point at: settings refuse it, the pack reports it."""
    from rules import entra_sign_in as pack_sign_in

    from settings import limits

    assert pack_sign_in.DATABRICKS_DOMAIN == limits.DATABRICKS_DOMAIN == "azuredatabricks.net"

"""Refused at validate time: what Entra ID, Microsoft Graph, ARM and Databricks refuse at apply.

Every limit names its source. A value over a limit would otherwise fail a deploy half-way,
after other resources were already changed.

* Entra group ``displayName``: at most 256 characters (Graph, group resource type,
  https://learn.microsoft.com/graph/api/resources/group).
* Entra app registration ``displayName``: at most 120 characters (Entra admin center and
  Graph, https://learn.microsoft.com/graph/api/resources/application).
* Redirect URIs: at most 256 characters each, https except loopback, no wildcard, no fragment,
  none of ``! $ ' ( ) , ;`` (https://learn.microsoft.com/entra/identity-platform/reply-url).
* Conditional access named location ``displayName``: 256 characters (Graph namedLocation).
* Azure tags: name at most 512 characters, value at most 256, names without ``< > % & \\ ? /``,
  at most 50 tags per resource, names not starting with ``microsoft``, ``azure`` or ``windows``
  (https://learn.microsoft.com/azure/azure-resource-manager/management/tag-resources#limitations).
* ARM names (https://learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules):
  ``Microsoft.Databricks/workspaces`` 3-64 alphanumerics, '_' and '-';
  ``Microsoft.Network/virtualNetworks`` 2-64 alphanumerics, '_', '.', '-', starting with an
  alphanumeric and ending with an alphanumeric or '_';
  ``Microsoft.OperationalInsights/workspaces`` 4-63 alphanumerics and '-', starting and ending
  with an alphanumeric (Key Vault names: see the keyVault rules in settings/rules.py).
* Unity Catalog identifiers (catalog, schema, model): at most 255 characters
  (https://docs.databricks.com/en/sql/language-manual/sql-ref-names.html).
* Federated identity credentials: subject at most 600 characters
  (https://learn.microsoft.com/graph/api/resources/federatedidentitycredential).
* Invisible and bidirectional control characters (Unicode category Cf such as U+202E, U+200B,
  U+2066, and C0/C1 controls) are refused in every string a person reads: they make a name
  display differently from what it is (CVE-2021-42574, "Trojan Source").
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from typing import Any
from urllib.parse import urlsplit

from settings.errors import Problem
from settings.model import PROJECT, Environment
from settings.rules import Fail, Parts, key, rule

GROUP_DISPLAY_NAME_MAX = 256
APP_DISPLAY_NAME_MAX = 120
NAMED_LOCATION_DISPLAY_NAME_MAX = 256
REDIRECT_URI_MAX = 256
TAG_NAME_MAX = 512
TAG_VALUE_MAX = 256
TAGS_PER_RESOURCE_MAX = 50
TAG_NAME_FORBIDDEN = "<>%&\\?/"
TAG_NAME_RESERVED_PREFIXES = ("microsoft", "azure", "windows")
UC_IDENTIFIER_MAX = 255
FIC_SUBJECT_MAX = 600
BUILT_IN_TAGS = 5  # owner, cost-center, environment, data-classification, managed-by

_WORKSPACE_NAME = re.compile(r"[A-Za-z0-9_-]{3,64}")
_VNET_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,62}[A-Za-z0-9_]")
_LOG_ANALYTICS_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{2,61}[A-Za-z0-9]")
_REDIRECT_SPECIALS = set("!$'(),;")
# Characters that render as nothing (or as blank) although they are not spaces.
_INVISIBLE_EXTRA = {"\u115f", "\u1160", "\u3164", "\uffa0", "\u2800", "\u034f", "\u180e"}
# Multi-line text is fine in these (free-text descriptions and reasons).
_MULTILINE_KEYS = ("description", "purpose", "exceptions")


# --- invisible and control characters ---------------------------------------------------

def unreadable_character(text: str, multiline: bool = False) -> str | None:
    """The first character that displays differently from what it is, as U+XXXX, or None."""
    if text.isprintable() and not _INVISIBLE_EXTRA.intersection(text):
        return None  # the common case, in C: no control, format, separator or private char
    for ch in text:
        if multiline and ch in "\n\t":
            continue
        cat = unicodedata.category(ch)
        if cat in ("Cf", "Cc", "Co", "Cs", "Zl", "Zp") or ch in _INVISIBLE_EXTRA:
            return f"U+{ord(ch):04X} ({unicodedata.name(ch, 'control character')})"
    return None


def invisible_characters(path: str, value: Any, depth: int = 0) -> list[Problem]:
    """Every string (and map key) under ``value`` with an invisible or control character."""
    out: list[Problem] = []
    if depth > 80:
        return out
    if isinstance(value, str):
        segments = path.rsplit(":", 1)[-1].split(".")
        multiline = segments[-1] in _MULTILINE_KEYS or (
            len(segments) > 1 and segments[-2] in _MULTILINE_KEYS)
        found = unreadable_character(value, multiline)
        if found:
            out.append(Problem(path, f"contains the invisible or control character {found}, "
                               "so it reads differently from what it is",
                               "retype the value without it (check for pasted text)"))
    elif isinstance(value, dict):
        for k, v in value.items():
            found = unreadable_character(str(k))
            if found:
                out.append(Problem(f"{path}.<key>", f"has a key with the invisible or control "
                                   f"character {found}", "retype the key without it"))
                continue
            out.extend(invisible_characters(f"{path}.{k}", v, depth + 1))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out.extend(invisible_characters(f"{path}.{i}", v, depth + 1))
    return out


# --- redirect URIs ------------------------------------------------------------------------

def is_loopback_host(host: str) -> bool:
    host = host.strip("[]").rstrip(".").casefold()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified or address.is_link_local


def redirect_uri_problems(uri: str, *, prod: bool,
                          public_client: bool = True) -> list[tuple[str, str]]:
    """(message, fix) for each way Entra would refuse ``uri``, or it has no place in prod.

    Reusable for any section that holds redirect URIs (sign-in or client apps). For web and
    single-page-app URIs the azuread provider (terraform-provider-azuread's
    ``IsRedirectUriFunc``/``IsUriFunc``, which pulumi-azuread 6.x runs at preview) also refuses
    a URI without a path unless it ends with '/' ("URI must have a trailing slash when there is
    no path segment"); public-client URIs skip that check.
    """
    out: list[tuple[str, str]] = []
    if len(uri) > REDIRECT_URI_MAX:
        out.append((f"is {len(uri)} characters; Entra ID accepts at most {REDIRECT_URI_MAX} per "
                    "redirect URI", "shorten it (drop query parameters)"))
    bad = sorted(_REDIRECT_SPECIALS & set(uri))
    if bad:
        out.append((f"contains {' '.join(bad)}, which Entra ID does not accept in redirect URIs",
                    "percent-encode or remove them"))
    try:
        parts = urlsplit(uri)
        host = parts.hostname or ""
    except ValueError:
        return out + [("is not a valid URI", "write it as https://host/path")]
    if parts.fragment or "#" in uri:
        out.append(("has a fragment ('#...'); Entra ID refuses redirect URIs with fragments",
                    "remove the '#' part"))
    if not host:
        out.append(("has no host", "write it as https://host/path"))
    elif not public_client and parts.path == "":
        out.append(("has no path: the azuread provider refuses a web or single-page-app "
                    "redirect URI without a path unless it ends with '/'",
                    f"write it as {uri}/ or add the callback path"))
    elif prod and is_loopback_host(host):
        out.append(("points to the developer's own machine (localhost/loopback); in prod it "
                    "would hand authorization codes to whatever listens there",
                    "remove it from the prod stack (keep it in dev only)"))
    return out


@rule("client_app", "environment")
def client_app_redirect_uri_limits(parts: Parts, fail: Fail) -> None:
    """Entra's limits on the client app's redirect URIs; loopback only where it belongs.

    A public client (desktop or CLI tool) receives its code on the user's own loopback address
    (RFC 8252), in prod too. A single-page app on localhost only exists on a developer's machine.
    """
    app = parts["client_app"]
    prod = parts["environment"] is Environment.PROD and app.platform != "publicClient"
    for i, uri in enumerate(app.redirect_uris):
        for message, fix in redirect_uri_problems(
                uri, prod=prod, public_client=app.platform == "publicClient"):
            fail(key("clientApp", "redirectUris", str(i)), message, fix, value=uri)


# --- Entra display names ------------------------------------------------------------------

def _too_long(fail: Fail, path: tuple[str, ...], value: str, limit: int, what: str) -> None:
    if len(value) > limit:
        fail(key(*path), f"is {len(value)} characters; {what} accepts at most {limit}",
             f"shorten it to {limit} characters or fewer", value=value)


@rule("client_app")
def client_app_name_length(parts: Parts, fail: Fail) -> None:
    _too_long(fail, ("clientApp", "displayName"), parts["client_app"].display_name,
              APP_DISPLAY_NAME_MAX, "an Entra app registration's displayName")


@rule("groups")
def group_name_length(parts: Parts, fail: Fail) -> None:
    for k, g in parts["groups"].items():
        _too_long(fail, ("groups", k, "displayName"), g.display_name, GROUP_DISPLAY_NAME_MAX,
                  "an Entra group's displayName")


@rule("service_principals")
def service_principal_limits(parts: Parts, fail: Fail) -> None:
    for k, sp in parts["service_principals"].items():
        if sp.kind != "managed-identity":  # a managed identity's name has its own rule
            _too_long(fail, ("servicePrincipals", k, "displayName"), sp.display_name,
                      APP_DISPLAY_NAME_MAX, "an Entra app registration's displayName")
        for fk, fc in sp.federated_credentials.items():
            _too_long(fail, ("servicePrincipals", k, "federatedCredentials", fk, "subject"),
                      fc.subject, FIC_SUBJECT_MAX, "a federated identity credential's subject")


@rule("conditional_access")
def named_location_name_length(parts: Parts, fail: Fail) -> None:
    for k, loc in parts["conditional_access"].named_locations.items():
        _too_long(fail, ("conditionalAccess", "namedLocations", k, "displayName"),
                  loc.display_name, NAMED_LOCATION_DISPLAY_NAME_MAX,
                  "a conditional access named location's displayName")


# --- Azure tags and resource names ---------------------------------------------------------

@rule("tags")
def azure_tags(parts: Parts, fail: Fail) -> None:
    tags = parts["tags"]
    for field, value in (("owner", tags.owner), ("costCenter", tags.cost_center)):
        _too_long(fail, ("tags", field), value, TAG_VALUE_MAX, "an Azure tag value")
    if len(tags.extra) + BUILT_IN_TAGS > TAGS_PER_RESOURCE_MAX:
        fail(key("tags", "extra"), f"has {len(tags.extra)} tags; with the {BUILT_IN_TAGS} the "
             f"program adds, a resource would carry more than the {TAGS_PER_RESOURCE_MAX} Azure "
             "accepts", f"keep at most {TAGS_PER_RESOURCE_MAX - BUILT_IN_TAGS} extra tags")
    for name, value in tags.extra.items():
        path = ("tags", "extra", name)
        if not name.strip():
            fail(key(*path), "is an empty tag name", "give the tag a name")
        if len(name) > TAG_NAME_MAX:
            fail(key("tags", "extra"), f"has a tag name of {len(name)} characters; Azure accepts "
                 f"at most {TAG_NAME_MAX}", f"shorten it to {TAG_NAME_MAX} characters")
        bad = sorted(set(name) & set(TAG_NAME_FORBIDDEN))
        if bad:
            fail(key(*path), f"contains {' '.join(bad)}, which Azure refuses in tag names "
                 f"(forbidden: {' '.join(TAG_NAME_FORBIDDEN)})", "rename the tag")
        if name.casefold().startswith(TAG_NAME_RESERVED_PREFIXES):
            fail(key(*path), "starts with a prefix Azure reserves for its own tags "
                 f"({', '.join(TAG_NAME_RESERVED_PREFIXES)})", "rename the tag")
        _too_long(fail, path, value, TAG_VALUE_MAX, "an Azure tag value")


@rule("workspace")
def workspace_resource_name(parts: Parts, fail: Fail) -> None:
    name = parts["workspace"].name
    if not _WORKSPACE_NAME.fullmatch(name):
        fail(key("workspace", "name"), "is not a valid Azure Databricks workspace name (ARM: "
             "3-64 letters, digits, '_' and '-')", "use e.g. dbw-fabrikam-ml-prod", value=name)


@rule("network")
def vnet_name(parts: Parts, fail: Fail) -> None:
    name = parts["network"].vnet_name
    if not _VNET_NAME.fullmatch(name):
        fail(key("network", "vnetName"), "is not a valid virtual network name (ARM: 2-64 "
             "letters, digits, '_', '.' and '-', starting with a letter or digit, ending with a "
             "letter, digit or '_')", "use e.g. vnet-fabrikam-ml-prod", value=name)


@rule("audit")
def log_analytics_name(parts: Parts, fail: Fail) -> None:
    name = parts["audit"].log_analytics_name
    if not _LOG_ANALYTICS_NAME.fullmatch(name):
        fail(key("audit", "logAnalyticsName"), "is not a valid Log Analytics workspace name "
             "(ARM: 4-63 letters, digits and '-', starting and ending with a letter or digit)",
             "use e.g. log-fabrikam-ml-prod", value=name)


# --- Unity Catalog ---------------------------------------------------------------------------

@rule("models")
def unity_catalog_identifier_length(parts: Parts, fail: Fail) -> None:
    for mk, model in parts["models"].items():
        for field, value in (("name", model.name), ("catalog", model.catalog),
                             ("schema", model.schema_)):
            if value and len(value) > UC_IDENTIFIER_MAX:
                fail(key("models", mk, field), f"is {len(value)} characters; Databricks "
                     f"accepts at most {UC_IDENTIFIER_MAX} in a name", "shorten it",
                     value=value)


__all__ = ["PROJECT", "invisible_characters", "redirect_uri_problems", "unreadable_character"]

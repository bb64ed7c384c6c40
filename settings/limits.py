"""Refused at validate time: what Entra ID, Microsoft Graph, ARM and Databricks refuse at apply.

Every limit names its source. A value over a limit would otherwise fail a deploy half-way,
after other resources were already changed. The limits and shapes live here; the checks that
apply them to the settings live in :mod:`settings.checks` (each family checks its own names).

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
  with an alphanumeric (Key Vault names: ``settings.sections.identities.VAULT_NAME``).
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

WORKSPACE_NAME = re.compile(r"[A-Za-z0-9_-]{3,64}")
VNET_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,62}[A-Za-z0-9_]")
LOG_ANALYTICS_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{2,61}[A-Za-z0-9]")
# Redirect URIs (learn.microsoft.com, "Redirect URI (reply URL) restrictions and limitations"):
# at most 256 URIs per application, none of these characters in a URI, and http:// only for
# localhost; RFC 8252 (section 7.3) lets a native client redirect to its loopback address.
MAX_REDIRECT_URIS = 256
_REDIRECT_SPECIALS = set("!$'(),;")
LOOPBACK_HOSTS = ("127.0.0.1", "localhost")
# Azure Databricks hosts: workspaces (adb-*.azuredatabricks.net) and the account console. The
# Azure Databricks first-party app signs users in to them; a client of ours never redirects there.
DATABRICKS_DOMAIN = "azuredatabricks.net"
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

    The one owner of "is this a redirect URI Entra accepts": the length and character limits,
    no fragment, no wildcard, https (or http on a loopback address for a native client, RFC
    8252), never an Azure Databricks host. For web and single-page-app URIs the azuread provider
    (terraform-provider-azuread's ``IsRedirectUriFunc``/``IsUriFunc``, which pulumi-azuread 6.x
    runs at preview) also refuses a URI without a path unless it ends with '/' ("URI must have
    a trailing slash when there is no path segment"); public-client URIs skip that check.
    """
    out: list[tuple[str, str]] = []
    if len(uri) > REDIRECT_URI_MAX:
        out.append((f"is {len(uri)} characters; Entra ID accepts at most {REDIRECT_URI_MAX} per "
                    "redirect URI", "shorten it (drop query parameters)"))
    bad = sorted(_REDIRECT_SPECIALS & set(uri))
    if bad:
        out.append((f"contains {' '.join(bad)}, which Entra ID refuses in redirect URIs",
                    "percent-encode or remove them"))
    try:
        parts = urlsplit(uri)
        host = parts.hostname or ""
    except ValueError:
        return out + [("is not a valid URI", "write it as https://host/path")]
    if parts.fragment or "#" in uri:
        out.append(("has a fragment ('#...'); Entra ID refuses redirect URIs with fragments",
                    "remove the '#' part"))
    if "*" in uri:
        out.append(("contains a wildcard; Entra matches redirect URIs exactly",
                    "register each exact redirect URI"))
    if not host:
        out.append(("has no host: a redirect URI must be https://<host>/<path> (or http:// on "
                    "a loopback address for a native client)", "write it as https://host/path"))
        return out
    lowered = host.lower()
    if lowered == DATABRICKS_DOMAIN or lowered.endswith("." + DATABRICKS_DOMAIN):
        out.append(("points at an Azure Databricks host: people sign in to a workspace through "
                    "Microsoft's Azure Databricks app, never through this client app",
                    "use the redirect URI of your own tool (e.g. https://ml-portal.example.com/"
                    "auth or http://localhost for a desktop tool)"))
    elif not (parts.scheme == "https"
              or (parts.scheme == "http" and lowered in LOOPBACK_HOSTS)):
        out.append(("must be https://, or http:// on a loopback address for a native client "
                    "(RFC 8252)", "use https://<your tool>/<callback>, or http://localhost / "
                    "http://127.0.0.1"))
    if not public_client and parts.path == "":
        out.append(("has no path: the azuread provider refuses a web or single-page-app "
                    "redirect URI without a path unless it ends with '/'",
                    f"write it as {uri}/ or add the callback path"))
    elif prod and is_loopback_host(host):
        out.append(("points to the developer's own machine (localhost/loopback); in prod it "
                    "would hand authorization codes to whatever listens there",
                    "remove it from the prod stack (keep it in dev only)"))
    return out

"""Issue 14.4: what the APIs refuse at apply time is refused at validate time, limit named."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from settings import SettingsError, parse
from settings.limits import redirect_uri_problems
from settings.load import raw_from_stack_document
from tests.conftest import NS, stack_document

Config = dict[str, Any]


def _problems(stack: str, mutate: Callable[[Config], None]) -> SettingsError:
    doc = stack_document(stack)
    mutate(doc["config"])
    with pytest.raises(SettingsError) as info:
        parse(raw_from_stack_document(doc, "x"), stack=stack)
    return info.value


def _set(path: str, value: Any) -> Callable[[Config], None]:
    def mutate(c: Config) -> None:
        head, *rest = path.split(".")
        target = c[f"{NS}:{head}"]
        for part in rest[:-1]:
            target = target[int(part)] if isinstance(target, list) else target[part]
        if isinstance(target, list):
            target[int(rest[-1])] = value
        else:
            target[rest[-1]] = value
    return mutate


CASES = [
    ("groups.auditors.displayName", "g" * 257, "256"),
    ("clientApp.displayName", "a" * 121, "120"),
    ("servicePrincipals.model-release.displayName", "s" * 121, "120"),
    ("conditionalAccess.namedLocations.fabrikam-vpn.displayName", "n" * 257, "256"),
    ("clientApp.redirectUris.0", "https://ml-portal.example/" + "p" * 240, "256"),
    ("clientApp.redirectUris.0", "https://ml-portal.example/cb#frag", "fragment"),
    ("clientApp.redirectUris.0", "https://ml-portal.example/c(b)", "("),
    ("tags.owner", "o" * 257, "256"),
    ("tags.extra.project", "v" * 257, "256"),
    ("workspace.name", "dbw.fabrikam.ml", "3-64"),
    ("network.vnetName", "vnet-", "2-64"),
    ("audit.logAnalyticsName", "log", "4-63"),
    ("models.credit-default.catalog", "c" * 256, "255"),
    ("servicePrincipals.risk-agent.federatedCredentials.aks-risk-agent.subject", "s" * 601,
     "600"),
]


@pytest.mark.parametrize("path,value,limit", CASES, ids=[c[0] + "-" + c[2] for c in CASES])
def test_limit_is_refused_with_the_limit_named(path: str, value: Any, limit: str) -> None:
    err = _problems("prod", _set(path, value))
    found = [p.render() for p in err.problems if p.key == f"{NS}:{path}"]
    assert found, err.render()
    assert any(limit in text for text in found), found


@pytest.mark.parametrize("name,bad", [("cost<center", "<"), ("a/b", "/"), ("x?y", "?"),
                                      ("p%q", "%"), ("a&b", "&"), ("a\\b", "\\")])
def test_forbidden_tag_name_characters(name: str, bad: str) -> None:
    err = _problems("dev", lambda c: c[f"{NS}:tags"]["extra"].update({name: "v"}))
    assert any(p.key == f"{NS}:tags.extra.{name}" and bad in p.message for p in err.problems), \
        err.render()


def test_too_many_tags() -> None:
    err = _problems("dev", lambda c: c[f"{NS}:tags"]["extra"].update(
        {f"t{i}": "v" for i in range(50)}))
    assert any("50" in p.message for p in err.problems if p.key == f"{NS}:tags.extra")


@pytest.mark.parametrize("char", ["\u202e", "\u200b", "\u2066", "\u00ad", "\ufeff", "\x1b",
                                  "\u3164", "\u2028"])
@pytest.mark.parametrize("path", ["groups.auditors.displayName", "clientApp.displayName",
                                  "models.credit-default.description", "tags.owner",
                                  "servicePrincipals.model-release.purpose"])
def test_invisible_and_bidi_characters_are_refused(path: str, char: str) -> None:
    def mutate(c: Config) -> None:
        head, *rest = path.split(".")
        target = c[f"{NS}:{head}"]
        for part in rest[:-1]:
            target = target[part]
        target[rest[-1]] = "sg-dbx" + char + "-admins"
    err = _problems("prod", mutate)
    assert any(p.key == f"{NS}:{path}" and f"U+{ord(char):04X}" in p.message
               for p in err.problems), err.render()


def test_invisible_character_in_a_map_key_is_refused() -> None:
    err = _problems("prod", lambda c: c[f"{NS}:groups"].update(
        {"audi\u200btors": c[f"{NS}:groups"]["auditors"]}))
    assert "U+200B" in err.render()


def test_multi_line_descriptions_stay_allowed() -> None:
    doc = stack_document("prod")
    doc["config"][f"{NS}:groups"]["auditors"]["description"] = "Line one.\nLine two."
    parse(raw_from_stack_document(doc, "x"), stack="prod")


@pytest.mark.parametrize("uri", ["https://localhost/cb", "https://127.0.0.1:8443/cb",
                                 "https://[::1]/cb", "https://app.localhost/cb",
                                 "https://0.0.0.0/cb", "https://LOCALHOST./cb"])
def test_prod_refuses_developer_machine_redirect_uris(uri: str) -> None:
    err = _problems("prod", _set("clientApp.redirectUris.0", uri))
    assert any("developer" in p.message for p in err.problems
               if p.key == f"{NS}:clientApp.redirectUris.0"), err.render()
    assert redirect_uri_problems(uri, prod=False) == []


def test_dev_keeps_its_loopback_redirect_uri() -> None:
    doc = stack_document("dev")
    doc["config"][f"{NS}:clientApp"]["redirectUris"].append("https://localhost:8443/cb")
    assert not parse(raw_from_stack_document(doc, "x"), stack="dev").is_prod


def test_prod_public_client_keeps_its_loopback_redirect_uri() -> None:
    """A desktop tool receives its code on the user's own loopback address (RFC 8252)."""
    doc = stack_document("prod")
    app = doc["config"][f"{NS}:clientApp"]
    app["platform"] = "publicClient"
    app["redirectUris"] = ["http://localhost"]
    assert parse(raw_from_stack_document(doc, "x"), stack="prod").is_prod


@pytest.mark.parametrize("uri,refused", [("https://ml-portal.fabrikam.example", True),
                                         ("https://ml-portal.fabrikam.example/", False),
                                         ("https://ml-portal.fabrikam.example/cb", False)])
def test_spa_redirect_uri_without_a_path_needs_a_trailing_slash(uri: str, refused: bool) -> None:
    """The azuread provider refuses it at preview; settings say so first (key and fix named)."""
    mutate = _set("clientApp.redirectUris.0", uri)
    if not refused:
        doc = stack_document("prod")
        mutate(doc["config"])
        parse(raw_from_stack_document(doc, "x"), stack="prod")
        return
    err = _problems("prod", mutate)
    (problem,) = [p for p in err.problems if p.key == f"{NS}:clientApp.redirectUris.0"]
    assert "ends with '/'" in problem.message and uri + "/" in problem.fix
    # A public client's loopback URI has no path and stays valid (RFC 8252).
    assert redirect_uri_problems("http://localhost", prod=False, public_client=True) == []

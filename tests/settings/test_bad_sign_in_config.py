"""Bad input for the sign-in keys and the conditional access exclusions:
each malformed value is refused by settings, naming the key, before anything is registered."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from gate.cli import main
from tests.conftest import stack_document
from tests.settings.test_bad_config import Config, c, only, problems_for

BREAK_GLASS = "bbbbbbbb-0000-0000-0000-000000000001"


def client(cfg: Config) -> dict[str, Any]:
    return cfg[c("clientApp")]  # type: ignore[no-any-return]


def adb(cfg: Config) -> dict[str, Any]:
    return cfg[c("azureDatabricksApp")]  # type: ignore[no-any-return]


def ca(cfg: Config) -> dict[str, Any]:
    return cfg[c("conditionalAccess")]  # type: ignore[no-any-return]


def set_uri(uri: str) -> Callable[[Config], None]:
    def mutate(cfg: Config) -> None:
        client(cfg)["redirectUris"] = [uri]
    return mutate


# --- clientApp ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("uri", "says"), [
    ("https://adb-1000000000000001.1.azuredatabricks.net/oidc/callback", "Azure Databricks host"),
    ("https://accounts.azuredatabricks.net/oidc/consume", "Azure Databricks host"),
    ("http://localhost.evil.example/cb", "loopback"),
    ("http://10.0.0.5/cb", "loopback"),
    ("ftp://tools.fabrikam.example/cb", "must be https://"),
    ("https://*.fabrikam.example/cb", "wildcard"),
    ("https://tools.fabrikam.example/cb#frag", "fragment"),
    ("https://tools.fabrikam.example/cb;x", "refuses"),
    ("https://tools.fabrikam.example/" + "a" * 260, "at most 256"),
    ("not a uri", "must be https://"),
])
def test_client_app_redirect_uri_is_refused(uri: str, says: str) -> None:
    for stack in ("dev", "prod"):
        msg = only(problems_for(stack, set_uri(uri)), c("clientApp.redirectUris.0"))
        assert says in msg, msg


def test_each_fault_of_a_redirect_uri_is_reported_once() -> None:
    """One owner checks a redirect URI: a URI that breaks several limits gets one problem per
    limit, never the same limit twice in other words."""
    uri = "https://tools.fabrikam.example/" + "a" * 260 + ";#frag"
    for stack in ("dev", "prod"):
        err = problems_for(stack, set_uri(uri))
        found = [p.message for p in err.problems if p.key == c("clientApp.redirectUris.0")]
        assert len(found) == 3, found
        assert sum("at most 256" in m for m in found) == 1
        assert sum("fragment" in m for m in found) == 1
        assert sum(m.startswith("contains ;") for m in found) == 1


def test_loopback_redirect_uris_are_accepted_for_a_native_client() -> None:
    doc = stack_document("dev")
    client(doc["config"])["redirectUris"] = ["http://127.0.0.1:8400/cb", "http://localhost"]
    from settings import parse
    from settings.load import raw_from_stack_document
    settings = parse(raw_from_stack_document(doc, "Pulumi.dev.yaml"), stack="dev")
    assert settings.client_app is not None


def test_duplicate_redirect_uri_is_refused() -> None:
    def mutate(cfg: Config) -> None:
        client(cfg)["redirectUris"] = ["https://a.fabrikam.example/cb",
                                       "https://A.fabrikam.example/cb"]

    assert "listed twice" in only(problems_for("prod", mutate), c("clientApp.redirectUris.1"))


def test_client_app_platform_must_be_public_client_or_spa() -> None:
    def mutate(cfg: Config) -> None:
        client(cfg)["platform"] = "web"

    msg = only(problems_for("prod", mutate), c("clientApp.platform"))
    assert "publicClient" in msg and "singlePageApplication" in msg


def test_client_app_needs_owners_and_redirect_uris() -> None:
    def mutate(cfg: Config) -> None:
        client(cfg).pop("owners")
        client(cfg)["redirectUris"] = []

    err = problems_for("dev", mutate)
    assert "required key is missing" in only(err, c("clientApp.owners"))
    only(err, c("clientApp.redirectUris"))


def test_the_old_sign_in_app_key_is_refused() -> None:
    def mutate(cfg: Config) -> None:
        cfg[c("signInApp")] = {"displayName": "x", "redirectUris": ["https://x.example"],
                               "owners": [BREAK_GLASS]}

    only(problems_for("dev", mutate), c("signInApp"))


# --- azureDatabricksApp ------------------------------------------------------------------------

def test_require_assignment_must_be_a_boolean() -> None:
    def mutate(cfg: Config) -> None:
        adb(cfg)["requireAssignment"] = "sometimes"

    only(problems_for("dev", mutate), c("azureDatabricksApp.requireAssignment"))


def test_assignment_leaving_the_deployer_out_is_refused() -> None:
    def mutate(cfg: Config) -> None:
        cfg[c("deployer")] = "someone-else"

    msg = only(problems_for("prod", mutate), c("azureDatabricksApp.requireAssignment"))
    assert "deployer 'someone-else'" in msg


def test_assignment_leaving_the_admins_out_is_refused() -> None:
    def mutate(cfg: Config) -> None:
        cfg[c("groups")]["platform-admins"]["role"] = "engineer"
        cfg[c("servicePrincipals")]["ci-deployer"]["role"] = "admin"

    msg = only(problems_for("prod", mutate), c("azureDatabricksApp.requireAssignment"))
    assert "administrator" in msg


def test_assignment_without_a_break_glass_group_is_refused() -> None:
    def mutate(cfg: Config) -> None:
        ca(cfg)["breakGlassGroupObjectIds"] = []
        ca(cfg)["state"] = "disabled"

    msg = only(problems_for("dev", mutate), c("azureDatabricksApp.requireAssignment"))
    assert "break-glass" in msg


def test_additional_assignments_without_require_assignment_are_refused() -> None:
    def mutate(cfg: Config) -> None:
        cfg[c("azureDatabricksApp")] = {"requireAssignment": False, "additionalAssignments": {
            "bi": {"objectId": "cccccccc-0000-0000-0000-000000000001", "reason": "BI"}}}

    only(problems_for("dev", mutate), c("azureDatabricksApp.additionalAssignments"))


@pytest.mark.parametrize(("entry", "key", "says"), [
    ({"objectId": "not-a-uuid", "reason": "r"}, "bi.objectId", "UUID"),
    ({"objectId": "cccccccc-0000-0000-0000-000000000001"}, "bi.reason", "missing"),
    ({"objectId": "cccccccc-0000-0000-0000-000000000001", "reason": ""}, "bi.reason", ""),
    ({"objectId": BREAK_GLASS, "reason": "r"}, "bi.objectId", "already assigned"),
    ({"objectId": "cccccccc-0000-0000-0000-000000000001", "reason": "r",
      "principalType": "device"}, "bi.principalType", ""),
])
def test_bad_additional_assignment(entry: dict[str, Any], key: str, says: str) -> None:
    def mutate(cfg: Config) -> None:
        adb(cfg)["additionalAssignments"] = {"bi": entry}

    assert says in only(problems_for("prod", mutate),
                        c(f"azureDatabricksApp.additionalAssignments.{key}"))


@pytest.mark.parametrize("bad_key", ["ml-engineers", "break-glass-1", "BI Tool"])
def test_additional_assignment_keys_are_slugs_distinct_from_principals(bad_key: str) -> None:
    def mutate(cfg: Config) -> None:
        adb(cfg)["additionalAssignments"] = {
            bad_key: {"objectId": "cccccccc-0000-0000-0000-000000000001", "reason": "r"}}

    only(problems_for("prod", mutate), c(f"azureDatabricksApp.additionalAssignments.{bad_key}"))


# --- conditional access: locations and exclusions -----------------------------------------

def test_a_location_no_policy_uses_is_refused() -> None:
    def mutate(cfg: Config) -> None:
        ca(cfg)["outsideTrustedLocations"] = "none"

    msg = only(problems_for("prod", mutate), c("conditionalAccess.namedLocations.fabrikam-vpn"))
    assert "no policy uses it" in msg


def test_an_untrusted_location_is_refused_as_unused() -> None:
    def mutate(cfg: Config) -> None:
        ca(cfg)["namedLocations"]["fabrikam-vpn"]["trusted"] = False

    only(problems_for("prod", mutate), c("conditionalAccess.namedLocations.fabrikam-vpn.trusted"))


def test_outside_trusted_locations_needs_a_trusted_location() -> None:
    def mutate(cfg: Config) -> None:
        ca(cfg)["namedLocations"] = {}

    msg = only(problems_for("dev", mutate), c("conditionalAccess.outsideTrustedLocations"))
    assert "no named location is trusted" in msg


def test_outside_trusted_locations_takes_only_graph_backed_values() -> None:
    def mutate(cfg: Config) -> None:
        ca(cfg)["outsideTrustedLocations"] = "mfa"

    only(problems_for("dev", mutate), c("conditionalAccess.outsideTrustedLocations"))


@pytest.mark.parametrize("removed", ["requireTrustedLocation", "blockLegacyAuthentication"])
def test_removed_conditional_access_keys_are_refused(removed: str) -> None:
    def mutate(cfg: Config) -> None:
        ca(cfg)[removed] = True

    only(problems_for("dev", mutate), c(f"conditionalAccess.{removed}"))


@pytest.mark.parametrize(("entry", "key"), [
    ({"objectId": "dddddddd-0000-0000-0000-000000000001"}, "sync.reason"),
    ({"objectId": "dddddddd-0000-0000-0000-000000000001", "reason": "  "}, "sync.reason"),
    ({"objectId": "nope", "reason": "r"}, "sync.objectId"),
    ({"objectId": BREAK_GLASS, "reason": "r"}, "sync.objectId"),
])
def test_bad_recorded_exclusion(entry: dict[str, Any], key: str) -> None:
    def mutate(cfg: Config) -> None:
        ca(cfg)["recordedExclusions"] = {"sync": entry}

    only(problems_for("prod", mutate), c(f"conditionalAccess.recordedExclusions.{key}"))


# --- through the gate: exit 2, nothing registered ------------------------------------------

def test_the_gate_refuses_a_workspace_host_redirect_with_exit_2(tmp_path: Path) -> None:
    doc = stack_document("prod")
    client(doc["config"])["redirectUris"] = ["https://adb-1.1.azuredatabricks.net/oidc/callback"]
    path = tmp_path / "Pulumi.prod.yaml"
    path.write_text(yaml.safe_dump(doc))
    out, err = io.StringIO(), io.StringIO()
    rc = main(["prod", "--stack-file", str(path), "--format", "json", "--quiet"], out, err)
    assert rc == 2
    assert c("clientApp.redirectUris.0") in err.getvalue()
    report = json.loads(out.getvalue())  # the JSON asked for names the problem
    assert report["resources"] == [], "no plan: nothing was registered"
    assert report["outcome"]["exitCode"] == 2
    assert c("clientApp.redirectUris.0") in {e["key"] for e in report["errors"]}


"""The pack's per-call shortcuts give exactly what the plain versions gave.

* the secret-marking hook deserializes in one pass what it used to unwrap, then hand to the
  SDK's ``deserialize_properties``;
* stack rules look resources up by type through an index built once per policy run.
"""

from __future__ import annotations

import random
from typing import Any

import pulumi
from pulumi_policy import PolicyCustomTimeouts, PolicyResource, PolicyResourceOptions
from rules import _sdk
from rules._common import StackResources, is_type, of_type

from gate.pack_wire import ARCHIVE_SIG, ASSET_SIG


def _two_passes(props: dict[str, Any]) -> Any:
    return _sdk._ORIGINAL_DESERIALIZE(_sdk._unwrap_secrets(props), False)


def _outcome(deserialize: Any, props: dict[str, Any]) -> Any:
    try:
        return ("ok", _shape(deserialize(props)))
    except AssertionError as error:
        return ("error", str(error))


def _shape(value: Any) -> Any:
    """The value with the exact type of every leaf (a SecretStr is not a str here)."""
    if isinstance(value, dict):
        return ("dict", tuple((k, _shape(v)) for k, v in value.items()))
    if isinstance(value, list):
        return ("list", tuple(_shape(v) for v in value))
    if isinstance(value, (pulumi.Asset, pulumi.Archive)):
        parts = {k: _shape(v) for k, v in vars(value).items() if not k.startswith("_")}
        return (type(value).__name__, tuple(sorted(parts.items())))
    return (type(value).__name__, repr(value))


def _random_value(rnd: random.Random, depth: int = 0) -> Any:
    choice = rnd.randint(0, 11 if depth < 4 else 4)
    if choice == 0:
        return None
    if choice == 1:
        return rnd.choice([True, False])
    if choice == 2:
        return rnd.choice([0, 1, 1.0, 2.5])
    if choice == 3:
        return rnd.choice(["x", "", _sdk.SECRET_SIG, next(iter(_sdk.UNKNOWN_SENTINELS))])
    if choice in (4, 5):
        return [_random_value(rnd, depth + 1) for _ in range(rnd.randint(0, 3))]
    if choice in (6, 7):
        return {_sdk.SIG_KEY: _sdk.SECRET_SIG, "value": _random_value(rnd, depth + 1)}
    if choice == 8:
        return rnd.choice([
            {_sdk.SIG_KEY: ASSET_SIG, "text": "t"},
            {_sdk.SIG_KEY: ASSET_SIG, "path": {_sdk.SIG_KEY: _sdk.SECRET_SIG, "value": "p"}},
            {_sdk.SIG_KEY: ARCHIVE_SIG, "assets": {"a": {_sdk.SIG_KEY: ASSET_SIG, "text": "t"}}},
        ])
    if choice == 9:
        return rnd.choice([{_sdk.SIG_KEY: _sdk.SECRET_SIG}, {_sdk.SIG_KEY: "bogus"}])
    return {f"k{i}": _random_value(rnd, depth + 1) for i in range(rnd.randint(0, 4))}


def test_one_pass_deserialization_matches_unwrap_then_sdk() -> None:
    rnd = random.Random(13)
    for _ in range(20_000):
        props = {f"k{i}": _random_value(rnd) for i in range(rnd.randint(0, 4))}
        assert _outcome(_sdk.deserialize_marking_secrets, props) == _outcome(_two_passes, props)
    envelope = {_sdk.SIG_KEY: _sdk.SECRET_SIG, "value": {"a": "b"}}
    assert _outcome(_sdk.deserialize_marking_secrets, envelope) == _outcome(_two_passes, envelope)


def _resource(token: str, name: str) -> PolicyResource:
    options = PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [])
    return PolicyResource(token, {}, f"urn:pulumi:s::p::{token}::{name}", name, options, None,
                          None, [], {})


def test_indexed_lookup_matches_the_scan() -> None:
    tokens = ["azure-native:databricks:Workspace", "azure-native:databricks/v20240501:Workspace",
              "databricks:index/grant:Grant", "databricks:index/grants:Grants",
              "azuread:index/group:Group"]
    rnd = random.Random(17)
    plain = [_resource(rnd.choice(tokens), f"r{i}") for i in range(300)]
    indexed = StackResources(plain)
    queries = [("azure-native:databricks:Workspace",), ("databricks:index/grant:Grant",),
               ("databricks:index/grants:Grants", "databricks:index/grant:Grant"),
               ("databricks:index/grant:Grant", "databricks:index/grant:Grant"), ("nope",), ()]
    for types in queries:
        expected = [r for r in plain if is_type(r.resource_type, *types)]
        assert of_type(indexed, *types) == expected == of_type(plain, *types)
    indexed.append(_resource("azuread:index/group:Group", "late"))
    assert of_type(indexed, "azuread:index/group:Group")[-1].name == "late"


def _random_identity_stack(rnd: random.Random) -> list[PolicyResource]:
    """Identities, their service principals and every kind of right, names and dependencies
    drawn at random (unknowns included), as the SDK hands them to a stack policy."""
    from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, unknown_checking_proxy
    from rules import identities as rules

    options = PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [])
    made: list[PolicyResource] = []
    names = ["app-1", "APP-1", "app-2", "sp-1", "sp-2", "other", UNKNOWN_STRING_VALUE]

    def add(token: str, props: dict[str, Any], deps: dict[str, int] | None = None) -> None:
        urn = f"urn:pulumi:s::p::{token}::r{len(made)}"
        property_dependencies = {key: [made[i]] for key, i in (deps or {}).items() if i < len(made)}
        made.append(PolicyResource(token, unknown_checking_proxy(props), urn, f"r{len(made)}",
                                   options, None, None, [], property_dependencies))

    def maybe_dep(prop: str) -> dict[str, int] | None:
        return {prop: rnd.randrange(len(made))} if made and rnd.random() < 0.3 else None

    for _ in range(rnd.randint(1, 4)):
        add(rules.USER_ASSIGNED_IDENTITY, {"clientId": rnd.choice(names),
                                           "tags": {"role": rnd.choice(["automation", "agent"])}})
    for _ in range(rnd.randint(0, 4)):
        add(rules.DB_SERVICE_PRINCIPAL, {"applicationId": rnd.choice(names),
                                         "id": rnd.choice(names), "allowClusterCreate": True},
            maybe_dep("applicationId"))
    for _ in range(rnd.randint(0, 30)):
        kind = rnd.randrange(5)
        if kind == 0:
            props = {"principalId": rnd.choice(names), "permissions": ["ADMIN"]}
            if rnd.random() < 0.5:
                props["servicePrincipalName"] = rnd.choice(names)
            add(rules.DB_PERMISSION_ASSIGNMENT, props,
                maybe_dep(rnd.choice(["principalId", "servicePrincipalName"])))
        elif kind == 1:
            add(rules.DB_ENTITLEMENTS,
                {"servicePrincipalId": rnd.choice(names), "allowClusterCreate": True},
                maybe_dep("servicePrincipalId"))
        elif kind == 2:
            entries = [{"servicePrincipalName": rnd.choice(names),
                        "permissionLevel": "CAN_MANAGE"} for _ in range(rnd.randint(0, 3))]
            add(rules.DB_PERMISSIONS, {"accessControls": entries if rnd.random() < 0.9
                                       else UNKNOWN_STRING_VALUE}, maybe_dep("accessControls"))
        elif kind == 3:
            grants: list[dict[str, Any]] = [
                {"principal": rnd.choice(names), "privileges": ["MANAGE"]}
                for _ in range(rnd.randint(0, 3))]
            add(rules.DB_GRANTS, {"model": "a.b.c", "grants": grants}, maybe_dep("grants"))
        else:
            add(rules.DB_GRANT, {"model": "a.b.c", "principal": rnd.choice(names),
                                 "privileges": ["MANAGE"]}, maybe_dep("principal"))
    rnd.shuffle(made)
    return made


def _rights_outcome(rules: Any, stack: Any, principal: Any, principals: Any, index: Any) -> Any:
    from pulumi_policy.proxy import UnknownValueError

    try:
        rights = rules._rights(stack, principal, principals, index)
    except UnknownValueError as error:
        return ("unknown", error.message)
    return ("ok", [(r.kind, r.value, r.resource.urn, r.target) for r in rights])


def test_identity_rights_through_the_index_match_the_scan() -> None:
    """The managed-identity check examines only the candidates of each identity: the rights
    found, and the unknown reported, are the same as reading every resource."""
    from pulumi_policy.proxy import UnknownValueError
    from rules import identities as rules

    rnd = random.Random(18)
    compared = 0
    for _ in range(400):
        stack = StackResources(_random_identity_stack(rnd))
        principals = of_type(stack, rules.DB_SERVICE_PRINCIPAL)
        index = rules._Candidates(stack)
        for identity in of_type(stack, rules.USER_ASSIGNED_IDENTITY):
            try:
                principal = rules._principal(identity, principals)
            except UnknownValueError:
                continue
            assert (_rights_outcome(rules, stack, principal, principals, index)
                    == _rights_outcome(rules, stack, principal, principals, None))
            compared += 1
    assert compared > 300

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


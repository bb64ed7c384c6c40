"""The pack's per-request reuse (rules/_sdk.py ``install_request_reuse``; bench/RESULTS.md).

pulumi-policy 1.21 rebuilds a resource's arguments once per policy; the pack makes it build
them once per request, and only for the policies that read them. What must not change: every
policy still gets its own view of the properties (a policy that writes to ``args.props`` does
not change what the next one sees), unknowns and secrets still behave as before.
"""

from __future__ import annotations

import inspect
import json
from typing import Any

import pytest
from policy_harness import UNKNOWN, Res, Secret, resource_request, to_struct
from pulumi.runtime.proto import analyzer_pb2 as pb
from pulumi_policy import EnforcementLevel, ResourceValidationPolicy, StackValidationPolicy
from pulumi_policy import policy as sdk_policy
from rules import _sdk

_sdk.install_request_reuse()


def _servicer(*policies: Any) -> Any:
    return sdk_policy._PolicyAnalyzerServicer("probe", "0.0.1", list(policies),
                                              EnforcementLevel.MANDATORY)


def _request(res: Res) -> Any:
    request = resource_request(res)
    request.provider.urn = "urn:pulumi:prod::p::pulumi:providers:azure-native::default"
    request.provider.type = "pulumi:providers:azure-native"
    request.provider.name = "default"
    request.provider.properties.update({"location": "westeurope"})
    return request


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """Count the SDK work the reuse is meant to save."""
    counts = {"MessageToDict": 0, "proxy": 0}
    to_dict, proxy = _sdk._ORIGINAL_MESSAGE_TO_DICT, _sdk._ORIGINAL_PROXY

    def counting_to_dict(*args: Any, **kwargs: Any) -> Any:
        counts["MessageToDict"] += 1
        return to_dict(*args, **kwargs)

    def counting_proxy(props: Any) -> Any:
        counts["proxy"] += 1
        return proxy(props)

    monkeypatch.setattr(_sdk, "_ORIGINAL_MESSAGE_TO_DICT", counting_to_dict)
    monkeypatch.setattr(_sdk, "_ORIGINAL_PROXY", counting_proxy)
    return counts


def test_the_reuse_is_what_the_servicer_calls() -> None:
    assert sdk_policy.json_format.MessageToDict is _sdk.message_to_dict_once
    assert sdk_policy.deserialize_properties is _sdk.deserialize_once
    assert sdk_policy.unknown_checking_proxy is _sdk.lazy_unknown_checking_proxy
    assert sdk_policy.signature is _sdk.signature_once
    assert _sdk.signature_once(_sdk.config_env_once) == inspect.signature(_sdk.config_env_once)


def test_each_policy_gets_its_own_view_of_the_properties() -> None:
    seen: list[Any] = []

    def vandal(args: Any, report: Any) -> None:
        args.props["name"] = "changed"
        args.props["tags"]["owner"] = "changed"
        seen.append(dict(args.props))

    def reader(args: Any, report: Any) -> None:
        seen.append({"name": args.props["name"], "owner": args.props["tags"]["owner"],
                     "location": args.provider.props["location"]})

    servicer = _servicer(ResourceValidationPolicy(name="vandal", description="d", validate=vandal),
                         ResourceValidationPolicy(name="reader", description="d", validate=reader))
    res = Res("t:index:T", "n", {"name": "orig", "tags": {"owner": "team"}})
    servicer.Analyze(_request(res), None)
    servicer.Analyze(_request(res), None)

    assert seen[1] == {"name": "orig", "owner": "team", "location": "westeurope"}
    assert seen[3] == seen[1]  # and the next request starts from the wire again


def test_arguments_are_built_once_per_request_and_only_when_read(
        counted: dict[str, int]) -> None:
    reads = []

    def reads_props(args: Any, report: Any) -> None:
        reads.append(args.props["name"])

    def ignores_props(args: Any, report: Any) -> None:
        return None

    servicer = _servicer(*(ResourceValidationPolicy(name=f"p{i}", description="d",
                                                    validate=ignores_props) for i in range(5)),
                         ResourceValidationPolicy(name="reader", description="d",
                                                  validate=reads_props))
    servicer.Analyze(_request(Res("t:index:T", "n", {"name": "x"})), None)

    assert reads == ["x"]
    assert counted["MessageToDict"] == 2  # the properties and the provider's, once each
    assert counted["proxy"] == 1  # only the policy that read them built a view


def test_stack_policies_share_one_decoding_of_each_resource(counted: dict[str, int]) -> None:
    sizes: list[int] = []

    def count(args: Any, report: Any) -> None:
        sizes.append(sum(1 for r in args.resources if r.props["name"]))

    servicer = _servicer(*(StackValidationPolicy(name=f"s{i}", description="d", validate=count)
                           for i in range(3)))
    request = pb.AnalyzeStackRequest()
    for i in range(4):
        request.resources.add(urn=f"urn:{i}", type="t:index:T", name=f"n{i}",
                              properties=to_struct({"name": f"n{i}"}))
    servicer.AnalyzeStack(request, None)

    assert sizes == [4, 4, 4]
    assert counted["MessageToDict"] == 4  # not 12


def test_unknowns_and_secrets_behave_as_without_the_reuse() -> None:
    seen: dict[str, Any] = {}

    def probe(args: Any, report: Any) -> None:
        seen["secret"] = _sdk.is_secret(_sdk.raw(args.props)["password"])
        args.props["later"]  # noqa: B018 - reading an unknown is what is tested

    servicer = _servicer(ResourceValidationPolicy(name="probe", description="d", validate=probe))
    response = servicer.Analyze(
        _request(Res("t:index:T", "n", {"password": Secret("p"), "later": UNKNOWN})), None)

    assert seen["secret"] is True
    assert [d.enforcementLevel for d in response.diagnostics] == [pb.ADVISORY]
    assert "can't run policy 'probe'" in response.diagnostics[0].message


def test_stack_config_is_parsed_once_per_value(monkeypatch: pytest.MonkeyPatch) -> None:
    loads: list[str] = []
    real_loads = json.loads

    def counting_loads(text: str) -> Any:
        loads.append(text)
        return real_loads(text)

    monkeypatch.setattr(_sdk._json, "loads", counting_loads)
    monkeypatch.setattr(_sdk, "_CONFIG_ENV", [])
    monkeypatch.setenv("PULUMI_CONFIG", json.dumps({"p:k": "v"}))
    first = _sdk.config_env_once()
    first["p:k"] = "mutated"
    assert _sdk.config_env_once() == {"p:k": "v"}
    monkeypatch.setenv("PULUMI_CONFIG", json.dumps({"p:k": "w"}))
    assert _sdk.config_env_once() == {"p:k": "w"}
    assert len(loads) == 2


def test_a_changed_sdk_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sdk_policy, "unknown_checking_proxy", lambda props: props)
    with pytest.raises(ImportError, match="re-verify rules/_sdk.py"):
        _sdk.install_request_reuse()

"""Facts about how pulumi-policy 1.21 presents inputs to policies, checked against the real SDK.

The rules rely on these; if an SDK upgrade changes one of them, this file says which.
"""

from __future__ import annotations

from typing import Any

import pytest
from policy_harness import (
    SECRET_SIG,
    SIG_KEY,
    UNKNOWN,
    UNKNOWN_STRING,
    Res,
    Secret,
    resource_request,
    stack_request,
)
from pulumi.runtime.proto import analyzer_pb2 as pb
from pulumi_policy import (
    EnforcementLevel,
    ResourceValidationPolicy,
    StackValidationPolicy,
)
from pulumi_policy import Secret as RemediationSecret
from pulumi_policy import deserialize as sdk_deserialize
from pulumi_policy import policy as sdk_policy
from rules import _sdk
from rules._common import UNKNOWN as PEEK_UNKNOWN
from rules._common import peek, read


def _probe_servicer(seen: dict[str, Any]) -> Any:
    """A servicer with one resource and one stack policy that record what they are given."""

    def validate(args, report) -> None:
        seen["args"] = args
        seen["raw"] = {k: _sdk.raw(args.props)[k] for k in args.props}
        if "boom" in args.props:
            read(args.props, "boom")

    def validate_stack(args, report) -> None:
        seen["resources"] = args.resources
        seen["stack_tags"] = dict(args.stack_tags)

    return sdk_policy._PolicyAnalyzerServicer(
        "probe", "0.0.1",
        [ResourceValidationPolicy(name="probe", description="Probe.", validate=validate),
         StackValidationPolicy(name="probe-stack", description="Probe.",
                               validate=validate_stack)],
        EnforcementLevel.MANDATORY,
    )


def _analyze(res: Res) -> tuple[dict[str, Any], pb.AnalyzeResponse]:
    seen: dict[str, Any] = {}
    servicer = _probe_servicer(seen)
    return seen, servicer.Analyze(resource_request(res), None)


def test_stock_sdk_unwraps_secrets_without_a_trace() -> None:
    """Without the pack's hook a policy sees a secret as a plain ``str``."""
    envelope = {"password": {SIG_KEY: SECRET_SIG, "value": "hunter2"}}
    value = sdk_deserialize.deserialize_properties(envelope)["password"]
    assert value == "hunter2" and type(value) is str


def test_pack_marks_secrets_for_policies() -> None:
    """With the hook (installed by importing ``rules``) secrets arrive as SecretStr/SecretFloat."""
    # deserialize_once (policies/__main__.py's per-request reuse) wraps the marking hook.
    assert sdk_policy.deserialize_properties in (_sdk.deserialize_marking_secrets,
                                                 _sdk.deserialize_once)
    seen, _ = _analyze(Res("t:index:T", "n", {
        "password": Secret("hunter2"), "plain": "hunter2", "port": Secret(443),
        "nested": Secret({"token": "t", "on": True}), "later": Secret(UNKNOWN)}))
    raw = seen["raw"]
    assert _sdk.is_secret(raw["password"]) and raw["password"] == "hunter2"
    assert not _sdk.is_secret(raw["plain"])
    assert _sdk.is_secret(raw["port"]) and raw["port"] == 443
    nested = _sdk.raw(raw["nested"])
    assert _sdk.is_secret(nested["token"]) and nested["on"] is True  # booleans stay unmarked
    assert _sdk.is_secret(raw["later"]) and raw["later"] == UNKNOWN_STRING


def test_remediation_path_still_gets_sdk_secrets() -> None:
    props = {"password": {SIG_KEY: SECRET_SIG, "value": "hunter2"}}
    proxy = _sdk.deserialize_marking_secrets(props, True)  # a _DictSecretsProxy
    assert isinstance(proxy["__target"]["password"], RemediationSecret)


def test_install_is_idempotent() -> None:
    _sdk.install_secret_markers()
    assert sdk_policy.deserialize_properties in (_sdk.deserialize_marking_secrets,
                                                 _sdk.deserialize_once)


def test_reading_an_unknown_yields_an_advisory_not_a_crash() -> None:
    seen, response = _analyze(Res("t:index:T", "n", {"boom": UNKNOWN, "ok": 1}))
    assert len(response.diagnostics) == 1
    diagnostic = response.diagnostics[0]
    assert diagnostic.enforcementLevel == pb.ADVISORY
    assert diagnostic.urn == ""
    assert diagnostic.message == (
        "can't run policy 'probe' from policy pack 'probe@v0.0.1' during preview: string value "
        "at .boom can't be known during preview"
    )
    # peek() sees the unknown without raising; numbers arrive as floats (JSON on the wire).
    assert peek(seen["args"].props, "boom") is PEEK_UNKNOWN
    assert seen["raw"]["ok"] == 1.0 and isinstance(seen["raw"]["ok"], float)


@pytest.mark.parametrize(
    ("dbr", "expected"), [(None, None), (False, False), (True, True)]
)
def test_resource_options_reach_policies(dbr, expected) -> None:
    seen, _ = _analyze(Res("t:index:T", "n", {}, protect=True, delete_before_replace=dbr))
    assert seen["args"].opts.protect is True
    assert seen["args"].opts.delete_before_replace is expected


def test_stack_policies_see_outputs_dependencies_and_tags() -> None:
    seen: dict[str, Any] = {}
    servicer = _probe_servicer(seen)
    servicer.ConfigureStack(pb.AnalyzerStackConfigureRequest(stack="prod", tags={"team": "ml"}),
                            None)
    target = Res("t:index:Target", "target", {"id": "x"})
    source = Res("t:index:Source", "source", {"ref": UNKNOWN}).depends("ref", target)
    servicer.AnalyzeStack(stack_request((target, source)), None)
    resources = {r.name: r for r in seen["resources"]}
    assert [d.name for d in resources["source"].property_dependencies["ref"]] == ["target"]
    assert seen["stack_tags"] == {"team": "ml"}  # the stack name itself is not exposed

"""The analyzer wire format: how the engine marshals values and builds every request.

One implementation, used by the gate's session (:mod:`gate.pack_session`, over gRPC) and by the
policy tests' in-process harness (``tests/policies/harness.py``):

* :func:`to_wire_value` / :func:`to_struct` marshal captured values like the engine
  (``KeepUnknowns``, ``KeepSecrets``, ``SkipInternalKeys``, resource references flattened);
* :func:`resource_options`, :func:`analyze_request`, :func:`add_stack_resource`,
  :func:`describe_provider`, :func:`configure_request` and :func:`configure_stack_request`
  build the requests as the CLI does;
* :func:`convert_info` and :func:`convert_violations` read the answers as the CLI does.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any, cast

from google.protobuf import json_format, struct_pb2
from pulumi.runtime.proto import analyzer_pb2

from gate.model import UNKNOWN, CapturedResource, Secret
from gate.pack_types import AnalyzerInfo, EnforcementLevel, PolicyConfig, PolicyInfo, Violation

# Wire constants, as in sdk/go/common/resource/properties.go and pulumi/runtime/rpc.py.
UNKNOWN_STRING_VALUE = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
SPECIAL_SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
RESOURCE_REFERENCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e"
OUTPUT_VALUE_SIG = "d0e6a833031e9bbcd3f4e8bde6ca49a4"
ASSET_SIG = "c44067f5952c0a294b673a41bacd8c17"
ARCHIVE_SIG = "0def7320c3a5731c473e5ecbe6d01bc7"

LEVEL_FROM_PROTO: dict[int, EnforcementLevel] = {
    analyzer_pb2.ADVISORY: "advisory",
    analyzer_pb2.MANDATORY: "mandatory",
    analyzer_pb2.REMEDIATE: "remediate",
    analyzer_pb2.DISABLED: "disabled",
}
LEVEL_TO_PROTO: dict[str, int] = {name: number for number, name in LEVEL_FROM_PROTO.items()}
SEVERITY_FROM_PROTO: dict[int, str] = {
    analyzer_pb2.POLICY_SEVERITY_UNSPECIFIED: "",
    analyzer_pb2.POLICY_SEVERITY_LOW: "low",
    analyzer_pb2.POLICY_SEVERITY_MEDIUM: "medium",
    analyzer_pb2.POLICY_SEVERITY_HIGH: "high",
    analyzer_pb2.POLICY_SEVERITY_CRITICAL: "critical",
}
POLICY_TYPE_FROM_PROTO: dict[int, str] = {
    analyzer_pb2.POLICY_TYPE_UNKNOWN: "unknown",
    analyzer_pb2.POLICY_TYPE_RESOURCE: "resource",
    analyzer_pb2.POLICY_TYPE_STACK: "stack",
}

# --------------------------------------------------------------------------------------------
# Values


def to_wire_value(value: Any, path: str = "") -> Any:
    """Convert a captured value to the JSON-like value the engine puts in a Struct.

    :data:`gate.model.UNKNOWN` becomes the unknown string sentinel, :class:`gate.model.Secret`
    the secret signature object, resource references their ID (unknown when the ID is) or else
    their URN, output values their element, and keys starting with ``__`` are dropped
    (``SkipInternalKeys``). Secrets, assets and archives already in wire form pass through;
    any other signature is rejected, as the engine rejects it.
    """
    if value is UNKNOWN:
        return UNKNOWN_STRING_VALUE
    if isinstance(value, Secret):
        return {SPECIAL_SIG_KEY: SECRET_SIG, "value": to_wire_value(value.value, path)}
    if value is None or isinstance(value, (bool, str, int, float)):
        return value
    if isinstance(value, Mapping):
        signature = value.get(SPECIAL_SIG_KEY)
        if signature == RESOURCE_REFERENCE_SIG:
            return _resource_reference(value, path)
        if signature == OUTPUT_VALUE_SIG:
            inner = UNKNOWN_STRING_VALUE
            if "value" in value:
                inner = to_wire_value(value["value"], path)
            if value.get("secret"):
                return {SPECIAL_SIG_KEY: SECRET_SIG, "value": inner}
            return inner
        if signature is not None and signature not in (SECRET_SIG, ASSET_SIG, ARCHIVE_SIG):
            raise TypeError(f"unrecognized signature {signature!r} at {path or '.'}")
        result: dict[str, Any] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"property key {key!r} at {path or '.'} is not a string")
            if key.startswith("__"):
                continue
            result[key] = to_wire_value(item, f"{path}.{key}")
        return result
    if isinstance(value, (list, tuple)):
        return [to_wire_value(item, f"{path}[{index}]") for index, item in enumerate(value)]
    raise TypeError(f"cannot marshal {type(value).__name__} at {path or '.'} to the analyzer")


def _resource_reference(reference: Mapping[str, Any], path: str) -> Any:
    """Flatten a resource reference like ``MarshalPropertyValue`` without ``KeepResources``."""
    if "id" in reference:
        resource_id = reference["id"]
        if resource_id is UNKNOWN or resource_id in ("", UNKNOWN_STRING_VALUE):
            return UNKNOWN_STRING_VALUE
        return to_wire_value(resource_id, path)
    return str(reference.get("urn", ""))


def to_struct(properties: Mapping[str, Any]) -> struct_pb2.Struct:
    """Marshal a property map into a Struct."""
    message = struct_pb2.Struct()
    message.update(to_wire_value(properties))
    return message


def from_struct(message: struct_pb2.Struct) -> dict[str, Any]:
    """Unmarshal a Struct into plain Python values."""
    return cast(dict[str, Any], json_format.MessageToDict(message))


def urn_parts(urn: str) -> tuple[str, str]:
    """Return the (type, name) of a URN, as ``URN.Type()`` and ``URN.Name()``."""
    parts = urn.split("::", 3)
    if len(parts) != 4:
        return "", ""
    return parts[2].rsplit("$", 1)[-1], parts[3]


def config_string(value: Any) -> str:
    """Stack config values travel as strings; structured values as JSON."""
    return value if isinstance(value, str) else json.dumps(value)


# --------------------------------------------------------------------------------------------
# Requests


def resource_options(
    *, protect: bool, delete_before_replace: bool | None, parent: str
) -> analyzer_pb2.AnalyzerResourceOptions:
    """``marshalResourceOptions``: the options the model knows, the rest empty.

    ``delete_before_replace`` None means the program did not set it (the policy sees None).
    """
    return analyzer_pb2.AnalyzerResourceOptions(
        protect=protect,
        deleteBeforeReplace=bool(delete_before_replace),
        deleteBeforeReplaceDefined=delete_before_replace is not None,
        customTimeouts=analyzer_pb2.AnalyzerResourceOptions.CustomTimeouts(),
        parent=parent,
    )


def options_of(resource: CapturedResource) -> analyzer_pb2.AnalyzerResourceOptions:
    """The options of a captured resource (``deleteBeforeReplace`` defined only when set)."""
    return resource_options(protect=resource.protect,
                            delete_before_replace=True if resource.delete_before_replace else None,
                            parent=resource.parent)


def analyze_request(
    resource: CapturedResource, *, properties: struct_pb2.Struct | None = None,
    provider: analyzer_pb2.AnalyzerProviderResource | None = None,
    options: analyzer_pb2.AnalyzerResourceOptions | None = None,
) -> analyzer_pb2.AnalyzeRequest:
    """The ``AnalyzeRequest`` the engine builds for one resource (Remediate and Analyze).

    ``properties`` (remediated ones, in wire form) replace the resource's inputs.
    """
    request = analyzer_pb2.AnalyzeRequest(
        urn=resource.urn,
        type=resource.type,
        name=resource.name,
        properties=properties if properties is not None else to_struct(resource.inputs),
        options=options if options is not None else options_of(resource),
    )
    if provider is not None:
        request.provider.CopyFrom(provider)
    return request


def add_stack_resource(
    request: analyzer_pb2.AnalyzeStackRequest, resource: CapturedResource, *,
    provider: analyzer_pb2.AnalyzerProviderResource | None = None,
    options: analyzer_pb2.AnalyzerResourceOptions | None = None,
) -> None:
    """Append one resource (its ``outputs``) to an ``AnalyzeStackRequest``, as the engine does."""
    message = request.resources.add(
        urn=resource.urn,
        type=resource.type,
        name=resource.name,
        properties=to_struct(resource.outputs),
        options=options if options is not None else options_of(resource),
        parent=resource.parent,
        dependencies=list(resource.dependencies),
    )
    for key, urns in resource.property_dependencies.items():
        if urns:
            message.propertyDependencies[key].urns.extend(urns)
    if provider is not None:
        message.provider.CopyFrom(provider)


def describe_provider(
    reference: str, explicit: CapturedResource | None, known: Mapping[str, CapturedResource],
) -> analyzer_pb2.AnalyzerProviderResource | None:
    """``marshalProvider``: describe the provider behind a ``urn::id`` reference.

    From ``explicit``, else the known resource the reference names, else its URN alone.
    """
    if explicit is None and not reference:
        return None
    urn = explicit.urn if explicit is not None else reference.rsplit("::", 1)[0]
    found = explicit or known.get(urn)
    type_token, name = urn_parts(urn)
    if found is None:
        return analyzer_pb2.AnalyzerProviderResource(urn=urn, type=type_token, name=name,
                                                     properties=struct_pb2.Struct())
    return analyzer_pb2.AnalyzerProviderResource(urn=urn, type=found.type,
                                                 name=name or found.name,
                                                 properties=to_struct(found.inputs))


def configure_request(
    config: Mapping[str, PolicyConfig]
) -> analyzer_pb2.ConfigureAnalyzerRequest:
    """The ``Configure`` request for a reconciled config (:mod:`gate.pack_config`)."""
    request = analyzer_pb2.ConfigureAnalyzerRequest()
    for name, policy_config in config.items():
        entry = request.policyConfig[name]
        entry.enforcementLevel = LEVEL_TO_PROTO[policy_config.enforcement_level]
        entry.properties.SetInParent()
        entry.properties.update(dict(policy_config.properties or {}))
    return request


def configure_stack_request(
    *, stack: str, project: str, organization: str, dry_run: bool,
    stack_config: Mapping[str, Any], tags: Mapping[str, str],
) -> analyzer_pb2.AnalyzerStackConfigureRequest:
    """``ConfigureStack``: the stack config as strings, :class:`Secret` values as secret keys."""
    config = {key: value.value if isinstance(value, Secret) else value
              for key, value in stack_config.items()}
    return analyzer_pb2.AnalyzerStackConfigureRequest(
        stack=stack,
        project=project,
        organization=organization,
        dry_run=dry_run,
        config={key: config_string(value) for key, value in config.items()},
        config_secret_keys=sorted(key for key, value in stack_config.items()
                                  if isinstance(value, Secret)),
        tags=dict(tags),
    )


# --------------------------------------------------------------------------------------------
# Answers


def convert_violations(
    response: Any, attribute: Callable[[str], str], *, version: str,
    severities: Mapping[str, str],
) -> list[Violation]:
    """Convert diagnostics like ``convertDiagnostics`` and attribute them like the engine.

    ``version`` (PulumiPolicy.yaml's) wins over the SDK's; a diagnostic without a severity
    takes its policy's (``severities``).
    """
    violations = []
    for diagnostic in response.diagnostics:
        severity = SEVERITY_FROM_PROTO.get(diagnostic.severity, "")
        violations.append(Violation(
            policy_name=diagnostic.policyName,
            policy_pack_name=diagnostic.policyPackName,
            policy_pack_version=version or diagnostic.policyPackVersion,
            description=diagnostic.description,
            message=diagnostic.message,
            enforcement_level=LEVEL_FROM_PROTO[diagnostic.enforcementLevel],
            urn=attribute(diagnostic.urn),
            severity=severity or severities.get(diagnostic.policyName, ""),
        ))
    return violations


def convert_info(message: Any, *, version: str = "") -> AnalyzerInfo:
    """Convert ``AnalyzerInfo`` like the CLI's ``GetAnalyzerInfo`` (``version`` wins if set).

    Only what the gate reports, configures and dispatches on is kept."""
    policies = []
    for policy in message.policies:
        schema: dict[str, Any] | None = None
        if policy.HasField("configSchema"):
            schema = {"properties": from_struct(policy.configSchema.properties),
                      "required": list(policy.configSchema.required)}
        policies.append(PolicyInfo(
            name=policy.name,
            description=policy.description,
            enforcement_level=LEVEL_FROM_PROTO[policy.enforcementLevel],
            policy_type=POLICY_TYPE_FROM_PROTO.get(policy.policy_type, "unknown"),
            severity=SEVERITY_FROM_PROTO.get(policy.severity, ""),
            config_schema=schema,
            tags=tuple(policy.tags),
            remediation_steps=policy.remediation_steps,
        ))
    # convertPolicyConfig: an unset level reads as ADVISORY (enum zero), as in the CLI.
    initial = {name: PolicyConfig(LEVEL_FROM_PROTO[config.enforcementLevel],
                                  from_struct(config.properties) or None)
               for name, config in message.initialConfig.items()}
    return AnalyzerInfo(
        name=message.name,
        version=version or message.version,
        supports_config=message.supportsConfig,
        policies=tuple(policies),
        initial_config=initial,
    )

"""Drive a CrossGuard policy pack over its analyzer gRPC protocol, the way the Pulumi CLI does.

The CLI boots a Python policy pack as ``python -u -m pulumi.policy <engine-address> .`` with the
pack folder as working directory, reads the pack's gRPC port from the first line of its stdout
and then speaks the ``pulumirpc.Analyzer`` service: ``Handshake`` (the Python SDK answers
UNIMPLEMENTED, which the CLI tolerates), ``ConfigureStack``, ``GetAnalyzerInfo``,
``GetPluginInfo``, ``Configure`` (always, with the policy config reconciled against the pack's
defaults), one ``Analyze`` per resource and one ``AnalyzeStack`` with every resource.

:class:`PolicyPackSession` reproduces that exchange for resources captured offline
(:class:`gate.model.CapturedResource`) and marshals their values exactly as the engine does
(``KeepUnknowns``, ``KeepSecrets``, ``SkipInternalKeys``, resource references flattened to their
ID or URN). What the pulumi-policy server (1.21) really does, verified against it:

* an UNKNOWN value is only noticed when a policy reads it; that policy then yields an *advisory*
  diagnostic ``can't run policy '<name>' from policy pack '<pack>@v<version>' during preview:
  string value at .<path> can't be known during preview`` with an empty URN, whatever the
  policy's enforcement level and whether or not the run is a preview;
* a secret reaches ``Analyze``/``AnalyzeStack`` policies as its plain value;
* a policy that raises aborts the whole RPC: the gRPC status is UNKNOWN with the details
  ``Exception calling application: <str(exception)>``, the results of the other policies are
  lost, and neither the policy name nor the traceback is reported (grpc logs the traceback to a
  ``NullHandler``). :class:`PolicyCrash` recovers the policy name by re-running the request
  with one policy enabled at a time; ``tracebacks=True`` recovers the traceback as well.
"""

from __future__ import annotations

import atexit
import json
import os
import signal
import subprocess
import sys
import threading
import time
import weakref
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent import futures
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, cast

import grpc
import jsonschema
import yaml
from google.protobuf import empty_pb2, json_format, struct_pb2
from pulumi.runtime.config import get_config_env_key
from pulumi.runtime.proto import (
    analyzer_pb2,
    analyzer_pb2_grpc,
    engine_pb2,
    engine_pb2_grpc,
)

from gate.model import UNKNOWN, CapturedResource, Secret

__all__ = [
    "AnalyzerInfo",
    "EngineLog",
    "PackRPCError",
    "PackStartError",
    "PolicyConfig",
    "PolicyConfigError",
    "PolicyCrash",
    "PolicyInfo",
    "PolicyPackError",
    "PolicyPackSession",
    "Remediation",
    "Violation",
    "load_policy_pack_config",
    "parse_policy_pack_config",
    "reconcile_policy_pack_config",
    "to_wire_value",
]

EnforcementLevel = Literal["advisory", "mandatory", "remediate", "disabled"]

# Wire constants, as in sdk/go/common/resource/properties.go and pulumi/runtime/rpc.py.
UNKNOWN_STRING_VALUE = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
SPECIAL_SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
RESOURCE_REFERENCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e"
OUTPUT_VALUE_SIG = "d0e6a833031e9bbcd3f4e8bde6ca49a4"
ASSET_SIG = "c44067f5952c0a294b673a41bacd8c17"
ARCHIVE_SIG = "0def7320c3a5731c473e5ecbe6d01bc7"

_LEVELS: tuple[EnforcementLevel, ...] = ("advisory", "mandatory", "remediate", "disabled")
_LEVEL_FROM_PROTO: dict[int, EnforcementLevel] = {
    analyzer_pb2.ADVISORY: "advisory",
    analyzer_pb2.MANDATORY: "mandatory",
    analyzer_pb2.REMEDIATE: "remediate",
    analyzer_pb2.DISABLED: "disabled",
}
_LEVEL_TO_PROTO: dict[str, int] = {name: number for number, name in _LEVEL_FROM_PROTO.items()}
_SEVERITY_FROM_PROTO: dict[int, str] = {
    analyzer_pb2.POLICY_SEVERITY_UNSPECIFIED: "",
    analyzer_pb2.POLICY_SEVERITY_LOW: "low",
    analyzer_pb2.POLICY_SEVERITY_MEDIUM: "medium",
    analyzer_pb2.POLICY_SEVERITY_HIGH: "high",
    analyzer_pb2.POLICY_SEVERITY_CRITICAL: "critical",
}
_POLICY_TYPE_FROM_PROTO: dict[int, str] = {
    analyzer_pb2.POLICY_TYPE_UNKNOWN: "unknown",
    analyzer_pb2.POLICY_TYPE_RESOURCE: "resource",
    analyzer_pb2.POLICY_TYPE_STACK: "stack",
}
# The JSON schema the CLI injects into every policy's config schema (analyzer_plugin.go).
_ENFORCEMENT_LEVEL_SCHEMA: dict[str, Any] = {"type": "string", "enum": list(_LEVELS)}

# rpcutil.GrpcChannelOptions: the CLI raises the message limits to 400 MiB.
_MAX_MESSAGE = 400 * 1024 * 1024
_CHANNEL_OPTIONS = [
    ("grpc.max_receive_message_length", _MAX_MESSAGE),
    ("grpc.max_send_message_length", _MAX_MESSAGE),
]
# MAX_ARG_STRLEN (32 pages): the longest "NAME=value" string exec accepts, its NUL included.
_ENV_STRING_LIMIT = 32 * 4096 - 1
_APPLICATION_EXCEPTION = "Exception calling application: "
_TRACEBACK_MARKER = "Traceback (most recent call last):"

# Runs ``pulumi.policy`` exactly like ``-m`` would, after routing grpc's server log (which holds
# the traceback of a policy that raised) to stderr instead of grpc's NullHandler.
# It also writes a marker line to stderr when each policy starts and ends, so that a policy that
# hangs or ends the process can be named (only this diagnostic session is instrumented).
_POLICY_MARKER = "[gate-policy] "
_TRACEBACK_BOOTSTRAP = (
    "import logging, runpy, sys\n"
    "handler = logging.StreamHandler(sys.stderr)\n"
    "handler.setFormatter(logging.Formatter('%(message)s'))\n"
    "logging.getLogger('grpc._server').addHandler(handler)\n"
    "from pulumi_policy import policy as _p\n"
    "def _traced(method):\n"
    "    def traced(self, *args, **kwargs):\n"
    f"        sys.stderr.write({_POLICY_MARKER!r} + 'start ' + self.name + '\\n')\n"
    "        sys.stderr.flush()\n"
    "        try:\n"
    "            return method(self, *args, **kwargs)\n"
    "        finally:\n"
    f"            sys.stderr.write({_POLICY_MARKER!r} + 'end ' + self.name + '\\n')\n"
    "            sys.stderr.flush()\n"
    "    return traced\n"
    "for _cls, _name in ((_p.ResourceValidationPolicy, 'validate'),\n"
    "                    (_p.ResourceValidationPolicy, 'remediate'),\n"
    "                    (_p.StackValidationPolicy, 'validate')):\n"
    "    setattr(_cls, _name, _traced(getattr(_cls, _name)))\n"
    "runpy.run_module('pulumi.policy', run_name='__main__', alter_sys=True)\n"
)


def running_policy(stderr: str) -> str | None:
    """The policy a traced pack started last and did not finish (None if every one finished)."""
    open_policies: list[str] = []
    for line in stderr.splitlines():
        if not line.startswith(_POLICY_MARKER):
            continue
        event, _, name = line[len(_POLICY_MARKER):].partition(" ")
        if event == "start":
            open_policies.append(name)
        elif event == "end" and name in open_policies:
            open_policies.remove(name)
    return open_policies[-1] if open_policies else None

# Kills the pack's process group unless told 'd' (disarm): if the gate dies, even by SIGKILL,
# the watchdog's stdin reaches EOF and the pack goes with it.
_WATCHDOG = (
    "import os, signal, sys\n"
    "signal.signal(signal.SIGINT, signal.SIG_IGN)\n"
    "if sys.stdin.buffer.read(1) != b'd':\n"
    "    try:\n"
    "        os.killpg(int(sys.argv[1]), signal.SIGKILL)\n"
    "    except ProcessLookupError:\n"
    "        sys.exit(0)\n"
)


# --------------------------------------------------------------------------------------------
# Errors


class PolicyPackError(RuntimeError):
    """Base class of every failure of the policy pack or of the protocol."""


class PackStartError(PolicyPackError):
    """The pack could not be started, or did not come up as an analyzer."""

    def __init__(self, message: str, *, stderr: str = "", exit_code: int | None = None) -> None:
        text = message
        if stderr.strip():
            text += f"\n--- policy pack stderr ---\n{stderr.rstrip()}"
        super().__init__(text)
        self.stderr = stderr
        self.exit_code = exit_code


class PolicyCrash(PolicyPackError):  # noqa: N818 - the name the gate's reports use
    """A policy raised inside the pack, which aborts the whole Analyze/AnalyzeStack call."""

    def __init__(self, policy_name: str | None, resource_urn: str | None, detail: str) -> None:
        who = f"policy {policy_name!r}" if policy_name else "a policy (could not tell which)"
        where = f" while analyzing {resource_urn}" if resource_urn else " during stack analysis"
        super().__init__(f"{who} raised{where}: {detail}")
        self.policy_name = policy_name
        self.resource_urn = resource_urn
        self.detail = detail


class PackRPCError(PolicyPackError):
    """A gRPC call failed for another reason than a policy raising (pack died, hung...)."""

    def __init__(self, method: str, code: str, details: str, *, stderr: str = "") -> None:
        text = f"{method} failed with {code}: {details}"
        if stderr.strip():
            text += f"\n--- policy pack stderr ---\n{stderr.rstrip()}"
        super().__init__(text)
        self.method = method
        self.code = code
        self.details = details
        self.stderr = stderr


class PolicyConfigError(PolicyPackError, ValueError):
    """The policy pack config document is malformed or does not match the config schemas."""

    def __init__(self, errors: Iterable[str]) -> None:
        self.errors = tuple(errors)
        super().__init__("invalid policy pack config:\n  " + "\n  ".join(self.errors))


# --------------------------------------------------------------------------------------------
# Results


@dataclass(frozen=True)
class Violation:
    """One diagnostic of the pack, as the CLI reports it (``apitype.AnalyzeDiagnostic``)."""

    policy_name: str
    policy_pack_name: str
    policy_pack_version: str
    description: str
    message: str  # as built by the SDK: the policy description, a newline, the reported text
    enforcement_level: EnforcementLevel
    urn: str  # the resource the CLI attributes the violation to
    severity: str = ""  # "", "low", "medium", "high" or "critical"


@dataclass(frozen=True)
class Remediation:
    """One entry of a ``Remediate`` answer: new properties, or a diagnostic (a warning)."""

    policy_name: str
    policy_pack_name: str
    policy_pack_version: str
    description: str
    properties: struct_pb2.Struct | None  # the whole remediated property map, in wire form
    diagnostic: str


@dataclass(frozen=True)
class PolicyConfig:
    """The config of one policy: an enforcement level ("" when unset) and its properties."""

    enforcement_level: str
    properties: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class PolicyInfo:
    """Metadata of one policy, from ``GetAnalyzerInfo``."""

    name: str
    description: str
    enforcement_level: EnforcementLevel
    policy_type: str  # "resource", "stack" or "unknown"
    display_name: str = ""
    message: str = ""
    severity: str = ""
    config_schema: Mapping[str, Any] | None = None  # {"properties": {...}, "required": [...]}
    tags: tuple[str, ...] = ()
    remediation_steps: str = ""
    url: str = ""
    framework: Mapping[str, str] | None = None


@dataclass(frozen=True)
class AnalyzerInfo:
    """Metadata of the pack, from ``GetAnalyzerInfo`` (version from PulumiPolicy.yaml first)."""

    name: str
    version: str
    supports_config: bool
    policies: tuple[PolicyInfo, ...]
    initial_config: Mapping[str, PolicyConfig] = field(default_factory=dict)
    display_name: str = ""
    description: str = ""
    readme: str = ""
    provider: str = ""
    tags: tuple[str, ...] = ()
    repository: str = ""


@dataclass(frozen=True)
class EngineLog:
    """A ``Log`` call received by the session's Engine service."""

    severity: str
    message: str
    urn: str


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


def _struct(properties: Mapping[str, Any]) -> struct_pb2.Struct:
    """Marshal a property map into a Struct."""
    message = struct_pb2.Struct()
    message.update(to_wire_value(properties))
    return message


def _from_struct(message: struct_pb2.Struct) -> dict[str, Any]:
    """Unmarshal a Struct into plain Python values."""
    return cast(dict[str, Any], json_format.MessageToDict(message))


# --------------------------------------------------------------------------------------------
# Policy config, as pkg/resource/analyzer/config.go handles ``--policy-pack-config``


def load_policy_pack_config(path: str | os.PathLike[str]) -> dict[str, Any] | None:
    """Read a ``--policy-pack-config`` JSON file; an empty file means no config."""
    text = Path(path).read_text(encoding="utf-8")
    if not text.strip():
        return None
    document = json.loads(text)
    if not isinstance(document, dict):
        raise PolicyConfigError([f"{path}: the config must be a JSON object"])
    return document


def parse_policy_pack_config(document: Mapping[str, Any] | None) -> dict[str, PolicyConfig]:
    """Parse the ``--policy-pack-config`` document format.

    Each key is a policy name (or ``"all"``); each value is an enforcement level string or an
    object with an optional ``enforcementLevel`` and the policy's config properties. Entries with
    neither are dropped, as the CLI does.
    """
    result: dict[str, PolicyConfig] = {}
    errors: list[str] = []
    for key, value in (document or {}).items():
        level = ""
        properties: dict[str, Any] | None = None
        if isinstance(value, str):
            if value not in _LEVELS:
                errors.append(
                    f'parsing enforcement level for "{key}": "{value}" is not a valid '
                    "enforcement level"
                )
                continue
            level = value
        elif isinstance(value, Mapping):
            properties = dict(value)
            if "enforcementLevel" in properties:
                given = properties.pop("enforcementLevel")
                if not isinstance(given, str):
                    errors.append(
                        f'parsing enforcement level for "{key}": {given!r} is not a valid '
                        "enforcement level; must be a string"
                    )
                    continue
                if given not in _LEVELS:
                    errors.append(
                        f'parsing enforcement level for "{key}": "{given}" is not a valid '
                        "enforcement level"
                    )
                    continue
                level = given
            properties = properties or None
        else:
            errors.append(f'parsing "{key}": {value!r} is not a valid value; must be a string or '
                          "object")
            continue
        if level or properties:
            result[key] = PolicyConfig(level, properties)
    if errors:
        raise PolicyConfigError(errors)
    return result


def reconcile_policy_pack_config(
    info: AnalyzerInfo, document: Mapping[str, Any] | None
) -> dict[str, PolicyConfig]:
    """Build the config the CLI sends with ``Configure`` (``ReconcilePolicyPackConfig``).

    Start from every policy's default level and its schema defaults, apply the pack's initial
    config, then the document (``"all"`` first sets every policy's level), and validate each
    policy's properties against its config schema.
    """
    given = parse_policy_pack_config(document)
    if not info.supports_config:
        if given:
            raise PolicyConfigError([f'policy pack "{info.name}" does not support config'])
        return {}
    result: dict[str, PolicyConfig] = {}
    for policy in info.policies:
        defaults: dict[str, Any] | None = None
        for key, schema in ((policy.config_schema or {}).get("properties") or {}).items():
            if isinstance(schema, Mapping) and "default" in schema:
                defaults = defaults or {}
                defaults[key] = schema["default"]
        result[policy.name] = PolicyConfig(policy.enforcement_level, defaults)
    result = _apply_config(result, info.initial_config)
    result = _apply_config(result, given)
    errors = _validate_config(info.policies, result)
    if errors:
        raise PolicyConfigError(errors)
    invalid = [f'invalid enforcement level "{cfg.enforcement_level}" for "{name}"'
               for name, cfg in result.items() if cfg.enforcement_level not in _LEVELS]
    if invalid:
        raise PolicyConfigError(invalid)
    return result


def _apply_config(
    result: dict[str, PolicyConfig], to_apply: Mapping[str, PolicyConfig]
) -> dict[str, PolicyConfig]:
    """``applyConfig``: the ``"all"`` level first, then each entry (including ``"all"``)."""
    applied = dict(result)
    everything = to_apply.get("all")
    if everything is not None and everything.enforcement_level in _LEVELS:
        for name, current in applied.items():
            applied[name] = PolicyConfig(everything.enforcement_level, current.properties)
    for name, config in to_apply.items():
        level, properties = "", None
        if name in applied:
            level, properties = applied[name].enforcement_level, applied[name].properties
        if config.enforcement_level in _LEVELS:
            level = config.enforcement_level
        if config.properties:
            properties = {**(properties or {}), **config.properties}
        applied[name] = PolicyConfig(level, properties)
    return applied


def _validate_config(
    policies: Sequence[PolicyInfo], config: Mapping[str, PolicyConfig]
) -> list[str]:
    """Validate each policy's properties against its schema (plus ``enforcementLevel``)."""
    errors: list[str] = []
    for policy in policies:
        declared = dict(policy.config_schema or {})
        schema: dict[str, Any] = {
            "type": "object",
            "properties": {
                **(declared.get("properties") or {}),
                "enforcementLevel": _ENFORCEMENT_LEVEL_SCHEMA,
            },
        }
        if declared.get("required"):
            schema["required"] = list(declared["required"])
        current = config.get(policy.name)
        properties = dict(current.properties or {}) if current else {}
        validator = jsonschema.Draft7Validator(schema)
        for error in sorted(validator.iter_errors(properties), key=lambda e: list(e.path)):
            location = ".".join(str(part) for part in error.path)
            prefix = f"{location}: " if location else ""
            errors.append(f"{policy.name}: {prefix}{error.message}")
    return errors


# --------------------------------------------------------------------------------------------
# Process plumbing


class _Pump:
    """Drains one pipe of the pack on a daemon thread into a growing buffer."""

    def __init__(self, stream: Any, label: str) -> None:
        self._stream = stream
        self._buffer = bytearray()
        self._eof = False
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._run, name=f"policy-pack-{label}",
                                        daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            while chunk := self._stream.read1(65536):
                with self._changed:
                    self._buffer += chunk
                    self._changed.notify_all()
        finally:
            with self._changed:
                self._eof = True
                self._changed.notify_all()

    def size(self) -> int:
        """Bytes received so far."""
        with self._changed:
            return len(self._buffer)

    def text(self, start: int = 0) -> str:
        """Everything received from byte ``start`` on, decoded."""
        with self._changed:
            return bytes(self._buffer[start:]).decode("utf-8", errors="replace")

    def wait_for(self, predicate: Callable[[bytes, bool], bool], timeout: float) -> bool:
        """Wait until ``predicate(buffer, eof)`` holds; False on timeout."""
        with self._changed:
            return self._changed.wait_for(
                lambda: predicate(bytes(self._buffer), self._eof), timeout=max(timeout, 0.0)
            )

    def wait_quiet(self, quiet: float, limit: float) -> None:
        """Wait until nothing arrived for ``quiet`` seconds (at most ``limit`` seconds)."""
        deadline = time.monotonic() + limit
        with self._changed:
            while not self._eof and time.monotonic() < deadline:
                before = len(self._buffer)
                self._changed.wait(timeout=quiet)
                if len(self._buffer) == before:
                    return

    def join(self, timeout: float) -> None:
        """Wait for the pipe to close."""
        self._thread.join(timeout)

    def close(self, timeout: float) -> None:
        """Wait for the pipe to close, then release our end (unless a straggler holds it)."""
        self._thread.join(timeout)
        if not self._thread.is_alive():
            self._stream.close()


class _EngineServicer(engine_pb2_grpc.EngineServicer):
    """The minimal Engine service the CLI exposes at the address it gives the pack."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.logs: list[EngineLog] = []
        self.root_urn = ""

    def Log(self, request: Any, context: Any) -> empty_pb2.Empty:  # noqa: N802 - gRPC name
        """Record a log message."""
        severity = engine_pb2.LogSeverity.Name(request.severity).lower()
        with self._lock:
            self.logs.append(EngineLog(severity, request.message, request.urn))
        return empty_pb2.Empty()

    def GetRootResource(self, request: Any, context: Any) -> Any:  # noqa: N802 - gRPC name
        """Return the root resource URN."""
        with self._lock:
            return engine_pb2.GetRootResourceResponse(urn=self.root_urn)

    def SetRootResource(self, request: Any, context: Any) -> Any:  # noqa: N802 - gRPC name
        """Remember the root resource URN."""
        with self._lock:
            self.root_urn = request.urn
        return engine_pb2.SetRootResourceResponse()


class _EngineServer:
    """An in-process Engine gRPC server on a free loopback port."""

    def __init__(self) -> None:
        self.servicer = _EngineServicer()
        self._server = grpc.server(futures.ThreadPoolExecutor(max_workers=2),
                                   options=_CHANNEL_OPTIONS)
        engine_pb2_grpc.add_EngineServicer_to_server(self.servicer, self._server)
        port = self._server.add_insecure_port("127.0.0.1:0")
        self._server.start()
        self.address = f"127.0.0.1:{port}"

    def stop(self) -> None:
        """Stop serving."""
        self._server.stop(grace=None)


def _signal_group(process: subprocess.Popen[bytes], sig: int) -> None:
    """Send ``sig`` to the pack's process group (the pack leads its own session)."""
    if os.name == "posix":
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return  # the whole group is already gone
    elif sig == signal.SIGTERM:
        process.terminate()
    else:
        process.kill()


_LIVE_SESSIONS: weakref.WeakSet[PolicyPackSession] = weakref.WeakSet()


@atexit.register
def _close_live_sessions() -> None:
    """Stop every pack still running when the interpreter exits."""
    for session in list(_LIVE_SESSIONS):
        session.close()


@dataclass(frozen=True)
class _Manifest:
    runtime: str
    version: str


def _read_manifest(pack_dir: Path) -> _Manifest:
    """Read ``PulumiPolicy.yaml`` like ``workspace.LoadPolicyPack`` does."""
    path = pack_dir / "PulumiPolicy.yaml"
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except OSError as error:
        raise PackStartError(f"failed to load Pulumi policy project at {pack_dir}: {error}") \
            from error
    except yaml.YAMLError as error:
        raise PackStartError(f"failed to parse {path}: {error}") from error
    if not isinstance(document, dict):
        raise PackStartError(f"{path} is not a YAML mapping")
    runtime = document.get("runtime")
    name = runtime.get("name") if isinstance(runtime, dict) else runtime
    if not name:
        raise PackStartError(f"{path}: project is missing a 'runtime' attribute")
    if name != "python":
        raise PackStartError(f"{path}: runtime {name!r} is not supported; only python packs run")
    version = document.get("version")
    return _Manifest(runtime=str(name), version="" if version is None else str(version))


def _urn_parts(urn: str) -> tuple[str, str]:
    """Return the (type, name) of a URN, as ``URN.Type()`` and ``URN.Name()``."""
    parts = urn.split("::", 3)
    if len(parts) != 4:
        return "", ""
    return parts[2].rsplit("$", 1)[-1], parts[3]


def _rpc_code(error: grpc.RpcError) -> grpc.StatusCode | None:
    return cast(grpc.Call, error).code()


def _rpc_details(error: grpc.RpcError) -> str:
    return cast(grpc.Call, error).details() or ""


# --------------------------------------------------------------------------------------------
# The session


class PolicyPackSession:
    """One running policy pack, spoken to like the Pulumi CLI does.

    Use it as a context manager: the pack process (and its process group) is terminated on
    exit, on exceptions and on KeyboardInterrupt, by an ``atexit`` hook, and — should the gate
    die without cleaning up — by a watchdog process that notices the gate is gone.
    """

    def __init__(
        self,
        pack_dir: str | os.PathLike[str],
        *,
        stack: str,
        project: str,
        organization: str = "organization",
        dry_run: bool = True,
        stack_config: Mapping[str, Any] | None = None,
        stack_tags: Mapping[str, str] | None = None,
        policy_config: Mapping[str, Any] | None = None,
        python: str = sys.executable,
        tracebacks: bool = False,
        startup_timeout: float = 60.0,
        rpc_timeout: float = 120.0,
        deadline: float | None = None,
    ) -> None:
        """Describe the session; nothing starts before ``__enter__``/:meth:`start`.

        :param pack_dir: the folder holding ``PulumiPolicy.yaml`` and ``__main__.py``.
        :param stack_config: stack config by full key (``project:key``); values that are not
            strings are JSON-encoded, :class:`Secret` values are sent as secret keys.
        :param policy_config: the ``--policy-pack-config`` document applied at start.
        :param tracebacks: run ``pulumi.policy`` through a bootstrap that routes grpc's server
            log to stderr, so that :class:`PolicyCrash` carries the policy's traceback. Off,
            the pack is launched exactly as the CLI does (``python -u -m pulumi.policy``);
            on, each policy also marks its start and end on stderr (:func:`running_policy`).
        :param deadline: seconds from :meth:`start` (or the last :meth:`arm_deadline`) within
            which the session must be done: every call waits at most
            ``min(rpc_timeout, time left)``.
        """
        self.pack_dir = Path(pack_dir).resolve()
        self.stack = stack
        self.project = project
        self.organization = organization
        self.dry_run = dry_run
        self._stack_config = dict(stack_config or {})
        self._stack_tags = dict(stack_tags or {})
        self._initial_policy_config = policy_config
        self._python = python
        self._tracebacks = tracebacks
        self._startup_timeout = startup_timeout
        self._rpc_timeout = rpc_timeout
        self._deadline_seconds = deadline
        self._deadline_at: float | None = None

        self._lock = threading.RLock()
        self._exit = ExitStack()
        self._started = False
        self._closed = False
        self._manifest_version = ""
        self._engine: _EngineServer | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._watchdog: subprocess.Popen[bytes] | None = None
        self._stdout: _Pump | None = None
        self._stderr: _Pump | None = None
        self._channel: grpc.Channel | None = None
        self._stub: analyzer_pb2_grpc.AnalyzerStub | None = None
        self._info: AnalyzerInfo | None = None
        self._config: dict[str, PolicyConfig] = {}
        self._known: dict[str, CapturedResource] = {}
        # provider URN -> (the resource it was described from, or None; the description)
        self._providers: dict[
            str, tuple[CapturedResource | None, analyzer_pb2.AnalyzerProviderResource]] = {}
        self._severities: dict[str, str] | None = None
        self.plugin_version = ""

    # -- lifecycle ------------------------------------------------------------------------

    def __enter__(self) -> PolicyPackSession:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self._closed else f"pid={self.pid}" if self._started else "idle"
        return f"PolicyPackSession({str(self.pack_dir)!r}, {state})"

    def start(self) -> None:
        """Launch the pack and run the CLI's opening exchange; cleans up if anything fails."""
        if self._started:
            raise PolicyPackError("the session was already started")
        self._started = True
        self.arm_deadline()
        try:
            self._start()
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        """Terminate the pack (SIGTERM to its group, then SIGKILL) and release everything."""
        if self._closed:
            return
        self._closed = True
        _LIVE_SESSIONS.discard(self)
        self._exit.close()

    @property
    def pid(self) -> int | None:
        """The pack's process id, once launched."""
        return self._process.pid if self._process else None

    @property
    def engine_address(self) -> str:
        """The address of the Engine service given to the pack."""
        return self._engine.address if self._engine else ""

    @property
    def engine_logs(self) -> list[EngineLog]:
        """``Log`` calls received on the Engine service (the Python SDK logs to stderr)."""
        return list(self._engine.servicer.logs) if self._engine else []

    def stderr_text(self) -> str:
        """Everything the pack wrote to stderr (``pulumi.log`` output lands here)."""
        return self._stderr.text() if self._stderr else ""

    def stdout_text(self) -> str:
        """Everything the pack wrote to stdout, the port line included."""
        return self._stdout.text() if self._stdout else ""

    def _start(self) -> None:
        self._manifest_version = _read_manifest(self.pack_dir).version
        self._engine = _EngineServer()
        self._exit.callback(self._engine.stop)

        if self._tracebacks:
            entry = ["-c", _TRACEBACK_BOOTSTRAP]
        else:
            entry = ["-m", "pulumi.policy"]
        argv = [self._python, "-u", *entry, self._engine.address, "."]
        try:
            process = subprocess.Popen(  # noqa: S603 - argv is fully ours
                argv,
                cwd=self.pack_dir,
                env=self._pack_environment(),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=os.name == "posix",
            )
        except OSError as error:
            raise PackStartError(f"could not launch {self._python}: {error}") from error
        self._process = process
        _LIVE_SESSIONS.add(self)
        self._exit.callback(self._shutdown_process)
        self._stdout = _Pump(process.stdout, "stdout")
        self._stderr = _Pump(process.stderr, "stderr")
        if os.name == "posix":
            self._watchdog = subprocess.Popen(  # noqa: S603 - argv is fully ours
                [sys.executable, "-I", "-S", "-c", _WATCHDOG, str(process.pid)],
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )

        deadline = time.monotonic() + min(self._startup_timeout, self._time_left())
        port = self._read_port(deadline)
        self._channel = grpc.insecure_channel(f"127.0.0.1:{port}", options=_CHANNEL_OPTIONS)
        self._exit.callback(self._channel.close)
        try:
            grpc.channel_ready_future(self._channel).result(
                timeout=max(deadline - time.monotonic(), 0.1))
        except grpc.FutureTimeoutError as error:
            raise self._start_failure(f"could not connect to the pack on port {port}") from error
        self._stub = analyzer_pb2_grpc.AnalyzerStub(self._channel)

        self._opening_call(
            "Handshake",
            analyzer_pb2.AnalyzerHandshakeRequest(
                engine_address=self._engine.address,
                root_directory=str(self.pack_dir),
                program_directory=str(self.pack_dir),
            ),
        )
        config = {key: value.value if isinstance(value, Secret) else value
                  for key, value in self._stack_config.items()}
        self._opening_call(
            "ConfigureStack",
            analyzer_pb2.AnalyzerStackConfigureRequest(
                stack=self.stack,
                project=self.project,
                organization=self.organization,
                dry_run=self.dry_run,
                config={key: _config_string(value) for key, value in config.items()},
                config_secret_keys=sorted(key for key, value in self._stack_config.items()
                                          if isinstance(value, Secret)),
                tags=self._stack_tags,
            ),
        )
        info = self._opening_call("GetAnalyzerInfo", empty_pb2.Empty())
        self._info = self._convert_info(info)
        plugin_info = self._opening_call("GetPluginInfo", empty_pb2.Empty())
        self.plugin_version = plugin_info.version if plugin_info is not None else ""
        try:
            self.configure(self._initial_policy_config)
        except PackRPCError as error:
            raise self._start_failure(f"Configure failed: {error.details}") from error

    def _pack_environment(self) -> dict[str, str]:
        """The environment ``constructEnv`` gives a policy pack."""
        config = {key: _config_string(value.value if isinstance(value, Secret) else value)
                  for key, value in self._stack_config.items()}
        environment = dict(os.environ)
        environment.update(_config_environment(config))
        environment.update({
            "PULUMI_PROJECT": self.project,
            "PULUMI_STACK": self.stack,
            "PULUMI_DRY_RUN": "true" if self.dry_run else "false",
        })
        if self.organization:
            environment["PULUMI_ORGANIZATION"] = self.organization
        return environment

    def _read_port(self, deadline: float) -> int:
        """Read the gRPC port from the first line of the pack's stdout."""
        assert self._stdout is not None
        has_line = self._stdout.wait_for(lambda data, eof: b"\n" in data or eof,
                                         deadline - time.monotonic())
        first = self._stdout.text().split("\n", 1)
        if not has_line:
            raise self._start_failure(
                f"the pack did not report its port within {self._startup_timeout:g}s")
        if len(first) == 1:
            said = f" (stdout: {first[0].strip()!r})" if first[0].strip() else ""
            raise self._start_failure(f"the pack exited before reporting its port{said}",
                                      wait=5.0)
        line = first[0].strip()
        try:
            port = int(line)
        except ValueError:
            port = 0
        if not 0 < port < 65536:
            raise self._start_failure(
                f"the pack printed {line!r} on stdout where its gRPC port was expected")
        return port

    def _start_failure(self, message: str, *, wait: float = 0.2) -> PackStartError:
        """Build a PackStartError carrying the pack's stderr and, if it exited, its exit code."""
        assert self._process is not None and self._stderr is not None
        try:
            self._process.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            exit_code = None  # still running: report what it said so far
        else:
            exit_code = self._process.returncode
            self._stderr.join(timeout=2.0)
        if exit_code is not None:
            message += f" (exit code {exit_code})"
        return PackStartError(f"policy pack {self.pack_dir}: {message}",
                              stderr=self._stderr.text(), exit_code=exit_code)

    def _opening_call(self, method: str, request: Any) -> Any:
        """Make one call of the opening exchange; UNIMPLEMENTED is tolerated like the CLI."""
        try:
            return getattr(self._stub, method)(request, timeout=self._call_timeout())
        except grpc.RpcError as error:
            if _rpc_code(error) == grpc.StatusCode.UNIMPLEMENTED and method != "GetAnalyzerInfo":
                return None
            raise self._start_failure(f"{method} failed: {_rpc_details(error)}") from error

    def _shutdown_process(self) -> None:
        """Stop the pack's process group, then release (or fire) the watchdog."""
        process = self._process
        assert process is not None
        try:
            if process.poll() is None:
                _signal_group(process, signal.SIGTERM)
                try:
                    process.wait(timeout=5.0)
                except subprocess.TimeoutExpired:
                    _signal_group(process, signal.SIGKILL)
                    process.wait(timeout=5.0)
        finally:
            self._release_watchdog(disarm=process.poll() is not None)
            for pump in (self._stdout, self._stderr):
                if pump is not None:
                    pump.close(timeout=2.0)

    def _release_watchdog(self, *, disarm: bool) -> None:
        watchdog = self._watchdog
        if watchdog is None or watchdog.stdin is None:
            return
        try:
            if disarm:
                watchdog.stdin.write(b"d")
            watchdog.stdin.close()
        except BrokenPipeError:
            return  # the watchdog already exited
        finally:
            try:
                watchdog.wait(timeout=5.0)
            except subprocess.TimeoutExpired:
                watchdog.kill()
                watchdog.wait()

    # -- protocol -------------------------------------------------------------------------

    def analyzer_info(self) -> AnalyzerInfo:
        """The pack's metadata; policy levels reflect the last :meth:`configure`."""
        info = self._require_info()
        policies = tuple(replace(policy, enforcement_level=self._level_of(policy))
                         for policy in info.policies)
        return replace(info, policies=policies)

    def configure(self, policy_config: Mapping[str, Any] | None) -> dict[str, PolicyConfig]:
        """Send ``Configure`` for a ``--policy-pack-config`` document (None: defaults only).

        The document is reconciled with the pack's defaults exactly like the CLI does and the
        whole result is sent, so each call starts over from the pack's defaults. Returns the
        config that was sent.
        """
        with self._lock:
            self._ensure_open()
            config = reconcile_policy_pack_config(self._require_info(), policy_config)
            if config:
                self._send_configure(config)
            self._config = config
            return dict(config)

    def register(self, resources: Iterable[CapturedResource]) -> None:
        """Make resources (typically providers) known, to describe providers in requests."""
        with self._lock:
            for resource in resources:
                self._known[resource.urn] = resource

    def analyze(
        self, resource: CapturedResource, *, provider: CapturedResource | None = None,
        properties: struct_pb2.Struct | None = None,
    ) -> list[Violation]:
        """Run the resource policies on one resource (its ``inputs``), like ``Analyze``.

        The provider is described from ``provider``, or else from the resource its reference
        names if it was analyzed or registered before, or else from the reference's URN alone.
        Violations are attributed to the resource, as the engine does. ``properties``
        (remediated ones, in wire form) replace the resource's inputs.
        """
        with self._lock:
            self._ensure_open()
            request = self._resource_request(resource, provider, properties)
            response = self._analysis_call("Analyze", request, resource.urn)
            return self._violations(response, lambda _urn: resource.urn)

    def remediate(
        self, resource: CapturedResource, *, provider: CapturedResource | None = None,
        properties: struct_pb2.Struct | None = None,
    ) -> list[Remediation]:
        """Run the remediation policies on one resource, like ``Remediate``.

        The engine calls it for every resource before ``Analyze`` and, for each answer that
        carries properties, analyzes (and deploys) those properties instead of the program's:
        see :meth:`remediated`. Policies that do not remediate are not run.
        """
        with self._lock:
            self._ensure_open()
            request = self._resource_request(resource, provider, properties)
            response = self._analysis_call("Remediate", request, resource.urn)
            version = self._manifest_version
            return [Remediation(
                policy_name=item.policyName,
                policy_pack_name=item.policyPackName,
                policy_pack_version=version or item.policyPackVersion,
                description=item.description,
                properties=item.properties if item.HasField("properties") else None,
                diagnostic=item.diagnostic,
            ) for item in response.remediations]

    def remediated(
        self, resource: CapturedResource, *, provider: CapturedResource | None = None,
    ) -> tuple[struct_pb2.Struct | None, list[Violation]]:
        """``Remediate`` as the engine's step generator applies it, before ``Analyze``.

        Returns the properties to analyze instead of the resource's inputs (the last
        remediation's, as each one rewrites the whole map; None when nothing was remediated)
        and the remediation diagnostics, reported as advisory violations of the resource.
        """
        properties: struct_pb2.Struct | None = None
        warnings: list[Violation] = []
        severities = self._policy_severities()
        for item in self.remediate(resource, provider=provider):
            if item.diagnostic:
                warnings.append(Violation(
                    policy_name=item.policy_name, policy_pack_name=item.policy_pack_name,
                    policy_pack_version=item.policy_pack_version,
                    description=item.description, message=item.diagnostic,
                    enforcement_level="advisory", urn=resource.urn,
                    severity=severities.get(item.policy_name, "")))
            elif item.properties is not None:
                properties = item.properties
        return properties, warnings

    def _resource_request(
        self, resource: CapturedResource, provider: CapturedResource | None,
        properties: struct_pb2.Struct | None,
    ) -> Any:
        """The ``AnalyzeRequest`` the engine builds for one resource (Remediate and Analyze)."""
        self._known[resource.urn] = resource
        request = analyzer_pb2.AnalyzeRequest(
            urn=resource.urn,
            type=resource.type,
            name=resource.name,
            properties=properties if properties is not None else _struct(resource.inputs),
            options=self._options(resource),
        )
        provider_message = self._provider(resource.provider, provider)
        if provider_message is not None:
            request.provider.CopyFrom(provider_message)
        return request

    def analyze_stack(self, resources: Sequence[CapturedResource]) -> list[Violation]:
        """Run the stack policies over all resources (their ``outputs``), like ``AnalyzeStack``.

        A violation keeps the URN its policy reported when that URN is one of ``resources``;
        otherwise it is attributed to the root stack, as the engine does.
        """
        with self._lock:
            self._ensure_open()
            known = {**self._known, **{resource.urn: resource for resource in resources}}
            request = analyzer_pb2.AnalyzeStackRequest()
            for resource in resources:
                message = request.resources.add(
                    urn=resource.urn,
                    type=resource.type,
                    name=resource.name,
                    properties=_struct(resource.outputs),
                    options=self._options(resource),
                    parent=resource.parent,
                    dependencies=list(resource.dependencies),
                )
                for key, urns in resource.property_dependencies.items():
                    if urns:
                        message.propertyDependencies[key].urns.extend(urns)
                provider_message = self._provider(resource.provider, None, known)
                if provider_message is not None:
                    message.provider.CopyFrom(provider_message)
            response = self._analysis_call("AnalyzeStack", request, None)
            in_stack = {resource.urn for resource in resources}
            root = f"urn:pulumi:{self.stack}::{self.project}::pulumi:pulumi:Stack::" \
                   f"{self.project}-{self.stack}"
            return self._violations(response, lambda urn: urn if urn in in_stack else root)

    # -- helpers --------------------------------------------------------------------------

    def arm_deadline(self) -> None:
        """Restart the deadline's clock, e.g. when the analysis begins after an early start."""
        if self._deadline_seconds is not None:
            self._deadline_at = time.monotonic() + self._deadline_seconds

    def _time_left(self) -> float:
        """Seconds left before the session's deadline (infinite without one)."""
        if self._deadline_at is None:
            return float("inf")
        return self._deadline_at - time.monotonic()

    def _call_timeout(self) -> float:
        """How long the next call may take: the RPC timeout, capped by the deadline."""
        return max(min(self._rpc_timeout, self._time_left()), 0.001)

    def _ensure_open(self) -> None:
        if self._closed or self._stub is None:
            raise PolicyPackError("the policy pack session is not running")

    def _require_info(self) -> AnalyzerInfo:
        if self._info is None:
            raise PolicyPackError("the policy pack session is not running")
        return self._info

    def _level_of(self, policy: PolicyInfo) -> EnforcementLevel:
        """The level the pack applies to ``policy`` under the current config."""
        configured = self._config.get(policy.name)
        if configured is not None and configured.enforcement_level in _LEVELS:
            return cast(EnforcementLevel, configured.enforcement_level)
        return policy.enforcement_level

    def _send_configure(self, config: Mapping[str, PolicyConfig]) -> None:
        request = analyzer_pb2.ConfigureAnalyzerRequest()
        for name, policy_config in config.items():
            entry = request.policyConfig[name]
            entry.enforcementLevel = _LEVEL_TO_PROTO[policy_config.enforcement_level]
            entry.properties.SetInParent()
            entry.properties.update(dict(policy_config.properties or {}))
        assert self._stub is not None and self._stderr is not None
        offset = self._stderr.size()
        try:
            self._stub.Configure(request, timeout=self._call_timeout())
        except grpc.RpcError as error:
            raise self._rpc_failure("Configure", error, offset) from error

    @staticmethod
    def _options(resource: CapturedResource) -> analyzer_pb2.AnalyzerResourceOptions:
        """``marshalResourceOptions``: the options the model knows, the rest empty."""
        return analyzer_pb2.AnalyzerResourceOptions(
            protect=resource.protect,
            deleteBeforeReplace=resource.delete_before_replace,
            deleteBeforeReplaceDefined=resource.delete_before_replace,
            customTimeouts=analyzer_pb2.AnalyzerResourceOptions.CustomTimeouts(),
            parent=resource.parent,
        )

    def _provider(
        self,
        reference: str,
        explicit: CapturedResource | None,
        known: Mapping[str, CapturedResource] | None = None,
    ) -> analyzer_pb2.AnalyzerProviderResource | None:
        """Describe the provider behind a ``urn::id`` reference (``marshalProvider``)."""
        if explicit is None and not reference:
            return None
        urn = explicit.urn if explicit is not None else reference.rsplit("::", 1)[0]
        found = explicit or (known if known is not None else self._known).get(urn)
        # Thousands of resources share a handful of providers: describe each one once.
        cached = self._providers.get(urn)
        if cached is not None and cached[0] is found:
            return cached[1]
        type_token, name = _urn_parts(urn)
        if found is not None:
            message = analyzer_pb2.AnalyzerProviderResource(
                urn=urn, type=found.type, name=name or found.name,
                properties=_struct(found.inputs),
            )
        else:
            message = analyzer_pb2.AnalyzerProviderResource(urn=urn, type=type_token, name=name,
                                                            properties=struct_pb2.Struct())
        self._providers[urn] = (found, message)
        return message

    def _analysis_call(self, method: str, request: Any, urn: str | None) -> Any:
        """Call Analyze/AnalyzeStack and turn failures into PolicyCrash or PackRPCError."""
        assert self._stub is not None and self._stderr is not None
        offset = self._stderr.size()
        call = getattr(self._stub, method)
        timeout = self._call_timeout()
        try:
            return call(request, timeout=timeout)
        except grpc.RpcError as error:
            details = _rpc_details(error)
            if not self._is_policy_exception(error):
                raise self._rpc_failure(method, error, offset) from error
            window = self._stderr_since(offset)
            policy = self._isolate(call, request, "stack" if urn is None else "resource")
            detail = details
            if _TRACEBACK_MARKER in window:
                detail += "\n" + window[window.index(_TRACEBACK_MARKER):].rstrip()
            elif window.strip():
                detail += f"\n--- policy pack stderr ---\n{window.rstrip()}"
            raise PolicyCrash(policy, urn, detail) from error

    def _is_policy_exception(self, error: grpc.RpcError) -> bool:
        assert self._process is not None
        return (_rpc_code(error) == grpc.StatusCode.UNKNOWN
                and _rpc_details(error).startswith(_APPLICATION_EXCEPTION)
                and self._process.poll() is None)

    def _stderr_since(self, offset: int) -> str:
        """The pack's stderr written since ``offset``, letting a logged traceback arrive."""
        assert self._stderr is not None
        if self._tracebacks:
            self._stderr.wait_for(
                lambda data, eof: eof or _TRACEBACK_MARKER.encode() in data[offset:], 2.0)
            self._stderr.wait_quiet(quiet=0.05, limit=1.0)
        return self._stderr.text(offset)

    def _isolate(self, call: Callable[..., Any], request: Any, policy_type: str) -> str | None:
        """Find the policy that raised by re-running ``request`` with one policy enabled.

        The pack runs its policies in order and stops at the first exception, so the first
        candidate that raises on its own is the culprit. When every candidate raises, the
        failure is not policy-specific (e.g. a property the SDK cannot deserialize): None.
        """
        info = self._require_info()
        candidates = [policy for policy in info.policies
                      if policy.policy_type in (policy_type, "unknown")
                      and self._level_of(policy) != "disabled"]
        if not candidates:
            return None
        base = dict(self._config) or {policy.name: PolicyConfig(policy.enforcement_level)
                                      for policy in info.policies}
        crashing: list[str] = []
        try:
            for candidate in candidates:
                self._send_configure({
                    name: config if name == candidate.name
                    else PolicyConfig("disabled", config.properties)
                    for name, config in base.items() if config.enforcement_level in _LEVELS
                })
                try:
                    call(request, timeout=self._call_timeout())
                except grpc.RpcError as error:
                    if not self._is_policy_exception(error):
                        return None
                    crashing.append(candidate.name)
        finally:
            assert self._process is not None
            if self._process.poll() is None:
                self._send_configure(base)
        if not crashing or (len(candidates) > 1 and len(crashing) == len(candidates)):
            return None
        return crashing[0]

    def _rpc_failure(self, method: str, error: grpc.RpcError, offset: int) -> PackRPCError:
        assert self._process is not None and self._stderr is not None
        code = _rpc_code(error)
        details = _rpc_details(error)
        if code == grpc.StatusCode.DEADLINE_EXCEEDED:
            limit = self._rpc_timeout
            if self._deadline_at is not None and self._time_left() < limit:
                limit = self._deadline_seconds or 0.0
                details = (f"the session's {limit:g}s deadline passed (a policy may hang): "
                           f"{details}")
            else:
                details = f"no answer within {limit:g}s (a policy may hang): {details}"
        # A dead pack closes its socket a moment before it can be reaped.
        try:
            exit_code = self._process.wait(
                timeout=2.0 if code == grpc.StatusCode.UNAVAILABLE else 0.0)
        except subprocess.TimeoutExpired:
            exit_code = None
        if exit_code is not None:
            self._stderr.join(timeout=2.0)
            details += f" (the pack exited with code {exit_code})"
        return PackRPCError(method, code.name if code else "UNKNOWN", details,
                            stderr=self._stderr.text(offset))

    def _violations(self, response: Any, attribute: Callable[[str], str]) -> list[Violation]:
        """Convert diagnostics like ``convertDiagnostics`` and attribute them like the engine."""
        severities = self._policy_severities()
        violations = []
        for diagnostic in response.diagnostics:
            severity = _SEVERITY_FROM_PROTO.get(diagnostic.severity, "")
            violations.append(Violation(
                policy_name=diagnostic.policyName,
                policy_pack_name=diagnostic.policyPackName,
                policy_pack_version=self._manifest_version or diagnostic.policyPackVersion,
                description=diagnostic.description,
                message=diagnostic.message,
                enforcement_level=_LEVEL_FROM_PROTO[diagnostic.enforcementLevel],
                urn=attribute(diagnostic.urn),
                severity=severity or severities.get(diagnostic.policyName, ""),
            ))
        return violations

    def _policy_severities(self) -> dict[str, str]:
        if self._severities is None:
            info = self._require_info()
            self._severities = {policy.name: policy.severity for policy in info.policies}
        return self._severities

    def _convert_info(self, message: Any) -> AnalyzerInfo:
        """Convert ``AnalyzerInfo`` like the CLI's ``GetAnalyzerInfo``."""
        policies = []
        for policy in message.policies:
            schema: dict[str, Any] | None = None
            if policy.HasField("configSchema"):
                schema = {"properties": _from_struct(policy.configSchema.properties),
                          "required": list(policy.configSchema.required)}
            framework = None
            if policy.HasField("framework"):
                framework = {key: getattr(policy.framework, key)
                             for key in ("name", "version", "reference", "specification")}
            policies.append(PolicyInfo(
                name=policy.name,
                description=policy.description,
                enforcement_level=_LEVEL_FROM_PROTO[policy.enforcementLevel],
                policy_type=_POLICY_TYPE_FROM_PROTO.get(policy.policy_type, "unknown"),
                display_name=policy.displayName,
                message=policy.message,
                severity=_SEVERITY_FROM_PROTO.get(policy.severity, ""),
                config_schema=schema,
                tags=tuple(policy.tags),
                remediation_steps=policy.remediation_steps,
                url=policy.url,
                framework=framework,
            ))
        # convertPolicyConfig: an unset level reads as ADVISORY (enum zero), as in the CLI.
        initial = {name: PolicyConfig(_LEVEL_FROM_PROTO[config.enforcementLevel],
                                      _from_struct(config.properties) or None)
                   for name, config in message.initialConfig.items()}
        return AnalyzerInfo(
            name=message.name,
            version=self._manifest_version or message.version,
            supports_config=message.supportsConfig,
            policies=tuple(policies),
            initial_config=initial,
            display_name=message.displayName,
            description=message.description,
            readme=message.readme,
            provider=message.provider,
            tags=tuple(message.tags),
            repository=message.repository,
        )


def _env_bytes(name: str, value: str) -> int:
    return len(name.encode()) + 1 + len(value.encode())


def _config_environment(config: Mapping[str, str]) -> dict[str, str]:
    """The stack config for the pack's environment: ``PULUMI_CONFIG``, as the CLI sets it.

    Linux refuses to exec a process with an environment string over 128 KiB
    (``MAX_ARG_STRLEN``), and the CLI puts the whole stack config in one variable: a large
    stack (a few hundred groups) cannot start a Python policy pack that way (pulumi/pulumi#20402).
    When ``PULUMI_CONFIG`` would be too long, the largest values move, one by one, to
    ``PULUMI_CONFIG_<KEY>`` variables, which the Python SDK's ``get_config`` reads before
    ``PULUMI_CONFIG``: the pack sees the same config. A single value over the limit is an error.
    """
    whole = json.dumps(config)
    if _env_bytes("PULUMI_CONFIG", whole) <= _ENV_STRING_LIMIT:
        return {"PULUMI_CONFIG": whole}
    names = {key: get_config_env_key(key) for key in config}
    shared = {name for name, count in Counter(names.values()).items() if count > 1}
    remaining = dict(config)
    environment: dict[str, str] = {}
    for key in sorted(config, key=lambda k: len(config[k].encode()), reverse=True):
        if names[key] in shared:
            continue  # two keys would share one variable: keep both in PULUMI_CONFIG
        environment[names[key]] = remaining.pop(key)
        if _env_bytes("PULUMI_CONFIG", json.dumps(remaining)) <= _ENV_STRING_LIMIT:
            break
    environment["PULUMI_CONFIG"] = json.dumps(remaining)
    too_long = sorted(name for name, value in environment.items()
                      if _env_bytes(name, value) > _ENV_STRING_LIMIT)
    if too_long:
        raise PackStartError(
            f"the stack config does not fit in the policy pack's environment: "
            f"{', '.join(too_long)} would exceed the {_ENV_STRING_LIMIT + 1}-byte limit of one "
            "environment variable (MAX_ARG_STRLEN); split the largest config value")
    return environment


def _config_string(value: Any) -> str:
    """Stack config values travel as strings; structured values as JSON."""
    return value if isinstance(value, str) else json.dumps(value)

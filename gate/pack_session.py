"""One policy pack session: the ``pulumirpc.Analyzer`` exchange the Pulumi CLI has with a pack.

:class:`PolicyPackSession` boots the pack (:class:`gate.pack_process.PackProcess`), runs the
opening exchange (``Handshake``, ``ConfigureStack``, ``GetAnalyzerInfo``, ``GetPluginInfo``,
``Configure``), then ``Remediate``/``Analyze`` per resource and ``AnalyzeStack``, with requests
built and answers read by :mod:`gate.pack_wire` and the policy config reconciled by
:mod:`gate.pack_config`. It also turns failures into :class:`PolicyCrash` (naming the policy
that raised, by re-running the request one policy at a time) or :class:`PackRPCError`.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path
from typing import Any, cast

import grpc
from google.protobuf import empty_pb2, struct_pb2
from pulumi.runtime.proto import analyzer_pb2

from gate.model import CapturedResource
from gate.pack_config import reconcile_policy_pack_config
from gate.pack_process import PackProcess, _rpc_code, _rpc_details
from gate.pack_types import (
    LEVELS,
    AnalyzerInfo,
    EnforcementLevel,
    PackRPCError,
    PolicyConfig,
    PolicyCrash,
    PolicyInfo,
    PolicyPackError,
    Remediation,
    Violation,
)
from gate.pack_wire import (
    add_stack_resource,
    analyze_request,
    configure_request,
    configure_stack_request,
    convert_info,
    convert_violations,
    describe_provider,
)

_APPLICATION_EXCEPTION = "Exception calling application: "
_TRACEBACK_MARKER = "Traceback (most recent call last):"


class PolicyPackSession(PackProcess):
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
        self._deadline_at = None

        self._lock = threading.RLock()
        self._exit = ExitStack()
        self._started = False
        self._closed = False
        self._manifest_version = ""
        self._engine = None
        self._process = None
        self._watchdog = None
        self._stdout = None
        self._stderr = None
        self._channel = None
        self._stub = None
        self._info: AnalyzerInfo | None = None
        self._config: dict[str, PolicyConfig] = {}
        self._known: dict[str, CapturedResource] = {}
        self._severities: dict[str, str] | None = None

    def __repr__(self) -> str:
        state = "closed" if self._closed else f"pid={self.pid}" if self._started else "idle"
        return f"PolicyPackSession({str(self.pack_dir)!r}, {state})"

    def _open(self) -> None:
        """The CLI's opening exchange, up to the initial ``Configure``."""
        assert self._engine is not None
        self._opening_call(
            "Handshake",
            analyzer_pb2.AnalyzerHandshakeRequest(
                engine_address=self._engine.address,
                root_directory=str(self.pack_dir),
                program_directory=str(self.pack_dir),
            ),
        )
        self._opening_call(
            "ConfigureStack",
            configure_stack_request(
                stack=self.stack, project=self.project, organization=self.organization,
                dry_run=self.dry_run, stack_config=self._stack_config, tags=self._stack_tags),
        )
        info = self._opening_call("GetAnalyzerInfo", empty_pb2.Empty())
        self._info = self._convert_info(info)
        self._opening_call("GetPluginInfo", empty_pb2.Empty())
        try:
            self.configure(self._initial_policy_config)
        except PackRPCError as error:
            raise self._start_failure(f"Configure failed: {error.details}") from error

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
        return analyze_request(resource, properties=properties,
                               provider=self._provider(resource.provider, provider))

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
                add_stack_resource(request, resource,
                                   provider=self._provider(resource.provider, None, known))
            response = self._analysis_call("AnalyzeStack", request, None)
            in_stack = {resource.urn for resource in resources}
            root = f"urn:pulumi:{self.stack}::{self.project}::pulumi:pulumi:Stack::" \
                   f"{self.project}-{self.stack}"
            return self._violations(response, lambda urn: urn if urn in in_stack else root)

    # -- helpers --------------------------------------------------------------------------

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
        if configured is not None and configured.enforcement_level in LEVELS:
            return cast(EnforcementLevel, configured.enforcement_level)
        return policy.enforcement_level

    def _send_configure(self, config: Mapping[str, PolicyConfig]) -> None:
        request = configure_request(config)
        assert self._stub is not None and self._stderr is not None
        offset = self._stderr.size()
        try:
            self._stub.Configure(request, timeout=self._call_timeout())
        except grpc.RpcError as error:
            raise self._rpc_failure("Configure", error, offset) from error

    def _provider(
        self,
        reference: str,
        explicit: CapturedResource | None,
        known: Mapping[str, CapturedResource] | None = None,
    ) -> analyzer_pb2.AnalyzerProviderResource | None:
        """Describe the provider behind a ``urn::id`` reference (``marshalProvider``)."""
        return describe_provider(reference, explicit, known if known is not None else self._known)

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
                    for name, config in base.items() if config.enforcement_level in LEVELS
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
        return convert_violations(response, attribute, version=self._manifest_version,
                                  severities=self._policy_severities())

    def _policy_severities(self) -> dict[str, str]:
        if self._severities is None:
            info = self._require_info()
            self._severities = {policy.name: policy.severity for policy in info.policies}
        return self._severities

    def _convert_info(self, message: Any) -> AnalyzerInfo:
        """Convert ``AnalyzerInfo`` like the CLI's ``GetAnalyzerInfo``."""
        return convert_info(message, version=self._manifest_version)

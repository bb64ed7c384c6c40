"""Run the real Pulumi program under mocks (preview mode) and record every registration.

The recording monitor sees exactly what the engine would: the RegisterResource request with
inputs by wire name, parent, provider reference, protect, dependencies. Values are decoded
from the wire format into :mod:`gate.model` values (``UNKNOWN``, ``Secret``), and resource
references are turned into ids or URNs, as the engine does before calling an analyzer.
"""

from __future__ import annotations

import asyncio
import atexit
import gc
import json
import runpy
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
from google.protobuf import json_format
from pulumi.runtime import mocks as runtime_mocks
from pulumi.runtime import rpc
from pulumi.runtime import settings as runtime_settings
from pulumi.runtime.config import set_all_config

from gate.mocks import TypeAwareMocks
from gate.model import STACK_TYPE, UNKNOWN, CapturedResource, Secret
from settings.model import PROJECT

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Plan:
    """Everything a stack would declare: resources in registration order and stack outputs."""

    stack: str
    project: str
    resources: list[CapturedResource] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)
    # Reads of existing objects (invokes / data sources), in call order: token, args, provider.
    lookups: list[dict[str, Any]] = field(default_factory=list)

    @property
    def stack_urn(self) -> str:
        return f"urn:pulumi:{self.stack}::{self.project}::{STACK_TYPE}::{self.project}-{self.stack}"

    def by_type(self, token: str) -> list[CapturedResource]:
        return [r for r in self.resources if r.type == token]


class RecordingMonitor(runtime_mocks.MockMonitor):
    """The mock monitor, plus a record of each registration request as the engine gets it."""

    def __init__(self, mocks: pulumi.runtime.Mocks) -> None:
        super().__init__(mocks)
        self.records: list[CapturedResource] = []
        self.lookups: list[dict[str, Any]] = []

    def Invoke(self, request: Any) -> Any:  # noqa: N802 (gRPC method name)
        """Record each read (data source) with the provider it goes through, then answer it."""
        response = super().Invoke(request)
        self.lookups.append({"token": request.tok, "provider": request.provider,
                             "args": decode_struct(request.args),
                             "result": decode_struct(getattr(response, "return"))})
        return response

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 (gRPC method name)
        response = super().RegisterResource(request)
        if request.type == STACK_TYPE:
            return response
        known = self.resources.get(response.urn)
        self.records.append(CapturedResource(
            urn=response.urn,
            type=request.type,
            name=request.name,
            custom=bool(request.custom),
            inputs=decode_struct(request.object),
            outputs=decode_struct(response.object) if request.custom else {},
            id=response.id or (known.id if known else ""),
            parent=request.parent,
            provider=request.provider,
            protect=bool(request.protect),
            delete_before_replace=bool(request.deleteBeforeReplace),
            retain_on_delete=bool(request.retainOnDelete),
            dependencies=list(request.dependencies),
            property_dependencies={k: list(v.urns)
                                   for k, v in request.propertyDependencies.items()},
        ))
        return response


def decode_struct(struct: Any) -> dict[str, Any]:
    """A protobuf Struct from the wire -> plain values with UNKNOWN and Secret markers."""
    decoded = _decode(json_format.MessageToDict(struct, preserving_proto_field_name=True))
    return decoded if isinstance(decoded, dict) else {}


def _decode(value: Any) -> Any:
    if isinstance(value, str):
        return UNKNOWN if value == rpc.UNKNOWN else value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, list):
        return [_decode(v) for v in value]
    if isinstance(value, dict):
        sig = value.get(rpc._special_sig_key)
        if sig == rpc._special_secret_sig:
            return Secret(_decode(value.get("value")))
        if sig == rpc._special_resource_sig:
            # The engine hands analyzers a resource reference as its id (custom) or URN.
            rid = value.get("id")
            return rid if rid not in (None, "", rpc.UNKNOWN) else value.get("urn", "")
        if sig == rpc._special_output_value_sig:
            if "value" not in value:
                return UNKNOWN
            inner = _decode(value["value"])
            return Secret(inner) if value.get("secret") else inner
        return {k: _decode(v) for k, v in value.items()}
    return value


def config_for_runtime(raw: dict[str, Any]) -> tuple[dict[str, str], list[str]]:
    """Stack-file values -> the string map the language host hands the program."""
    from settings.load import SECRET_KEYS, _Secure

    values: dict[str, str] = {}
    secret_keys: list[str] = []
    for k, v in raw.items():
        if isinstance(v, _Secure):
            # Only the declared secret settings get here (settings rejects the others). The
            # program reads them with require_secret; the gate never sees the plaintext.
            if k.partition(":")[2] in SECRET_KEYS:
                values[k] = "[secret]"
                secret_keys.append(k)
            continue
        values[k] = v if isinstance(v, str) else json.dumps(v)
    return values, secret_keys


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while the program runs.

    The SDK keeps a few hundred objects alive per resource (outputs, futures, tasks) until the
    program ends, so with the default thresholds the collector keeps re-scanning an ever larger
    heap: about 40% of a capture's time at 5,000 resources. Reference counting still frees
    everything acyclic; the cyclic garbage waits for the next collection after the capture.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        # Switched back on as is, the collector would at once scan everything the program
        # allocated (one young generation of millions of objects), then again as it ages:
        # freeze it instead, as plan_kept() would right after.
        gc.freeze()
        if enabled:
            gc.enable()


def _freeze_at_exit() -> None:
    """Leave the heap to the operating system at exit instead of a last full collection.

    A gate process ends right after its report; the interpreter's final collection would
    traverse the whole captured plan (over a second at a few thousand resources) only to find
    nothing the process exit does not free anyway.
    """
    gc.freeze()


atexit.register(_freeze_at_exit)


@contextmanager
def plan_kept() -> Iterator[None]:
    """Exempt everything allocated so far (a captured plan) from garbage collection, for a while.

    After a capture the heap holds the plan and what the SDK left behind, all of it in the
    youngest generation (the collector was paused): the next collections would scan it again
    and again while the policy pack is driven. Frozen, it is left alone until the block ends.
    """
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


@contextmanager
def _program_path(root: Path) -> Iterator[None]:
    added = str(root) not in sys.path
    if added:
        sys.path.insert(0, str(root))
    try:
        yield
    finally:
        if added:
            sys.path.remove(str(root))


def capture(stack: str, raw_config: dict[str, Any], *, program: Path | None = None,
            project: str = PROJECT, subscription_id: str | None = None,
            monitor: RecordingMonitor | None = None) -> Plan:
    """Run ``__main__.py`` with ``raw_config`` under mocks in preview mode; return the plan."""
    with _collector_paused():
        return _capture(stack, raw_config, program=program, project=project,
                        subscription_id=subscription_id, monitor=monitor)


def _capture(stack: str, raw_config: dict[str, Any], *, program: Path | None,
             project: str, subscription_id: str | None,
             monitor: RecordingMonitor | None) -> Plan:
    program = program or ROOT / "__main__.py"
    values, secret_keys = config_for_runtime(raw_config)
    sub = subscription_id or str(raw_config.get(f"{PROJECT}:subscriptionId", "")) or None
    mocks = TypeAwareMocks(sub) if sub else TypeAwareMocks()
    monitor = monitor or RecordingMonitor(mocks)

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        runtime_settings.ROOT.set(None)
        # Output tasks of an earlier run (e.g. one that failed on bad config) belong to a closed
        # event loop; waiting on them would hang.
        runtime_settings.SETTINGS.outputs = set()
        set_all_config(values, secret_keys)
        pulumi.runtime.set_mocks(mocks, project=project, stack=stack, preview=True, monitor=monitor)
        with _program_path(program.parent):
            runpy.run_path(str(program), run_name="__main__")
        loop.run_until_complete(pulumi.runtime.stack.wait_for_rpcs())
        outputs = loop.run_until_complete(_resolve_outputs())
    finally:
        pending = asyncio.all_tasks(loop)
        for task in pending:
            task.cancel()
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()
        asyncio.set_event_loop(None)
        set_all_config({}, [])
        runtime_settings.ROOT.set(None)
        runtime_settings.SETTINGS.outputs = set()

    plan = Plan(stack=stack, project=project, outputs=outputs)
    plan.resources = list(monitor.records)
    # The SDK runs invokes on executor threads, so they reach the monitor in an order that
    # changes from run to run; reports must not: sort them by what they read.
    plan.lookups = sorted(monitor.lookups, key=lookup_order)
    return plan


def lookup_order(lookup: dict[str, Any]) -> tuple[str, str, str]:
    """A stable order for recorded lookups: token, provider, then the arguments."""
    return (lookup["token"], lookup["provider"],
            json.dumps(lookup["args"], sort_keys=True, default=repr))


async def _resolve_outputs() -> dict[str, Any]:
    root = runtime_settings.get_root_resource()
    exported: dict[str, Any] = dict(getattr(root, "outputs", {}) or {})
    resolved: dict[str, Any] = {}
    for name, value in exported.items():
        resolved[name] = await _resolve(value)
    return resolved


async def _resolve(value: Any) -> Any:
    if isinstance(value, pulumi.Output):
        known = await value.is_known()
        secret = await value.is_secret()
        inner = await _resolve(await value.future(with_unknowns=True)) if known else UNKNOWN
        return Secret(inner) if secret else inner
    if isinstance(value, dict):
        return {k: await _resolve(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [await _resolve(v) for v in value]
    if isinstance(value, pulumi.Resource):
        return await _resolve(value.urn)
    return value

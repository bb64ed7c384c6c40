"""Evaluate the policy pack over a captured plan, exactly as the CLI drives an analyzer.

For each resource (providers, components and custom resources, with their inputs by wire name)
one ``Remediate`` and then one ``Analyze`` of the remediated properties, serially, as the
engine's step generator does; then one ``AnalyzeStack`` over every resource's outputs plus the
root stack with its exported outputs. Verdicts are joined with the pack's metadata (severity,
framework tags, remediation) and with the config key that produced each resource.

The pack can be started while the program runs (:func:`start_pack`), as the CLI loads and
configures policy packs before it runs the program. The whole session is bounded by a
deadline: a pack that hangs or exits is stopped, the policy that was running is named
(:class:`PolicyPackFailed`, exit 3).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

from gate.analyzer import (
    AnalyzerInfo,
    PackRPCError,
    PolicyCrash,
    PolicyPackError,
    PolicyPackSession,
    Violation,
    load_policy_pack_config,
    running_policy,
)
from gate.capture import STACK_TYPE, Plan, decode_struct
from gate.document import Finding, PolicyResult
from gate.model import CapturedResource

# The whole policy session (start, every request, stack analysis) must end within this.
DEFAULT_DEADLINE_SECONDS = 900.0
# Naming the policy behind a hang: how long the diagnostic replay may run without progress.
STALL_SECONDS = 10.0


class PolicyCrashed(Exception):  # noqa: N818 - reads as what happened
    """A policy raised: the gate stops with exit 3 and names it, with its traceback."""

    def __init__(self, policy: str | None, urn: str | None, detail: str) -> None:
        super().__init__(f"policy {policy or '(unidentified)'} crashed")
        self.policy = policy
        self.urn = urn
        self.detail = detail

    def render(self) -> str:
        who = f"policy '{self.policy}'" if self.policy else "a policy the gate could not identify"
        where = f" while analyzing {self.urn}" if self.urn else " during stack analysis"
        return (f"gate: {who} raised an exception{where}. The pack's verdicts are incomplete, so "
                f"the gate fails (exit 3).\n{self.detail.rstrip()}")


class PolicyPackFailed(PolicyCrashed):
    """The pack hung past the deadline or exited mid-session: exit 3, naming the policy."""

    def __init__(self, policy: str | None, urn: str | None, failure: PackRPCError,
                 deadline: float | None) -> None:
        super().__init__(policy, urn, failure.stderr)
        self.failure = failure
        self.deadline = deadline
        self.hung = failure.code == "DEADLINE_EXCEEDED"

    def render(self) -> str:
        who = f"policy '{self.policy}'" if self.policy else "a policy the gate could not identify"
        where = f"analyzing {self.urn}" if self.urn else "analyzing the stack"
        if self.hung:
            limit = f"the {self.deadline:g}s deadline" if self.deadline else "the RPC timeout"
            what = (f"gate: {who} did not finish {where}: the policy pack gave no answer within "
                    f"{limit} (--policy-timeout). The pack was stopped.")
        else:
            what = f"gate: the policy pack stopped while {who} was {where}: {self.failure.details}."
        text = f"{what} The pack's verdicts are incomplete, so the gate fails (exit 3)."
        if self.failure.stderr.strip():
            text += f"\n--- policy pack stderr ---\n{self.failure.stderr.rstrip()}"
        return text


class StartedPack:
    """A policy pack being started and configured on a thread while the program runs.

    The start is I/O bound on this side (the pack imports its SDK in its own process), so it
    overlaps the program's capture. :meth:`session` waits for it and re-raises any failure;
    leaving the ``with`` block stops the pack whatever happened.
    """

    def __init__(self, pack_dir: Path, config_file: Path | None, session_args: dict[str, Any]
                 ) -> None:
        self.pack_dir = pack_dir
        self.config_file = config_file
        self.session_args = session_args
        self._session = PolicyPackSession(pack_dir, **session_args)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._start, name="policy-pack-start",
                                        daemon=True)
        self._thread.start()

    def _start(self) -> None:
        try:
            self._session.start()
        except BaseException as error:  # noqa: BLE001 - re-raised on the caller's thread
            self._error = error

    def session(self) -> PolicyPackSession:
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._session

    def close(self) -> None:
        self._thread.join()
        self._session.close()


def pack_session_args(stack: str, project: str, config_file: Path | None,
                      stack_config: dict[str, Any] | None,
                      deadline: float | None = DEFAULT_DEADLINE_SECONDS) -> dict[str, Any]:
    """The arguments of the gate's policy pack session."""
    config_doc = load_policy_pack_config(config_file) if config_file else None
    return dict(stack=stack, project=project, policy_config=config_doc,
                stack_config=stack_config, deadline=deadline)


@contextmanager
def start_pack(pack_dir: Path, config_file: Path | None, *, stack: str, project: str,
               stack_config: dict[str, Any] | None = None,
               deadline: float | None = DEFAULT_DEADLINE_SECONDS) -> Iterator[StartedPack]:
    """Start and configure the pack now (as the CLI does before the program); stop it after."""
    started = StartedPack(pack_dir, config_file,
                          pack_session_args(stack, project, config_file, stack_config, deadline))
    try:
        yield started
    finally:
        started.close()


def stack_resource(plan: Plan) -> CapturedResource:
    """The root stack, as the engine includes it in AnalyzeStack, with the exported outputs."""
    return CapturedResource(urn=plan.stack_urn, type=STACK_TYPE,
                            name=f"{plan.project}-{plan.stack}", custom=False, inputs={},
                            outputs=dict(plan.outputs))


def evaluate(plan: Plan, pack_dir: Path, config_file: Path | None, *,
             progress: Callable[[str], None] | None = None,
             stack_config: dict[str, Any] | None = None,
             started: StartedPack | None = None,
             deadline: float | None = DEFAULT_DEADLINE_SECONDS) -> PolicyResult:
    """Run the pack over the plan; raise PolicyCrashed if a policy raises, hangs or exits.

    ``started`` is a pack already started for this plan (:func:`start_pack`); otherwise the
    pack is started here. Remediated properties replace the inputs of the plan's resources,
    as the engine deploys them.
    """
    if started is None:
        with start_pack(pack_dir, config_file, stack=plan.stack, project=plan.project,
                        stack_config=stack_config, deadline=deadline) as started:
            return evaluate(plan, pack_dir, config_file, progress=progress, started=started)
    pack_dir, config_file, session_args = (started.pack_dir, started.config_file,
                                           started.session_args)
    session = started.session()
    say = progress or (lambda _m: None)
    root = stack_resource(plan)
    resources = [root, *plan.resources]
    by_urn = {r.urn: r for r in resources}
    violations: list[Violation] = []
    session.arm_deadline()  # the pack may have been started before the program ran
    info = session.analyzer_info()
    session.register(r for r in plan.resources if r.type.startswith("pulumi:providers:"))
    current: CapturedResource | None = None
    try:
        for i, res in enumerate(resources):
            current = res
            properties, warnings = session.remediated(res)
            violations.extend(warnings)
            if properties is not None:
                res = _apply_remediation(plan, res, properties)
                resources[i] = by_urn[res.urn] = res
            violations.extend(session.analyze(res, properties=properties))
            if i and i % 500 == 0:
                say(f"analyzed {i}/{len(resources)} resources")
        current = None
        violations.extend(session.analyze_stack(resources))
    except PolicyCrash as crash:
        session.close()
        raise _with_traceback(pack_dir, session_args, crash, by_urn, resources) from None
    except PackRPCError as failure:
        session.close()
        raise _name_stuck_policy(pack_dir, session_args, failure, current, resources) from None
    result = PolicyResult(
        pack_name=info.name, pack_version=info.version,
        config_file=str(config_file) if config_file else "",
        policies=[_policy_entry(p) for p in info.policies],
    )
    meta = {p.name: p for p in info.policies}
    result.findings = sorted((_finding(v, meta, by_urn) for v in violations),
                             key=lambda f: (f.enforcement_level != "mandatory", f.policy, f.urn,
                                            f.message))
    return result


def _apply_remediation(plan: Plan, res: CapturedResource, properties: Any) -> CapturedResource:
    """The resource with its remediated inputs, in the plan too (the engine deploys those)."""
    remediated = replace(res, inputs=decode_struct(properties))
    for index, candidate in enumerate(plan.resources):
        if candidate is res:
            plan.resources[index] = remediated
            break
    return remediated


def _replay(session: PolicyPackSession, target: CapturedResource | None,
            resources: list[CapturedResource]) -> None:
    """The request that failed, as the gate sent it (Remediate then Analyze, or the stack)."""
    session.register(r for r in resources if r.type.startswith("pulumi:providers:"))
    if target is None:
        session.analyze_stack(resources)
        return
    properties, _ = session.remediated(target)
    session.analyze(target, properties=properties)


def _name_stuck_policy(pack_dir: Path, session_args: dict[str, Any], failure: PackRPCError,
                       target: CapturedResource | None,
                       resources: list[CapturedResource]) -> PolicyPackFailed:
    """Replay the request that hung or ended the pack in a traced pack, to name the policy.

    The traced pack marks each policy's start and end on stderr. The replay stops when the
    pack answers or exits, or when nothing new happened for a while (a hang): the policy that
    started last without finishing is the one.
    """
    deadline = session_args.get("deadline")
    stall = min(STALL_SECONDS, max(1.0, (deadline or STALL_SECONDS * 4) / 4))
    debug_args = {**session_args, "deadline": None, "tracebacks": True}
    debug = PolicyPackSession(pack_dir, **debug_args)
    done = threading.Event()

    def replay() -> None:
        try:
            _replay(debug, target, resources)
        except PolicyPackError:
            pass
        finally:
            done.set()

    try:
        debug.start()
        worker = threading.Thread(target=replay, name="policy-pack-replay", daemon=True)
        worker.start()
        seen, quiet_since = "", time.monotonic()
        while not done.wait(0.1):
            text = debug.stderr_text()
            if text != seen:
                seen, quiet_since = text, time.monotonic()
            elif time.monotonic() - quiet_since > stall:
                break
        policy = running_policy(debug.stderr_text())
    except PolicyPackError:
        policy = None
    finally:
        debug.close()
    return PolicyPackFailed(policy, target.urn if target is not None else None, failure,
                            deadline)


def _with_traceback(pack_dir: Path, session_args: dict[str, Any], crash: PolicyCrash,
                    by_urn: dict[str, CapturedResource],
                    resources: list[CapturedResource]) -> PolicyCrashed:
    """Re-run the failing call in a pack that logs tracebacks, to show where the policy broke."""
    try:
        with PolicyPackSession(pack_dir, **{**session_args, "tracebacks": True}) as debug:
            _replay(debug, by_urn.get(crash.resource_urn or ""), resources)
    except PolicyCrash as detailed:
        return PolicyCrashed(detailed.policy_name or crash.policy_name, crash.resource_urn,
                             detailed.detail)
    return PolicyCrashed(crash.policy_name, crash.resource_urn, crash.detail)


def _policy_entry(p: Any) -> dict[str, Any]:
    return {"name": p.name, "description": p.description,
            "enforcementLevel": str(p.enforcement_level), "severity": p.severity,
            "frameworks": list(p.tags), "remediation": p.remediation_steps}


def _finding(v: Violation, meta: dict[str, Any], by_urn: dict[str, CapturedResource]) -> Finding:
    policy = meta.get(v.policy_name)
    res = by_urn.get(v.urn)
    message = v.message
    if v.description and message.startswith(v.description):
        message = message[len(v.description):].lstrip("\n") or message
    return Finding(
        policy=v.policy_name,
        enforcement_level=str(v.enforcement_level),
        message=message,
        description=v.description,
        severity=v.severity or (policy.severity if policy else ""),
        urn=v.urn,
        resource_type=res.type if res else "",
        resource_name=res.name if res else "",
        source_key=res.source_key if res else "",
        frameworks=tuple(policy.tags) if policy else (),
        remediation=policy.remediation_steps if policy else "",
    )


__all__ = ["AnalyzerInfo", "PolicyCrashed", "PolicyPackFailed", "StartedPack", "evaluate",
           "pack_session_args", "stack_resource", "start_pack"]

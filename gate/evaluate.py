"""Evaluate the policy pack over a captured plan, exactly as the CLI drives an analyzer.

One ``Analyze`` per resource (providers, components and custom resources, with their inputs by
wire name) and one ``AnalyzeStack`` over every resource's outputs plus the root stack with its
exported outputs. Verdicts are joined with the pack's metadata (severity, framework tags,
remediation) and with the config key that produced each resource.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gate.analyzer import (
    AnalyzerInfo,
    PolicyCrash,
    PolicyPackSession,
    Violation,
    load_policy_pack_config,
)
from gate.capture import STACK_TYPE, Plan
from gate.document import Finding, PolicyResult
from gate.model import CapturedResource


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


def stack_resource(plan: Plan) -> CapturedResource:
    """The root stack, as the engine includes it in AnalyzeStack, with the exported outputs."""
    return CapturedResource(urn=plan.stack_urn, type=STACK_TYPE,
                            name=f"{plan.project}-{plan.stack}", custom=False, inputs={},
                            outputs=dict(plan.outputs))


def evaluate(plan: Plan, pack_dir: Path, config_file: Path | None, *,
             progress: Callable[[str], None] | None = None,
             stack_config: dict[str, Any] | None = None) -> PolicyResult:
    """Run the pack over the plan; raise PolicyCrashed if a policy raises."""
    say = progress or (lambda _m: None)
    config_doc = load_policy_pack_config(config_file) if config_file else None
    root = stack_resource(plan)
    resources = [root, *plan.resources]
    by_urn = {r.urn: r for r in resources}
    started = time.perf_counter()
    session_args: dict[str, Any] = dict(stack=plan.stack, project=plan.project,
                                        policy_config=config_doc, stack_config=stack_config)
    violations: list[Violation] = []
    with PolicyPackSession(pack_dir, **session_args) as session:
        info = session.analyzer_info()
        session.register(r for r in plan.resources if r.type.startswith("pulumi:providers:"))
        try:
            for i, res in enumerate(resources):
                violations.extend(session.analyze(res))
                if i and i % 500 == 0:
                    say(f"analyzed {i}/{len(resources)} resources")
            violations.extend(session.analyze_stack(resources))
        except PolicyCrash as crash:
            raise _with_traceback(pack_dir, session_args, crash, by_urn, resources) from None
    result = PolicyResult(
        pack_name=info.name, pack_version=info.version,
        config_file=str(config_file) if config_file else "",
        policies=[_policy_entry(p) for p in info.policies],
        analyzer_seconds=time.perf_counter() - started,
    )
    meta = {p.name: p for p in info.policies}
    result.findings = sorted((_finding(v, meta, by_urn) for v in violations),
                             key=lambda f: (f.enforcement_level != "mandatory", f.policy, f.urn,
                                            f.message))
    return result


def _with_traceback(pack_dir: Path, session_args: dict[str, Any], crash: PolicyCrash,
                    by_urn: dict[str, CapturedResource],
                    resources: list[CapturedResource]) -> PolicyCrashed:
    """Re-run the failing call in a pack that logs tracebacks, to show where the policy broke."""
    try:
        with PolicyPackSession(pack_dir, tracebacks=True, **session_args) as debug:
            debug.register(r for r in resources if r.type.startswith("pulumi:providers:"))
            target = by_urn.get(crash.resource_urn or "")
            if target is not None:
                debug.analyze(target)
            else:
                debug.analyze_stack(resources)
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


__all__ = ["AnalyzerInfo", "PolicyCrashed", "evaluate", "stack_resource"]

"""The honest floor: what any faithful offline gate must pay for a plan (bench/RESULTS.md).

``python -m bench.floor DUMP`` (DUMP written by ``python -m bench.worker dump``) does, in one
process timed from the outside (interpreter start and exit included):

* the same SDK imports as the gate's program (the lazily loaded azure-native submodules too);
* the policy pack server started with the same stack config, while the program runs (as the
  CLI and the gate do), but with policies that do nothing (``bench/floor_pack``): the SDK
  decodes each request once;
* the same registrations with the same type tokens, names, properties (unknowns and secrets
  included) and options (parent, provider, protect, dependencies, aliases) under the same
  mocks, with no settings, components or tracing;
* the same requests, serially: ``Remediate`` then ``Analyze`` per resource with its real
  properties and provider, then one ``AnalyzeStack``; no report.

Prints one JSON line with the phases (in-process) for the record.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import pickle
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
FLOOR_PACK = ROOT / "bench" / "floor_pack"
REPLAY_PROGRAM = ROOT / "bench" / "floor_program" / "__main__.py"

# Set by main() for the replay program (bench/floor_program/__main__.py).
RESOURCES: list[Any] = []


def _unknown() -> Any:
    import pulumi

    loop = asyncio.get_event_loop()
    value, known = loop.create_future(), loop.create_future()
    value.set_result(None)
    known.set_result(False)
    return pulumi.Output(set(), value, known)


def _inputs(value: Any) -> Any:
    """A captured value as a program would pass it: unknowns and secrets as Outputs."""
    import pulumi

    from gate.model import UNKNOWN, Secret

    if value is UNKNOWN:
        return _unknown()
    if isinstance(value, Secret):
        return pulumi.Output.secret(_inputs(value.value))
    if isinstance(value, dict):
        return {key: _inputs(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_inputs(item) for item in value]
    return value


def _alias(spec: dict[str, Any], made: dict[str, Any]) -> Any:
    """The alias the program sent, rebuilt (the SDK's alias work is part of every registration)."""
    import pulumi

    if spec.get("urn"):
        return spec["urn"]
    given: dict[str, Any] = {}  # what the spec leaves out stays the SDK's "same as now" (...)
    if spec.get("name"):
        given["name"] = spec["name"]
    if spec.get("type"):
        given["type_"] = spec["type"]
    if spec.get("parentUrn") in made:
        given["parent"] = made[spec["parentUrn"]]
    return pulumi.Alias(**given)


def replay() -> None:
    """Register every dumped resource again, with its properties and options."""
    import pulumi

    made: dict[str, Any] = {}
    for res in RESOURCES:
        provider = made.get(res.provider.rsplit("::", 1)[0]) if res.provider else None
        opts = pulumi.ResourceOptions(
            parent=made.get(res.parent), provider=provider if res.custom else None,
            protect=res.protect or None,
            delete_before_replace=res.delete_before_replace or None,
            retain_on_delete=res.retain_on_delete or None,
            depends_on=[made[urn] for urn in res.dependencies if urn in made] or None,
            aliases=[_alias(spec, made) for spec in res.aliases] or None)
        props = _inputs(res.inputs)
        if res.type.startswith("pulumi:providers:"):
            made[res.urn] = pulumi.ProviderResource(res.type.split(":", 2)[2], res.name, props,
                                                    opts)
        elif res.custom:
            made[res.urn] = pulumi.CustomResource(res.type, res.name, props, opts)
        else:
            made[res.urn] = pulumi.ComponentResource(res.type, res.name, props, opts)


def main() -> None:
    start = time.perf_counter()
    dump = pickle.loads(Path(sys.argv[1]).read_bytes())
    for module in dump["modules"]:
        importlib.import_module(module)
    imports = time.perf_counter() - start
    sys.path.insert(0, str(ROOT))
    from bench import floor as shared  # the module the replay program imports (not __main__)
    from gate.analyzer import PolicyPackSession
    from gate.capture import capture
    from gate.evaluate import StartedPack, stack_resource
    from settings.model import PROJECT

    shared.RESOURCES[:] = dump["resources"]
    t = time.perf_counter()
    started = StartedPack(FLOOR_PACK, None, dict(stack="prod", project=PROJECT,
                                                 stack_config=dump["stack_config"]))
    try:
        plan = capture("prod", dump["raw_config"], program=REPLAY_PROGRAM)
        program = time.perf_counter() - t
        # The SDK registers asynchronously: the order may differ, never the set.
        if sorted(r.urn for r in plan.resources) != sorted(r.urn for r in shared.RESOURCES):
            raise SystemExit("the replay did not register the dumped resources")
        t = time.perf_counter()
        session: PolicyPackSession = started.session()
        resources = [stack_resource(plan), *plan.resources]
        session.register(r for r in plan.resources if r.type.startswith("pulumi:providers:"))
        for res in resources:
            properties, _ = session.remediated(res)
            session.analyze(res, properties=properties)
        session.analyze_stack(resources)
        analyzer = time.perf_counter() - t
    finally:
        started.close()
    print(json.dumps({"imports": imports, "program": program, "analyzer": analyzer,
                      "resources": len(plan.resources)}))


if __name__ == "__main__":
    main()

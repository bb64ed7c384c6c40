"""Profile the policy pack's work on a dumped plan, in this process (bench/RESULTS.md).

``python -m bench.profile_pack DUMP [--top 25]`` (DUMP from ``python -m bench.worker dump``)
builds the servicer exactly as ``policies/__main__.py`` does (the per-request reuse included),
then sends it the requests the gate sends, Remediate + Analyze per resource and one
AnalyzeStack, built by the gate's own session code, under cProfile. gRPC transport is not
included: this is where the pack's CPU goes, by function.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pickle
import pstats
import runpy
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    p = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    p.add_argument("dump")
    p.add_argument("--top", type=int, default=25)
    a = p.parse_args()
    dump = pickle.loads(Path(a.dump).read_bytes())
    sys.path[:0] = [str(ROOT), str(ROOT / "policies")]
    os.environ.update({"PULUMI_PROJECT": "databricks-ml-entra", "PULUMI_STACK": "prod",
                       "PULUMI_DRY_RUN": "true"})
    from pulumi.runtime.proto import analyzer_pb2
    from pulumi_policy import policy as sdk_policy

    from gate.analyzer import PolicyPackSession, _config_environment
    from gate.capture import Plan
    from gate.evaluate import stack_resource
    from gate.pack_wire import add_stack_resource

    os.environ.update(_config_environment(dump["stack_config"]))
    captured: list[Any] = []

    def recorder(*args: Any) -> None:
        captured.append(args)
        raise SystemExit

    original = sdk_policy._PolicyAnalyzerServicer
    sdk_policy._PolicyAnalyzerServicer = recorder  # type: ignore[assignment,misc]
    try:
        runpy.run_path(str(ROOT / "policies" / "__main__.py"), run_name="__main__")
    except SystemExit:
        pass
    finally:
        sdk_policy._PolicyAnalyzerServicer = original  # type: ignore[misc]
    servicer = original(*captured[0])
    plan = Plan("prod", "databricks-ml-entra", resources=dump["resources"])
    resources = [stack_resource(plan), *plan.resources]
    session = PolicyPackSession(ROOT / "policies", stack="prod", project="databricks-ml-entra")
    session.register(r for r in resources if r.type.startswith("pulumi:providers:"))
    requests = [session._resource_request(r, None, None) for r in resources]  # noqa: SLF001
    stack = analyzer_pb2.AnalyzeStackRequest()
    for r in resources:  # as PolicyPackSession.analyze_stack builds it
        add_stack_resource(stack, r,
                           provider=session._provider(r.provider, None))  # noqa: SLF001
    profile = cProfile.Profile()
    start = time.perf_counter()
    profile.enable()
    for request in requests:
        servicer.Remediate(request, None)
        servicer.Analyze(request, None)
    middle = time.perf_counter()
    servicer.AnalyzeStack(stack, None)
    profile.disable()
    end = time.perf_counter()
    print(f"{len(resources)} resources: Remediate+Analyze {middle - start:.2f} s, "
          f"AnalyzeStack {end - middle:.2f} s (under cProfile)")
    pstats.Stats(profile).sort_stats("cumulative").print_stats(a.top)


if __name__ == "__main__":
    main()

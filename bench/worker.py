"""One measured run in a fresh process (used by bench/run.py); prints a JSON line.

``python -m bench.worker gate STACK_FILE`` or ``python -m bench.worker floor STACK_FILE N``.
"""

from __future__ import annotations

import json
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACK = ROOT / "policies"

BARE_PROGRAM = '''
import pulumi

class Bare(pulumi.CustomResource):
    def __init__(self, name):
        super().__init__("bench:index:Bare", name, {{}}, None)

for i in range({n}):
    Bare(f"bare-{{i}}")
'''


def _peak_mib() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return (own + kids) / 1024.0


def _imports() -> float:
    t = time.perf_counter()
    import components.conditional_access  # noqa: F401  - the program's SDK imports
    import components.entra_identity  # noqa: F401
    import components.groups  # noqa: F401
    import components.managed_identities  # noqa: F401
    import components.model_access  # noqa: F401
    import components.providers  # noqa: F401
    import components.workspace  # noqa: F401
    import components.workspace_access  # noqa: F401
    import gate.analyzer  # noqa: F401
    import gate.capture  # noqa: F401
    return time.perf_counter() - t


def run_gate(stack_file: Path) -> dict[str, float]:
    start = time.perf_counter()
    imports = _imports()
    import yaml

    from gate.capture import capture, config_for_runtime
    from gate.document import build_document
    from gate.evaluate import evaluate
    from gate.trace import trace
    from settings.load import load_stack_file, raw_from_stack_document

    t = time.perf_counter()
    settings = load_stack_file(stack_file, "prod")
    raw = raw_from_stack_document(yaml.safe_load(stack_file.read_text()), str(stack_file))
    plan = capture("prod", raw)
    trace(plan.resources, settings)
    program = time.perf_counter() - t
    t = time.perf_counter()
    result = evaluate(plan, PACK, PACK / "config" / "prod.json",
                      stack_config=config_for_runtime(raw)[0])
    analyzer = time.perf_counter() - t
    build_document(plan, "prod", result)
    return {"wall": time.perf_counter() - start, "imports": imports, "program": program,
            "analyzer": analyzer, "resources": len(plan.resources),
            "violations": len(result.findings), "peak_mib": _peak_mib()}


def run_floor(n: int) -> dict[str, float]:
    start = time.perf_counter()
    imports = _imports()
    from gate.analyzer import PolicyPackSession, load_policy_pack_config
    from gate.capture import capture

    t = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        program_file = Path(tmp) / "__main__.py"
        program_file.write_text(BARE_PROGRAM.format(n=n))
        plan = capture("prod", {}, program=program_file)
    program = time.perf_counter() - t
    t = time.perf_counter()
    config = load_policy_pack_config(PACK / "config" / "prod.json")
    with PolicyPackSession(PACK, stack="prod", project="databricks-ml-entra",
                           policy_config=config) as session:
        for res in plan.resources:
            session.analyze(res)
        session.analyze_stack(plan.resources)
    analyzer = time.perf_counter() - t
    return {"wall": time.perf_counter() - start, "imports": imports, "program": program,
            "analyzer": analyzer, "resources": len(plan.resources), "peak_mib": _peak_mib()}


def main() -> None:
    sys.path.insert(0, str(ROOT))
    mode, stack_file = sys.argv[1], Path(sys.argv[2])
    if mode == "gate":
        out = run_gate(stack_file)
    else:
        out = run_floor(int(sys.argv[3]))
    print(json.dumps(out))


if __name__ == "__main__":
    main()

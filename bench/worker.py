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


_PACK_PEAKS: list[float] = []


def _vmhwm_mib(pid: int) -> float:
    """A live process's peak resident memory (``VmHWM``), in MiB; 0 if unknown."""
    try:
        status = Path(f"/proc/{pid}/status").read_text(encoding="ascii")
    except OSError:
        return 0.0
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024.0
    return 0.0


def _watch_pack_memory() -> None:
    """Record each policy pack's peak memory just before the session stops it.

    ``RUSAGE_CHILDREN`` cannot tell: a child's ``ru_maxrss`` includes the memory it shared with
    this process between fork and exec, i.e. the whole captured plan.
    """
    from gate.analyzer import PolicyPackSession

    original = PolicyPackSession.close

    def close(session: PolicyPackSession) -> None:
        if session.pid is not None:
            _PACK_PEAKS.append(_vmhwm_mib(session.pid))
        original(session)

    setattr(PolicyPackSession, "close", close)  # noqa: B010 - patch the class, not a session


def _memory() -> dict[str, float]:
    """Peak resident memory (MiB): this process, the policy pack, and their sum."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    pack = max(_PACK_PEAKS, default=0.0)
    return {"peak_mib": own + pack, "peak_own_mib": own, "peak_pack_mib": pack}


def _cpu() -> dict[str, float]:
    """CPU seconds (user + system) of this process and of its finished children (the pack)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {"cpu_own": own.ru_utime + own.ru_stime, "cpu_pack": kids.ru_utime + kids.ru_stime}


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
    """What ``python -m gate prod --stack-file STACK_FILE --format json`` does, timed by phase."""
    start = time.perf_counter()
    imports = _imports()
    _watch_pack_memory()
    from gate.capture import capture, config_for_runtime, plan_kept
    from gate.document import build_document, dumps
    from gate.evaluate import evaluate
    from gate.trace import trace
    from settings.load import read_stack_file

    t = time.perf_counter()
    settings, raw = read_stack_file(stack_file, "prod")
    settings_s = time.perf_counter() - t
    plan = capture("prod", raw)
    trace(plan.resources, settings)
    program = time.perf_counter() - t
    with plan_kept():  # as gate/cli.py does once the plan is captured
        t = time.perf_counter()
        result = evaluate(plan, PACK, PACK / "config" / "prod.json",
                          stack_config=config_for_runtime(raw)[0])
        analyzer = time.perf_counter() - t
        t = time.perf_counter()
        dumps(build_document(plan, "prod", result))
        document = time.perf_counter() - t
    return {"wall": time.perf_counter() - start, "imports": imports, "program": program,
            "settings": settings_s, "analyzer": analyzer, "document": document,
            "resources": len(plan.resources), "violations": len(result.findings),
            "mandatory": sum(1 for f in result.findings if f.blocking), **_cpu(), **_memory()}


def run_floor(n: int) -> dict[str, float]:
    """The same imports, ``n`` bare registrations, ``n`` bare Analyze calls, one AnalyzeStack."""
    start = time.perf_counter()
    imports = _imports()
    _watch_pack_memory()
    from gate.analyzer import PolicyPackSession, load_policy_pack_config
    from gate.capture import capture, plan_kept

    t = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        program_file = Path(tmp) / "__main__.py"
        program_file.write_text(BARE_PROGRAM.format(n=n))
        plan = capture("prod", {}, program=program_file)
    program = time.perf_counter() - t
    with plan_kept():  # the same as the gate
        t = time.perf_counter()
        config = load_policy_pack_config(PACK / "config" / "prod.json")
        with PolicyPackSession(PACK, stack="prod", project="databricks-ml-entra",
                               policy_config=config) as session:
            for res in plan.resources:
                session.analyze(res)
            session.analyze_stack(plan.resources)
        analyzer = time.perf_counter() - t
    return {"wall": time.perf_counter() - start, "imports": imports, "program": program,
            "settings": 0.0, "analyzer": analyzer, "document": 0.0,
            "resources": len(plan.resources), **_cpu(), **_memory()}


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

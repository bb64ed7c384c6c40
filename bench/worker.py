"""Helpers of bench/run.py that run inside a fresh process; each prints one JSON line.

``python -m bench.worker dump STACK_FILE DUMP``: capture the gate's plan for the stack and write
what the floor replays (resources, stack config, the SDK modules the program imported).
``python -m bench.worker memory STACK_FILE``: run the gate in this process (``--format json``)
and report the peak memory of the gate process plus the pack process.
"""

from __future__ import annotations

import io
import json
import pickle
import resource
import sys
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

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
    this process between fork and exec.
    """
    from gate.analyzer import PolicyPackSession

    original = PolicyPackSession.close

    def close(session: PolicyPackSession) -> None:
        if session.pid is not None and not session._closed:  # noqa: SLF001
            _PACK_PEAKS.append(_vmhwm_mib(session.pid))
        original(session)

    setattr(PolicyPackSession, "close", close)  # noqa: B010 - patch the class, not a session


def memory(stack_file: Path) -> dict[str, float]:
    _watch_pack_memory()
    from gate.cli import main

    out, err = io.StringIO(), io.StringIO()
    code = main([_stack_of(stack_file), "--stack-file", str(stack_file), "--format", "json",
                 "--quiet"],
                stdout=out, stderr=err)
    if code not in (0, 1):
        raise SystemExit(err.getvalue())
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    pack = max(_PACK_PEAKS, default=0.0)
    return {"peak_mib": own + pack, "peak_own_mib": own, "peak_pack_mib": pack,
            "resources": len(json.loads(out.getvalue())["resources"])}


def _stack_of(stack_file: Path) -> str:
    """The stack of a ``Pulumi.<stack>.yaml`` file (its environment comes from stacks.json)."""
    return stack_file.name.removeprefix("Pulumi.").removesuffix(".yaml")


def dump(stack_file: Path, target: Path) -> dict[str, float]:
    from gate.capture import capture, config_for_runtime
    from settings.load import read_stack_file

    stack = _stack_of(stack_file)
    _, raw = read_stack_file(stack_file, stack)
    plan = capture(stack, raw)
    # The SDK modules whose code ran: azure-native registers hundreds of submodules lazily
    # (importlib.util.LazyLoader) and only executes those the program touches; a lazy module
    # still waiting is not a plain module yet.
    modules = sorted(name for name, module in list(sys.modules.items())
                     if name.split(".")[0] in ("pulumi", "pulumi_azure_native", "pulumi_azuread",
                                               "pulumi_databricks")
                     and type(module) is types.ModuleType)
    target.write_bytes(pickle.dumps({
        "resources": plan.resources, "raw_config": raw, "modules": modules,
        "stack_config": config_for_runtime(raw)[0]}))
    return {"resources": len(plan.resources), "modules": len(modules)}


def main() -> None:
    sys.path.insert(0, str(ROOT))
    mode, stack_file = sys.argv[1], Path(sys.argv[2])
    out = dump(stack_file, Path(sys.argv[3])) if mode == "dump" else memory(stack_file)
    print(json.dumps(out))


if __name__ == "__main__":
    main()

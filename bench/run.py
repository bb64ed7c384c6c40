"""Benchmark the gate end to end against the honest floor, whole processes, interleaved.

``python bench/run.py --groups 620 --models 250 --service-principals 90`` (about 5,000 resources)
``python bench/run.py --everyday`` (``gate dev`` and ``gate prod`` against the bare SDK imports)

Every measured run is a fresh process timed from the outside, interpreter start and exit
included: wall time, and the CPU time of the process and everything it waited for (the policy
pack included), which is far less sensitive to a loaded machine than wall time.

* **gate**: ``python -m gate prod --stack-file <synthetic stack> --format json`` (the report
  is written to /dev/null); with ``--baseline DIR``, the same command in another checkout too.
* **floor**: ``python -m bench.floor`` (see its docstring): the same SDK imports, the same
  registrations under the same mocks, the pack server started with the same stack config, the
  same Remediate + Analyze requests and one AnalyzeStack, with policies that do nothing.
* **sdk** (``--everyday``): ``python -c 'import ...'`` of the SDK packages and of the
  azure-native submodules the program imports (``pulumi_azure_native.network``, ...).

The kinds are interleaved (gate, floor, baseline; then rotated) ``--repeat`` times, so that all
see the same machine; the medians are reported, and the median of the per-round ratios.
Targets: 5,000 resources at most 1.3x the floor; ``gate dev`` at most 1.3x the bare
SDK imports; peak memory (``--memory``) under 1 GiB at 10,000 resources.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.generate import synthetic_stack  # noqa: E402


def _timed(argv: list[str], cwd: Path) -> dict[str, float]:
    """Run one process to completion: wall seconds, and CPU seconds of it and its children."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(argv)} failed ({done.returncode}):\n{done.stderr[-4000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"wall": wall, "cpu": cpu}


def _python(root: Path) -> str:
    return str(root / "venv" / "bin" / "python") if (root / "venv").exists() else sys.executable


def _gate(root: Path, stack: str, stack_file: Path | None) -> list[str]:
    extra = ["--stack-file", str(stack_file)] if stack_file else []
    return [_python(root), "-m", "gate", stack, *extra, "--format", "json", "--quiet",
            "--output", os.devnull]


def _rounds(kinds: dict[str, tuple[list[str], Path]], repeat: int) -> dict[str, list[dict]]:
    names = list(kinds)
    runs: dict[str, list[dict]] = {name: [] for name in names}
    for round_ in range(repeat):
        order = names[round_ % len(names):] + names[:round_ % len(names)]
        for name in order:
            argv, cwd = kinds[name]
            runs[name].append(_timed(argv, cwd))
            print(f"  round {round_ + 1} {name:12} wall {runs[name][-1]['wall']:6.2f} s  "
                  f"cpu {runs[name][-1]['cpu']:6.2f} s", flush=True)
    return runs


def _summary(runs: dict[str, list[dict]], against: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, values in runs.items():
        out[name] = {metric: round(statistics.median(v[metric] for v in values), 2)
                     for metric in ("wall", "cpu")}
        out[name]["runs"] = [round(v["wall"], 2) for v in values]
    for name, values in runs.items():
        if name == against:
            continue
        for metric in ("wall", "cpu"):
            pairs = [a[metric] / b[metric] for a, b in zip(values, runs[against], strict=True)]
            out[name][f"{metric}_ratio"] = round(out[name][metric] / out[against][metric], 2)
            out[name][f"{metric}_ratio_median_of_rounds"] = round(statistics.median(pairs), 2)
    return out


def _print(summary: dict[str, Any], against: str) -> None:
    for name, s in summary.items():
        ratio = "" if name == against else (
            f"  / {against}: wall {s['wall_ratio']} (rounds {s['wall_ratio_median_of_rounds']}),"
            f" cpu {s['cpu_ratio']} (rounds {s['cpu_ratio_median_of_rounds']})")
        print(f"  {name:12} median wall {s['wall']:6.2f} s  cpu {s['cpu']:6.2f} s{ratio}")


def _baselines(a: argparse.Namespace) -> list[tuple[str, Path]]:
    found = []
    for given in a.baseline:
        name, _, folder = given.rpartition("=")
        found.append((name or "baseline", Path(folder)))
    return found


def synthetic(a: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        stack_file = Path(tmp) / "Pulumi.prod.yaml"
        stack_file.write_text(yaml.safe_dump(synthetic_stack(a.groups, a.models,
                                                             a.service_principals),
                                             sort_keys=False), encoding="utf-8")
        dump_file = Path(tmp) / "plan.pickle"
        dumped = json.loads(subprocess.run(
            [sys.executable, "-m", "bench.worker", "dump", str(stack_file), str(dump_file)],
            cwd=ROOT, capture_output=True, text=True, check=True).stdout.splitlines()[-1])
        print(f"synthetic org: {a.groups} groups, {a.models} models, {a.service_principals} "
              f"service principals -> {dumped['resources']} resources", flush=True)
        kinds = {"gate": (_gate(ROOT, "prod", stack_file), ROOT),
                 "floor": ([sys.executable, "-m", "bench.floor", str(dump_file)], ROOT)}
        for name, base in _baselines(a):
            kinds[name] = (_gate(base, "prod", stack_file), base)
        runs = _rounds(kinds, a.repeat)
        result = {"resources": dumped["resources"], **_summary(runs, "floor")}
        if a.memory:
            measured = subprocess.run([sys.executable, "-m", "bench.worker", "memory",
                                       str(stack_file)], cwd=ROOT, capture_output=True,
                                      text=True, check=True)
            result["memory"] = json.loads(measured.stdout.splitlines()[-1])
    _print({k: v for k, v in result.items() if isinstance(v, dict) and "wall" in v}, "floor")
    if "memory" in result:
        m = result["memory"]
        print(f"  peak memory {m['peak_mib']:.0f} MiB (gate {m['peak_own_mib']:.0f} + pack "
              f"{m['peak_pack_mib']:.0f}) at {m['resources']} resources")
    return result


def everyday(a: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        dump_file = Path(tmp) / "plan.pickle"
        subprocess.run([sys.executable, "-m", "bench.worker", "dump", str(ROOT / "Pulumi.dev.yaml"),
                        str(dump_file)], cwd=ROOT, capture_output=True, check=True)
        import pickle

        # The SDK packages and the modules the program imports by name (pulumi_azure_native.
        # network, ...): depth two at most. Deeper modules (resource classes, API versions) are
        # loaded as the program declares resources, which the floor of a gate run includes.
        modules = [m for m in pickle.loads(dump_file.read_bytes())["modules"]
                   if m.count(".") <= 1]
        script = f"import importlib\nfor m in {modules!r}:\n    importlib.import_module(m)\n"
        kinds = {"sdk": ([sys.executable, "-c", script], ROOT),
                 "gate dev": (_gate(ROOT, "dev", None), ROOT),
                 "gate prod": (_gate(ROOT, "prod", None), ROOT)}
        for name, base in _baselines(a):
            kinds[f"{name} dev"] = (_gate(base, "dev", None), base)
            kinds[f"{name} prod"] = (_gate(base, "prod", None), base)
        runs = _rounds(kinds, a.repeat)
    result = _summary(runs, "sdk")
    _print(result, "sdk")
    return result


def main() -> None:
    p = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    p.add_argument("--groups", type=int, default=620)
    p.add_argument("--models", type=int, default=250)
    p.add_argument("--service-principals", type=int, default=90)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--everyday", action="store_true",
                   help="gate dev and gate prod against the bare SDK imports")
    p.add_argument("--baseline", action="append", default=[], metavar="[NAME=]DIR",
                   help="another checkout whose gate runs in the same rounds (repeatable)")
    p.add_argument("--memory", action="store_true", help="also measure peak memory (one run)")
    p.add_argument("--json", help="also write the results to this file")
    a = p.parse_args()
    print(f"machine: {os.cpu_count()} cpus (shared), python {platform.python_version()}, "
          f"load average {os.getloadavg()[0]:.1f}; {a.repeat} interleaved rounds", flush=True)
    result = everyday(a) if a.everyday else synthetic(a)
    result["machine"] = {"cpus": os.cpu_count(), "python": platform.python_version(),
                         "platform": platform.platform(), "load": os.getloadavg()}
    result["when"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    if a.json:
        Path(a.json).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()

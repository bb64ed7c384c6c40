"""Benchmark the gate end to end on a synthetic organisation, against a floor in the same run.

``python bench/run.py --groups 620 --models 250 --service-principals 90`` (about 5,000 resources)

Two measurements, each in a fresh process, alternated ``--repeat`` times (gate, floor, gate,
floor...) so that both see the same machine; the best run of each is kept, and the median
ratio is printed too:

* **gate**: load settings, run the real program under mocks, trace, start the real policy pack,
  one Analyze per resource, one AnalyzeStack, build and serialize the JSON document.
* **floor**: the same SDK imports, the same number of bare resource registrations under the
  same mocks, and the same number of bare Analyze calls (plus one AnalyzeStack) against the
  same pack: what any gate built on these SDKs must pay.

Reported: wall time by phase, CPU time (gate process and pack process), peak memory (gate
process + pack process), resource count, the ratio gate / floor overall and for the analyzer
phase, and a Markdown table row for bench/RESULTS.md. Targets: ratio <= 1.3 at about 5,000
resources; peak memory <= 1 GiB.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
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


def _measure(mode: str, stack_file: Path, count: int = 0) -> dict[str, Any]:
    out = subprocess.run([sys.executable, "-m", "bench.worker", mode, str(stack_file), str(count)],
                         cwd=ROOT, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise SystemExit(f"{mode} run failed:\n{out.stderr[-4000:]}")
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def _line(name: str, r: dict[str, Any]) -> str:
    return (f"  {name:5}  wall {r['wall']:7.2f} s  (imports {r['imports']:5.2f}, program "
            f"{r['program']:6.2f} [settings {r['settings']:4.2f}], analyzer {r['analyzer']:6.2f}, "
            f"document {r['document']:4.2f})  cpu gate {r['cpu_own']:6.2f} s + pack "
            f"{r['cpu_pack']:6.2f} s  peak {r['peak_mib']:7.1f} MiB (gate {r['peak_own_mib']:.0f}"
            f" + pack {r['peak_pack_mib']:.0f})")


def main() -> None:
    p = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    p.add_argument("--groups", type=int, default=620)
    p.add_argument("--models", type=int, default=250)
    p.add_argument("--service-principals", type=int, default=90)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--json", help="also write the results to this file")
    a = p.parse_args()

    gates: list[dict[str, Any]] = []
    floors: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        stack_file = Path(tmp) / "Pulumi.prod.yaml"
        doc = synthetic_stack(a.groups, a.models, a.service_principals)
        stack_file.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
        for _ in range(a.repeat):
            gates.append(_measure("gate", stack_file))
            floors.append(_measure("floor", stack_file, gates[0]["resources"]))
    gate = min(gates, key=lambda r: r["wall"])
    floor = min(floors, key=lambda r: r["wall"])

    result = {
        "org": {"groups": a.groups, "models": a.models, "service_principals": a.service_principals},
        "resources": gate["resources"],
        "gate": gate, "floor": floor,
        "ratio": round(gate["wall"] / floor["wall"], 3),
        "median_ratio": round(statistics.median(g["wall"] / f["wall"]
                                                for g, f in zip(gates, floors, strict=True)), 3),
        "analyzer_ratio": round(gate["analyzer"] / floor["analyzer"], 3),
        "peak_mib": round(max(gate["peak_mib"], floor["peak_mib"]), 1),
        "runs": {"gate": [round(g["wall"], 2) for g in gates],
                 "floor": [round(f["wall"], 2) for f in floors]},
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "platform": platform.platform()},
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    print(f"synthetic org: {a.groups} groups, {a.models} models, {a.service_principals} service "
          f"principals -> {gate['resources']} resources; {gate['violations']} violation(s), "
          f"{gate['mandatory']} mandatory")
    print(f"machine: {os.cpu_count()} cpus, python {platform.python_version()}; "
          f"best of {a.repeat} alternated runs")
    print(_line("gate", gate))
    print(_line("floor", floor))
    print(f"  runs (wall s): gate {result['runs']['gate']}, floor {result['runs']['floor']}")
    print(f"  ratio gate/floor: {result['ratio']} (median of pairs {result['median_ratio']}; "
          "target <= 1.3)")
    print(f"  analyzer ratio:   {result['analyzer_ratio']}")
    print(f"  peak memory:      {result['peak_mib']} MiB (target <= 1024)")
    print("  table row: | resources | gate wall s | floor wall s | ratio | analyzer ratio | "
          "peak MiB |")
    print(f"  | {gate['resources']} | {gate['wall']:.1f} | {floor['wall']:.1f} | "
          f"{result['ratio']:.2f} | {result['analyzer_ratio']:.2f} | {result['peak_mib']:.0f} |")
    if a.json:
        Path(a.json).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()

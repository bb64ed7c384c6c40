"""Benchmark the gate end to end on a synthetic organisation, against a floor in the same run.

``python bench/run.py --groups 1200 --models 600 --service-principals 120``

Two measurements, each in a fresh process, repeated ``--repeat`` times (best run kept):

* **gate**: load settings, run the real program under mocks, trace, start the real policy pack,
  one Analyze per resource, one AnalyzeStack, build the JSON document.
* **floor**: the same SDK imports, the same number of bare resource registrations under the
  same mocks, and the same number of bare Analyze calls (plus one AnalyzeStack) against the
  same pack: what any gate built on these SDKs must pay.

Reported: wall time, analyzer time, peak memory (gate process + pack process), resource count,
and the ratio gate / floor. Targets: ratio <= 1.3 at about 5,000 resources; peak memory
<= 1 GiB.
"""

from __future__ import annotations

import argparse
import json
import os
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
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--groups", type=int, default=1200)
    p.add_argument("--models", type=int, default=600)
    p.add_argument("--service-principals", type=int, default=120)
    p.add_argument("--repeat", type=int, default=2)
    p.add_argument("--json", help="also write the results to this file")
    a = p.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        stack_file = Path(tmp) / "Pulumi.prod.yaml"
        doc = synthetic_stack(a.groups, a.models, a.service_principals)
        stack_file.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
        gates = [_measure("gate", stack_file) for _ in range(a.repeat)]
        gate = min(gates, key=lambda r: r["wall"])
        floors = [_measure("floor", stack_file, gate["resources"]) for _ in range(a.repeat)]
        floor = min(floors, key=lambda r: r["wall"])

    result = {
        "org": {"groups": a.groups, "models": a.models, "service_principals": a.service_principals},
        "resources": gate["resources"],
        "gate": gate, "floor": floor,
        "ratio": round(gate["wall"] / floor["wall"], 3),
        "analyzer_ratio": round(gate["analyzer"] / floor["analyzer"], 3) if floor["analyzer"] else None,
        "peak_mib": round(max(gate["peak_mib"], floor["peak_mib"]), 1),
        "cpus": os.cpu_count(),
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    print(f"synthetic org: {a.groups} groups, {a.models} models, {a.service_principals} service "
          f"principals -> {gate['resources']} resources")
    for name, r in (("gate", gate), ("floor", floor)):
        print(f"  {name:5}  wall {r['wall']:7.2f} s  (imports {r['imports']:5.2f} s, program "
              f"{r['program']:6.2f} s, analyzer {r['analyzer']:6.2f} s)  peak {r['peak_mib']:7.1f} MiB")
    print(f"  ratio gate/floor: {result['ratio']}  (target <= 1.3)")
    print(f"  analyzer ratio:   {result['analyzer_ratio']}")
    print(f"  peak memory:      {result['peak_mib']} MiB (target <= 1024)")
    if a.json:
        Path(a.json).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()

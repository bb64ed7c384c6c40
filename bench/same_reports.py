"""Check that a change to the gate or the pack leaves every report byte-identical.

``python bench/same_reports.py write DIR [--root CHECKOUT]`` writes the reports of dev, prod and
a synthetic organisation (JSON and text, the policy verdicts included) from a checkout;
``python bench/same_reports.py compare DIR_A DIR_B`` compares two such directories byte for
byte and exits 1 on any difference. A performance lever stays only if ``compare`` passes
between the reports written before and after it (bench/RESULTS.md).

The absolute path of the checkout in ``configFile`` is the only thing allowed to differ: it
is replaced by ``<root>`` before the comparison.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.generate import synthetic_stack  # noqa: E402

# Small enough to run in a minute, large enough for every kind of resource and rule.
SYNTHETIC = {"groups": 60, "models": 24, "service_principals": 9}
FORMATS = ("json", "text")


def write(out_dir: Path, root: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        synthetic = Path(tmp) / "Pulumi.prod.yaml"
        doc = synthetic_stack(SYNTHETIC["groups"], SYNTHETIC["models"],
                              SYNTHETIC["service_principals"])
        synthetic.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
        runs = [("dev", []), ("prod", []), ("synthetic", ["--stack-file", str(synthetic)])]
        for name, extra in runs:
            stack = "prod" if name == "synthetic" else name
            for fmt in FORMATS:
                done = subprocess.run(
                    [sys.executable, "-m", "gate", stack, "--format", fmt, "-q", *extra],
                    cwd=root, capture_output=True, text=True, check=False)
                if done.returncode not in (0, 1):
                    raise SystemExit(f"{name} {fmt}: exit {done.returncode}\n{done.stderr}")
                text = done.stdout.replace(str(root.resolve()), "<root>")
                (out_dir / f"{name}.{fmt}").write_text(text, encoding="utf-8")
                (out_dir / f"{name}.{fmt}.exit").write_text(str(done.returncode),
                                                            encoding="utf-8")


def compare(a: Path, b: Path) -> int:
    names = sorted({p.name for p in a.iterdir()} | {p.name for p in b.iterdir()})
    different = [n for n in names
                 if not (a / n).exists() or not (b / n).exists()
                 or (a / n).read_bytes() != (b / n).read_bytes()]
    for name in names:
        print(f"{'DIFFERENT' if name in different else 'same     '} {name}")
    return 1 if different else 0


def main() -> None:
    p = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    sub = p.add_subparsers(dest="command", required=True)
    w = sub.add_parser("write")
    w.add_argument("dir")
    w.add_argument("--root", default=str(ROOT), help="the checkout to run (default: this one)")
    c = sub.add_parser("compare")
    c.add_argument("a")
    c.add_argument("b")
    a = p.parse_args()
    if a.command == "write":
        write(Path(a.dir), Path(a.root))
    else:
        raise SystemExit(compare(Path(a.a), Path(a.b)))


if __name__ == "__main__":
    main()

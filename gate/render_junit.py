"""JUnit XML: one test suite per policy, one test case per policy and resource.

A resource a policy applies to and does not violate is a passing case; a mandatory violation
is a failure; an advisory violation passes with the message in ``system-out``, so advisory
findings never fail a CI job.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import defaultdict
from typing import Any

from gate.document import Finding, PolicyResult


def render_junit(doc: dict[str, Any], policy: PolicyResult) -> str:
    resources = [
        r for r in doc["resources"] if r["custom"] and not r["type"].startswith("pulumi:providers:")
    ]
    by_policy: dict[str, list[Finding]] = defaultdict(list)
    for f in policy.findings:
        by_policy[f.policy].append(f)
    names = [p["name"] for p in policy.policies] or sorted(by_policy)
    for extra in sorted(set(by_policy) - set(names)):
        names.append(extra)

    suites = ET.Element("testsuites", name=f"policy gate {doc['project']}/{doc['stack']}")
    totals = {"tests": 0, "failures": 0, "skipped": 0}
    meta = {p["name"]: p for p in policy.policies}
    for name in names:
        level = str(meta.get(name, {}).get("enforcementLevel", ""))
        suite = ET.SubElement(suites, "testsuite", name=name)
        counts = {"tests": 0, "failures": 0, "skipped": 0}
        findings = by_policy.get(name, [])
        by_urn: dict[str, list[Finding]] = defaultdict(list)
        for f in findings:
            by_urn[f.urn].append(f)
        if level == "disabled":
            case = ET.SubElement(suite, "testcase", classname=name, name="(disabled)")
            ET.SubElement(case, "skipped", message="disabled by the policy config")
            counts["tests"] += 1
            counts["skipped"] += 1
        else:
            subjects = [(r["urn"], f"{r['type']}::{r['name']}") for r in resources]
            subjects += [(u, "stack") for u in by_urn if u not in {r["urn"] for r in resources}]
            for urn, label in subjects:
                counts["tests"] += 1
                case = ET.SubElement(suite, "testcase", classname=name, name=label)
                hits = by_urn.get(urn, [])
                mandatory = [f for f in hits if f.blocking]
                if mandatory:
                    counts["failures"] += 1
                    fail = ET.SubElement(
                        case,
                        "failure",
                        type=name,
                        message=" ".join(mandatory[0].message.split())[:500],
                    )
                    fail.text = "\n".join(_detail(f) for f in mandatory)
                elif hits:
                    out = ET.SubElement(case, "system-out")
                    out.text = "advisory:\n" + "\n".join(_detail(f) for f in hits)
        for k, v in counts.items():
            suite.set(k, str(v))
            totals[k] += v
    for k, v in totals.items():
        suites.set(k, str(v))
    ET.indent(suites)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"
    )


def _detail(f: Finding) -> str:
    parts = [f.message.strip()]
    if f.source_key:
        parts.append(f"config: {f.source_key}")
    if f.remediation:
        parts.append(f"fix: {' '.join(f.remediation.split())}")
    return "\n".join(parts)

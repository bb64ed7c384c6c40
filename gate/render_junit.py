"""JUnit XML: one test suite for the stack, one test case per policy.

A policy with no mandatory violation passes (advisory findings are listed in its
``system-out``, so they never fail a CI job); a policy with mandatory violations fails, and the
failure lists every violating resource with the finding, the config key and the fix; a policy
the config disables is skipped. Every value from the stack goes through
:mod:`gate.escape.xmltext`, so the file is always well-formed XML.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import defaultdict
from typing import Any

from gate.document import Finding, PolicyResult
from gate.escape import xmltext as xt

FAILURE_MESSAGE_LIMIT = 500


def render_junit(doc: dict[str, Any], policy: PolicyResult) -> str:
    by_policy: dict[str, list[Finding]] = defaultdict(list)
    for f in policy.findings:
        by_policy[f.policy].append(f)
    names = [p["name"] for p in policy.policies] or sorted(by_policy)
    for extra in sorted(set(by_policy) - set(names)):
        names.append(extra)
    meta = {p["name"]: p for p in policy.policies}

    title = f"policy gate {xt.text(doc['project'])}/{xt.text(doc['stack'])}"
    classname = f"{xt.text(doc['project'])}.{xt.text(doc['stack'])}"
    suites = ET.Element("testsuites", name=title)
    suite = ET.SubElement(suites, "testsuite", name=title)
    counts = {"tests": 0, "failures": 0, "skipped": 0}
    for name in names:
        counts["tests"] += 1
        case = ET.SubElement(suite, "testcase", classname=classname, name=xt.text(name))
        findings = sorted(by_policy.get(name, []), key=lambda f: (f.resource_name, f.urn))
        mandatory = [f for f in findings if f.blocking]
        if str(meta.get(name, {}).get("enforcementLevel", "")) == "disabled" and not findings:
            ET.SubElement(case, "skipped", message="disabled by the policy config")
            counts["skipped"] += 1
        elif mandatory:
            counts["failures"] += 1
            resources = sorted({_subject(f) for f in mandatory})
            summary = (f"{len(resources)} resource(s) violate {xt.text(name)}: "
                       + ", ".join(resources))
            fail = ET.SubElement(case, "failure", type="mandatory",
                                 message=_clip(summary, FAILURE_MESSAGE_LIMIT))
            fail.text = xt.lines([line for f in mandatory for line in _detail(f)])
        advisory = [f for f in findings if not f.blocking]
        if advisory:
            out = ET.SubElement(case, "system-out")
            out.text = xt.lines(["advisory:", *(line for f in advisory for line in _detail(f))])
    for k, v in counts.items():
        suite.set(k, str(v))
        suites.set(k, str(v))
    ET.indent(suites)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"
    )


def _subject(f: Finding) -> str:
    if not f.urn or not f.resource_name:
        return "stack"
    return f"{xt.text(f.resource_name)} ({xt.text(f.resource_type)})"


def _detail(f: Finding) -> list[str]:
    parts = [f"- {_subject(f)}: {xt.text(f.message.strip())}"]
    if f.source_key:
        parts.append(f"  config: {xt.text(f.source_key)}")
    if f.remediation:
        parts.append(f"  fix: {xt.text(' '.join(f.remediation.split()))}")
    return parts


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."

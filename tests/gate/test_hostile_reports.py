"""Reports cannot be forged or weaponised.

Names come from a stack file a pull request controls. Every output format is rendered from
documents built around hostile names (what settings validation may or may not let through) and
checked for the format's own invariant: a Markdown table keeps its rows and columns and carries
no HTML or comment, the Mermaid graph keeps its statements, a CSV cell never starts a formula,
text carries no terminal control or bidi character and no line the gate did not write, JUnit is
well-formed XML, SARIF validates and carries no link or placeholder, JSON is valid and faithful.
"""

from __future__ import annotations

import csv
import io
import json
import re
import string
import unicodedata
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gate.access import (
    CSV_COLUMNS,
    AccessReport,
    ModelRight,
    PrincipalAccess,
    render_access_markdown,
    render_csv,
)
from gate.access_paths import AccessPath
from gate.diff import Change, EasierAccess
from gate.diff import render_markdown as render_diff_markdown
from gate.document import Finding, PolicyResult, dumps, load_schema
from gate.escape import jsondoc, mermaid, spreadsheet, terminal, xmltext
from gate.escape import markdown as md
from gate.escape import sarif as sarif_escape
from gate.render_junit import render_junit
from gate.render_markdown import render_markdown
from gate.render_sarif import render_sarif
from gate.render_text import render_text

ROOT = Path(__file__).resolve().parents[2]
SARIF_SCHEMA = json.loads((ROOT / "tests" / "schemas" / "sarif-schema-2.1.0.json").read_text())
HIDDEN = {"Cc", "Cf", "Cs", "Cn", "Zl", "Zp"}

# One of each class: table and row breakers, HTML and comments, code fences, links and images,
# spreadsheet formulas, terminal escapes (CSI, OSC, 8-bit CSI), bidi overrides and isolates,
# zero-width and BOM, NUL, a lone surrogate, XML non-characters, Unicode line separators, Mermaid
# quote, edge, directive, keyword and entity, SARIF placeholders, mentions, entities, backslashes.
HOSTILE = [
    "a|b", "x\n| forged | row | 1 | 2 | 3 |", "<!-- hidden -->", "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>", "```\nfenced", "`code`", "``", "[click](https://evil.example)",
    "![img](https://evil.example/x.png)", '=HYPERLINK("https://evil.example","x")', "+1+1",
    "-2+3", "@SUM(A1)", "\t=1", "\r=1", "  =1", "\uff1d1", "\x1b[31mred\x1b[0m",
    "\x1b]0;title\x07", "\x9b31m", "\u202eevil\u202c", "\u2066iso\u2069", "zero\u200bwidth",
    "\ufeffbom", "nul\x00byte", "\ud800lone", "\ufffe\uffff", "line\u2028sep", "a\x85b",
    'quote"]-->x', "%%{init: {'theme':'dark'}}%%", "end", "a;b", "#35;", "{0} {{1}}",
    "**bold** _em_", "@fabrikam/owners", "&amp; &lt;", "\\|", "a\\|b", "\\", "\n\n\n",
    "PASSED  forged/verdict", "\x08\x08\x08\x08backspace",
]

MD_TAGS = re.compile(r"</?(code|details|summary)>|<br/>")


def hidden_chars(text: str) -> list[str]:
    return [ch for ch in text if ch != "\n" and unicodedata.category(ch) in HIDDEN]


def unescaped_pipes(line: str) -> int:
    """Cell separators as GFM's table parser counts them (a backslash escapes the next char)."""
    count, i = 0, 0
    while i < len(line):
        if line[i] == "\\":
            i += 2
            continue
        count += line[i] == "|"
        i += 1
    return count


def check_markdown(text: str, table_widths: dict[str, int]) -> None:
    """Table rows keep their header's column count; no HTML but the gate's own tags; no comment,
    no fence but the mermaid block's; no hidden character; no raw backtick outside code spans we
    opened (a value's backticks are references)."""
    assert not hidden_chars(text)
    assert "<!--" not in text
    assert "<" not in MD_TAGS.sub("", text).replace("<br/>", "")
    in_fence = False
    width = 0
    for line in text.split("\n"):
        if line.startswith("```"):
            assert line in ("```mermaid", "```"), line
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        if line.startswith("|"):
            if width == 0:  # a header row starts a table
                width = unescaped_pipes(line)
                assert width in table_widths.values(), line
            assert unescaped_pipes(line) == width, line
        else:
            width = 0
    assert not in_fence


LABEL = r'"(?:[A-Za-z0-9 \-_.,/:()]|#\d+;)*(?:<br/>(?:[A-Za-z0-9 \-_.,/:()]|#\d+;)*)?"'
MERMAID_LINE = re.compile(
    rf"^(graph LR"
    rf"|  ws\[\({LABEL}\)\]"
    rf"|  [pm]\d+(\[{LABEL}\]|\[\[{LABEL}\]\])"
    rf"|  p\d+ (-->|==>|-\.->)\|{LABEL}\| (ws|m\d+)"
    rf"|  ws --- m\d+)$")


def check_mermaid(text: str, principals: int) -> None:
    block = text.split("```mermaid\n", 1)[1].split("\n```", 1)[0].split("\n")
    for line in block:
        assert MERMAID_LINE.match(line), line
    assert sum(1 for line in block if re.match(r"^  p\d+\[", line)) == principals


def check_text(text: str, values: list[str]) -> None:
    assert not hidden_chars(text)
    lines = text.split("\n")
    assert lines[0].startswith(("PASSED  ", "BLOCKED  ", "PLAN ONLY  "))
    assert sum(1 for line in lines if line.startswith(("PASSED", "BLOCKED", "PLAN"))) == 1
    assert max(len(line) for line in lines) <= 100
    for v in values:  # what follows a newline in a value never starts a line of its own
        for tail in v.split("\n")[1:]:
            if tail.strip():
                assert tail not in lines, tail


# --- documents built around hostile names -------------------------------------------------


def finding(name: str, i: int, blocking: bool = True) -> Finding:
    return Finding(
        policy=f"rule-{i % 3}", enforcement_level="mandatory" if blocking else "advisory",
        message=f"group {name!s} is wrong: {name}", description="desc", severity="high",
        urn=f"urn:pulumi:dev::p::t::{name}", resource_type=f"pkg:index/{name}:T",
        resource_name=name, source_key=f"databricks-ml-entra:groups.{name}",
        frameworks=("soc2:CC6.1",), remediation=f"fix {name}")


def plan_doc(names: list[str]) -> dict[str, Any]:
    resources = [{
        "urn": f"urn:pulumi:dev::databricks-ml-entra::pkg:index/x:T::{n}", "type": "pkg:index/x:T",
        "name": n, "custom": True, "parent": "", "provider": "", "protect": False,
        "deleteBeforeReplace": False, "dependencies": [], "sourceKey": f"k.{n}",
        "inputs": {"displayName": n}} for n in names]
    return {
        "schemaVersion": "1.1", "project": "databricks-ml-entra", "stack": "dev",
        "environment": "dev",
        "summary": {"resources": len(resources), "byType": {"pkg:index/x:T": len(resources)},
                    "protected": 0},
        "resources": resources, "outputs": {n: n for n in names}, "policies": None,
        "outcome": {"exitCode": 1, "verdict": "blocked"},
    }


def policy_result(names: list[str]) -> PolicyResult:
    findings = [finding(n, i, blocking=i % 2 == 0) for i, n in enumerate(names)]
    policies = [{"name": f"rule-{i}", "description": "d", "enforcementLevel": "mandatory",
                 "severity": "high", "frameworks": ["soc2:CC6.1"], "remediation": "r"}
                for i in range(3)]
    return PolicyResult("databricks-ml-entra-policies", "1.0.0", "prod.json", policies, findings)


def access_report(names: list[str]) -> AccessReport:
    principals = [
        PrincipalAccess(
            key=n, kind="group", display_name=n, identifier=n, role=n,
            workspace_permission=[n], entitlements={n: True}, granted_by=n,
            conditional_access=[n],
            models=[ModelRight(n, n, n, [n, "CAN_MANAGE"], n)]) for n in names]
    ca = [{"name": n, "state": n, "controls": [n], "includedGroups": [n], "excludedGroups": [],
           "excludesBreakGlass": False} for n in names]
    paths = [AccessPath(group=n, display_name=n, standing_members=1, granted_by=[n])
             for n in names]
    return AccessReport(stack=names[0], environment=names[-1], workspace=names[1 % len(names)],
                        principals=principals, conditional_access=ca,
                        break_glass_group_object_ids=names, access_paths=paths)


def render_all(names: list[str], tmp: Path) -> None:
    """Render every format from documents built around ``names`` and check each invariant."""
    doc = plan_doc(names)
    policy = policy_result(names)
    stack_file = tmp / "Pulumi.dev.yaml"
    if not stack_file.exists():
        stack_file.write_text("config:\n  databricks-ml-entra:groups: {}\n", encoding="utf-8")

    check_markdown(render_markdown(doc, policy), {"summary": 6, "findings": 6})
    check_text(render_text(doc, policy.findings), names)
    check_text(render_text(doc, None), names)

    root = ET.fromstring(render_junit(doc, policy).encode("utf-8"))  # expat refuses bad chars
    cases = root.iter("testcase")
    assert [c.get("name") for c in cases] == ["rule-0", "rule-1", "rule-2"]

    log = json.loads(render_sarif(doc, policy, stack_file, tmp))
    jsonschema.Draft4Validator(SARIF_SCHEMA).validate(log)
    results = log["runs"][0]["results"]
    assert len(results) == len(names)
    for r in results:
        text = r["message"]["text"]
        assert not hidden_chars(text)
        assert not re.search(r"(?<!\\)\[", text) and not re.search(r"(?<!\\)\]", text)
        assert not re.search(r"(?<!\{)\{(?!\{)", text.replace("{{", ""))

    out = dumps({**doc, "policies": None})
    assert out.isascii()
    back = json.loads(out)
    json.dumps(back, ensure_ascii=False).encode("utf-8")
    jsonschema.Draft202012Validator(load_schema()).validate(back)
    for n, r in zip(names, back["resources"], strict=True):
        if not re.search("[\ud800-\udfff]", n):
            assert r["name"] == n  # JSON is faithful

    report = access_report(names)
    amd = render_access_markdown(report)
    check_markdown(amd, {"principals": 9, "models": 7, "ca": 6, "paths": 5, "sign-in": 6})
    check_mermaid(amd, len(names))
    rows = list(csv.reader(io.StringIO(render_csv(report))))
    assert rows[0] == list(CSV_COLUMNS)
    assert len(rows) == 1 + len(names)
    for row in rows:
        assert len(row) == len(CSV_COLUMNS)
        for cell in row:
            assert not hidden_chars(cell)
            lead = cell.lstrip(" \u00a0\u3000")
            assert not lead or lead[0] not in spreadsheet.FORMULA_STARTS, cell
    access_json = json.loads(jsondoc.dumps(report.to_json()))
    json.dumps(access_json, ensure_ascii=False).encode("utf-8")  # valid Unicode: no lone surrogate
    for n, p in zip(names, access_json["principals"], strict=True):
        if not re.search("[\ud800-\udfff]", n):
            assert p["display_name"] == n

    changes = [Change("revoked", n, f"model:{n}", (n,), ()) for n in names]
    easier = [EasierAccess(n, (n, n), n, n) for n in names]
    check_markdown(render_diff_markdown(changes, names[0], names[-1], easier), {"diff": 6})


def test_every_format_holds_against_the_hostile_corpus(tmp_path: Path) -> None:
    render_all(HOSTILE, tmp_path)
    for name in HOSTILE:
        render_all([name, "benign", name + name], tmp_path)


# Text with every character class that matters: markup, separators, controls, formats,
# surrogates, unassigned and private use; hypothesis shrinks a failure to the character.
HOSTILE_ALPHABET = st.one_of(
    st.sampled_from(list(string.punctuation + " \t\n\r\x0b\x0c\x1b\x7f\x85\x9b\u00a0\u2028\u2029"
                         "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200b\u200d"
                         "\ufeff\ufffe\uffff\uff1d\uff20")),
    st.characters(codec=None, categories=["Cc", "Cf", "Cs", "Zl", "Zp", "Co", "Cn", "Zs"]),
    st.characters(min_codepoint=0x20, max_codepoint=0x7e),
)
names = st.text(HOSTILE_ALPHABET, min_size=1, max_size=24)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                   HealthCheck.function_scoped_fixture])
@given(st.lists(names, min_size=1, max_size=4))
def test_every_format_holds_for_generated_names(tmp_path: Path, generated: list[str]) -> None:
    render_all(generated, tmp_path)


@settings(max_examples=1000, deadline=None)
@given(st.text(HOSTILE_ALPHABET, max_size=40))
def test_escapers_keep_their_format_invariants(value: str) -> None:
    line = terminal.line(value)
    assert "\n" not in line and not hidden_chars(line)
    cell = md.text(value)
    assert not set(cell) & set("|<`*[]\\\n") and not hidden_chars(cell)
    assert "<!--" not in md.code(value)
    assert re.fullmatch(r'"[A-Za-z0-9 \-_.,/:()#;]*"', mermaid.label(value))
    text = spreadsheet.cell(value)
    assert not text.lstrip(" \u00a0\u3000")[:1] or \
        text.lstrip(" \u00a0\u3000")[0] not in spreadsheet.FORMULA_STARTS
    el = ET.Element("x", a=xmltext.text(value))
    el.text = xmltext.text(value)
    assert ET.fromstring(ET.tostring(el)).get("a") == xmltext.text(value)
    message = sarif_escape.message(value)
    assert not re.search(r"(?<!\\)[\[\]]", message.replace("\\\\", ""))


def test_visible_escapes_name_what_was_hidden() -> None:
    assert terminal.line("a\x1b[31mb") == "a\\x1b[31mb"
    assert terminal.line("\u202eabc") == "\\u202eabc"
    assert terminal.line("x\ny") == "x\\ny"
    assert terminal.line("caf\u00e9 \u00fc") == "caf\u00e9 \u00fc"  # letters are not escaped
    assert spreadsheet.cell("=1+1") == "'=1+1" and spreadsheet.cell("a=1") == "a=1"
    assert md.text("a|b <!--") == "a&#124;b &#60;!--"
    assert md.code("ml-engineers") == "`ml-engineers`"
    assert mermaid.label('x"]') == '"x#34;#93;"'
    assert sarif_escape.message("[a](1) {0}") == "\\[a\\](1) {{0}}"


@pytest.mark.parametrize("fmt", ["markdown", "junit", "sarif", "json", "text"])
def test_a_hostile_config_key_in_an_error_report(fmt: str, tmp_path: Path) -> None:
    """Through the gate: a config error whose key carries markup and controls (the key is named
    in every report) still yields a valid, unforgeable report and exit 2."""
    import yaml

    from gate.cli import main
    from tests.conftest import NS, stack_document

    doc = stack_document("dev")
    hostile = "x|<!--y-->\x1b[2J\u202e`]\n| forged |"
    models = doc["config"][f"{NS}:models"]
    model = next(iter(models.values()))
    model["permissions"][hostile] = ["EXECUTE"] if model.get("registry") != "workspace" \
        else "CAN_READ"
    stack_file = tmp_path / "Pulumi.dev.yaml"
    stack_file.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    out_file = tmp_path / f"report.{fmt}"
    err = io.StringIO()
    code = main(["dev", "--stack-file", str(stack_file), "--format", fmt, "-o", str(out_file),
                 "-q"], stdout=io.StringIO(), stderr=err)
    assert code == 2
    assert not hidden_chars(err.getvalue())
    report = out_file.read_text(encoding="utf-8")
    assert not hidden_chars(report)
    if fmt == "markdown":
        check_markdown(report, {"problems": 4})
    elif fmt == "junit":
        ET.fromstring(report.encode("utf-8"))
    elif fmt == "sarif":
        jsonschema.Draft4Validator(SARIF_SCHEMA).validate(json.loads(report))
    elif fmt == "json":
        jsonschema.Draft202012Validator(load_schema()).validate(json.loads(report))
    else:
        assert report.startswith("FAILED (exit 2)")
        assert "| forged |" not in report.split("\n")


# --- through the gate: hostile names that settings accept, in a real plan and real verdicts ---

DISPLAY = 'sg |x| <!--c--> <b>`t`</b> [l](https://e.example) "q" %%{init}%% ;end @team'


@pytest.fixture(scope="module")
def hostile_run() -> tuple[Any, Any, dict[str, Any], PolicyResult]:
    from gate.capture import plan_kept
    from gate.document import build_document
    from gate.evaluate import evaluate
    from gate.trace import trace
    from settings import parse
    from settings.load import raw_from_stack_document
    from tests.conftest import NS, plan_for, stack_document

    def hostile(cfg: dict[str, Any]) -> None:
        cfg[f"{NS}:groups"]["auditors"]["displayName"] = DISPLAY
        cfg[f"{NS}:groups"]["auditors"]["description"] = '=HYPERLINK("https://e.example")'
        cfg[f"{NS}:clientApp"]["displayName"] = "@SUM(1) | ```"

    doc = stack_document("dev")
    hostile(doc["config"])
    settings_ = parse(raw_from_stack_document(doc, "Pulumi.dev.yaml"), stack="dev")
    plan = plan_for("dev", hostile)
    trace(plan.resources, settings_)
    with plan_kept():
        result = evaluate(plan, ROOT / "policies", ROOT / "policies" / "config" / "prod.json")
    return settings_, plan, build_document(plan, "dev", result), result


def test_hostile_display_names_through_the_gate(hostile_run: Any, tmp_path: Path) -> None:
    from gate.access import build_access_report

    settings_, plan, doc, result = hostile_run
    assert result.findings  # dev code under the prod config: there is something to report
    check_markdown(render_markdown(doc, result), {"summary": 6, "findings": 6})
    check_text(render_text(doc, result.findings), [DISPLAY])
    ET.fromstring(render_junit(doc, result).encode("utf-8"))
    log = json.loads(render_sarif(doc, result, ROOT / "Pulumi.dev.yaml", ROOT))
    jsonschema.Draft4Validator(SARIF_SCHEMA).validate(log)
    report = build_access_report(settings_, plan)
    amd = render_access_markdown(report)
    check_markdown(amd, {"principals": 9, "models": 7, "ca": 6, "paths": 5, "sign-in": 6})
    check_mermaid(amd, len(report.principals))
    assert "&#60;!--c-->" in amd  # the comment is shown, not hidden
    rows = list(csv.reader(io.StringIO(render_csv(report))))
    assert {len(r) for r in rows} == {len(CSV_COLUMNS)}
    col = rows[0].index("display_name")
    assert any(r[col] == DISPLAY for r in rows[1:])  # text that is not a formula stays as it is

"""Tests of gate.analyzer against real policy packs started under ``python -m pulumi.policy``."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gate.analyzer import (
    ASSET_SIG,
    OUTPUT_VALUE_SIG,
    RESOURCE_REFERENCE_SIG,
    SECRET_SIG,
    SPECIAL_SIG_KEY,
    UNKNOWN_STRING_VALUE,
    PackRPCError,
    PackStartError,
    PolicyConfig,
    PolicyConfigError,
    PolicyCrash,
    PolicyPackSession,
    Violation,
    to_wire_value,
)
from gate.model import UNKNOWN, CapturedResource, Secret

ROOT = Path(__file__).resolve().parents[2]
PACKS = ROOT / "tests" / "fixtures" / "packs"
MINIMAL = PACKS / "minimal"
STACK_URN = "urn:pulumi:dev::proj::pulumi:pulumi:Stack::proj-dev"
PROVIDER_URN = "urn:pulumi:dev::proj::pulumi:providers:test::main"

pytestmark = pytest.mark.e2e


def workspace(name: str, *, parent: str = STACK_URN, **props: Any) -> CapturedResource:
    """A resource the fixture pack's workspace policies look at."""
    return CapturedResource(
        urn=f"urn:pulumi:dev::proj::test:index:Workspace::{name}",
        type="test:index:Workspace",
        name=name,
        custom=True,
        inputs=props,
        outputs=props,
        parent=parent,
    )


def resource(type_name: str, name: str, **fields: Any) -> CapturedResource:
    """Any other resource."""
    return CapturedResource(
        urn=f"urn:pulumi:dev::proj::test:index:{type_name}::{name}",
        type=f"test:index:{type_name}",
        name=name,
        custom=True,
        **fields,
    )


def is_running(pid: int) -> bool:
    """Whether ``pid`` is a live (non-zombie) process."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def wait_gone(pid: int, timeout: float = 10.0) -> bool:
    """Wait until ``pid`` is no longer running."""
    deadline = time.monotonic() + timeout
    while is_running(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def echo(session: PolicyPackSession, item: CapturedResource) -> dict[str, Any]:
    """What the fixture's ``echo`` policy saw of ``item``."""
    (violation,) = [v for v in session.analyze(item) if v.policy_name == "echo"]
    description, seen = violation.message.split("\n", 1)
    assert description == "Reports what the policy sees."
    return ast.literal_eval(seen)


@pytest.fixture(scope="module")
def shared() -> Iterator[PolicyPackSession]:
    """One pack process for the protocol tests."""
    with PolicyPackSession(
        MINIMAL,
        stack="dev",
        project="proj",
        stack_tags={"team": "platform"},
        stack_config={"proj:region": "westeurope", "proj:password": Secret("hunter2")},
    ) as session:
        yield session


@pytest.fixture
def session(shared: PolicyPackSession) -> Iterator[PolicyPackSession]:
    """The shared session, back on the pack's default config after each test."""
    yield shared
    shared.configure(None)


# -- metadata and configuration ---------------------------------------------------------------


def test_analyzer_info_describes_the_pack(session: PolicyPackSession) -> None:
    info = session.analyzer_info()

    assert info.name == "minimal-pack"
    assert info.version == "1.2.3"  # PulumiPolicy.yaml wins over the SDK's "0.0.1"
    assert info.supports_config is True
    policies = {policy.name: policy for policy in info.policies}
    assert list(policies) == ["no-public-access", "tag-owner", "echo", "explode", "max-workspaces"]
    assert policies["no-public-access"].enforcement_level == "mandatory"
    assert policies["no-public-access"].severity == "high"
    assert policies["tag-owner"].enforcement_level == "advisory"  # the pack's default
    assert policies["max-workspaces"].policy_type == "stack"
    assert policies["tag-owner"].config_schema == {
        "properties": {
            "allowedOwners": {"type": "array", "items": {"type": "string"},
                              "default": ["platform"]},
        },
        "required": [],
    }


def test_start_sends_the_schema_defaults_like_the_cli(session: PolicyPackSession) -> None:
    # Without any config document the CLI still sends Configure with the schema defaults.
    assert session.analyze(workspace("a", tags={"owner": "platform"})) == []
    (violation,) = session.analyze(workspace("a", tags={"owner": "bob"}))
    assert violation.message.endswith("owner 'bob' is not in ['platform']")


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        (None, "mandatory"),
        ({"no-public-access": "advisory"}, "advisory"),
        ({"no-public-access": {"enforcementLevel": "advisory"}}, "advisory"),
        ({"all": "advisory"}, "advisory"),
        ({"all": "advisory", "no-public-access": "mandatory"}, "mandatory"),
        ({"no-public-access": "disabled"}, None),
        ({"all": "disabled"}, None),
    ],
)
def test_configure_sets_the_enforcement_level(
    session: PolicyPackSession, document: dict[str, Any] | None, expected: str | None
) -> None:
    session.configure(document)

    violations = session.analyze(
        workspace("open", publicNetworkAccess="Enabled", tags={"owner": "platform"})
    )

    assert [v.enforcement_level for v in violations] == ([expected] if expected else [])
    levels = {p.name: p.enforcement_level for p in session.analyzer_info().policies}
    assert levels["no-public-access"] == (expected or "disabled")


def test_configure_passes_properties_and_returns_what_was_sent(
    session: PolicyPackSession,
) -> None:
    sent = session.configure({"all": "mandatory", "tag-owner": {"allowedOwners": ["alice"]}})

    assert sent["tag-owner"] == PolicyConfig("mandatory", {"allowedOwners": ["alice"]})
    assert sent["all"] == PolicyConfig("mandatory", None)  # the CLI sends "all" along too
    (violation,) = session.analyze(workspace("a", tags={"owner": "platform"}))
    assert violation.policy_name == "tag-owner"
    assert violation.enforcement_level == "mandatory"
    assert violation.message == (
        "Workspaces carry an allowed owner tag.\nowner 'platform' is not in ['alice']"
    )


@pytest.mark.parametrize(
    ("document", "error"),
    [
        ({"tag-owner": "loud"}, '"loud" is not a valid enforcement level'),
        ({"tag-owner": 3}, "must be a string or object"),
        ({"tag-owner": {"allowedOwners": "alice"}}, "tag-owner: allowedOwners: 'alice' is not"),
        ({"no-such-policy": {"x": 1}}, 'invalid enforcement level "" for "no-such-policy"'),
    ],
)
def test_configure_rejects_bad_documents(
    session: PolicyPackSession, document: dict[str, Any], error: str
) -> None:
    with pytest.raises(PolicyConfigError, match=error):
        session.configure(document)


# -- Analyze ----------------------------------------------------------------------------------


def test_compliant_resource_has_no_violations(session: PolicyPackSession) -> None:
    compliant = workspace("ok", publicNetworkAccess="Disabled", tags={"owner": "platform"})

    assert session.analyze(compliant) == []


def test_violating_resource_yields_the_exact_violation(session: PolicyPackSession) -> None:
    open_workspace = workspace("open", publicNetworkAccess="Enabled", tags={"owner": "platform"})

    assert session.analyze(open_workspace) == [
        Violation(
            policy_name="no-public-access",
            policy_pack_name="minimal-pack",
            policy_pack_version="1.2.3",
            description="Workspaces must not be reachable from the internet.",
            message="Workspaces must not be reachable from the internet.\n"
                    "publicNetworkAccess must be Disabled",
            enforcement_level="mandatory",
            urn=open_workspace.urn,
            severity="high",
        )
    ]


def test_unknown_value_yields_the_sdk_preview_advisory(session: PolicyPackSession) -> None:
    pending = workspace("pending", publicNetworkAccess=UNKNOWN, tags={"owner": "platform"})

    violations = session.analyze(pending)

    # The mandatory policy that read the unknown is reported as an advisory, not a crash; the
    # SDK's message names its own default version, the diagnostic carries the yaml version.
    assert violations == [
        Violation(
            policy_name="no-public-access",
            policy_pack_name="minimal-pack",
            policy_pack_version="1.2.3",
            description="Workspaces must not be reachable from the internet.",
            message="can't run policy 'no-public-access' from policy pack "
                    "'minimal-pack@v0.0.1' during preview: string value at "
                    ".publicNetworkAccess can't be known during preview",
            enforcement_level="advisory",
            urn=pending.urn,
            severity="high",
        )
    ]


def test_unknown_value_nobody_reads_is_harmless(session: PolicyPackSession) -> None:
    item = workspace("w", publicNetworkAccess="Disabled", tags={"owner": "platform"},
                     endpoint=UNKNOWN)

    assert session.analyze(item) == []


def test_policy_sees_values_as_the_engine_sends_them(session: PolicyPackSession) -> None:
    provider = CapturedResource(
        urn=PROVIDER_URN, type="pulumi:providers:test", name="main", custom=True,
        inputs={"location": "westeurope", "__internal": True},
    )
    session.register([provider])
    item = resource(
        "Echo", "e",
        inputs={
            "count": 3,
            "ratio": 0.5,
            "flag": False,
            "nothing": None,
            "password": Secret("hunter2"),
            "nested": {"list": [1, Secret({"k": "v"})], "__internal": "dropped"},
            "ref": {SPECIAL_SIG_KEY: RESOURCE_REFERENCE_SIG, "urn": "urn:x", "id": "id-1"},
            "component": {SPECIAL_SIG_KEY: RESOURCE_REFERENCE_SIG, "urn": "urn:c"},
        },
        provider=f"{PROVIDER_URN}::provider-id",
        protect=True,
        delete_before_replace=True,
        parent=STACK_URN,
    )

    seen = echo(session, item)

    assert seen["props"] == {
        "count": 3.0,  # Struct numbers are doubles
        "ratio": 0.5,
        "flag": False,
        "nothing": None,
        "password": "hunter2",  # secrets arrive as their plain value
        "nested": {"list": [1.0, {"k": "v"}]},  # internal keys are skipped
        "ref": "id-1",  # a resource reference becomes its ID ...
        "component": "urn:c",  # ... or its URN when it has none
    }
    assert seen["name"] == "e"
    assert (seen["protect"], seen["dbr"], seen["parent"]) == (True, True, STACK_URN)
    assert seen["provider"] == {
        "type": "pulumi:providers:test", "urn": PROVIDER_URN, "name": "main",
        "props": {"location": "westeurope"},
    }
    assert seen["stack_tags"] == {"team": "platform"}


def test_unregistered_provider_is_described_from_its_urn(session: PolicyPackSession) -> None:
    other = "urn:pulumi:dev::proj::pulumi:providers:azure-native::default_3_29_0"
    item = resource("Echo", "f", inputs={}, provider=f"{other}::abc")

    seen = echo(session, item)

    assert seen["provider"] == {"type": "pulumi:providers:azure-native", "urn": other,
                                "name": "default_3_29_0", "props": {}}
    assert seen["dbr"] is None  # deleteBeforeReplace False is sent as "not defined"


def test_policy_logs_go_to_the_pack_stderr(session: PolicyPackSession) -> None:
    item = resource("Echo", "logged", inputs={})

    echo(session, item)

    # The Python SDK never dials the engine address it is given: pulumi.log prints to stderr,
    # which the session drains on a thread, so give the line a moment to arrive.
    line = f"info: echo-log {item.urn}\n"
    deadline = time.monotonic() + 5.0
    while line not in session.stderr_text() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert line in session.stderr_text()


def test_crashing_policy_raises_policy_crash(session: PolicyPackSession) -> None:
    bomb = resource("Bomb", "b", inputs={})

    with pytest.raises(PolicyCrash) as caught:
        session.analyze(bomb)

    assert caught.value.policy_name == "explode"
    assert caught.value.resource_urn == bomb.urn
    assert caught.value.detail == "Exception calling application: boom from the bomb"
    # The policies were re-enabled after the hunt for the culprit.
    levels = {p.name: p.enforcement_level for p in session.analyzer_info().policies}
    assert levels["no-public-access"] == "mandatory"
    open_workspace = workspace("open", publicNetworkAccess="Enabled", tags={"owner": "platform"})
    assert [v.enforcement_level for v in session.analyze(open_workspace)] == ["mandatory"]


def test_request_level_failure_is_not_pinned_on_a_policy(session: PolicyPackSession) -> None:
    # An asset without path, text or uri fails the SDK's deserialization in every policy.
    broken = resource("Echo", "asset", inputs={"code": {SPECIAL_SIG_KEY: ASSET_SIG}})

    with pytest.raises(PolicyCrash) as caught:
        session.analyze(broken)

    assert caught.value.policy_name is None
    assert "Invalid asset encountered" in caught.value.detail


def test_disabled_crashing_policy_does_not_crash(session: PolicyPackSession) -> None:
    session.configure({"explode": "disabled"})

    assert session.analyze(resource("Bomb", "b", inputs={})) == []


# -- AnalyzeStack -----------------------------------------------------------------------------


def test_stack_policy_violations_are_attributed_like_the_engine(
    session: PolicyPackSession,
) -> None:
    stack = CapturedResource(urn=STACK_URN, type="pulumi:pulumi:Stack", name="proj-dev",
                             custom=False, inputs={})
    orphan = workspace("orphan", parent="")
    child = workspace("child")  # its parent is the stack, which is in the request

    violations = session.analyze_stack([stack, orphan, child])

    assert [(v.policy_name, v.urn, v.message.split("\n")[1]) for v in violations] == [
        ("max-workspaces", orphan.urn, "workspace has no parent"),
        ("max-workspaces", STACK_URN, "2 workspaces; at most 1 allowed"),  # no URN: the stack
    ]
    assert {v.enforcement_level for v in violations} == {"advisory"}


def test_stack_policy_sees_outputs_and_dependencies(session: PolicyPackSession) -> None:
    stack = CapturedResource(urn=STACK_URN, type="pulumi:pulumi:Stack", name="proj-dev",
                             custom=False, inputs={})
    network = resource("Network", "net", inputs={})
    public = CapturedResource(
        urn="urn:pulumi:dev::proj::test:index:Workspace::w", type="test:index:Workspace",
        name="w", custom=True, parent=STACK_URN,
        inputs={"publicNetworkAccess": "Disabled"},
        outputs={"publicNetworkAccess": "Enabled"},
        dependencies=[network.urn], property_dependencies={"subnet": [network.urn]},
    )
    private = CapturedResource(
        urn="urn:pulumi:dev::proj::test:index:Workspace::p", type="test:index:Workspace",
        name="p", custom=True, parent=STACK_URN,
        inputs={"publicNetworkAccess": "Enabled"}, outputs={},
    )

    violations = session.analyze_stack([stack, network, public, private])

    assert [(v.urn, v.message.split("\n")[1]) for v in violations] == [
        (public.urn, f"public workspace; depends on {[network.urn]}"),
        (STACK_URN, "2 workspaces; at most 1 allowed"),
    ]


@pytest.fixture(scope="module")
def unruly() -> Iterator[PolicyPackSession]:
    """A pack whose policies hang or raise during stack validation."""
    with PolicyPackSession(PACKS / "unruly", stack="dev", project="proj",
                           rpc_timeout=1.0) as session:
        yield session


def test_crashing_stack_policy_raises_policy_crash(unruly: PolicyPackSession) -> None:
    items = [resource("Other", "o", inputs={}), resource("StackBomb", "b", inputs={})]

    with pytest.raises(PolicyCrash) as caught:
        unruly.analyze_stack(items)

    assert (caught.value.policy_name, caught.value.resource_urn) == ("stack-explode", None)
    assert caught.value.detail == "Exception calling application: 'stack bomb'"
    assert [v.message for v in unruly.analyze_stack(items[:1])] == [
        "Counts resources.\n1 resources"
    ]


def test_hanging_policy_raises_after_the_rpc_timeout(unruly: PolicyPackSession) -> None:
    with pytest.raises(PackRPCError, match="no answer within 1s") as caught:
        unruly.analyze(resource("Hang", "h", inputs={}))

    assert caught.value.code == "DEADLINE_EXCEEDED"


def test_pack_that_dies_mid_call_raises_pack_rpc_error() -> None:
    with PolicyPackSession(PACKS / "unruly", stack="dev", project="proj") as session:
        with pytest.raises(PackRPCError, match="the pack exited with code 7") as caught:
            session.analyze(resource("Exit", "x", inputs={}))

    assert caught.value.code == "UNAVAILABLE"


# -- values -----------------------------------------------------------------------------------


def test_to_wire_value_marshals_like_the_engine() -> None:
    assert to_wire_value(UNKNOWN) == UNKNOWN_STRING_VALUE
    assert to_wire_value(Secret([1, UNKNOWN])) == {
        SPECIAL_SIG_KEY: SECRET_SIG, "value": [1, UNKNOWN_STRING_VALUE],
    }
    assert to_wire_value({"a": (1, 2), "__meta": 1}) == {"a": [1, 2]}
    ref = {SPECIAL_SIG_KEY: RESOURCE_REFERENCE_SIG, "urn": "urn:r", "packageVersion": "1"}
    assert to_wire_value({**ref, "id": ""}) == UNKNOWN_STRING_VALUE
    assert to_wire_value({**ref, "id": UNKNOWN}) == UNKNOWN_STRING_VALUE
    assert to_wire_value(ref) == "urn:r"
    output = {SPECIAL_SIG_KEY: OUTPUT_VALUE_SIG, "value": "v", "secret": True}
    assert to_wire_value(output) == {SPECIAL_SIG_KEY: SECRET_SIG, "value": "v"}
    assert to_wire_value({SPECIAL_SIG_KEY: OUTPUT_VALUE_SIG}) == UNKNOWN_STRING_VALUE
    with pytest.raises(TypeError, match=r"object at \.x\[0\]"):
        to_wire_value({"x": [object()]})
    with pytest.raises(TypeError, match=r"unrecognized signature 'bogus' at \.y"):
        to_wire_value({"y": {SPECIAL_SIG_KEY: "bogus"}})


# -- process lifecycle ------------------------------------------------------------------------


def test_pack_is_gone_after_an_exception_in_the_with_block() -> None:
    with pytest.raises(RuntimeError, match="in the block"):
        with PolicyPackSession(MINIMAL, stack="dev", project="proj") as session:
            pid = session.pid
            assert pid is not None and is_running(pid)
            raise RuntimeError("in the block")

    assert pid is not None
    assert not is_running(pid)


def test_pack_is_gone_after_keyboard_interrupt() -> None:
    with pytest.raises(KeyboardInterrupt):
        with PolicyPackSession(MINIMAL, stack="dev", project="proj") as session:
            pid = session.pid
            raise KeyboardInterrupt

    assert pid is not None
    assert not is_running(pid)
    with pytest.raises(Exception, match="not running"):
        session.analyze(workspace("late"))


@pytest.mark.parametrize("ending", ["exit", "sigkill"])
def test_pack_never_outlives_the_gate(ending: str) -> None:
    gate = textwrap.dedent(f"""
        import os, signal, sys
        sys.path.insert(0, {str(ROOT)!r})
        from gate.analyzer import PolicyPackSession
        session = PolicyPackSession({str(MINIMAL)!r}, stack="dev", project="proj")
        session.start()
        print(session.pid, flush=True)
        if {ending!r} == "sigkill":
            os.kill(os.getpid(), signal.SIGKILL)
        sys.exit(0)
    """)

    finished = subprocess.run([sys.executable, "-c", gate], capture_output=True, text=True,
                              timeout=60, check=False)

    pid = int(finished.stdout.strip())
    assert wait_gone(pid), f"pack {pid} survived its gate ({ending})"


def test_tracebacks_mode_reports_the_policy_traceback() -> None:
    with PolicyPackSession(MINIMAL, stack="dev", project="proj", tracebacks=True) as session:
        with pytest.raises(PolicyCrash) as caught:
            session.analyze(resource("Bomb", "b", inputs={}))

    assert caught.value.policy_name == "explode"
    detail = caught.value.detail
    assert detail.startswith("Exception calling application: boom from the bomb\nTraceback")
    assert f'File "{MINIMAL / "__main__.py"}"' in detail
    assert "in _explode" in detail
    assert detail.endswith("ValueError: boom from the bomb")


# -- startup failures -------------------------------------------------------------------------


def write_pack(directory: Path, main: str) -> Path:
    (directory / "PulumiPolicy.yaml").write_text("runtime: python\n")
    (directory / "__main__.py").write_text(main)
    return directory


def test_syntax_error_raises_pack_start_error(tmp_path: Path) -> None:
    pack = write_pack(tmp_path, "from pulumi_policy import PolicyPack\ndef broken(:\n")

    with pytest.raises(PackStartError) as caught:
        PolicyPackSession(pack, stack="dev", project="proj").start()

    error = caught.value
    assert error.exit_code == 1
    assert "exited before reporting its port" in str(error)
    assert "Program failed with an unhandled exception" in error.stderr
    assert f'File "{pack / "__main__.py"}", line 2' in str(error)
    assert "SyntaxError: invalid syntax" in str(error)


def test_missing_module_raises_pack_start_error() -> None:
    with pytest.raises(PackStartError, match="No module named "
                                             "'gate_fixture_module_that_does_not_exist'"):
        with PolicyPackSession(PACKS / "missing_module", stack="dev", project="proj"):
            pytest.fail("the pack should not start")


def test_garbage_on_stdout_raises_pack_start_error(tmp_path: Path) -> None:
    pack = write_pack(tmp_path, "print('hello')\nimport time\ntime.sleep(60)\n")
    session = PolicyPackSession(pack, stack="dev", project="proj")

    with pytest.raises(PackStartError, match="printed 'hello' on stdout where its gRPC port"):
        session.start()

    assert session.pid is not None and wait_gone(session.pid, timeout=5.0)


def test_missing_manifest_raises_pack_start_error(tmp_path: Path) -> None:
    with pytest.raises(PackStartError, match="failed to load Pulumi policy project"):
        PolicyPackSession(tmp_path, stack="dev", project="proj").start()


def test_pack_runs_with_the_cli_environment(tmp_path: Path) -> None:
    pack = write_pack(tmp_path, textwrap.dedent("""
        import json, os, sys
        import pulumi
        names = ["PULUMI_PROJECT", "PULUMI_STACK", "PULUMI_ORGANIZATION", "PULUMI_DRY_RUN",
                 "PULUMI_CONFIG"]
        print(json.dumps({n: os.environ.get(n) for n in names}), file=sys.stderr)
        print(json.dumps([sys.argv[1:], os.getcwd(), pulumi.get_project(),
                          pulumi.runtime.is_dry_run()]), file=sys.stderr)
        raise SystemExit(3)
    """))
    config = {"proj:size": 3, "proj:password": Secret("s3cret")}

    with pytest.raises(PackStartError) as caught:
        PolicyPackSession(pack, stack="dev", project="proj", dry_run=False,
                          stack_config=config).start()

    environment, process = caught.value.stderr.splitlines()[:2]
    assert json.loads(environment) == {
        "PULUMI_PROJECT": "proj", "PULUMI_STACK": "dev", "PULUMI_ORGANIZATION": "organization",
        "PULUMI_DRY_RUN": "false",
        "PULUMI_CONFIG": '{"proj:size": "3", "proj:password": "s3cret"}',
    }
    argv, cwd, project, dry_run = json.loads(process)
    assert argv[1] == "." and argv[0].startswith("127.0.0.1:")
    assert (cwd, project, dry_run) == (str(tmp_path), "proj", False)
    assert caught.value.exit_code == 3


def test_session_is_idle_until_started() -> None:
    session = PolicyPackSession(MINIMAL, stack="dev", project="proj")
    assert session.pid is None
    assert "idle" in repr(session)
    assert os.fspath(MINIMAL) in repr(session)

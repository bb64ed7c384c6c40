"""Drive a CrossGuard policy pack over its analyzer gRPC protocol, the way the Pulumi CLI does.

The CLI boots a Python policy pack as ``python -u -m pulumi.policy <engine-address> .`` with the
pack folder as working directory, reads the pack's gRPC port from the first line of its stdout
and then speaks the ``pulumirpc.Analyzer`` service: ``Handshake`` (the Python SDK answers
UNIMPLEMENTED, which the CLI tolerates), ``ConfigureStack``, ``GetAnalyzerInfo``,
``GetPluginInfo``, ``Configure`` (always, with the policy config reconciled against the pack's
defaults), one ``Analyze`` per resource and one ``AnalyzeStack`` with every resource.

:class:`PolicyPackSession` reproduces that exchange for resources captured offline
(:class:`gate.model.CapturedResource`) and marshals their values exactly as the engine does
(``KeepUnknowns``, ``KeepSecrets``, ``SkipInternalKeys``, resource references flattened to their
ID or URN). What the pulumi-policy server (1.21) really does, verified against it:

* an UNKNOWN value is only noticed when a policy reads it; that policy then yields an *advisory*
  diagnostic ``can't run policy '<name>' from policy pack '<pack>@v<version>' during preview:
  string value at .<path> can't be known during preview`` with an empty URN, whatever the
  policy's enforcement level and whether or not the run is a preview;
* a secret reaches ``Analyze``/``AnalyzeStack`` policies as its plain value;
* a policy that raises aborts the whole RPC: the gRPC status is UNKNOWN with the details
  ``Exception calling application: <str(exception)>``, the results of the other policies are
  lost, and neither the policy name nor the traceback is reported (grpc logs the traceback to a
  ``NullHandler``). :class:`PolicyCrash` recovers the policy name by re-running the request
  with one policy enabled at a time; ``tracebacks=True`` recovers the traceback as well.

The implementation is split by what it does; this module is the public face that re-exports it:

* :mod:`gate.pack_types` — errors and results;
* :mod:`gate.pack_wire` — the wire format: marshalling values, building requests, reading answers;
* :mod:`gate.pack_config` — the ``--policy-pack-config`` document, reconciled like the CLI;
* :mod:`gate.pack_launch` — what the pack is booted with (manifest, environment, entry scripts);
* :mod:`gate.pack_process` — the pack's process, pipes, Engine server, watchdog and deadline;
* :mod:`gate.pack_session` — :class:`PolicyPackSession`, the protocol and crash isolation.

The policy tests' harness (``tests/policies/harness.py``) drives the pack's servicer in-process
through the same :mod:`gate.pack_wire` and :mod:`gate.pack_config` code.
"""

from __future__ import annotations

from gate.pack_config import (
    load_policy_pack_config,
    parse_policy_pack_config,
    reconcile_policy_pack_config,
)
from gate.pack_launch import _config_environment, running_policy
from gate.pack_session import PolicyPackSession
from gate.pack_types import (
    AnalyzerInfo,
    EnforcementLevel,
    PackRPCError,
    PackStartError,
    PolicyConfig,
    PolicyConfigError,
    PolicyCrash,
    PolicyInfo,
    PolicyPackError,
    Remediation,
    Violation,
)
from gate.pack_wire import (
    ARCHIVE_SIG,
    ASSET_SIG,
    OUTPUT_VALUE_SIG,
    RESOURCE_REFERENCE_SIG,
    SECRET_SIG,
    SPECIAL_SIG_KEY,
    UNKNOWN_STRING_VALUE,
    to_wire_value,
)

__all__ = [
    "ARCHIVE_SIG",
    "ASSET_SIG",
    "OUTPUT_VALUE_SIG",
    "RESOURCE_REFERENCE_SIG",
    "SECRET_SIG",
    "SPECIAL_SIG_KEY",
    "UNKNOWN_STRING_VALUE",
    "AnalyzerInfo",
    "EnforcementLevel",
    "PackRPCError",
    "PackStartError",
    "PolicyConfig",
    "PolicyConfigError",
    "PolicyCrash",
    "PolicyInfo",
    "PolicyPackError",
    "PolicyPackSession",
    "Remediation",
    "Violation",
    "_config_environment",
    "load_policy_pack_config",
    "parse_policy_pack_config",
    "reconcile_policy_pack_config",
    "running_policy",
    "to_wire_value",
]

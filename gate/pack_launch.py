"""What the CLI hands a policy pack when it boots it: manifest, environment, entry points.

* :func:`_read_manifest` reads ``PulumiPolicy.yaml`` like ``workspace.LoadPolicyPack``;
* :func:`_config_environment` puts the stack config in the environment like ``constructEnv``
  (working around the kernel's per-variable limit for large stacks);
* ``_TRACEBACK_BOOTSTRAP`` (the diagnostic entry point, see :func:`running_policy`) and
  ``_WATCHDOG`` (which stops the pack if the gate dies) are the two scripts the gate runs.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml
from pulumi.runtime.config import get_config_env_key

from gate.pack_types import PackStartError

# MAX_ARG_STRLEN (32 pages): the longest "NAME=value" string exec accepts, its NUL included.
_ENV_STRING_LIMIT = 32 * 4096 - 1

# Runs ``pulumi.policy`` exactly like ``-m`` would, after routing grpc's server log (which holds
# the traceback of a policy that raised) to stderr instead of grpc's NullHandler.
# It also writes a marker line to stderr when each policy starts and ends, so that a policy that
# hangs or ends the process can be named (only this diagnostic session is instrumented).
_POLICY_MARKER = "[gate-policy] "
_TRACEBACK_BOOTSTRAP = (
    "import logging, runpy, sys\n"
    "handler = logging.StreamHandler(sys.stderr)\n"
    "handler.setFormatter(logging.Formatter('%(message)s'))\n"
    "logging.getLogger('grpc._server').addHandler(handler)\n"
    "from pulumi_policy import policy as _p\n"
    "def _traced(method):\n"
    "    def traced(self, *args, **kwargs):\n"
    f"        sys.stderr.write({_POLICY_MARKER!r} + 'start ' + self.name + '\\n')\n"
    "        sys.stderr.flush()\n"
    "        try:\n"
    "            return method(self, *args, **kwargs)\n"
    "        finally:\n"
    f"            sys.stderr.write({_POLICY_MARKER!r} + 'end ' + self.name + '\\n')\n"
    "            sys.stderr.flush()\n"
    "    return traced\n"
    "for _cls, _name in ((_p.ResourceValidationPolicy, 'validate'),\n"
    "                    (_p.ResourceValidationPolicy, 'remediate'),\n"
    "                    (_p.StackValidationPolicy, 'validate')):\n"
    "    setattr(_cls, _name, _traced(getattr(_cls, _name)))\n"
    "runpy.run_module('pulumi.policy', run_name='__main__', alter_sys=True)\n"
)


def running_policy(stderr: str) -> str | None:
    """The policy a traced pack started last and did not finish (None if every one finished)."""
    open_policies: list[str] = []
    for line in stderr.splitlines():
        if not line.startswith(_POLICY_MARKER):
            continue
        event, _, name = line[len(_POLICY_MARKER):].partition(" ")
        if event == "start":
            open_policies.append(name)
        elif event == "end" and name in open_policies:
            open_policies.remove(name)
    return open_policies[-1] if open_policies else None

# Kills the pack's process group unless told 'd' (disarm): if the gate dies, even by SIGKILL,
# the watchdog's stdin reaches EOF and the pack goes with it.
_WATCHDOG = (
    "import os, signal, sys\n"
    "signal.signal(signal.SIGINT, signal.SIG_IGN)\n"
    "if sys.stdin.buffer.read(1) != b'd':\n"
    "    try:\n"
    "        os.killpg(int(sys.argv[1]), signal.SIGKILL)\n"
    "    except ProcessLookupError:\n"
    "        sys.exit(0)\n"
)




@dataclass(frozen=True)
class _Manifest:
    runtime: str
    version: str


def _read_manifest(pack_dir: Path) -> _Manifest:
    """Read ``PulumiPolicy.yaml`` like ``workspace.LoadPolicyPack`` does."""
    path = pack_dir / "PulumiPolicy.yaml"
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except OSError as error:
        raise PackStartError(f"failed to load Pulumi policy project at {pack_dir}: {error}") \
            from error
    except yaml.YAMLError as error:
        raise PackStartError(f"failed to parse {path}: {error}") from error
    if not isinstance(document, dict):
        raise PackStartError(f"{path} is not a YAML mapping")
    runtime = document.get("runtime")
    name = runtime.get("name") if isinstance(runtime, dict) else runtime
    if not name:
        raise PackStartError(f"{path}: project is missing a 'runtime' attribute")
    if name != "python":
        raise PackStartError(f"{path}: runtime {name!r} is not supported; only python packs run")
    version = document.get("version")
    return _Manifest(runtime=str(name), version="" if version is None else str(version))



def _env_bytes(name: str, value: str) -> int:
    return len(name.encode()) + 1 + len(value.encode())


def _config_environment(config: Mapping[str, str]) -> dict[str, str]:
    """The stack config for the pack's environment: ``PULUMI_CONFIG``, as the CLI sets it.

    Linux refuses to exec a process with an environment string over 128 KiB
    (``MAX_ARG_STRLEN``), and the CLI puts the whole stack config in one variable: a large
    stack (a few hundred groups) cannot start a Python policy pack that way
    (https://github.com/pulumi/pulumi/issues/20402).
    When ``PULUMI_CONFIG`` would be too long, the largest values move, one by one, to
    ``PULUMI_CONFIG_<KEY>`` variables, which the Python SDK's ``get_config`` reads before
    ``PULUMI_CONFIG``: the pack sees the same config. A single value over the limit is an error.
    """
    whole = json.dumps(config)
    if _env_bytes("PULUMI_CONFIG", whole) <= _ENV_STRING_LIMIT:
        return {"PULUMI_CONFIG": whole}
    names = {key: get_config_env_key(key) for key in config}
    shared = {name for name, count in Counter(names.values()).items() if count > 1}
    remaining = dict(config)
    environment: dict[str, str] = {}
    for key in sorted(config, key=lambda k: len(config[k].encode()), reverse=True):
        if names[key] in shared:
            continue  # two keys would share one variable: keep both in PULUMI_CONFIG
        environment[names[key]] = remaining.pop(key)
        if _env_bytes("PULUMI_CONFIG", json.dumps(remaining)) <= _ENV_STRING_LIMIT:
            break
    environment["PULUMI_CONFIG"] = json.dumps(remaining)
    too_long = sorted(name for name, value in environment.items()
                      if _env_bytes(name, value) > _ENV_STRING_LIMIT)
    if too_long:
        raise PackStartError(
            f"the stack config does not fit in the policy pack's environment: "
            f"{', '.join(too_long)} would exceed the {_ENV_STRING_LIMIT + 1}-byte limit of one "
            "environment variable (MAX_ARG_STRLEN); split the largest config value")
    return environment

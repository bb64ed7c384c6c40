"""Which ids in a report the offline mock invented.

Object ids, client ids, Databricks numeric ids and the workspace URL do not exist until a real
``pulumi up``; the gate's mock returns values of the right shape so the program and the policies
can run. A reader must not mistake them for the tenant's: the text report marks them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from gate.capture import Plan
from gate.model import Secret

_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_NUMERIC_ID = re.compile(r"(?<!\d)\d{10,}(?!\d)")
_LOOKUPS = ("azuread:index/getClientConfig:getClientConfig",)


def mock_tokens(plan: Plan, raw_config: dict[str, Any]) -> frozenset[str]:
    """Every id the mock computed for this plan (resource ids, computed outputs, lookups) that
    does not also appear in the stack's config."""
    from gate.mocks import MOCK_CALLS, PUBLISHED_SCOPES

    computed: list[Any] = []
    for r in plan.resources:
        computed.append(r.id)
        computed.extend(v for k, v in r.outputs.items() if k not in r.inputs or r.inputs[k] != v)
    computed.extend(MOCK_CALLS[token]({}) for token in _LOOKUPS if token in MOCK_CALLS)
    lookup = MOCK_CALLS.get("azuread:index/getServicePrincipal:getServicePrincipal")
    if lookup is not None:
        computed.extend(lookup({"clientId": app})["objectId"] for app in PUBLISHED_SCOPES)
    config_text = json.dumps(raw_config, default=str)
    tokens: set[str] = set()
    for text in _strings(computed):
        tokens.update(_UUID.findall(text))
        tokens.update(_NUMERIC_ID.findall(text))
    return frozenset(t for t in tokens if t not in config_text)


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _strings(v)
    elif isinstance(value, Secret):
        return

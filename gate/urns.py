"""URNs as the engine builds them, and the URNs a resource's aliases stand for.

The SDK's mock monitor builds a child's URN from its parent's *last* type only, and prefixes
the stack's type to top-level resources; the engine chains every ancestor's type and leaves the
stack out (``urn:pulumi:<stack>::<project>::<grandparent>$<parent>$<type>::<name>``). A
deployed stack's state holds engine URNs, so :func:`engine_urns` rebuilds them from the parent
chain the capture recorded, and :func:`alias_urns` resolves each alias the way the engine does:
a full URN as is, a spec with what the resource's own registration says for anything it leaves
out (name, type, stack, project; parent: the given URN, none, or the current parent).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from gate.model import CapturedResource


def alias_specs(request: Any) -> list[dict[str, Any]]:
    """A RegisterResource request's ``aliases`` as plain values (what the SDK sent)."""
    out: list[dict[str, Any]] = []
    for alias in request.aliases:
        if alias.WhichOneof("alias") == "urn":
            out.append({"urn": alias.urn})
        else:
            spec = alias.spec
            out.append({"name": spec.name, "type": spec.type, "stack": spec.stack,
                        "project": spec.project, "parentUrn": spec.parentUrn,
                        "noParent": spec.noParent})
    return out


def make_urn(stack: str, project: str, parent: str, type_: str, name: str) -> str:
    """The engine's URN; ``parent`` is the parent's engine URN ("" for the stack)."""
    chain = f"{parent.split('::')[2]}${type_}" if parent else type_
    return f"urn:pulumi:{stack}::{project}::{chain}::{name}"


def engine_urns(resources: Iterable[CapturedResource], stack: str, project: str
                ) -> dict[str, str]:
    """Captured (mock) URN -> engine URN, for resources in registration order (parents first)."""
    engine: dict[str, str] = {}
    for r in resources:
        engine[r.urn] = make_urn(stack, project, engine.get(r.parent, ""), r.type, r.name)
    return engine


def alias_urns(resource: CapturedResource, engine: Mapping[str, str], stack: str,
               project: str) -> list[str]:
    """The engine URNs ``resource``'s aliases name (``engine``: from :func:`engine_urns`)."""
    out: list[str] = []
    for alias in resource.aliases:
        if alias.get("urn"):
            out.append(str(alias["urn"]))
            continue
        parent = ("" if alias.get("noParent")
                  else engine.get(str(alias.get("parentUrn") or resource.parent), ""))
        out.append(make_urn(str(alias.get("stack") or stack),
                            str(alias.get("project") or project), parent,
                            str(alias.get("type") or resource.type),
                            str(alias.get("name") or resource.name)))
    return out

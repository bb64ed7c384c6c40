"""Helpers shared by the components: naming, options, tags."""

from __future__ import annotations

from typing import Optional

import pulumi

PACKAGE = "databricks-ml-entra"


def type_token(module: str, kind: str) -> str:
    """``databricks-ml-entra:<module>:<Type>``."""
    return f"{PACKAGE}:{module}:{kind}"


def child(parent: pulumi.Resource, *, protect: bool = False,
          depends_on: Optional[list[pulumi.Resource]] = None,
          provider: Optional[pulumi.ProviderResource] = None,
          **kwargs: object) -> pulumi.ResourceOptions:
    """Options for a child: parent=self (which carries the providers), nothing copied from the
    caller's opts."""
    return pulumi.ResourceOptions(parent=parent, protect=protect or None,
                                  depends_on=depends_on, provider=provider, **kwargs)  # type: ignore[arg-type]

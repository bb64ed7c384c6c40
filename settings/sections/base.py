"""The building blocks every section shares: the strict base model, field types and name shapes.

``Strict`` makes every config model frozen, camelCase in YAML (snake_case in Python) and closed
to unknown keys. ``Uuid`` and ``Cidr`` normalise one value each; the name patterns are the shapes
Azure, Databricks and this project accept for names and map keys (the checks use them).
"""

from __future__ import annotations

import ipaddress
import re
from enum import Enum
from typing import Annotated
from uuid import UUID

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

PROJECT = "databricks-ml-entra"


class Strict(BaseModel):
    """Base for all config models: frozen, camelCase keys, unknown keys rejected."""

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        alias_generator=to_camel,
        populate_by_name=False,
        str_strip_whitespace=True,
        validate_default=True,
    )


def _uuid(value: str) -> str:
    try:
        return str(UUID(value))
    except ValueError:
        raise ValueError(
            "is not a UUID; use the object id or application (client) id as shown in the "
            "Entra admin center, e.g. 00000000-0000-0000-0000-000000000000"
        ) from None


def _cidr(value: str) -> str:
    try:
        net = ipaddress.ip_network(value, strict=True)
    except ValueError as exc:
        raise ValueError(f"is not a valid CIDR range ({exc}); write it like 10.20.0.0/24") from None
    return str(net)


Uuid = Annotated[str, AfterValidator(_uuid)]
Cidr = Annotated[str, AfterValidator(_cidr)]
NonEmpty = Annotated[str, Field(min_length=1)]

# Map keys become resource names: short lower-case slugs.
SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
# Azure resource and resource group names.
AZURE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{1,62}[A-Za-z0-9_]$")
# Workspace MLflow registry: free text, but '/', ':' and '.' break REST paths and UC migration.
WS_MODEL_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _\-]{0,254}$")
# Unity Catalog identifiers we accept unquoted: lower-case letters, digits and underscores.
UC_IDENT = re.compile(r"^[a-z_][a-z0-9_]{0,254}$")


class Environment(str, Enum):
    DEV = "dev"
    PROD = "prod"


def is_uuid(value: str) -> bool:
    try:
        UUID(value)
    except ValueError:
        return False
    return True

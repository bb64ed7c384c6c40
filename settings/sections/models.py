"""Registered models and their ACLs: workspace registry levels and Unity Catalog privileges."""

from __future__ import annotations

from typing import Literal, Optional

from pydantic import Field

from settings.sections.base import UC_IDENT, WS_MODEL_NAME, NonEmpty, Strict

WORKSPACE_LEVELS = ("CAN_READ", "CAN_EDIT", "CAN_MANAGE_STAGING_VERSIONS",
                    "CAN_MANAGE_PRODUCTION_VERSIONS", "CAN_MANAGE")
UC_PRIVILEGES = ("EXECUTE", "APPLY_TAG", "MANAGE", "ALL_PRIVILEGES")
# Levels and privileges that let a principal put a model version into production.
PRODUCTION_LEVELS = ("CAN_MANAGE_PRODUCTION_VERSIONS", "CAN_MANAGE")
PRODUCTION_PRIVILEGES = ("MANAGE", "ALL_PRIVILEGES")
MODEL_NAME_PATTERNS = {"workspace": WS_MODEL_NAME, "unity-catalog": UC_IDENT}


class Model(Strict):
    """A registered model and who may do what to it.

    ``registry: workspace`` takes ``permissions: {principal: LEVEL}``;
    ``registry: unity-catalog`` takes ``permissions: {principal: [PRIVILEGE, ...]}``.
    Principals are keys of ``groups`` or ``servicePrincipals``.
    """

    registry: Literal["workspace", "unity-catalog"]
    name: NonEmpty
    description: str = ""
    catalog: Optional[str] = None
    schema_: Optional[str] = Field(default=None, alias="schema")
    permissions: dict[str, str | list[str]]
    # principal -> reason: lets a human group hold production transitions in prod.
    exceptions: dict[str, NonEmpty] = Field(default_factory=dict)

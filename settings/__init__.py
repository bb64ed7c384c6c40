"""Stack settings: the single source of truth, typed and validated.

``load`` reads a stack file (the gate) or the engine's config (the program) into one flat map
and ``parse`` validates it: every key-level and field problem at once (``field_errors`` words
pydantic's errors), then the cross-field ``checks`` over the validated ``Settings``. ``model``
assembles ``Settings`` from the ``sections`` and re-exports them; ``limits`` holds what the
services refuse, with sources; ``secrets``, ``wellknown`` and ``sign_in`` own one fact each
(credential shapes, Microsoft's ids, who is assigned to the Azure Databricks app); ``stacks``
binds a stack name to its environment, ``environment`` judges the deployer's environment
variables, ``yaml12`` reads YAML as the engine does and ``schema`` generates the editor schema.
"""

from settings.errors import Problem, SettingsError
from settings.load import load_from_pulumi, load_stack_file, parse
from settings.model import PROJECT, ROLE_PRESETS, Role, Settings, effective_entitlements

__all__ = [
    "PROJECT",
    "ROLE_PRESETS",
    "Problem",
    "Role",
    "Settings",
    "SettingsError",
    "effective_entitlements",
    "load_from_pulumi",
    "load_stack_file",
    "parse",
]

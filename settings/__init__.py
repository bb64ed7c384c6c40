"""Stack settings: the single source of truth, typed and validated."""

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

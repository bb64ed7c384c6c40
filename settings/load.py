"""One loader for the program (pulumi.Config) and the gate (``Pulumi.<stack>.yaml``).

Both sources are reduced to the same thing, a flat map of namespaced config keys to values,
and then :func:`parse` turns that map into :class:`~settings.model.Settings` or raises a
:class:`~settings.errors.SettingsError` listing every problem: first every key-level and field
problem at once (unknown or misspelt keys, secrets in plaintext, invisible characters, values
of the wrong shape); then, once every section is valid, the cross-field checks of
:mod:`settings.checks` over the validated model.
"""

from __future__ import annotations

import difflib
import json
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, TypeAdapter, ValidationError

from settings.checks import run_checks
from settings.errors import Problem, SettingsError
from settings.field_errors import field_problems
from settings.limits import invisible_characters
from settings.model import PROJECT, Settings
from settings.secrets import SECRET_KEY_NAMES, secret_kind
from settings.stacks import StackMappingError, environment_of
from settings.yaml12 import YamlRefused, fold_key, parse_text, read_document

# Config keys outside our namespace that the settings read.
FOREIGN_KEYS = {"azure-native:location": "location"}
# Keys that are meant to be encrypted (`pulumi config set --secret`). The program reads them
# with require_secret; the gate cannot decrypt them and only records that they are set.
SECRET_KEYS = {"scimToken": "scim_token_set"}
# Fields of Settings that are not config keys.
DERIVED_FIELDS = {"stack", "location", "scim_token_set"}


class _Secure:
    """An encrypted config value (``{secure: v1:...}``) that cannot be decrypted here."""


SECURE = _Secure()


def _field_aliases() -> dict[str, str]:
    """camelCase config key -> Settings field name, for our namespace."""
    out = {}
    for name, field in Settings.model_fields.items():
        if name in DERIVED_FIELDS:
            continue
        out[field.alias or name] = name
    return out


def parse(raw: dict[str, Any], *, stack: str, source: str = "") -> Settings:
    """Validate a flat map of namespaced config keys; raise SettingsError with every problem."""
    problems: list[Problem] = []
    aliases = _field_aliases()
    sections: dict[str, Any] = {}
    secure_set: dict[str, bool] = {}

    for full_key, value in raw.items():
        ns, sep, name = full_key.partition(":")
        if not sep:
            problems.append(Problem(full_key, "is not namespaced",
                                    f"write it as '{PROJECT}:{full_key}'"))
            continue
        if full_key in FOREIGN_KEYS:
            if isinstance(value, _Secure):
                problems.append(_secure_problem(full_key))
            else:
                sections[FOREIGN_KEYS[full_key]] = value
            continue
        if ns != PROJECT:
            # Other providers' keys are theirs to validate; ours are wired explicitly. A
            # plaintext credential is refused whoever's key it is: the file is in git.
            if not isinstance(value, _Secure) and not _contains_secure(value):
                if SECRET_KEY_NAMES.search(name) and isinstance(value, str) and value:
                    problems.append(Problem(full_key, "looks like a secret stored in plaintext",
                                            f"run `pulumi config set --secret {full_key} "
                                            "<value>`", value, True, secret=True))
                else:
                    problems.extend(_plaintext_secrets(full_key, value))
            continue
        if name in SECRET_KEYS:
            secure_set[SECRET_KEYS[name]] = value is not None and value != ""
            if not isinstance(value, _Secure) and value not in (None, ""):
                problems.append(Problem(full_key, "holds a secret in plaintext",
                                        f"run `pulumi config set --secret {full_key} <value>`",
                                        value, True, secret=True))
            continue
        if name not in aliases:
            problems.append(_unknown_key(full_key, name, list(aliases) + list(SECRET_KEYS)))
            continue
        if isinstance(value, _Secure) or _contains_secure(value):
            problems.append(_secure_problem(full_key))
            continue
        problems.extend(_plaintext_secrets(full_key, value))
        problems.extend(invisible_characters(full_key, value))
        problems.extend(_folded_key_collisions(full_key, value))
        sections[aliases[name]] = value

    problems.extend(_bind_environment(sections, stack))
    if "location" not in sections and not any(p.key == "azure-native:location" for p in problems):
        problems.append(Problem("azure-native:location", "required key is missing",
                                "run `pulumi config set azure-native:location westeurope`"))
    sections["stack"] = stack
    sections.update(secure_set)

    values: dict[str, Any] = {}
    complete = True  # every field of Settings has a valid value (given or defaulted)
    for name, field in Settings.model_fields.items():
        alias = field.alias or name
        if name not in sections:
            if field.is_required():
                complete = False
                reported = any(p.key == f"{PROJECT}:{alias}" for p in problems)
                if name not in DERIVED_FIELDS and not reported:
                    problems.append(Problem(f"{PROJECT}:{alias}", "required key is missing",
                                            f"add `{PROJECT}:{alias}` to Pulumi.{stack}.yaml "
                                            "(see the config reference in README.md)"))
            continue
        try:
            values[alias] = _adapter(name).validate_python(sections[name])
        except ValidationError as exc:
            complete = False
            problems.extend(field_problems(exc, alias, field.annotation))

    if not complete:
        # Field problems first, all at once; the cross-field checks need a whole model.
        raise SettingsError(problems, source)
    settings = Settings.model_validate(values)
    problems.extend(run_checks(settings))
    if problems:
        raise SettingsError(problems, source)
    return settings


def _bind_environment(sections: dict[str, Any], stack: str) -> list[Problem]:
    """The environment comes from stacks.json by stack name; the stack file may only agree."""
    k = f"{PROJECT}:environment"
    declared = sections.pop("environment", None)
    try:
        mapped = environment_of(stack)
    except StackMappingError as exc:
        return [Problem(k, str(exc), f"add \"{stack}\": \"dev\" (or \"prod\") to "
                        "stacks.json in a reviewed change, or use a known stack name")]
    sections["environment"] = mapped
    if declared is not None and declared != mapped:
        return [Problem(k, f"says {declared!r}, but stacks.json maps stack {stack!r} to "
                        f"{mapped!r}: a stack file cannot choose how strictly it is judged",
                        f"remove the key (the environment comes from stacks.json) or set it to "
                        f"{mapped}", declared, True)]
    return []


_ADAPTERS: dict[str, TypeAdapter[Any]] = {}


def _adapter(name: str) -> TypeAdapter[Any]:
    """The validator of one Settings field (built once: building one takes milliseconds)."""
    if name not in _ADAPTERS:
        field = Settings.model_fields[name]
        annotation: Any = (Annotated[(field.annotation, *field.metadata)]  # type: ignore[valid-type]
                           if field.metadata else field.annotation)
        _ADAPTERS[name] = TypeAdapter(annotation)
    return _ADAPTERS[name]


# --- sources ----------------------------------------------------------------------------

def load_stack_file(path: str | Path, stack: str | None = None) -> Settings:
    """Load ``Pulumi.<stack>.yaml`` the way the Pulumi CLI would hand it to the program."""
    return read_stack_file(path, stack)[0]


def read_stack_file(path: str | Path,
                    stack: str | None = None) -> tuple[Settings, dict[str, Any]]:
    """Load ``Pulumi.<stack>.yaml`` once: its settings, and the raw config map (the program's).

    The file is parsed once (a large stack file takes a while with the pure-Python parser).
    """
    path = Path(path)
    stack = stack or path.name.removeprefix("Pulumi.").removesuffix(".yaml")
    try:
        doc = read_document(path)
    except FileNotFoundError:
        raise SettingsError([Problem(str(path), "stack file not found",
                                     "create it, or pick an existing stack (Pulumi.<stack>.yaml)")],
                            str(path)) from None
    except YamlRefused as exc:
        raise SettingsError([Problem(str(path), str(exc),
                                     "fix the file; see README.md, Troubleshooting")],
                            str(path)) from None
    if doc is None:
        doc = {}
    raw = raw_from_stack_document(doc, str(path))
    return parse(raw, stack=stack, source=str(path)), raw


def load_yaml(text: str) -> Any:
    """Parse stack-file text as the engine does (YAML 1.2, duplicate keys refused)."""
    return parse_text(text)


def raw_from_stack_document(doc: Any, source: str) -> dict[str, Any]:
    if not isinstance(doc, dict) or not isinstance(doc.get("config", {}), dict):
        raise SettingsError([Problem(source, "has no `config:` mapping",
                                     "the stack file must look like `config: {key: value}`")],
                            source)
    raw = {}
    for k, v in (doc.get("config") or {}).items():
        raw[str(k)] = _decode_secure(v)
    return raw


def raw_from_pulumi_config() -> dict[str, Any]:
    """The program side: every config key the Pulumi engine handed to this process."""
    from pulumi.runtime import config as runtime_config

    merged: dict[str, Any] = dict(runtime_config.get_config_env())
    merged.update(runtime_config.CONFIG.get())
    secret_keys = (set(runtime_config.get_config_secret_keys_env())
                   | set(runtime_config._SECRET_KEYS.get()))
    raw: dict[str, Any] = {}
    for k, v in merged.items():
        if k in secret_keys:
            # Declared secret settings are only recorded as set (the program reads them with
            # require_secret); any other secret is refused with the same message as the gate.
            raw[k] = SECURE
        else:
            raw[k] = _decode_json(v)
    return raw


def load_from_pulumi() -> Settings:
    import pulumi

    from settings.environment import check_environment

    check_environment()
    stack = pulumi.get_stack()
    return parse(raw_from_pulumi_config(), stack=stack, source=f"Pulumi.{stack}.yaml")


def _decode_json(value: Any) -> Any:
    """Pulumi hands structured values to the program as JSON text."""
    if isinstance(value, str) and value[:1] in "{[":
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def _decode_secure(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"secure"}:
            return SECURE
        return {k: _decode_secure(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode_secure(v) for v in value]
    return value


def _contains_secure(value: Any) -> bool:
    if isinstance(value, _Secure):
        return True
    if isinstance(value, dict):
        return any(_contains_secure(v) for v in value.values())
    if isinstance(value, list):
        return any(_contains_secure(v) for v in value)
    return False


def _model_keys() -> set[str]:
    """Every camelCase field key of every settings model (a typo of one is reported by
    validation, with a suggestion; only user-chosen map keys need the collision check)."""
    if not _MODEL_KEYS:
        import typing

        todo: list[Any] = [Settings]
        seen: set[Any] = set()
        while todo:
            current = todo.pop()
            if current in seen:
                continue
            seen.add(current)
            if isinstance(current, type) and issubclass(current, BaseModel):
                for name, field in current.model_fields.items():
                    _MODEL_KEYS.add(field.alias or name)
                    todo.append(field.annotation)
            else:
                todo.extend(typing.get_args(current))
    return _MODEL_KEYS


_MODEL_KEYS: set[str] = set()


def _folded_key_collisions(path: str, value: Any, depth: int = 0) -> list[Problem]:
    """Keys of one mapping that differ only by case/whitespace/width (the program path: the
    engine hands structured values as JSON, where the YAML reader's check did not run)."""
    out: list[Problem] = []
    if depth > 80:
        return out
    if isinstance(value, dict):
        seen: dict[str, str] = {}
        for k, v in value.items():
            folded = fold_key(str(k))
            if folded in seen and not ({str(k), seen[folded]} & _model_keys()):
                out.append(Problem(f"{path}.{k}", f"differs from the key {seen[folded]!r} only by "
                                   "case, whitespace or character width; the services would "
                                   "treat them as one", "keep one of them"))
            seen.setdefault(folded, str(k))
            out.extend(_folded_key_collisions(f"{path}.{k}", v, depth + 1))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out.extend(_folded_key_collisions(f"{path}.{i}", v, depth + 1))
    return out


# --- problem builders -------------------------------------------------------------------

def _secure_problem(full_key: str) -> Problem:
    return Problem(full_key, "is encrypted (`secure:`), but it is not a secret setting and the "
                   "offline gate has no access to the stack's secrets provider to decrypt it",
                   f"store it in plaintext with `pulumi config set {full_key} <value>` (only "
                   f"{', '.join(PROJECT + ':' + k for k in SECRET_KEYS)} may be secret)")


def _unknown_key(full_key: str, name: str, valid: list[str]) -> Problem:
    close = difflib.get_close_matches(name, valid, n=1, cutoff=0.6)
    fix = f"did you mean `{PROJECT}:{close[0]}`?" if close else (
        f"valid keys are: {', '.join(sorted(valid))}")
    return Problem(full_key, "is not a setting of this project", fix)


def _plaintext_secrets(path: str, value: Any) -> list[Problem]:
    out: list[Problem] = []
    if isinstance(value, dict):
        for k, v in value.items():
            sub = f"{path}.{k}"
            if secret_kind(str(k)) is not None:
                out.append(Problem(f"{path}.****", "has a key that looks like a credential",
                                   "remove it from the stack file and rotate it", k, True,
                                   secret=True))
            elif str(k) == "secure" or (SECRET_KEY_NAMES.search(str(k))
                                        and isinstance(v, str) and v):
                out.append(Problem(sub, "looks like a secret stored in plaintext",
                                   "do not keep secrets in stack settings; use "
                                   "`pulumi config set --secret` or Key Vault", v, True,
                                   secret=True))
            else:
                out.extend(_plaintext_secrets(sub, v))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out.extend(_plaintext_secrets(f"{path}.{i}", v))
    elif (kind := secret_kind(value)) is not None:
        out.append(Problem(path, f"looks like {kind} in plaintext",
                           "remove it from the stack file and rotate it; keep secrets encrypted "
                           "with `pulumi config set --secret` or in Key Vault", value, True,
                           secret=True))
    return out

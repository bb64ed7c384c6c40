"""Everything in this pack that depends on pulumi-policy internals, in one guarded place.

Verified against pulumi-policy 1.21.0 (see ``tests/policies/test_sdk_facts.py``):

* The engine marshals resource inputs (``Analyze``) and outputs (``AnalyzeStack``) with
  ``KeepSecrets`` and ``KeepUnknowns``, so secrets arrive as signature objects
  ``{"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", "value": ...}``
  and unknowns as sentinel strings such as ``"04da6b54-80e4-46f7-96ec-b56ff0331ba9"``.
* ``_PolicyAnalyzerServicer.Analyze``/``AnalyzeStack`` call
  ``deserialize_properties(props)`` with ``proxy_secrets=False``: secret envelopes are unwrapped
  to their plaintext and *nothing* records that the value was secret. A stock policy therefore
  cannot tell ``password="hunter2"`` from ``password=pulumi.Output.secret("hunter2")``.
* Unknowns stay in place; the props are wrapped in ``_DictProxy``/``_ListProxy`` which raise
  ``UnknownValueError`` when a policy reads one. The servicer turns that into an *advisory*
  diagnostic "can't run policy '<name>' ... during preview: <type> value at .<path> can't be
  known during preview".

To make "this credential must be a Pulumi secret" enforceable, :func:`install_secret_markers`
wraps the servicer's ``deserialize_properties`` so that every string (and number) that arrived
inside a secret envelope is re-typed as :class:`SecretStr` (:class:`SecretFloat`). They are
``str``/``float`` subclasses, so every other rule keeps working unchanged, unknown sentinels
inside secrets are still recognised by the SDK's proxies, and rules that care can ask
:func:`is_secret`. Booleans cannot be subclassed and stay unmarked (a secret boolean is not a
credential). The remediation path (``proxy_secrets=True``) is left untouched.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi_policy import deserialize as _deserialize
from pulumi_policy import policy as _policy
from pulumi_policy import proxy as _proxy

SIG_KEY: str = _deserialize.SPECIAL_SIG_KEY
SECRET_SIG: str = _deserialize.SPECIAL_SECRET_SIG

UNKNOWN_SENTINELS: frozenset[str] = frozenset(
    {
        _proxy.UNKNOWN_BOOLEAN_VALUE,
        _proxy.UNKNOWN_NUMBER_VALUE,
        _proxy.UNKNOWN_STRING_VALUE,
        _proxy.UNKNOWN_ARRAY_VALUE,
        _proxy.UNKNOWN_ASSET_VALUE,
        _proxy.UNKNOWN_ARCHIVE_VALUE,
        _proxy.UNKNOWN_OBJECT_VALUE,
    }
)

UnknownValueError = _proxy.UnknownValueError

_ORIGINAL_DESERIALIZE = _deserialize.deserialize_properties
_SDK_DESERIALIZE_PROPERTY = _deserialize._deserialize_property


class SecretStr(str):
    """A string the engine sent inside a Pulumi secret envelope."""

    __slots__ = ()


class SecretFloat(float):
    """A number the engine sent inside a Pulumi secret envelope."""

    __slots__ = ()


def is_secret(value: Any) -> bool:
    """True when ``value`` (a raw leaf) arrived as a Pulumi secret."""
    return isinstance(value, (SecretStr, SecretFloat))


def _mark(value: Any) -> Any:
    """Re-type the scalar leaves of a secret's plaintext so the secrecy survives deserialisation."""
    if isinstance(value, dict):
        return {key: _mark(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_mark(item) for item in value]
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return SecretStr(value)
    if isinstance(value, (int, float)):
        return SecretFloat(value)
    return value


def _unwrap_secrets(value: Any) -> Any:
    """Replace every secret envelope by its marked plaintext; leave everything else as is."""
    if isinstance(value, dict):
        if value.get(SIG_KEY) == SECRET_SIG and "value" in value:
            return _mark(_unwrap_secrets(value["value"]))
        return {key: _unwrap_secrets(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_unwrap_secrets(item) for item in value]
    return value


def deserialize_marking_secrets(props: dict[str, Any], proxy_secrets: bool = False) -> Any:
    """Drop-in for ``pulumi_policy.deserialize.deserialize_properties`` that marks secrets.

    The result is ``_ORIGINAL_DESERIALIZE(_unwrap_secrets(props), False)``, built in one pass:
    the SDK calls this once per policy and resource, so a second walk of every property map
    is a measurable share of a large stack's analysis.
    """
    if proxy_secrets:
        return _ORIGINAL_DESERIALIZE(props, True)
    if SIG_KEY in props:
        return _ORIGINAL_DESERIALIZE(_unwrap_secrets(props), False)
    return {key: _deserialize_one(item, False) for key, item in props.items()}


def _deserialize_one(value: Any, secret: bool) -> Any:
    """One property, as ``_ORIGINAL_DESERIALIZE`` deserializes it once secrets are unwrapped."""
    if isinstance(value, list):
        return [_deserialize_one(item, secret) for item in value]
    if isinstance(value, dict):
        if SIG_KEY not in value:
            return {key: _deserialize_one(item, secret) for key, item in value.items()}
        if value[SIG_KEY] == SECRET_SIG and "value" in value:
            return _deserialize_one(value["value"], True)
        # An asset, an archive or a malformed envelope: the SDK's own path, unchanged.
        unwrapped = _unwrap_secrets(value)
        return _SDK_DESERIALIZE_PROPERTY(_mark(unwrapped) if secret else unwrapped, False)
    return _mark(value) if secret else value


def install_secret_markers() -> None:
    """Make the analyzer servicer keep track of which values were secrets (idempotent).

    Raises ImportError when the installed pulumi-policy no longer has the hook this relies on,
    so a future SDK upgrade fails loudly instead of silently flagging every secret.
    """
    current = getattr(_policy, "deserialize_properties", None)
    if current is deserialize_marking_secrets:
        return
    if current is not _ORIGINAL_DESERIALIZE:
        raise ImportError(
            "pulumi_policy.policy.deserialize_properties is not the function this pack wraps; "
            "re-verify rules/_sdk.py against the installed pulumi-policy version"
        )
    _policy.deserialize_properties = deserialize_marking_secrets


def is_unknown_sentinel(value: Any) -> bool:
    """True for the engine's "not known during preview" sentinel strings."""
    return isinstance(value, str) and value in UNKNOWN_SENTINELS


def raw(container: Any) -> Any:
    """The underlying dict/list of an SDK unknown-checking proxy (no unknown checks on access).

    Nested containers inside are still proxies; scalars are raw (sentinels included).
    """
    if isinstance(container, (_proxy._DictProxy, _proxy._ListProxy)):  # noqa: SLF001
        return container["__target"]
    return container


def is_mapping(value: Any) -> bool:
    """True for dicts and the SDK's dict proxies."""
    return isinstance(value, Mapping)

"""Everything in this pack that depends on pulumi-policy internals, in one guarded place.

Verified against pulumi-policy 1.21.0 (see ``tests/policies/test_policy_sdk_facts.py``):

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

import functools as _functools
import inspect as _inspect
import json as _json
import os as _os
import threading as _threading
from types import SimpleNamespace as _Namespace
from typing import Any

import pulumi.runtime as _pulumi_runtime
from google.protobuf import json_format as _json_format
from pulumi.runtime import config as _runtime_config
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
    if current is deserialize_marking_secrets or current is _installed_reuse():
        return
    if current is not _ORIGINAL_DESERIALIZE:
        raise ImportError(
            "pulumi_policy.policy.deserialize_properties is not the function this pack wraps; "
            "re-verify rules/_sdk.py against the installed pulumi-policy version"
        )
    _policy.deserialize_properties = deserialize_marking_secrets


def _installed_reuse() -> Any:
    """:func:`deserialize_once` once defined (it wraps this hook), else None."""
    return globals().get("deserialize_once")


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


# --------------------------------------------------------------------------------------------
# Per-request reuse (measured in bench/RESULTS.md, "The levers")
#
# pulumi-policy 1.21's ``_PolicyAnalyzerServicer`` rebuilds a resource's arguments once per
# *policy*: ``deserialize_properties(json_format.MessageToDict(request.properties))``, then
# ``unknown_checking_proxy`` over the result, and the same again for the provider's
# properties; ``AnalyzeStack`` does it for every resource of the stack, once per stack policy.
# Every request also re-parses the whole ``PULUMI_CONFIG`` JSON (``_configure_runtime_settings``).
# :func:`install_request_reuse` keeps the SDK's loop and replaces three module-level names it
# calls, behind the same identity guard as :func:`install_secret_markers`:
#
# * ``json_format.MessageToDict`` and ``deserialize_properties`` remember their result for the
#   message being served (by identity, for one request, per thread: the request starts when
#   the servicer reads the stack config, below);
# * ``unknown_checking_proxy`` returns a lazy proxy that builds the SDK's proxy on first use.
#   The SDK's proxy copies every dict and list, so each policy still gets its own isolated
#   view; a policy that never reads ``args.props`` (a resource rule of another type) costs no
#   copy at all;
# * ``pulumi.runtime.get_config_env`` parses ``PULUMI_CONFIG`` once per distinct value;
# * ``signature`` (``inspect.signature``, which the servicer calls on ``pulumi.runtime.Settings``
#   in every request to see whether it takes an organization) is computed once per callable.
#
# Remediation (``proxy_secrets=True``) is never memoized: remediations may rewrite properties.

_ORIGINAL_PROXY = _proxy.unknown_checking_proxy
_ORIGINAL_MESSAGE_TO_DICT = _json_format.MessageToDict
_ORIGINAL_GET_CONFIG_ENV = _runtime_config.get_config_env
_REQUEST = _threading.local()


def _request_memo() -> dict[tuple[str, int], tuple[Any, Any]] | None:
    """The current request's memo (id -> (key object kept alive, value)); None outside one."""
    return getattr(_REQUEST, "memo", None)


def message_to_dict_once(message: Any, *args: Any, **kwargs: Any) -> Any:
    """``MessageToDict``, computed once per message within a request (default options only)."""
    memo = _request_memo()
    if memo is None or args or kwargs:
        return _ORIGINAL_MESSAGE_TO_DICT(message, *args, **kwargs)
    key = ("m", id(message))
    hit = memo.get(key)
    if hit is not None and hit[0] is message:
        return hit[1]
    value = _ORIGINAL_MESSAGE_TO_DICT(message)
    memo[key] = (message, value)
    return value


def deserialize_once(props: dict[str, Any], proxy_secrets: bool = False) -> Any:
    """:func:`deserialize_marking_secrets`, computed once per input within a request.

    The result is shared by the policies of the request: the SDK's ``unknown_checking_proxy``
    copies every container before a policy sees it, and leaves are immutable.
    """
    memo = _request_memo()
    if memo is None or proxy_secrets:
        return deserialize_marking_secrets(props, proxy_secrets)
    key = ("d", id(props))
    hit = memo.get(key)
    if hit is not None and hit[0] is props:
        return hit[1]
    value = deserialize_marking_secrets(props)
    memo[key] = (props, value)
    return value


class _LazyDictProxy(_proxy._DictProxy):  # noqa: SLF001
    """The SDK's ``unknown_checking_proxy(props)``, built the first time anything is read."""

    def __init__(self, props: dict[str, Any]) -> None:  # noqa: D107 - the SDK's proxy is built later
        self._lazy_source: dict[str, Any] | None = props
        self._lazy_built: Any = None

    def _built(self) -> Any:
        if self._lazy_source is not None:
            self._lazy_built = _ORIGINAL_PROXY(self._lazy_source)
            self._lazy_source = None
        return self._lazy_built

    def __getitem__(self, key: Any) -> Any:
        return self._built()[key]

    def __setitem__(self, key: Any, value: Any) -> None:
        self._built()[key] = value

    def __len__(self) -> int:
        return len(self._built())

    def __iter__(self) -> Any:
        return iter(self._built())


def lazy_unknown_checking_proxy(props: dict[str, Any]) -> Any:
    """Drop-in for ``pulumi_policy.proxy.unknown_checking_proxy`` that defers the copy."""
    return _LazyDictProxy(props)


_CONFIG_ENV: list[tuple[str, dict[str, Any]]] = []


def config_env_once() -> dict[str, Any]:
    """``pulumi.runtime.get_config_env()``, parsed once per distinct ``PULUMI_CONFIG`` value.

    The servicer calls it first thing in every ``Analyze``, ``AnalyzeStack`` and ``Remediate``
    (``_configure_runtime_settings``), so it also opens the request's memo: what the previous
    request on this thread remembered is released here.
    """
    _REQUEST.memo = {}
    text = _os.environ.get("PULUMI_CONFIG")
    if text is None:
        return {}
    if not _CONFIG_ENV or _CONFIG_ENV[0][0] != text:
        _CONFIG_ENV[:] = [(text, _json.loads(text))]
    return dict(_CONFIG_ENV[0][1])


@_functools.lru_cache(maxsize=64)
def signature_once(obj: Any) -> _inspect.Signature:
    """``inspect.signature``, once per callable (signatures are immutable)."""
    return _inspect.signature(obj)


def install_request_reuse() -> None:
    """Install the per-request reuse described above (idempotent).

    Raises ImportError when the installed pulumi-policy or pulumi no longer has the names this
    relies on, so an SDK upgrade fails loudly (re-verify against the new servicer first).
    """
    if _policy.unknown_checking_proxy is lazy_unknown_checking_proxy:
        return
    install_secret_markers()
    expected = (
        (_policy.json_format is _json_format, "pulumi_policy.policy.json_format"),
        (_policy.unknown_checking_proxy is _ORIGINAL_PROXY,
         "pulumi_policy.policy.unknown_checking_proxy"),
        (_pulumi_runtime.get_config_env is _ORIGINAL_GET_CONFIG_ENV,
         "pulumi.runtime.get_config_env"),
        (_policy.signature is _inspect.signature, "pulumi_policy.policy.signature"),
    )
    for ok, name in expected:
        if not ok:
            raise ImportError(f"{name} is not the function this pack wraps; re-verify "
                              "rules/_sdk.py against the installed pulumi-policy version")
    _policy.json_format = _Namespace(  # type: ignore[assignment]
        MessageToDict=message_to_dict_once,
        **{name: getattr(_json_format, name) for name in ("MessageToJson", "ParseDict", "Parse")},
    )
    _policy.deserialize_properties = deserialize_once
    _policy.unknown_checking_proxy = lazy_unknown_checking_proxy
    _pulumi_runtime.get_config_env = config_env_once  # type: ignore[assignment]
    _policy.signature = signature_once  # type: ignore[assignment]

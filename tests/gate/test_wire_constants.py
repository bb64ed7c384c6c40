"""The gate's wire constants (gate/pack_wire.py) are the Pulumi SDK's, their owner; the gate
states them once more so its wire format reads in one place, and this test keeps them equal."""

from __future__ import annotations

from pulumi.runtime import rpc

from gate import pack_wire


def test_gate_wire_constants_are_the_sdks() -> None:
    assert pack_wire.UNKNOWN_STRING_VALUE == rpc.UNKNOWN
    assert pack_wire.SPECIAL_SIG_KEY == rpc._special_sig_key
    assert pack_wire.SECRET_SIG == rpc._special_secret_sig
    assert pack_wire.RESOURCE_REFERENCE_SIG == rpc._special_resource_sig
    assert pack_wire.OUTPUT_VALUE_SIG == rpc._special_output_value_sig
    assert pack_wire.ASSET_SIG == rpc._special_asset_sig
    assert pack_wire.ARCHIVE_SIG == rpc._special_archive_sig

"""The gate's wire constants are the Pulumi SDK's (the owner); the gate states them once more
so its wire format reads in one place, and this test keeps the copies equal."""

from __future__ import annotations

from pulumi.runtime import rpc

from gate import analyzer


def test_gate_wire_constants_are_the_sdks() -> None:
    assert analyzer.UNKNOWN_STRING_VALUE == rpc.UNKNOWN
    assert analyzer.SPECIAL_SIG_KEY == rpc._special_sig_key
    assert analyzer.SECRET_SIG == rpc._special_secret_sig
    assert analyzer.RESOURCE_REFERENCE_SIG == rpc._special_resource_sig
    assert analyzer.OUTPUT_VALUE_SIG == rpc._special_output_value_sig
    assert analyzer.ASSET_SIG == rpc._special_asset_sig
    assert analyzer.ARCHIVE_SIG == rpc._special_archive_sig

"""What the gate reads from the wire is what the engine hands an analyzer: unknowns and secrets
marked, whole numbers as integers, resource references as their id (or URN while the id is
unknown), output values as their value, secret or unknown as flagged."""

from __future__ import annotations

from typing import Any

import pytest
from google.protobuf import struct_pb2
from pulumi.runtime import rpc

from gate.capture import decode_struct
from gate.model import UNKNOWN, Secret

REF = {rpc._special_sig_key: rpc._special_resource_sig, "urn": "urn:x"}
OUT = {rpc._special_sig_key: rpc._special_output_value_sig}


def _decoded(value: Any) -> Any:
    struct = struct_pb2.Struct()
    struct.update({"v": value})
    return decode_struct(struct)["v"]


@pytest.mark.parametrize(("wire", "expected"), [
    (rpc.UNKNOWN, UNKNOWN),
    (3.0, 3), (2.5, 2.5), (True, True), (None, None), ("text", "text"),
    ({**REF, "id": "an-id"}, "an-id"),
    ({**REF, "id": ""}, "urn:x"), ({**REF, "id": rpc.UNKNOWN}, "urn:x"), (REF, "urn:x"),
    ({**OUT, "value": "v"}, "v"), (OUT, UNKNOWN),
    ({"a": [rpc.UNKNOWN, 1.0]}, {"a": [UNKNOWN, 1]}),
])
def test_wire_values_decode_as_the_engine_gives_them(wire: Any, expected: Any) -> None:
    decoded = _decoded(wire)
    assert decoded == expected and type(decoded) is type(expected)


def test_secrets_stay_marked() -> None:
    secret = _decoded({rpc._special_sig_key: rpc._special_secret_sig, "value": "s3cr3t"})
    assert isinstance(secret, Secret) and secret.value == "s3cr3t"
    output = _decoded({**OUT, "value": 4.0, "secret": True})
    assert isinstance(output, Secret) and output.value == 4


"""The fast position codec agrees with pygls' own on every position, ASCII lines or not."""

from __future__ import annotations

from lsprotocol import types
from pygls.workspace.position_codec import PositionCodec

from venvsense.lsp.codec import FastPositionCodec


def test_the_fast_codec_agrees_with_pygls() -> None:
    lines = ["alpha==1.0\n", "\n", "beta  # café\r\n", "x = '😋'\n", "", "gamma"]
    for encoding in (types.PositionEncodingKind.Utf8, types.PositionEncodingKind.Utf16,
                     types.PositionEncodingKind.Utf32):
        fast, slow = FastPositionCodec(encoding), PositionCodec(encoding)
        for line in range(len(lines) + 2):
            for character in range(20):
                expected = slow.position_from_client_units(lines, types.Position(line, character))
                assert fast.position_from_client_units(lines, types.Position(line, character)) == expected

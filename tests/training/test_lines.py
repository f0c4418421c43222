"""Token-to-line mapping on hand-written offsets (line roles: tests/sql/test_diff.py on the shared fixture)."""

from __future__ import annotations

from sqlfix.training.lines import token_lines


def test_token_lines_follow_offsets_and_multibyte():
    text = "SELECT '日本'\nFROM t"
    # character offsets, as fast tokenizers give them: a token over the newline belongs to the next line
    offsets = [(0, 6), (6, 11), (11, 12), (11, 16), (17, 18), (18, 18)]
    assert token_lines(offsets, text) == [0, 0, 0, 1, 1, -1]
    assert token_lines([(0, 2), (2, 3), (3, 5)], "a\r\nb") == [0, 0, 1]

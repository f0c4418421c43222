"""Line roles and token-to-line mapping on hand-written pairs."""

from __future__ import annotations

import pytest
from sqlfix.training.lines import line_roles, split_lines, token_lines

CASES = [
    ("modified", "SELECT a\nFROM t\nWHER x = 1", "SELECT a\nFROM t\nWHERE x = 1", [False, False, True]),
    ("added", "SELECT a, sum(b)\nFROM t", "SELECT a, sum(b)\nFROM t\nGROUP BY a", [False, False, True]),
    ("deleted", "SELECT a\nFROM t\nLIMIT\nORDER BY a", "SELECT a\nFROM t\nORDER BY a", [False, False, False]),
    ("moved", "SELECT a\nWHERE x\nFROM t", "SELECT a\nFROM t\nWHERE x", [False, True, False]),
    ("crlf", "SELECT a\r\nFROM t\r\nWHER x", "SELECT a\nFROM t\nWHERE x", [False, False, True]),
    ("trailing spaces", "SELECT a   \nFROM t\t", "SELECT a\nFROM t", [False, False]),
    ("comment kept", "-- daily\nSELECT a\nFRM t", "-- daily\nSELECT a\nFROM t", [False, False, True]),
    ("multi-byte", "SELECT '日本' AS 名前\nFRM t", "SELECT '日本' AS 名前\nFROM t", [False, True]),
    ("empty fix", "SELECT 1", "", []),
]


@pytest.mark.parametrize(("name", "bug", "fix", "roles"), CASES, ids=[c[0] for c in CASES])
def test_line_roles(name, bug, fix, roles):
    assert line_roles(bug, fix) == roles
    assert len(roles) == len(split_lines(fix))


def test_token_lines_follow_offsets_and_multibyte():
    text = "SELECT '日本'\nFROM t"
    # character offsets, as fast tokenizers give them: a token over the newline belongs to the next line
    offsets = [(0, 6), (6, 11), (11, 12), (11, 16), (17, 18), (18, 18)]
    assert token_lines(offsets, text) == [0, 0, 0, 1, 1, -1]
    assert token_lines([(0, 2), (2, 3), (3, 5)], "a\r\nb") == [0, 0, 1]

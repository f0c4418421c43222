"""The DM-SFT collator: prompt never in the loss, diff lines always, consistent lines dropped with p."""

from __future__ import annotations

import pytest
from sqlfix.training.collator import IGNORE_INDEX, DMSFTCollator

torch = pytest.importorskip("torch")

# prompt of 3 tokens; target of 6 tokens over lines 0 (consistent), 1 (diff), 2 (consistent); then EOS
EXAMPLE = {
    "input_ids": [5, 6, 7, 10, 11, 12, 13, 14, 15, 2],
    "prompt_len": 3,
    "token_line": [0, 0, 1, 1, 2, 2, -1],
    "line_is_diff": [False, True, False],
}


def test_plain_sft_trains_every_target_token():
    batch = DMSFTCollator(pad_token_id=0, p=0.0)([EXAMPLE])
    assert batch["labels"][0].tolist() == [IGNORE_INDEX] * 3 + [10, 11, 12, 13, 14, 15, 2]
    assert batch["diff_mask"][0].tolist() == [False] * 5 + [True, True] + [False] * 3
    assert batch["consistent_mask"][0].tolist() == [False] * 3 + [True, True, False, False, True, True, False]


def test_p1_trains_diff_lines_and_eos_only():
    batch = DMSFTCollator(pad_token_id=0, p=1.0)([EXAMPLE])
    assert batch["labels"][0].tolist() == [IGNORE_INDEX] * 5 + [12, 13] + [IGNORE_INDEX] * 2 + [2]


def test_lines_drop_whole_and_rate_matches_p():
    collator = DMSFTCollator(pad_token_id=0, p=0.3, seed=1)
    dropped_lines, draws = 0, 4000
    for _ in range(draws // 2):
        labels = collator([EXAMPLE])["labels"][0].tolist()
        for a, b in ((3, 4), (7, 8)):  # each consistent line's two tokens go together
            assert (labels[a] == IGNORE_INDEX) == (labels[b] == IGNORE_INDEX)
            dropped_lines += labels[a] == IGNORE_INDEX
        assert labels[:3] == [IGNORE_INDEX] * 3 and labels[5:7] == [12, 13] and labels[9] == 2
    assert abs(dropped_lines / draws - 0.3) < 0.03


def test_masks_are_redrawn_each_time_a_sample_is_seen():
    collator = DMSFTCollator(pad_token_id=0, p=0.5, seed=7)
    seen = {tuple(collator([EXAMPLE])["labels"][0].tolist()) for _ in range(40)}
    assert len(seen) == 4  # both consistent lines in or out, in every combination
    # the draws are reproducible: two collators with one seed draw the same sequence of masks
    first, second = DMSFTCollator(pad_token_id=0, p=0.5, seed=7), DMSFTCollator(pad_token_id=0, p=0.5, seed=7)
    draws = [[c([EXAMPLE])["labels"].tolist() for _ in range(6)] for c in (first, second)]
    assert draws[0] == draws[1] and len({str(d) for d in draws[0]}) > 1


def test_token_mode_drops_single_tokens():
    collator = DMSFTCollator(pad_token_id=0, p=0.5, mode="token", seed=3)
    split = 0
    for _ in range(200):
        labels = collator([EXAMPLE])["labels"][0].tolist()
        split += (labels[3] == IGNORE_INDEX) != (labels[4] == IGNORE_INDEX)
        assert labels[5:7] == [12, 13]
    assert split > 50  # tokens of one line are dropped independently


def test_padding_and_bad_config():
    short = {"input_ids": [5, 10, 2], "prompt_len": 1, "token_line": [0, -1], "line_is_diff": [True]}
    batch = DMSFTCollator(pad_token_id=0, p=0.0, pad_to_multiple_of=8)([EXAMPLE, short])
    assert batch["input_ids"].shape == (2, 16)
    assert batch["attention_mask"][1].tolist() == [1, 1, 1] + [0] * 13
    assert batch["labels"][1].tolist() == [IGNORE_INDEX, 10, 2] + [IGNORE_INDEX] * 13
    with pytest.raises(ValueError, match="p must be in"):
        DMSFTCollator(pad_token_id=0, p=1.5)
    with pytest.raises(ValueError, match="mode"):
        DMSFTCollator(pad_token_id=0, mode="word")


@pytest.mark.parametrize("attention", ["sdpa", "eager"])
def test_packed_rows_compute_what_samples_compute_alone(tiny_model_dir, attention):
    from sqlfix.training.collator import PackedDMSFTCollator
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir, attn_implementation=attention).eval()
    a = {
        "input_ids": list(range(3, 20)),
        "prompt_len": 5,
        "token_line": [0] * 6 + [1] * 5 + [-1],
        "line_is_diff": [False, True],
    }
    b = {"input_ids": list(range(30, 41)), "prompt_len": 4, "token_line": [0] * 6 + [-1], "line_is_diff": [True]}
    packed = PackedDMSFTCollator(pad_token_id=0, p=0.0, max_length=64)([a, b])
    assert packed["input_ids"].shape == (1, 28) and packed["position_ids"][0, 17].item() == 0
    assert (
        packed["labels"][0, :5].tolist() == [IGNORE_INDEX] * 5
        and packed["labels"][0, 17:21].tolist() == [IGNORE_INDEX] * 4
    )
    with torch.no_grad():
        together = model(
            input_ids=packed["input_ids"], attention_mask=packed["attention_mask"], position_ids=packed["position_ids"]
        ).logits[0]
        alone_a = model(input_ids=torch.tensor([a["input_ids"]])).logits[0]
        alone_b = model(input_ids=torch.tensor([b["input_ids"]])).logits[0]
    assert torch.allclose(together[:17], alone_a, atol=1e-4) and torch.allclose(together[17:], alone_b, atol=1e-4)
    two_rows = PackedDMSFTCollator(pad_token_id=0, p=0.0, max_length=20)([a, b])
    assert two_rows["input_ids"].shape == (2, 17)

"""DM-SFT collator cost: DM-SFT vs plain-SFT collator time per batch, and the collator's share of a step.

    .venv/bin/python benchmarks/collator.py                  # SmolLM2-135M-shaped random model, batch 2 x ~1,500 tokens
    .venv/bin/python benchmarks/collator.py --tiny           # a small model (the share is then an upper bound)

Examples are built from simulated analytical queries with a few changed lines each (the paper's diff sizes),
tokenised by a BPE tokenizer trained on the same SQL. A training step is forward + backward + AdamW step of
a randomly initialised model of the given shape on the same batch. Target: collator <= 2 % of a step.
"""

from __future__ import annotations

import argparse
import random
import time

import torch
from sqlfix.dataset.prompt import render_prompt
from sqlfix.simulate import bugs
from sqlfix.simulate.queries import compose
from sqlfix.training.collator import DMSFTCollator
from sqlfix.training.examples import build_example
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=2)
    parser.add_argument("--batches", type=int, default=200, help="collator calls timed per variant")
    parser.add_argument("--steps", type=int, default=3, help="training steps timed")
    parser.add_argument("--tiny", action="store_true")
    args = parser.parse_args()
    rng = random.Random(0)
    corpus = [compose(rng) for _ in range(300)]
    tok = Tokenizer(models.BPE(unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.train_from_iterator(
        corpus,
        trainers.BpeTrainer(
            vocab_size=4000,
            special_tokens=["<unk>", "<pad>", "<eos>"],
            initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        ),
    )
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="<unk>", pad_token="<pad>", eos_token="<eos>")
    examples = []
    while len(examples) < 64:
        fix = compose(rng)
        mutated = bugs.column_typo(fix.split("\n"), rng) or bugs.missing_comma(fix.split("\n"), rng)
        if mutated:
            bug = "\n".join(mutated[0])
            examples.append(build_example(fast, render_prompt(None, bug, "[UNRESOLVED_COLUMN] ..."), bug, fix, 4096))
    batches = [rng.sample(examples, args.batch) for _ in range(args.batches)]
    timings = {}
    for name, collator in (
        ("plain SFT (p=0)", DMSFTCollator(fast.pad_token_id, p=0.0)),
        ("DM-SFT (p=0.5)", DMSFTCollator(fast.pad_token_id, p=0.5)),
    ):
        collator(batches[0])
        t0 = time.perf_counter()
        for b in batches:
            collator(b)
        timings[name] = (time.perf_counter() - t0) / len(batches)
    shape = dict(hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2) if args.tiny else \
        dict(hidden_size=576, intermediate_size=1536, num_hidden_layers=30, num_attention_heads=9, num_key_value_heads=3)  # fmt: skip
    model = LlamaForCausalLM(
        LlamaConfig(vocab_size=len(fast), max_position_embeddings=4096, attn_implementation="sdpa", **shape)
    )
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)
    batch = DMSFTCollator(fast.pad_token_id, p=0.5)(batches[0])
    labels = batch["labels"]
    step_times = []
    for _ in range(args.steps + 1):
        t0 = time.perf_counter()
        loss = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"], labels=labels).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        step_times.append(time.perf_counter() - t0)
    step = min(step_times[1:])
    plain, dm = timings["plain SFT (p=0)"], timings["DM-SFT (p=0.5)"]
    tokens = batch["input_ids"].numel()
    print(
        f"batch {args.batch} x {batch['input_ids'].shape[1]} tokens ({tokens}); model {'tiny' if args.tiny else 'SmolLM2-135M shape'}, CPU"
    )
    print(f"collator per batch: plain SFT {plain * 1000:.2f} ms, DM-SFT {dm * 1000:.2f} ms (ratio {dm / plain:.2f}x)")
    print(f"training step {step * 1000:.0f} ms; DM-SFT collator = {dm / step:.3%} of a step (target <= 2%)")


if __name__ == "__main__":
    main()

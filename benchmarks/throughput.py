"""Training throughput of the DM-SFT recipe: trained tokens per second and MFU, per model shape, DeepSpeed
ZeRO stage and packing.

    python benchmarks/throughput.py --model models/smollm2-135m-instruct --dataset-dir exports/sft \
        --shapes smollm2-135m,llama-1b --zero 2,3 --packing off,on --out throughput.jsonl

Every configuration runs the real recipe (``training/recipe.py``: the DM-SFT collator, the Trainer with
DeepSpeed, bf16 where the GPU has it, gradient checkpointing off) from random weights of the shape
(``init: random``: throughput does not depend on the weights), on the exported dataset's training
examples, for ``--warmup`` + ``--steps`` optimizer steps; only the last ``--steps`` are timed (CUDA
synchronised at each step's end).

- tokens/s: trained tokens (padding excluded) per second of the timed steps.
- MFU: model FLOPs per second over the accelerator's dense bf16 peak (``--peak-tflops``, 989 for an
  H100/H200 SXM), model FLOPs per token as in PaLM's appendix B: ``6 N + 12 L d s`` — N the parameters of
  every matrix multiply (the output head included, the embedding lookup not), L layers, d hidden size,
  s each sample's own length (packed samples attend only to themselves). Padding and recomputation are not
  useful FLOPs, so a padded batch or activation checkpointing lowers MFU, as it should.

Shapes: ``smollm2-135m`` is the ``--model`` folder's own config; ``llama-1b`` is a TinyLlama-1.1B-shaped
Llama (hidden 2048, 22 layers, MLP 5632, 32 heads, 4 KV heads) over the same tokenizer (vocabulary 49,152).
Each configuration runs in a process of its own; one that fails is recorded with its error and the others
still run. One JSON line per configuration.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

LLAMA_1B = {"hidden_size": 2048, "num_hidden_layers": 22, "intermediate_size": 5632, "num_attention_heads": 32,
            "num_key_value_heads": 4, "head_dim": 64, "tie_word_embeddings": False}  # fmt: skip


def shape_folder(model: Path, shape: str, root: Path) -> Path:
    """A model folder of the shape: the base folder itself, or its tokenizer with a new config."""
    if shape == "smollm2-135m":
        return model
    if shape != "llama-1b":
        raise SystemExit(f"unknown shape {shape!r}: smollm2-135m or llama-1b")
    out = root / shape
    out.mkdir(parents=True, exist_ok=True)
    for f in model.iterdir():
        if f.is_file() and not f.name.endswith((".safetensors", ".bin")) and f.name != "config.json":
            shutil.copy(f, out / f.name)
    config = json.loads((model / "config.json").read_text())
    config.update(LLAMA_1B)
    (out / "config.json").write_text(json.dumps(config, indent=1))
    return out


def model_flops_per_token(config, mean_len: float, mean_sq_len: float) -> tuple[float, int]:
    """(FLOPs per trained token, matmul parameters N) of a Llama-shaped decoder (PaLM's formula, see the
    docstring), from its config alone.

    Example:
        >>> from transformers import LlamaConfig
        >>> c = LlamaConfig(vocab_size=100, hidden_size=8, intermediate_size=16, num_hidden_layers=2,
        ...                 num_attention_heads=2, num_key_value_heads=1, head_dim=4)
        >>> model_flops_per_token(c, 10.0, 100.0)  # N = 2 * (8*8 + 2*8*4 + 8*8 + 3*8*16) + 8*100 = 1952
        (13632.0, 1952)
    """
    if config.model_type != "llama":
        raise SystemExit(f"the FLOP count knows Llama-shaped models only, got {config.model_type}")
    d, layers = config.hidden_size, config.num_hidden_layers
    head_dim = getattr(config, "head_dim", None) or d // config.num_attention_heads
    q, kv = config.num_attention_heads * head_dim, config.num_key_value_heads * head_dim
    per_layer = d * q + 2 * d * kv + q * d + 3 * d * config.intermediate_size
    n = layers * per_layer + d * config.vocab_size  # the output head; the embedding lookup is no matmul
    attention = 12 * layers * q * (mean_sq_len / mean_len)  # sum over samples of s^2, per token
    return 6 * n + attention, n


def deepspeed_config(stage: int, root: Path) -> Path:
    """The recipe's ZeRO config with PyTorch's AdamW (no fused-Adam JIT build on a bare GPU machine)."""
    from sqlfix.config import resolve_conf_path

    cfg = json.loads(Path(resolve_conf_path(f"conf/deepspeed/zero{stage}.json")).read_text())
    cfg["optimizer"]["params"]["torch_adam"] = True
    out = root / f"zero{stage}.json"
    out.write_text(json.dumps(cfg))
    return out


def run_one(args, shape: str, stage: int, packing: bool, root: Path) -> dict:
    import torch
    from sqlfix.training.distributed import single_process_group
    from sqlfix.training.recipe import DMSFTRecipe
    from transformers import AutoConfig, TrainerCallback

    folder = shape_folder(Path(args.model), shape, root)
    cfg = {
        "model": str(folder), "init": "random", "dataset_dir": args.dataset_dir, "output_dir": str(root / "run"),
        "max_steps": args.warmup + args.steps, "batch_size": args.batch, "gradient_accumulation_steps": 1,
        "max_length": args.max_length, "packing": packing, "p": 0.5, "gradient_checkpointing": False,
        "save_steps": 0, "resume": False, "learning_rate": 1e-4, "warmup_ratio": 0.0, "logging_steps": 1000,
        "deepspeed": str(deepspeed_config(stage, root)) if stage else None, "seed": 0,
    }  # fmt: skip
    if stage:
        single_process_group()
    recipe = DMSFTRecipe(cfg)
    recipe.setup()
    marks: list[tuple[float, int]] = []

    class Clock(TrainerCallback):
        def on_step_end(self, a, state, control, **kw):
            if torch.cuda.is_available():
                torch.cuda.synchronize()
            marks.append((time.perf_counter(), recipe.trainer.tokens_total))

    recipe.trainer.add_callback(Clock())
    lengths = [len(e["input_ids"]) for e in recipe.train_examples]
    mean_len = sum(lengths) / len(lengths)
    mean_sq = sum(n * n for n in lengths) / len(lengths)
    per_token, n_params = model_flops_per_token(AutoConfig.from_pretrained(folder), mean_len, mean_sq)
    recipe.train()
    (t0, k0), (t1, k1) = marks[args.warmup - 1], marks[-1]
    tokens_per_s = (k1 - k0) / (t1 - t0)
    memory = torch.cuda.max_memory_allocated() / 2**30 if torch.cuda.is_available() else None
    recipe.cleanup()
    return {
        "shape": shape, "zero": stage, "packing": packing, "batch": args.batch, "steps_timed": args.steps,
        "matmul_params": n_params, "mean_sample_tokens": round(mean_len, 1), "tokens_per_s": round(tokens_per_s, 1),
        "step_s": round((t1 - t0) / args.steps, 4), "tokens_per_step": round((k1 - k0) / args.steps, 1),
        "flops_per_token": per_token, "tflops": round(tokens_per_s * per_token / 1e12, 2),
        "mfu": round(tokens_per_s * per_token / (args.peak_tflops * 1e12), 4), "peak_tflops": args.peak_tflops,
        "max_memory_gib": memory and round(memory, 2),
        "device": torch.cuda.get_device_name() if torch.cuda.is_available() else "cpu",
        "torch": torch.__version__,
    }  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="a local HF folder: its config and tokenizer")
    parser.add_argument("--dataset-dir", required=True, help="an exported dataset (train.jsonl)")
    parser.add_argument("--shapes", default="smollm2-135m,llama-1b")
    parser.add_argument("--zero", default="2,3", help="ZeRO stages (0: no DeepSpeed)")
    parser.add_argument("--packing", default="off,on")
    parser.add_argument("--batch", type=int, default=8, help="samples per step")
    parser.add_argument("--max-length", type=int, default=4096)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--peak-tflops", type=float, default=989.0, help="dense bf16 peak of the accelerator")
    parser.add_argument("--out", default="throughput.jsonl")
    parser.add_argument("--one", help=argparse.SUPPRESS)  # shape:stage:packing, in a child process
    args = parser.parse_args()
    os.environ.setdefault("DS_BUILD_OPS", "0")
    out = Path(args.out)
    if args.one:  # a child: one configuration in a fresh process (DeepSpeed's ZeRO-3 state is process-wide)
        shape, stage, packing = args.one.split(":")
        root = Path(tempfile.mkdtemp(prefix="sqlfix-throughput-"))
        started = time.perf_counter()
        try:
            row = run_one(args, shape, int(stage), packing == "on", root)
        except Exception as exc:  # noqa: BLE001 - recorded, and the next configuration still runs
            traceback.print_exc()
            row = {
                "shape": shape,
                "zero": int(stage),
                "packing": packing == "on",
                "error": f"{type(exc).__name__}: {exc}"[:500],
            }
        row["seconds"] = round(time.perf_counter() - started, 1)
        with out.open("a") as fh:
            fh.write(json.dumps(row) + "\n")
        print("throughput: " + json.dumps(row), flush=True)
        shutil.rmtree(root, ignore_errors=True)
        return 0
    for shape in args.shapes.split(","):
        for stage in args.zero.split(","):
            for packing in args.packing.split(","):
                argv = [a for a in sys.argv[1:]]
                subprocess.run([sys.executable, __file__, *argv, "--one", f"{shape}:{stage}:{packing}"], check=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())

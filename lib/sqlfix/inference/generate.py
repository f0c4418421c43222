"""Generation backends behind one interface: a list of fixer prompts in, candidates (SQL and likelihood) out.

``HFGenerator`` (transformers, every machine): prompts in the model's chat template (the same text training
used, ``training.examples.prompt_text``), batched with left padding and the KV cache, sorted by length so a
batch pads little; greedy by default, or ``n`` samples at a temperature; bf16 on a GPU that supports it.
``VLLMGenerator`` (GPU machines with vLLM installed): the same calls. ``load_generator`` picks one.

``max_new_tokens`` is derived per prompt from the bug's length (a fix is about as long as its bug), so a
short query never waits for a long budget; a batch stops when every sequence has ended.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from sqlfix.config import filled
from sqlfix.errors import SqlfixError
from sqlfix.inference.extract import extract_sql
from sqlfix.training.examples import prompt_text


@dataclass(frozen=True)
class Candidate:
    """One generated answer: the raw text, the SQL extracted from it, and its mean token log-probability."""

    text: str
    sql: str
    logprob: float
    tokens: int


class Generator(Protocol):
    name: str

    def generate(
        self, prompts: list[str], bugs: list[str], n: int = 1, temperature: float = 0.0, progress: bool = True
    ) -> list[list[Candidate]]:
        """``n`` candidates per prompt (greedy when ``temperature`` is 0); ``bugs`` size each budget."""
        ...


def token_budget(bug_tokens: int, factor: float = 1.3, slack: int = 24, cap: int = 4096) -> int:
    """New tokens allowed for a fix of a bug of ``bug_tokens`` tokens.

    Example:
        >>> token_budget(100), token_budget(4000), token_budget(0)
        (154, 4096, 24)
    """
    return min(cap, int(bug_tokens * factor) + slack)


class HFGenerator:
    """A local HF causal-LM folder, generating with ``transformers``."""

    def __init__(self, model_dir: str | Path, batch_size: int | None = None, max_new_tokens: int | None = None,
                 device: str | None = None):  # fmt: skip
        """``batch_size``, ``max_new_tokens``: ``None`` takes the profile's ``evaluate`` setting."""
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        settings = filled({"batch_size": batch_size, "max_new_tokens": max_new_tokens}, "evaluate")
        self.name = str(model_dir)
        self.batch_size = max(1, int(settings["batch_size"]))
        self.cap = int(settings["max_new_tokens"])
        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        bf16 = self.device.startswith("cuda") and torch.cuda.is_bf16_supported()
        self.tokenizer = AutoTokenizer.from_pretrained(model_dir)
        self.tokenizer.padding_side = "left"
        if self.tokenizer.pad_token_id is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        self.model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.bfloat16 if bf16 else torch.float32)
        self.model.to(self.device).eval()
        self.model.generation_config.pad_token_id = self.tokenizer.pad_token_id
        self.samples_per_second = 0.0

    @classmethod
    def from_loaded(cls, model, tokenizer, batch_size: int = 8, max_new_tokens: int = 2048, name: str = "live"):
        """A generator over a model already in memory (a run's model between training steps): nothing is
        loaded or moved; the caller puts the model in eval mode, and the tokenizer pads on the left while
        this generator is used (``generate`` sets it)."""
        self = cls.__new__(cls)
        self.name, self.model, self.tokenizer = name, model, tokenizer
        self.batch_size, self.cap = max(1, int(batch_size)), int(max_new_tokens)
        self.device = str(next(model.parameters()).device)
        if tokenizer.pad_token_id is None:
            tokenizer.pad_token = tokenizer.eos_token
        self.samples_per_second = 0.0
        return self

    def budget(self, bug_sql: str) -> int:
        return token_budget(len(self.tokenizer(bug_sql, add_special_tokens=False)["input_ids"]), cap=self.cap)

    def generate(self, prompts, bugs, n=1, temperature=0.0, progress=True):
        import torch

        from sqlfix.progress import progress as bar_for

        texts = [prompt_text(self.tokenizer, p) for p in prompts]
        budgets = [self.budget(b) for b in bugs]
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out: list[list[Candidate]] = [[] for _ in texts]
        started = time.perf_counter()
        self.tokenizer.padding_side = "left"  # a decoder-only model continues the prompt's last token
        with bar_for(len(texts), "generate", "sample", disable=not progress) as bar:
            for start in range(0, len(order), self.batch_size):
                batch = order[start : start + self.batch_size]
                enc = self.tokenizer([texts[i] for i in batch], return_tensors="pt", padding=True,
                                     add_special_tokens=False).to(self.device)  # fmt: skip
                sample = temperature > 0
                with torch.inference_mode():
                    gen = self.model.generate(
                        **enc, max_new_tokens=max(budgets[i] for i in batch), do_sample=sample, pad_token_id=self.tokenizer.pad_token_id,
                        temperature=temperature if sample else None, top_p=None, top_k=None,
                        num_return_sequences=n, use_cache=True, return_dict_in_generate=True, output_scores=True,
                    )  # fmt: skip
                    scores = self.model.compute_transition_scores(gen.sequences, gen.scores, normalize_logits=True)
                new = gen.sequences[:, enc["input_ids"].shape[1] :]
                for row in range(new.shape[0]):
                    i = batch[row // n]
                    ids = new[row][: budgets[i]]
                    keep = _until_end(ids.tolist(), self._stops())
                    logprob = float(scores[row][: len(keep)].float().mean()) if keep else float("-inf")
                    text = self.tokenizer.decode(keep, skip_special_tokens=True)
                    out[i].append(Candidate(text, extract_sql(text), logprob, len(keep)))
                bar.update(len(batch))
        seconds = time.perf_counter() - started
        self.samples_per_second = len(texts) / seconds if seconds > 0 else 0.0
        return out

    def _stops(self) -> set[int]:
        stops = {self.tokenizer.eos_token_id, self.tokenizer.pad_token_id}
        extra = self.model.generation_config.eos_token_id
        stops |= set(extra) if isinstance(extra, list) else {extra}
        return {s for s in stops if s is not None}


def _until_end(ids: list[int], stops: set[int]) -> list[int]:
    """The generated ids up to (not including) the first end-of-sequence or padding id.

    Example:
        >>> _until_end([5, 6, 2, 0, 0], {2, 0})
        [5, 6]
    """
    for k, token in enumerate(ids):
        if token in stops:
            return ids[:k]
    return ids


class VLLMGenerator:
    """The same interface on vLLM (GPU machines where ``vllm`` is installed)."""

    def __init__(self, model_dir: str | Path, max_new_tokens: int | None = None, **_: object):
        from transformers import AutoTokenizer
        from vllm import LLM

        self.name = str(model_dir)
        self.cap = int(filled({"max_new_tokens": max_new_tokens}, "evaluate")["max_new_tokens"])
        self.tokenizer = AutoTokenizer.from_pretrained(model_dir)
        self.llm = LLM(model=str(model_dir), dtype="auto")
        self.samples_per_second = 0.0

    def generate(self, prompts, bugs, n=1, temperature=0.0, progress=True):
        from vllm import SamplingParams

        texts = [prompt_text(self.tokenizer, p) for p in prompts]
        started = time.perf_counter()
        params = [
            SamplingParams(n=n, temperature=temperature, logprobs=0,
                           max_tokens=token_budget(len(self.tokenizer(b, add_special_tokens=False)["input_ids"]), cap=self.cap))
            for b in bugs
        ]  # fmt: skip
        results = self.llm.generate(texts, params, use_tqdm=progress)
        self.samples_per_second = len(texts) / max(time.perf_counter() - started, 1e-9)
        out = []
        for result in results:
            cands = []
            for o in result.outputs:
                steps = max(1, len(o.token_ids))
                cands.append(
                    Candidate(o.text, extract_sql(o.text), float(o.cumulative_logprob or 0.0) / steps, len(o.token_ids))
                )
            out.append(cands)
        return out


def load_generator(
    model_dir: str | Path, backend: str = "auto", batch_size: int = 8, max_new_tokens: int = 2048
) -> Generator:
    """``backend``: ``hf``, ``vllm``, or ``auto`` (vLLM when it is installed and a GPU is present)."""
    if not Path(model_dir).is_dir():
        raise SqlfixError(
            "not a local model folder", input=str(model_dir), hint="sqlfix prepare-model, or a registry reference"
        )
    if backend == "auto":
        import importlib.util

        import torch

        backend = "vllm" if importlib.util.find_spec("vllm") and torch.cuda.is_available() else "hf"
    if backend == "vllm":
        return VLLMGenerator(model_dir, max_new_tokens=max_new_tokens)
    if backend != "hf":
        raise SqlfixError(f"unknown generation backend {backend!r}", hint="hf, vllm or auto")
    return HFGenerator(model_dir, batch_size=batch_size, max_new_tokens=max_new_tokens)

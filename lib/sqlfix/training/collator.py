"""The DM-SFT data collator: pads a batch and draws, every time a sample is seen, which consistent lines
of its fix count in the loss.

Each example carries its static facts (``examples.build_example``): ``input_ids``, ``prompt_len``,
``token_line`` (the fix line of each target token; -1 for tokens always trained, such as EOS) and
``line_is_diff``. Prompt tokens never count; diff-line tokens always count; each consistent line is
dropped with probability ``p`` (``mode="line"``), or each consistent-line token on its own
(``mode="token"``, the ablation). ``p = 0`` is plain SFT, ``p = 1`` trains on changed lines only.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

IGNORE_INDEX = -100


@dataclass
class DMSFTCollator:
    pad_token_id: int
    p: float = 0.0
    mode: str = "line"  # line | token
    seed: int = 0
    pad_to_multiple_of: int | None = None
    _calls: int = field(default=0, repr=False)

    def __post_init__(self) -> None:
        if not 0.0 <= self.p <= 1.0:
            raise ValueError(f"DM-SFT drop probability p must be in [0, 1], got {self.p}")
        if self.mode not in ("line", "token"):
            raise ValueError(f"DM-SFT mode must be 'line' or 'token', got {self.mode!r}")

    def _rng(self) -> np.random.Generator:
        """A fresh stream per call (and per DataLoader worker and epoch), so masks are redrawn each time."""
        worker_seed = 0
        try:
            import torch.utils.data

            info = torch.utils.data.get_worker_info()
            worker_seed = int(info.seed) % (2**32) if info is not None else 0
        except ImportError:  # numpy-only use (benchmarks of the masking alone)
            pass
        self._calls += 1
        return np.random.default_rng([self.seed, self._calls, worker_seed])

    def labels(self, example: dict, rng: np.random.Generator) -> tuple[list[int], list[bool], list[bool]]:
        """Labels of one example, and which positions are diff-line / consistent-line target tokens."""
        ids, start = example["input_ids"], example["prompt_len"]
        token_line, is_diff = example["token_line"], example["line_is_diff"]
        labels = [IGNORE_INDEX] * start + list(ids[start:])
        diff = [False] * len(ids)
        consistent = [False] * len(ids)
        if self.mode == "line":
            dropped = rng.random(len(is_diff)) < self.p if self.p > 0 else np.zeros(len(is_diff), dtype=bool)
        else:
            token_drop = rng.random(len(token_line)) < self.p if self.p > 0 else np.zeros(len(token_line), dtype=bool)
        for k, line in enumerate(token_line):
            pos = start + k
            if line < 0:
                continue  # EOS and the like: always trained, in neither group
            if is_diff[line]:
                diff[pos] = True
                continue
            consistent[pos] = True
            if dropped[line] if self.mode == "line" else token_drop[k]:
                labels[pos] = IGNORE_INDEX
        return labels, diff, consistent

    def __call__(self, features: list[dict]) -> dict:
        import torch

        rng = self._rng()
        rows = [self.labels(f, rng) for f in features]
        width = max(len(f["input_ids"]) for f in features)
        if self.pad_to_multiple_of:
            width = -(-width // self.pad_to_multiple_of) * self.pad_to_multiple_of
        batch = {k: [] for k in ("input_ids", "attention_mask", "labels", "diff_mask", "consistent_mask")}
        for f, (labels, diff, consistent) in zip(features, rows, strict=True):
            pad = width - len(f["input_ids"])
            batch["input_ids"].append(list(f["input_ids"]) + [self.pad_token_id] * pad)
            batch["attention_mask"].append([1] * len(f["input_ids"]) + [0] * pad)
            batch["labels"].append(labels + [IGNORE_INDEX] * pad)
            batch["diff_mask"].append(diff + [False] * pad)
            batch["consistent_mask"].append(consistent + [False] * pad)
        out = {
            k: torch.tensor(v, dtype=torch.long)
            for k, v in batch.items()
            if not k.endswith("_mask") or k == "attention_mask"
        }
        out["diff_mask"] = torch.tensor(batch["diff_mask"], dtype=torch.bool)
        out["consistent_mask"] = torch.tensor(batch["consistent_mask"], dtype=torch.bool)
        out["n_tokens"] = torch.tensor(sum(len(f["input_ids"]) for f in features))  # padding not counted
        return out


@dataclass
class PackedDMSFTCollator(DMSFTCollator):
    """DM-SFT masks, with the batch's examples packed into rows of at most ``max_length`` tokens.

    Samples in one row never attend to each other: the attention mask is 4-D and block-diagonal causal
    (``[batch, 1, q, k]``, 0 where allowed, the dtype's minimum elsewhere) and position ids restart at 0 for
    each sample, so a packed row computes what its samples would compute alone.
    """

    max_length: int = 4096

    def __call__(self, features: list[dict]) -> dict:
        import torch

        rng = self._rng()
        rows: list[list[tuple[dict, tuple]]] = []
        for f in sorted(features, key=lambda f: -len(f["input_ids"])):  # first fit, longest first
            for row in rows:
                if sum(len(g["input_ids"]) for g, _ in row) + len(f["input_ids"]) <= self.max_length:
                    row.append((f, self.labels(f, rng)))
                    break
            else:
                rows.append([(f, self.labels(f, rng))])
        width = max(sum(len(f["input_ids"]) for f, _ in row) for row in rows)
        n = len(rows)
        ids = torch.full((n, width), self.pad_token_id, dtype=torch.long)
        labels = torch.full((n, width), IGNORE_INDEX, dtype=torch.long)
        positions = torch.zeros((n, width), dtype=torch.long)
        diff = torch.zeros((n, width), dtype=torch.bool)
        consistent = torch.zeros((n, width), dtype=torch.bool)
        # Which sample each position belongs to; each padding position is a sample of its own (it sees itself).
        segment = torch.arange(width, dtype=torch.long).repeat(n, 1) + width
        for r, row in enumerate(rows):
            at = 0
            for k_sample, (f, (lab, d, c)) in enumerate(row):
                k = len(f["input_ids"])
                ids[r, at : at + k] = torch.tensor(f["input_ids"])
                labels[r, at : at + k] = torch.tensor(lab)
                positions[r, at : at + k] = torch.arange(k)
                diff[r, at : at + k] = torch.tensor(d)
                consistent[r, at : at + k] = torch.tensor(c)
                segment[r, at : at + k] = k_sample
                at += k
        # Block-diagonal causal, built in one vectorised comparison (a Python loop over blocks took ~0.5 s
        # per batch of 8 task-level samples, most of a GPU step).
        causal = torch.ones(width, width, dtype=torch.bool).tril_()
        allowed = (segment[:, :, None] == segment[:, None, :]) & causal
        mask = torch.zeros((n, 1, width, width), dtype=torch.float32)
        mask.masked_fill_(~allowed[:, None], torch.finfo(torch.float32).min)
        return {"input_ids": ids, "attention_mask": mask, "position_ids": positions, "labels": labels,
                "diff_mask": diff, "consistent_mask": consistent,
                "n_tokens": torch.tensor(sum(len(f["input_ids"]) for f in features))}  # fmt: skip

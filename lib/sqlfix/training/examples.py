"""Static facts of each training example: token ids, where the prompt ends, the fix line of each target
token, and which fix lines are diff lines. The collator draws the dynamic mask from these.
"""

from __future__ import annotations

from sqlfix.sql.diff import line_roles
from sqlfix.training.lines import token_lines


def prompt_text(tokenizer, prompt: str) -> str:
    """The prompt in the model's chat template, up to where the assistant's answer starts."""
    if getattr(tokenizer, "chat_template", None):
        return tokenizer.apply_chat_template(
            [{"role": "user", "content": prompt}], tokenize=False, add_generation_prompt=True
        )
    return prompt + "\n"


def build_example(tokenizer, prompt: str, bug_sql: str, fixed_sql: str, max_length: int | None = None) -> dict | None:
    """One tokenised example, or None when it does not fit ``max_length`` (never truncated: a cut fix would
    teach the model to stop mid-query)."""
    prompt_ids = tokenizer(prompt_text(tokenizer, prompt), add_special_tokens=False)["input_ids"]
    target = tokenizer(fixed_sql, add_special_tokens=False, return_offsets_mapping=True)
    roles = line_roles(bug_sql, fixed_sql)
    # tokens after the last line (trailing line breaks and blanks, which the diff has no line for) are
    # always trained, as EOS is
    lines = [
        line if line < len(roles) else -1
        for line in token_lines([tuple(o) for o in target["offset_mapping"]], fixed_sql)
    ]
    eos = tokenizer.eos_token_id
    input_ids = list(prompt_ids) + list(target["input_ids"]) + ([eos] if eos is not None else [])
    token_line = lines + ([-1] if eos is not None else [])
    if max_length and len(input_ids) > max_length:
        return None
    return {
        "input_ids": input_ids,
        "prompt_len": len(prompt_ids),
        "token_line": token_line,
        "line_is_diff": roles,
    }


def corpus_examples(tokenizer, path, max_length: int) -> list[dict]:
    """Continued pre-training examples: a ``.sql`` file (split into statements) or JSON Lines with ``text``,
    tokenised and cut into windows of ``max_length``; every token is trained (no prompt, no line roles)."""
    import json
    from pathlib import Path

    from sqlfix.sql.statements import split_statements

    path = Path(path)
    if path.suffix.lower() == ".sql":
        texts = split_statements(path.read_text(errors="replace"))
    else:
        texts = [json.loads(line)["text"] for line in path.open(encoding="utf-8") if line.strip()]
    out, eos = [], tokenizer.eos_token_id
    for text in texts:
        ids = tokenizer(text, add_special_tokens=False)["input_ids"] + ([eos] if eos is not None else [])
        for start in range(0, len(ids), max_length):
            window = ids[start : start + max_length]
            out.append({"input_ids": window, "prompt_len": 0, "token_line": [-1] * len(window), "line_is_diff": []})
    return out

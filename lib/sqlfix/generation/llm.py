"""The LLM generator: the paper's generation prompt (its Appendix A.1), a chat backend, a tolerant reader.

A backend answers a list of prompts with a list of texts (``None`` where it gave up). Two ship:
``OpenAIChat`` (any OpenAI-compatible ``/chat/completions`` endpoint: vLLM, a hosted API; the key is read
from an environment variable at request time and never logged or stored) and, in the command layer, the
local transformers model. ``LLMGenerator`` renders the prompt per (corpus query, target leaf), asks the
backend under a request budget, and reads the JSON answer, tolerating code fences, trailing text, broken
JSON and ``suitable: no``. Whether the bug really fails in the leaf is decided later, by verification.
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Protocol

from sqlfix.config import filled
from sqlfix.errors import SqlfixError

PROMPT = """Based on the SCHEMAS and TARGET SQL, help to generate the error sql which is related to SCHEMAS and similar to
TARGET SQL. The generated error sql should contain error related to ERROR INFO. You should obey the following RULES.
**RULES**
1. If the SCHEMAS are empty, it means the TARGET SPARK SQL is not related to any schemas.
2. ERROR INFO should not appear in the explanation.
3. Except for error part of code, other parts of code should be same between correct sql and error sql.
4. Comments and indents in generated error sql and correct sql should be the same.
5. If it is hard to generate error sql which is similar to the TARGET SQL related to ERROR INFO, please return no in
   suitable field, otherwise it should be yes.

Below is a brief example which you can refer to (if the slots of the example are empty, please ignore the Example
section):

[EXAMPLE]
target sql: {example_target}
error info: {example_error}
error sql: {example_bug}

Now give you the tables schema, corresponding target SQL and error type information as below. Please write a error
SQL that match the error type information.
[SCHEMAS]
{schemas}
[TARGET SPARK SQL]
{target}
[ERROR INFO]
{error_info}

**RESPONSE REQUIREMENT**
Return json str which can be parsed by json.loads() of python3 as following:
{{"error sql": "", "correct sql": "", "reason": "", "suitable": ""}}"""


def error_info(leaf) -> str:
    """What the prompt says about a taxonomy leaf: its description, Spark conditions and example message."""
    parts = [leaf.description]
    if leaf.conditions:
        parts.append("Spark error conditions: " + ", ".join(leaf.conditions))
    if leaf.example:
        parts.append("Example message: " + leaf.example)
    return "\n".join(parts)


def render_generation_prompt(leaf, target_sql: str, schemas: str | None, example: dict | None = None) -> str:
    """The A.1 prompt for one target SQL and leaf; ``example``: target/bug of one mutator fixture, if any."""
    example = example or {}
    return PROMPT.format(
        example_target=example.get("input", ""), example_error=error_info(leaf) if example else "",
        example_bug=example.get("expected", ""), schemas=schemas or "", target=target_sql, error_info=error_info(leaf),
    )  # fmt: skip


@dataclass(frozen=True)
class Answer:
    bug_sql: str | None
    correct_sql: str | None
    reason: str  # ok, unsuitable, malformed, no_answer, budget_exhausted, backend_error
    explanation: str = ""


_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.S)


def read_json_answer(text: str, keys: tuple[str, ...]) -> dict:
    """The JSON object of a model's answer (in a code fence or not, with text around it); when it is broken
    or cut off, each of ``keys`` whose string value is complete.

    Example:
        >>> read_json_answer('Sure: {"slow sql": "SELECT 1", "why": "ok"} hope it helps', ("slow sql",))
        {'slow sql': 'SELECT 1', 'why': 'ok'}
        >>> read_json_answer('{"slow sql": "SELECT a FROM t", "why": "cut', ("slow sql", "why"))
        {'slow sql': 'SELECT a FROM t'}
    """
    body = _FENCE.search(text)
    body = body.group(1) if body else text
    start = body.find("{")
    if start >= 0:
        try:
            data, _ = json.JSONDecoder().raw_decode(body[start:])
            if isinstance(data, dict):
                return data
        except json.JSONDecodeError:
            pass
    data = {}
    for key in keys:
        m = re.search(rf'"{key}"\s*:\s*"((?:[^"\\]|\\.)*)"', body, re.S)
        if m:
            try:
                data[key] = json.loads(f'"{m.group(1)}"')
            except json.JSONDecodeError:
                data[key] = m.group(1)
    return data


def parse_answer(text: str | None) -> Answer:
    """Read a model's answer: the JSON object (in a code fence or not), or its fields one by one when the
    JSON is broken or cut off.

    Example:
        >>> parse_answer('```json\\n{"error sql": "SELEC 1", "correct sql": "SELECT 1", "suitable": "yes"}\\n```')
        Answer(bug_sql='SELEC 1', correct_sql='SELECT 1', reason='ok', explanation='')
        >>> parse_answer('{"error sql": "", "suitable": "no"}').reason
        'unsuitable'
        >>> parse_answer('{"error sql": "SELECT a FORM t", "correct sql": "SELECT a FR').bug_sql
        'SELECT a FORM t'
        >>> parse_answer("I cannot help with that").reason
        'malformed'
    """
    if text is None:
        return Answer(None, None, "no_answer")
    data = read_json_answer(text, ("error sql", "correct sql", "reason", "suitable"))
    bug = (data.get("error sql") or data.get("error_sql") or "").strip() or None
    correct = (data.get("correct sql") or data.get("correct_sql") or "").strip() or None
    suitable = str(data.get("suitable", "yes")).strip().lower()
    explanation = str(data.get("reason") or "")
    if suitable.startswith("no"):
        return Answer(None, correct, "unsuitable", explanation)
    if bug is None:
        return Answer(None, correct, "malformed", explanation)
    return Answer(bug, correct, "ok", explanation)


class ChatBackend(Protocol):
    name: str

    def complete(self, prompts: list[str]) -> list[str | None]:
        """One answer per prompt (``None``: no answer after the backend's retries)."""
        ...


@dataclass
class OpenAIChat:
    """An OpenAI-compatible chat endpoint (``{base_url}/chat/completions``). ``api_key_env``: the variable the
    key is read from (``None``: no key). Settings left ``None`` take the profile's ``generation.llm`` values."""

    base_url: str
    model: str
    api_key_env: str | None
    concurrency: int | None = None
    retries: int | None = None
    backoff_s: float | None = None
    timeout_s: float | None = None
    temperature: float | None = None
    max_tokens: int | None = None
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)

    def __post_init__(self) -> None:
        names = ("concurrency", "retries", "backoff_s", "timeout_s", "temperature", "max_tokens")
        for name, value in filled({n: getattr(self, n) for n in names}, "generation", "llm").items():
            setattr(self, name, value)

    @property
    def name(self) -> str:
        return f"llm:{self.model}"

    def _post(self, prompt: str) -> str:
        body = json.dumps({"model": self.model, "messages": [{"role": "user", "content": prompt}],
                           "temperature": self.temperature, "max_tokens": self.max_tokens}).encode()  # fmt: skip
        headers = {"Content-Type": "application/json"}
        key = os.environ.get(self.api_key_env) if self.api_key_env else None
        if key:
            headers["Authorization"] = f"Bearer {key}"
        request = urllib.request.Request(self.base_url.rstrip("/") + "/chat/completions", body, headers)
        with urllib.request.urlopen(request, timeout=self.timeout_s) as response:  # noqa: S310 - configured URL
            data = json.loads(response.read().decode("utf-8", errors="replace"))
        return data["choices"][0]["message"]["content"]

    def _one(self, prompt: str) -> str | None:
        for attempt in range(self.retries + 1):
            try:
                return self._post(prompt)
            except urllib.error.HTTPError as exc:  # 4xx other than 408/429 will not get better
                if exc.code not in (408, 429) and exc.code < 500:
                    return None
            except (urllib.error.URLError, TimeoutError, OSError, KeyError, IndexError, ValueError):
                pass
            if attempt < self.retries:
                self.sleep(self.backoff_s * 2**attempt)
        return None

    def complete(self, prompts: list[str]) -> list[str | None]:
        with ThreadPoolExecutor(max_workers=max(1, self.concurrency), thread_name_prefix="sqlfix-llm") as pool:
            return list(pool.map(self._one, prompts))


@dataclass
class LLMGenerator:
    """Bug SQL from a chat model for (corpus query, leaf) candidates, within ``max_requests`` per run."""

    backend: ChatBackend
    max_requests: int | None = None  # None: the profile's generation.llm.max_requests
    examples: dict[str, dict] = field(default_factory=dict)  # leaf -> {input, expected} (a mutator fixture)
    requests: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        self.max_requests = int(filled({"max_requests": self.max_requests}, "generation", "llm")["max_requests"])

    @property
    def name(self) -> str:
        return self.backend.name

    def answers(self, candidates: list[dict], taxonomy) -> list[Answer]:
        """One ``Answer`` per candidate (dicts with sql_text, schema_ddl, target_leaf)."""
        with self._lock:
            allowed = max(0, min(len(candidates), self.max_requests - self.requests))
            self.requests += allowed
        prompts = [render_generation_prompt(taxonomy.leaf(c["target_leaf"]), c["sql_text"], c.get("schema_ddl"),
                                            self.examples.get(c["target_leaf"])) for c in candidates[:allowed]]  # fmt: skip
        texts = self.backend.complete(prompts) if prompts else []
        out = [parse_answer(t) for t in texts]
        out += [Answer(None, None, "budget_exhausted")] * (len(candidates) - allowed)
        return out


def backend_from_config(gcfg: dict) -> OpenAIChat:
    """The OpenAI-compatible backend the ``generation.llm`` settings describe."""
    lcfg = gcfg["llm"]
    if not lcfg.get("base_url"):
        raise SqlfixError(
            "generation.llm.base_url is not set", hint="--set generation.llm.base_url=http://host:8000/v1"
        )
    return OpenAIChat(
        base_url=lcfg["base_url"], model=lcfg["model"], api_key_env=lcfg.get("api_key_env"),
        concurrency=int(lcfg["concurrency"]), retries=int(lcfg["retries"]), backoff_s=float(lcfg["backoff_s"]),
        timeout_s=float(lcfg["timeout_s"]), temperature=float(lcfg["temperature"]), max_tokens=int(lcfg["max_tokens"]),
    )  # fmt: skip

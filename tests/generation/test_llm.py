"""The LLM generator against a local HTTP endpoint serving scripted answers, and a tiny local model."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from sqlfix.generation.llm import LLMGenerator, OpenAIChat, parse_answer, render_generation_prompt
from sqlfix.taxonomy.model import load_taxonomy

TARGET = "SELECT o.user_id, SUM(o.amount) AS total\nFROM qa.orders o\nGROUP BY o.user_id"
DDL = "CREATE TABLE qa.orders (order_id BIGINT, user_id BIGINT, amount DOUBLE) USING parquet"
LEAF = "aggregation.group_by.missing_group_by"
GOOD = json.dumps(
    {
        "error sql": "SELECT o.user_id, SUM(o.amount) AS total\nFROM qa.orders o",
        "correct sql": TARGET,
        "reason": "dropped the grouping",
        "suitable": "yes",
    }
)
SCRIPT = [
    (500, "overloaded"),  # retried
    (200, "Here you go:\n```json\n" + GOOD + "\n```"),
    (200, '{"error sql": "SELECT o.user_id, SUM(o.amount) AS total\\nFROM qa.orders o", "correct sql": "SELECT'),
    (200, json.dumps({"error sql": "", "correct sql": "", "reason": "hard", "suitable": "no"})),
    (
        200,
        json.dumps(
            {
                "error sql": "SELECT o.user_id, SUM(o.amount) AS total\nFROM qa.orders o",
                "correct sql": "SELECT o.user_id, SUM(o.amount) AS total\nFROM qa.orderz o\nGROUP BY o.user_id",
                "suitable": "yes",
            }
        ),
    ),
]


@pytest.fixture
def endpoint():
    seen = {"auth": [], "bodies": []}
    queue = list(SCRIPT)
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            with lock:
                status, text = queue.pop(0)
                seen["auth"].append(self.headers.get("Authorization"))
                seen["bodies"].append(body)
            payload = json.dumps({"choices": [{"message": {"content": text}}]}).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/v1", seen
    server.shutdown()


def test_scripted_answers_are_read_retried_and_budgeted(endpoint, monkeypatch):
    url, seen = endpoint
    monkeypatch.setenv("SQLFIX_TEST_KEY", "sk-secret")
    backend = OpenAIChat(url, "scripted", api_key_env="SQLFIX_TEST_KEY", concurrency=1, retries=2, sleep=lambda s: None)
    gen = LLMGenerator(backend, max_requests=4)
    candidates = [{"sql_text": TARGET, "schema_ddl": DDL, "target_leaf": LEAF}] * 5
    answers = gen.answers(candidates, load_taxonomy())
    assert [a.reason for a in answers] == ["ok", "ok", "unsuitable", "ok", "budget_exhausted"]
    assert answers[0].correct_sql == TARGET
    assert answers[1].bug_sql == "SELECT o.user_id, SUM(o.amount) AS total\nFROM qa.orders o"  # salvaged, cut off
    assert answers[1].correct_sql is None
    assert seen["auth"] == ["Bearer sk-secret"] * 5  # one 500 retried, then four answers
    prompt = seen["bodies"][0]["messages"][0]["content"]
    assert TARGET in prompt and DDL in prompt and "[ERROR INFO]" in prompt and "MISSING_GROUP_BY" in prompt
    assert "sk-secret" not in repr(backend) and "sk-secret" not in prompt


def test_generated_pairs_are_verified_and_rejections_have_reasons(endpoint, spark, monkeypatch):
    from sqlfix.filtering.judge import Judge
    from sqlfix.filtering.sandbox import Sandbox
    from sqlfix.generation.oriented import verify

    url, _ = endpoint
    backend = OpenAIChat(url, "scripted", api_key_env=None, concurrency=1, retries=1, sleep=lambda s: None)
    taxonomy = load_taxonomy()
    candidates = [{"sql_text": TARGET, "schema_ddl": DDL, "target_leaf": LEAF}] * 5
    answers = LLMGenerator(backend, max_requests=10).answers(candidates, taxonomy)
    pairs = [{**c, "bug_sql": a.bug_sql, "fixed_sql": a.correct_sql or c["sql_text"]}
             for c, a in zip(candidates, answers, strict=True) if a.bug_sql]  # fmt: skip
    judge = Judge(Sandbox(spark), threads=1, timeout_s=60)
    try:
        judged = verify(judge, pairs, taxonomy)
    finally:
        judge.close()
    assert [(p["reason"], p["category_l3"]) for p in judged] == [
        ("kept", LEAF),
        ("kept", LEAF),
        ("fix_fails", LEAF),
    ]  # the last "correct sql" reads a missing table


def test_a_tiny_local_model_gives_answers_that_are_read_not_trusted(ctx, tiny_model_dir):
    from sqlfix.inference.generate import ChatBackend

    ctx.cfg["generation"]["llm"]["max_tokens"] = 16
    backend = ChatBackend(str(tiny_model_dir), ctx.cfg["generation"]["llm"])
    answers = LLMGenerator(backend, max_requests=2).answers(
        [{"sql_text": TARGET, "schema_ddl": DDL, "target_leaf": LEAF}] * 3, load_taxonomy()
    )
    assert [a.reason for a in answers] == ["malformed", "malformed", "budget_exhausted"]


def test_the_prompt_is_the_papers_with_an_example_when_one_is_given():
    leaf = load_taxonomy().leaf(LEAF)
    text = render_generation_prompt(leaf, TARGET, DDL, {"input": "SELECT 1", "expected": "SELEC 1"})
    assert "target sql: SELECT 1\n" in text and "error sql: SELEC 1\n" in text
    assert text.endswith('{"error sql": "", "correct sql": "", "reason": "", "suitable": ""}')
    assert parse_answer(None).reason == "no_answer"

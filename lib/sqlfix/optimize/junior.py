"""The LLM "junior developer": slow queries written by a model asked to solve a task the naive way.

For a seed query (the fast answer) and an anti-pattern, the model writes a query that returns the same
result the way a junior analyst might. The backend is the same as oriented generation's (an
OpenAI-compatible endpoint or a local model: ``generation.llm``), and so is the tolerant answer reader.
Nothing it writes is trusted: verification checks the seed against it on every instance like any other
pair, so a "slow" query that changes the result is dropped there.
"""

from __future__ import annotations

from sqlfix.generation.llm import read_json_answer
from sqlfix.optimize.rules import split_of

JUNIOR_PATTERNS = {
    "union_for_union_all": "combine disjoint result sets with UNION instead of UNION ALL",
    "count_for_exists": "test for existence by counting matching rows instead of EXISTS",
    "not_in_for_not_exists": "exclude rows with NOT IN over a subquery instead of NOT EXISTS",
    "python_udf_for_builtin": "call the Python UDF py_upper or py_lower instead of the built-in upper or lower",
    "distinct_over_unique": "add DISTINCT to rows that are already unique",
}

PROMPT = """You are helping to build training data for a SQL optimiser. Below are the tables' schema and an
efficient Spark SQL query. Write the query a junior developer might write for the same task: it must
return exactly the same rows, but {pattern}. Keep everything else as it is.
[TABLES SCHEMA]
{schema}
[EFFICIENT SQL]
{sql}

Return json which can be parsed by json.loads() of python3 as following:
{{"slow sql": "", "suitable": ""}}  (suitable: no when the pattern does not fit this query)"""


def render(schema: str, sql: str, pattern: str) -> str:
    return PROMPT.format(pattern=JUNIOR_PATTERNS[pattern], schema=schema, sql=sql)


def junior_slow_queries(backend, seeds: list[tuple[str, str, str]], ddl_of, max_requests: int,
                        validation_share: float, salt: int = 0) -> tuple[list[dict], dict[str, int]]:  # fmt: skip
    """(items, outcomes): one request per (seed, pattern) up to ``max_requests``; items are slow queries in
    the rule round's shape (pattern ``llm:<pattern>``), outcomes count ok / unsuitable / malformed / ..."""
    asks = [(domain, name, sql, pattern) for domain, name, sql in seeds for pattern in JUNIOR_PATTERNS][:max_requests]
    texts = backend.complete([render(ddl_of(sql), sql, pattern) for _, _, sql, pattern in asks]) if asks else []
    items, outcomes = [], {}
    for (domain, name, sql, pattern), text in zip(asks, texts, strict=True):
        data = read_json_answer(text, ("slow sql", "suitable")) if text is not None else None
        if data is None:
            reason = "no_answer"
        elif str(data.get("suitable", "yes")).strip().lower().startswith("no"):
            reason = "unsuitable"
        elif not (data.get("slow sql") or "").strip():
            reason = "malformed"
        elif " ".join(data["slow sql"].split()).lower() == " ".join(sql.split()).lower():
            reason = "unchanged"
        else:
            reason = "ok"
            seed_id = f"{domain}.{name}"
            items.append({"seed_id": seed_id, "domain": domain, "pattern": f"llm:{pattern}", "seed_sql": sql,
                          "slow_sql": data["slow sql"].strip(), "split": split_of(seed_id, validation_share, salt)})  # fmt: skip
        outcomes[reason] = outcomes.get(reason, 0) + 1
    return items, outcomes

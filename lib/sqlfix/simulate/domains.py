"""The simulated data platform's catalog: four business domains and their tables.

Each column has a role the query composer uses: ``key`` (join keys), ``dim`` (group-by dimensions),
``measure`` (numbers to aggregate), ``time`` (timestamps), ``list`` (arrays to explode), ``text``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Col:
    name: str
    type: str
    role: str
    comment: str = ""


@dataclass(frozen=True)
class SimTable:
    name: str  # db.table
    alias: str
    cols: tuple[Col, ...]
    comment: str

    def by_role(self, *roles: str) -> list[Col]:
        return [c for c in self.cols if c.role in roles]

    @property
    def ddl(self) -> str:
        width = max(len(c.name) for c in self.cols)
        lines = []
        for c in self.cols:
            comment = f" COMMENT '{c.comment}'" if c.comment else ""
            lines.append(f"  {c.name.ljust(width)} {c.type}{comment}")
        body = ",\n".join(lines)
        return (
            f"CREATE TABLE IF NOT EXISTS {self.name} (\n{body},\n  {'dt'.ljust(width)} STRING COMMENT 'partition date'\n)\n"
            f"USING parquet\nPARTITIONED BY (dt)\nCOMMENT '{self.comment}'"
        )


def _t(name: str, alias: str, comment: str, *cols: tuple) -> SimTable:
    return SimTable(name, alias, tuple(Col(*c) for c in cols), comment)


DOMAINS: dict[str, tuple[SimTable, ...]] = {
    "ecommerce": (
        _t("shop.orders", "o", "one row per order",
           ("order_id", "BIGINT", "key"), ("user_id", "BIGINT", "key"), ("shop_id", "BIGINT", "key"),
           ("order_status", "STRING", "dim", "created/paid/shipped/refunded"), ("pay_channel", "STRING", "dim"),
           ("order_amount", "DECIMAL(18,2)", "measure"), ("discount_amount", "DECIMAL(18,2)", "measure"),
           ("created_at", "TIMESTAMP", "time"), ("coupon_codes", "ARRAY<STRING>", "list")),
        _t("shop.order_items", "oi", "one row per order line",
           ("order_id", "BIGINT", "key"), ("sku_id", "BIGINT", "key"), ("category_name", "STRING", "dim"),
           ("quantity", "INT", "measure"), ("unit_price", "DECIMAL(18,2)", "measure"), ("item_attrs", "MAP<STRING,STRING>", "text")),
        _t("shop.users", "u", "registered buyers",
           ("user_id", "BIGINT", "key"), ("country", "STRING", "dim"), ("city_level", "INT", "dim"),
           ("gender", "STRING", "dim"), ("register_time", "TIMESTAMP", "time"), ("user_tags", "ARRAY<STRING>", "list")),
        _t("shop.shops", "s", "merchant shops",
           ("shop_id", "BIGINT", "key"), ("shop_name", "STRING", "text"), ("shop_level", "STRING", "dim"),
           ("main_category", "STRING", "dim"), ("open_time", "TIMESTAMP", "time")),
        _t("shop.refunds", "r", "refund requests",
           ("order_id", "BIGINT", "key"), ("user_id", "BIGINT", "key"), ("refund_reason", "STRING", "dim"),
           ("refund_amount", "DECIMAL(18,2)", "measure"), ("refund_time", "TIMESTAMP", "time")),
    ),
    "video": (
        _t("video.plays", "p", "one row per play session",
           ("play_id", "STRING", "key"), ("video_id", "BIGINT", "key"), ("user_id", "BIGINT", "key"),
           ("device_type", "STRING", "dim"), ("network_type", "STRING", "dim"),
           ("watch_seconds", "BIGINT", "measure"), ("is_complete", "INT", "measure"), ("play_time", "TIMESTAMP", "time")),
        _t("video.videos", "v", "published videos",
           ("video_id", "BIGINT", "key"), ("creator_id", "BIGINT", "key"), ("video_category", "STRING", "dim"),
           ("duration_seconds", "INT", "measure"), ("publish_time", "TIMESTAMP", "time"), ("hashtags", "ARRAY<STRING>", "list")),
        _t("video.creators", "c", "creators and their accounts",
           ("creator_id", "BIGINT", "key"), ("creator_level", "STRING", "dim"), ("region", "STRING", "dim"),
           ("follower_cnt", "BIGINT", "measure"), ("signup_time", "TIMESTAMP", "time")),
        _t("video.interactions", "i", "likes, shares and comments",
           ("video_id", "BIGINT", "key"), ("user_id", "BIGINT", "key"), ("action_type", "STRING", "dim"),
           ("action_cnt", "BIGINT", "measure"), ("action_time", "TIMESTAMP", "time")),
    ),
    "search": (
        _t("search.queries", "q", "one row per search request",
           ("request_id", "STRING", "key"), ("session_id", "STRING", "key"), ("user_id", "BIGINT", "key"),
           ("query_text", "STRING", "text"), ("query_category", "STRING", "dim"), ("client", "STRING", "dim"),
           ("result_cnt", "INT", "measure"), ("latency_ms", "BIGINT", "measure"), ("search_time", "TIMESTAMP", "time")),
        _t("search.clicks", "k", "result clicks",
           ("request_id", "STRING", "key"), ("doc_id", "STRING", "key"), ("click_position", "INT", "measure"),
           ("dwell_ms", "BIGINT", "measure"), ("click_time", "TIMESTAMP", "time")),
        _t("search.sessions", "ss", "search sessions",
           ("session_id", "STRING", "key"), ("user_id", "BIGINT", "key"), ("entry_page", "STRING", "dim"),
           ("query_cnt", "INT", "measure"), ("start_time", "TIMESTAMP", "time"), ("experiment_ids", "ARRAY<STRING>", "list")),
        _t("search.docs", "d", "indexed documents",
           ("doc_id", "STRING", "key"), ("doc_type", "STRING", "dim"), ("quality_score", "DOUBLE", "measure"),
           ("index_time", "TIMESTAMP", "time")),
    ),
    "ads": (
        _t("ads.impressions", "im", "ad impressions",
           ("impression_id", "STRING", "key"), ("ad_id", "BIGINT", "key"), ("user_id", "BIGINT", "key"),
           ("placement", "STRING", "dim"), ("os", "STRING", "dim"), ("bid_price", "DOUBLE", "measure"),
           ("cost", "DOUBLE", "measure"), ("impression_time", "TIMESTAMP", "time")),
        _t("ads.clicks", "ck", "ad clicks",
           ("impression_id", "STRING", "key"), ("ad_id", "BIGINT", "key"), ("user_id", "BIGINT", "key"),
           ("click_cost", "DOUBLE", "measure"), ("click_time", "TIMESTAMP", "time")),
        _t("ads.ads", "a", "ad creatives",
           ("ad_id", "BIGINT", "key"), ("campaign_id", "BIGINT", "key"), ("ad_format", "STRING", "dim"),
           ("target_tags", "ARRAY<STRING>", "list"), ("create_time", "TIMESTAMP", "time")),
        _t("ads.campaigns", "cp", "campaigns and budgets",
           ("campaign_id", "BIGINT", "key"), ("advertiser_id", "BIGINT", "key"), ("industry", "STRING", "dim"),
           ("objective", "STRING", "dim"), ("daily_budget", "DOUBLE", "measure"), ("start_time", "TIMESTAMP", "time")),
        _t("ads.conversions", "cv", "attributed conversions",
           ("impression_id", "STRING", "key"), ("user_id", "BIGINT", "key"), ("conversion_type", "STRING", "dim"),
           ("conversion_value", "DOUBLE", "measure"), ("conversion_time", "TIMESTAMP", "time")),
    ),
}  # fmt: skip


def all_tables() -> list[SimTable]:
    return [t for tables in DOMAINS.values() for t in tables]


def joinable(a: SimTable, b: SimTable) -> list[str]:
    """Key columns two tables share (what a join can use)."""
    keys_b = {c.name for c in b.by_role("key")}
    return [c.name for c in a.by_role("key") if c.name in keys_b]

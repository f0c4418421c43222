-- Analyst queries over the simulated platform's catalog (lib/sqlfix/simulate/domains.py), written to hold the
-- error features the demo's ad-hoc log lacks (CAST, COALESCE, UNION, CTEs, LATERAL VIEW, typed literals, ...).
-- benchmarks/recall.py adds them to the corpus (--sql-dir benchmarks/corpus) to measure every mutator's yield.

-- daily paid revenue by channel
SELECT
  CAST(o.created_at AS DATE) AS order_day,
  o.pay_channel,
  SUM(CAST(o.order_amount AS DOUBLE)) AS revenue
FROM shop.orders o
WHERE o.created_at >= TIMESTAMP '2026-10-01 00:00:00'
  AND o.order_status = 'paid'
GROUP BY 1, 2
ORDER BY order_day;

-- buyers and refunders in one list
SELECT o.user_id, o.order_amount AS amount, o.created_at AS at FROM shop.orders o
UNION ALL
SELECT r.user_id, r.refund_amount AS amount, r.refund_time AS at FROM shop.refunds r;

-- coupon usage
SELECT
  o.order_id,
  code
FROM shop.orders o
LATERAL VIEW explode(o.coupon_codes) c AS code
WHERE o.order_status = 'paid';

-- refunds per order with a fallback time
SELECT
  o.order_id,
  coalesce(r.refund_time, o.created_at) AS last_event,
  coalesce(r.refund_amount, 0) AS refunded
FROM shop.orders o
LEFT JOIN shop.refunds r USING (order_id);

-- second-level CTE pipeline
WITH paid AS (
  SELECT o.order_id, o.user_id, o.order_amount
  FROM shop.orders o
  WHERE o.order_status = 'paid'
),
per_user AS (
  SELECT p.user_id, SUM(p.order_amount) AS spend, COUNT(*) AS orders
  FROM paid p
  GROUP BY p.user_id
)
SELECT u.country, AVG(pu.spend) AS avg_spend
FROM per_user pu
JOIN shop.users u ON pu.user_id = u.user_id
GROUP BY u.country;

-- users who bought in a category
SELECT u.user_id, u.country
FROM shop.users u
WHERE u.user_id IN (SELECT o.user_id FROM shop.orders o WHERE o.order_status = 'paid');

-- previous play per user
SELECT
  p.user_id,
  p.play_time,
  lag(p.watch_seconds) OVER (PARTITION BY p.user_id ORDER BY p.play_time) AS prev_watch,
  row_number() OVER (PARTITION BY p.user_id ORDER BY p.play_time DESC) AS rn
FROM video.plays p
WHERE p.play_time >= '2026-10-01';

-- creator totals with a running share
SELECT
  v.creator_id,
  SUM(p.watch_seconds) AS watched,
  SUM(SUM(p.watch_seconds)) OVER (PARTITION BY v.creator_id) AS creator_total
FROM video.plays p
JOIN video.videos v ON p.video_id = v.video_id
GROUP BY v.creator_id, p.video_id;

-- long plays by device
SELECT p.device_type, COUNT(*) AS plays
FROM video.plays p
WHERE p.watch_seconds > 600
GROUP BY p.device_type
HAVING COUNT(*) > 10;

-- search latency buckets
SELECT
  q.client,
  CASE WHEN q.latency_ms > 1000 THEN 'slow' ELSE 'ok' END AS speed,
  COUNT(*) AS n
FROM search.queries q
GROUP BY q.client, CASE WHEN q.latency_ms > 1000 THEN 'slow' ELSE 'ok' END;

-- session experiments
SELECT ss.session_id, exp_id
FROM search.sessions ss
LATERAL VIEW explode(ss.experiment_ids) e AS exp_id
WHERE ss.start_time >= '2026-10-01';

-- days between signup and first order
SELECT
  u.user_id,
  datediff(MIN(o.created_at), u.register_time) AS days_to_first_order
FROM shop.users u
JOIN shop.orders o ON o.user_id = u.user_id
GROUP BY u.user_id, u.register_time;

-- weekly item attributes
SELECT
  oi.order_id,
  element_at(oi.item_attrs, 'color') AS color,
  oi.quantity * oi.unit_price AS line_total
FROM shop.order_items oi
WHERE oi.quantity >= 2;

-- campaign spend, budget as number
SELECT
  cp.campaign_id,
  CAST(cp.daily_budget AS BIGINT) AS budget,
  round(SUM(im.cost), 2) AS spend
FROM ads.campaigns cp
JOIN ads.ads a ON a.campaign_id = cp.campaign_id
JOIN ads.impressions im ON im.ad_id = a.ad_id
WHERE im.impression_time >= TIMESTAMP '2026-10-01 00:00:00'
GROUP BY cp.campaign_id, cp.daily_budget;

-- clicks joined to impressions
SELECT im.ad_id, COUNT(ck.impression_id) AS clicks, COUNT(*) AS impressions
FROM ads.impressions im
LEFT JOIN ads.clicks ck ON ck.impression_id = im.impression_id
GROUP BY im.ad_id
ORDER BY clicks DESC
LIMIT 20;

-- docs with unknown type
SELECT d.doc_id, nvl(d.doc_type, 'unknown') AS doc_type, d.quality_score
FROM search.docs d
WHERE d.index_time > '2026-09-01'
  AND d.quality_score >= 0.5;

-- conversions per type, positional grouping
SELECT cv.conversion_type, SUM(cv.conversion_value) AS value
FROM ads.conversions cv
GROUP BY 1;

-- creators of long videos
SELECT c.creator_id, c.region
FROM video.creators c
WHERE c.creator_id IN (SELECT v.creator_id FROM video.videos v WHERE v.duration_seconds > 600)
  AND c.follower_cnt > 1000;

-- orders of the quarter by week
SELECT
  date_trunc('WEEK', o.created_at) AS week,
  COUNT(DISTINCT o.user_id) AS buyers
FROM shop.orders o
WHERE o.created_at BETWEEN TIMESTAMP '2026-07-01 00:00:00' AND TIMESTAMP '2026-09-30 23:59:59'
GROUP BY date_trunc('WEEK', o.created_at);

-- top shops
SELECT s.shop_name, SUM(o.order_amount) AS gmv
FROM shop.orders o
JOIN shop.shops s ON o.shop_id = s.shop_id
WHERE o.order_status = 'paid'
GROUP BY s.shop_name
ORDER BY gmv DESC
LIMIT 10;

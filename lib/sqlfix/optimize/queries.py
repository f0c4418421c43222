"""Good queries over the optimisation databases: the seeds the de-optimisers turn into slow ones.

Each is the fast form an analyst should write; each de-optimiser applies to the seeds with its shape
(a UNION ALL of disjoint branches, an anti-join as NOT EXISTS, a range on a partition column, a join to a
dimension on its key, a built-in function...).
"""

from __future__ import annotations

SEEDS: tuple[tuple[str, str, str], ...] = (
    ("ecommerce", "paid_and_refunded", """SELECT o.order_id, o.amount, 'paid' AS kind
FROM orders o
WHERE o.status = 'paid'
UNION ALL
SELECT o.order_id, o.amount, 'refunded' AS kind
FROM orders o
WHERE o.status = 'refunded'"""),
    ("ecommerce", "revenue_by_country", """SELECT c.country, SUM(o.amount) AS revenue, COUNT(*) AS orders
FROM orders o
JOIN customers c ON c.customer_id = o.customer_id
WHERE o.order_date >= DATE '2025-07-01'
GROUP BY c.country"""),
    ("ecommerce", "customers_without_orders", """SELECT c.customer_id, c.country
FROM customers c
WHERE NOT EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = c.customer_id)"""),
    ("ecommerce", "order_segments", """SELECT o.order_id, o.amount, upper(c.country) AS country
FROM orders o
LEFT JOIN customers c ON c.customer_id = o.customer_id
WHERE o.order_date >= DATE '2025-11-01'"""),
    ("ecommerce", "order_share_of_customer", """SELECT o.order_id, o.customer_id, o.amount,
       SUM(o.amount) OVER (PARTITION BY o.customer_id) AS customer_total
FROM orders o
WHERE o.order_date >= DATE '2025-07-01'"""),
    ("social", "active_members", """SELECT m.member_id, m.handle
FROM members m
WHERE EXISTS (SELECT 1 FROM posts p WHERE p.member_id = m.member_id)"""),
    ("social", "comments_per_topic", """SELECT p.topic, COUNT(*) AS comments, SUM(cm.likes) AS likes
FROM comments cm
JOIN posts p ON p.post_id = cm.post_id
GROUP BY p.topic"""),
    ("social", "post_authors", """SELECT p.post_id, p.topic, lower(m.handle) AS author
FROM posts p
LEFT JOIN members m ON m.member_id = p.member_id"""),
    ("hr", "payroll_by_department", """SELECT d.dept_name, round(AVG(e.salary), 2) AS avg_salary, COUNT(*) AS staff
FROM employees e
JOIN departments d ON d.dept_id = e.dept_id
GROUP BY d.dept_name"""),
    ("hr", "managers", """SELECT e.emp_id, e.salary
FROM employees e
WHERE EXISTS (SELECT 1 FROM employees r WHERE r.manager_id = e.emp_id)"""),
    ("hr", "staff_regions", """SELECT e.emp_id, d.region
FROM employees e
LEFT JOIN departments d ON d.dept_id = e.dept_id"""),
    ("hr", "salary_rank", """SELECT e.emp_id, e.dept_id, e.salary,
       RANK() OVER (PARTITION BY e.dept_id ORDER BY e.salary DESC) AS salary_rank
FROM employees e
WHERE e.salary IS NOT NULL"""),
    ("analytics", "best_purchase_per_user", """SELECT ev.event_id, ev.user_id, ev.value,
       MAX(ev.value) OVER (PARTITION BY ev.user_id) AS best_value
FROM events ev
WHERE ev.event_date >= DATE '2025-12-01' AND ev.event_type = 'purchase'"""),
    ("analytics", "daily_purchases", """SELECT ev.event_date, COUNT(*) AS purchases, SUM(ev.value) AS value
FROM events ev
WHERE ev.event_date >= DATE '2025-12-01'
  AND ev.event_type = 'purchase'
GROUP BY ev.event_date"""),
    ("analytics", "views_and_clicks", """SELECT ev.event_id, ev.user_id, 'view' AS kind
FROM events ev
WHERE ev.event_type = 'view' AND ev.event_date >= DATE '2025-12-15'
UNION ALL
SELECT ev.event_id, ev.user_id, 'click' AS kind
FROM events ev
WHERE ev.event_type = 'click' AND ev.event_date >= DATE '2025-12-15'"""),
    ("content", "untagged_articles", """SELECT a.article_id, a.author
FROM articles a
WHERE NOT EXISTS (SELECT 1 FROM article_tags t WHERE t.article_id = a.article_id)"""),
    ("content", "longest_articles_per_author", """SELECT a.article_id, a.author, a.words,
       RANK() OVER (PARTITION BY a.author ORDER BY a.words DESC) AS length_rank
FROM articles a
WHERE a.words IS NOT NULL AND a.published >= DATE '2025-06-01'"""),
    ("content", "tag_counts", """SELECT t.tag, COUNT(*) AS articles
FROM article_tags x
JOIN tags t ON t.tag_id = x.tag_id
GROUP BY t.tag"""),
    ("content", "article_tag_names", """SELECT x.article_id, upper(t.tag) AS tag
FROM article_tags x
LEFT JOIN tags t ON t.tag_id = x.tag_id"""),
    ("star", "sales_by_category", """SELECT i.i_category, d.d_year, SUM(ss.ss_sales_price * ss.ss_quantity) AS sales
FROM store_sales ss
JOIN item i ON i.i_item_sk = ss.ss_item_sk
JOIN date_dim d ON d.d_date_sk = ss.ss_sold_date_sk
GROUP BY i.i_category, d.d_year"""),
    ("star", "items_never_sold", """SELECT i.i_item_sk, i.i_brand
FROM item i
WHERE NOT EXISTS (SELECT 1 FROM store_sales ss WHERE ss.ss_item_sk = i.i_item_sk)"""),
    ("star", "store_states", """SELECT ss.ss_item_sk, ss.ss_quantity, lower(s.s_state) AS state
FROM store_sales ss
LEFT JOIN store s ON s.s_store_sk = ss.ss_store_sk
WHERE ss.ss_quantity > 8"""),
)  # fmt: skip

PARTITION_COLUMNS = {"order_date", "event_date"}

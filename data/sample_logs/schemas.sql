-- Catalog snapshot of the e-commerce domain (sample for `sqlfix demo`).
CREATE TABLE IF NOT EXISTS shop.orders (
  order_id BIGINT COMMENT 'order id; unique',
  user_id BIGINT,
  amount DECIMAL(18,2),
  status STRING,
  created_at TIMESTAMP
) USING parquet PARTITIONED BY (dt STRING);

CREATE TABLE shop.users (user_id BIGINT, country STRING, signup_date DATE, tags ARRAY<STRING>);

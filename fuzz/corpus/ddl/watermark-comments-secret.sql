-- orders, read from the start
CREATE TEMPORARY TABLE IF NOT EXISTS cat.db.`orders` (
  id BIGINT NOT NULL COMMENT 'the id',
  amount DECIMAL(10, 2),
  tags ARRAY<STRING>,
  attrs MAP<STRING, INT>,
  nested ROW<x INT, `y z` STRING>,
  ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '5' SECOND
) COMMENT 'it''s orders' /* block
comment */
WITH (
  'connector' = 'kinesis',
  'stream' = 'orders',
  'aws.region' = 'us-east-1',
  'aws.credentials.provider' = 'BASIC',
  'aws.credentials.basic.accesskeyid' = 'AKIDEXAMPLE',
  'aws.credentials.basic.secretkey' = 'S3CRETqZ1',
  'scan.stream.initpos' = 'AT_TIMESTAMP',
  'scan.stream.initpos-timestamp' = '2016-04-04T19:58:46.480-00:00',
  'format' = 'json',
  'json.fail-on-missing-field' = 'true'
);

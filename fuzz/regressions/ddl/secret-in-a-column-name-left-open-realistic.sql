CREATE TABLE t (`a INT, b STRING)
WITH (
  'stream' = 's',
  'aws.credentials.basic.secretkey' = 'S3CRETqZ1'
)
COMMENT 'see `a`'
CREATE TABLE t (a INT COMMENT 'mine, b INT)
WITH ('stream' = 's', 'aws.credentials.basic.secretkey' = 'S3CRETqZ1')
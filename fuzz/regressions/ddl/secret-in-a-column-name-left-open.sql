CREATE TABLE t(`x yGINT NOT NULL
'aws.credentials.basic.secretkey' = 'S3CRETqZ`
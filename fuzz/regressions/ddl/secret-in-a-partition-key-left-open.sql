CREATE TABLE t(``STRING)PARTITIONED BY(`ts')
'aws.credentials.role.provider.basic.secretkey' = 'S3CRETqZ`)
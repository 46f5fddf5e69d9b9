CREATE TABLE t (data BYTES)
WITH (
  'connector' = 'kinesis',
  'stream' = 's',
  'aws.region' = 'eu-west-1',
  'aws.credentials.provider' = 'ASSUME_ROLE',
  'aws.credentials.role.arn' = 'arn:aws:iam::123456789012:role/r',
  'aws.credentials.role.sessionName' = 'session',
  'aws.credentials.role.provider' = 'WEB_IDENTITY_TOKEN',
  'scan.stream.recordpublisher' = 'EFO',
  'scan.stream.efo.consumername' = 'c',
  'scan.shard.consumer.error.recoverable[0].exception' = 'ProvisionedThroughputExceededException',
  'sink.partitioner' = 'random',
  'sink.batch.max-size' = '500',
  'format' = 'raw'
)

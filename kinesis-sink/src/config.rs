//! The subtask a sink runs as ([`SinkContext`]) and its settings ([`SinkConfig`]), which
//! kinesis-options owns: it validates them and builds them from a table
//! ([`kinesis_options::TableDef::sink_config`]), with the client settings
//! ([`kinesis_options::TableDef::sink_client_config`]); the sink only consumes them.

pub use kinesis_options::SinkConfig;

/// Which sink subtask this is, as Flink's `indexOfThisSubtask` / parallelism. The `fixed`
/// partitioner sends the subtask index as the partition key (decisions D1).
///
/// ```
/// use kinesis_sink::SinkContext;
/// let ctx = SinkContext::default();
/// assert_eq!((ctx.subtask_index, ctx.parallelism), (0, 1));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SinkContext {
    /// 0-based index of this subtask.
    pub subtask_index: usize,
    /// Number of subtasks writing the table.
    pub parallelism: usize,
}

impl Default for SinkContext {
    fn default() -> Self {
        SinkContext {
            subtask_index: 0,
            parallelism: 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use kinesis_formats::DataType;
    use kinesis_options::{Column, TableDef};
    use kinesis_wire::KinesisClient;

    use crate::RecordSink;

    fn table(read_timeout: &str) -> TableDef {
        TableDef::from_options(
            "t",
            vec![Column::physical("v", DataType::string())],
            [
                ("stream", "s"),
                ("format", "raw"),
                ("aws.region", "us-east-1"),
                // Never contacted: nothing is sent in this test.
                ("aws.endpoint", "http://127.0.0.1:9"),
                ("aws.credentials.provider", "BASIC"),
                ("aws.credentials.basic.accesskeyid", "AKID"),
                ("aws.credentials.basic.secretkey", "secret"),
                ("sink.http-client.read-timeout", read_timeout),
                ("sink.requests.max-inflight", "7"),
            ],
        )
        .unwrap()
    }

    /// The one owner of the sink's client settings is kinesis-options: the client a sink
    /// opens for a table is the one `TableDef::sink_client_config` describes (the
    /// read-timeout-0 mapping included, which the sink used to add on top).
    #[test]
    fn the_sink_uses_the_tables_sink_client_config() {
        for read_timeout in ["0", "1000"] {
            let t = table(read_timeout);
            let described = format!("{:?}", KinesisClient::new(t.sink_client_config()).unwrap());
            let sink = RecordSink::open_for_table(&t).unwrap();
            assert_eq!(format!("{:?}", sink.client()), described);
            assert_eq!(sink.config(), &t.sink_config());
            sink.abort().unwrap();
        }
        // The comparison sees the difference a read timeout makes.
        let a = format!("{:?}", KinesisClient::new(table("0").sink_client_config()));
        let b = format!(
            "{:?}",
            KinesisClient::new(table("1000").sink_client_config())
        );
        assert_ne!(a, b);
        assert!(b.contains("read_timeout: 1s"), "{b}");
    }
}

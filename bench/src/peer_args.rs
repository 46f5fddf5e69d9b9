//! The command line every peer takes (`boto3_peer.py` too):
//! `PEER PATH --endpoint URL --stream NAME [--records N] [--size BYTES] [--batch N]
//! [--shards N] [--seconds S] [--samples N] [-X key=value]...`.

/// A peer's arguments.
#[derive(Debug, Clone, PartialEq)]
pub struct PeerArgs {
    /// The path to run (`put-raw`, `get-raw`, ...).
    pub path: String,
    pub endpoint: String,
    pub stream: String,
    /// Records to write or read.
    pub records: u64,
    /// Payload bytes per record.
    pub size: usize,
    /// Records per PutRecords.
    pub batch: usize,
    /// Shards of the stream (paths that need to know).
    pub shards: usize,
    /// Length of a timed window (idle path).
    pub seconds: f64,
    /// Samples to take (latency path).
    pub samples: usize,
    /// Connector options for kinesis-rs's table (`-X key=value`, in order).
    pub options: Vec<(String, String)>,
}

impl PeerArgs {
    /// Parses `args` (without the program name).
    ///
    /// ```
    /// use kinesis_bench::peer_args::PeerArgs;
    /// let a = PeerArgs::parse(["put-raw", "--endpoint", "http://127.0.0.1:1", "--stream", "s",
    ///     "--records", "10", "-X", "sink.batch.max-size=100"].map(String::from)).unwrap();
    /// assert_eq!((a.path.as_str(), a.records, a.size), ("put-raw", 10, 100));
    /// assert_eq!(a.options, [("sink.batch.max-size".to_string(), "100".to_string())]);
    /// assert!(PeerArgs::parse(["put-raw".to_string()]).unwrap_err().contains("--endpoint"));
    /// ```
    pub fn parse(args: impl IntoIterator<Item = String>) -> Result<PeerArgs, String> {
        let mut it = args.into_iter();
        let path = it
            .next()
            .ok_or("usage: PEER PATH --endpoint URL --stream NAME ...")?;
        let mut a = PeerArgs {
            path,
            endpoint: String::new(),
            stream: String::new(),
            records: 1000,
            size: 100,
            batch: 500,
            shards: 1,
            seconds: 10.0,
            samples: 100,
            options: Vec::new(),
        };
        while let Some(flag) = it.next() {
            let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value"));
            let num = |v: String| -> Result<f64, String> {
                v.parse::<f64>()
                    .map_err(|_| format!("{flag}: '{v}' is not a number"))
            };
            match flag.as_str() {
                "--endpoint" => a.endpoint = value()?,
                "--stream" => a.stream = value()?,
                "--records" => a.records = num(value()?)? as u64,
                "--size" => a.size = num(value()?)? as usize,
                "--batch" => a.batch = num(value()?)? as usize,
                "--shards" => a.shards = num(value()?)? as usize,
                "--seconds" => a.seconds = num(value()?)?,
                "--samples" => a.samples = num(value()?)? as usize,
                "-X" => {
                    let kv = value()?;
                    let (k, v) = kv
                        .split_once('=')
                        .ok_or_else(|| format!("-X {kv}: expected key=value"))?;
                    a.options.push((k.to_string(), v.to_string()));
                }
                other => return Err(format!("unknown argument '{other}'")),
            }
        }
        if a.endpoint.is_empty() {
            return Err("--endpoint URL is required".into());
        }
        if a.stream.is_empty() {
            return Err("--stream NAME is required".into());
        }
        Ok(a)
    }
}

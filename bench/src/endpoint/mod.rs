//! A loopback Kinesis endpoint for the benchmarks: the JSON 1.1 subset the peers use over
//! in-memory shards, unlimited or enforcing Kinesis's per-shard limits ([`limits`]) stream by
//! stream, with counters and its own CPU time at `KinesisBench.Stats` ([`stats`]).
//!
//! One thread per connection (kinesis-tests' loopback connection reader/writer), bound to
//! 127.0.0.1. Signatures are not checked. The binary `bench-endpoint` runs it in its own
//! process, so that its CPU is not the client's.
//!
//! ```
//! use kinesis_bench::endpoint::{limits::ShardLimits, Control, Endpoint};
//! let ep = Endpoint::start(ShardLimits::KINESIS);
//! let control = Control::new(&ep.url);
//! control.create_stream("s", 2, true, true, None).unwrap();
//! assert_eq!(control.stats(false).unwrap().streams[0].shards, 2);
//! ```

pub mod api;
pub mod control;
pub mod limits;
pub mod stats;
pub mod store;

use std::net::TcpListener;
use std::sync::Arc;

pub use api::Api;
pub use control::Control;

use kinesis_tests::loopback::Connection;

/// A running endpoint (serving until the process ends).
pub struct Endpoint {
    /// `http://127.0.0.1:<port>`.
    pub url: String,
    /// Its state, for in-process callers (tests).
    pub api: Arc<Api>,
}

impl Endpoint {
    /// Binds a free port on 127.0.0.1 and serves; limited streams get `limits`.
    pub fn start(limits: limits::ShardLimits) -> Endpoint {
        Endpoint::bind(0, limits).expect("bind a loopback port")
    }

    /// Binds 127.0.0.1:`port` (0: any free one) and serves.
    pub fn bind(port: u16, limits: limits::ShardLimits) -> std::io::Result<Endpoint> {
        let listener = TcpListener::bind(("127.0.0.1", port))?;
        let url = format!("http://127.0.0.1:{}", listener.local_addr()?.port());
        let api = Arc::new(Api::new(limits));
        let served = api.clone();
        std::thread::Builder::new()
            .name("bench-accept".into())
            .spawn(move || {
                for conn in listener.incoming().flatten() {
                    let api = served.clone();
                    let _ = std::thread::Builder::new()
                        .name("bench-conn".into())
                        .stack_size(256 << 10)
                        .spawn(move || {
                            let mut conn = Connection::new(conn);
                            while conn.next_request() {
                                let (status, body) =
                                    api.handle(&conn.request.target, &conn.request.body);
                                if conn.respond(status, &body).is_err() {
                                    return;
                                }
                            }
                        });
                }
            })?;
        Ok(Endpoint { url, api })
    }
}

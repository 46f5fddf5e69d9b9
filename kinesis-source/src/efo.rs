//! Enhanced fan-out consumer registration and deregistration (reference §6.1-6.3, §6.6,
//! decisions D6 and D18). Records are then read by polling.

use std::time::{Duration, Instant};

use kinesis_options::RetryOptions;
use kinesis_wire::model::{ConsumerRef, ConsumerStatus, RegisterStreamConsumerInput};
use kinesis_wire::{
    codes, model::StreamRef, Backoff, KinesisClient, KinesisError, RetryPolicy, Shutdown,
};

use crate::SourceError;

/// The retry options of the control-plane calls involved.
pub(crate) struct EfoCalls<'a> {
    pub describe_stream: &'a RetryOptions,
    pub describe_consumer: &'a RetryOptions,
    pub register: &'a RetryOptions,
    pub register_timeout: Duration,
    pub deregister: &'a RetryOptions,
    pub deregister_timeout: Duration,
}

fn backoff(o: &RetryOptions) -> Backoff {
    Backoff::new(o.base, o.max, o.expconst)
}

/// §6.6: at most `max_retries` calls; LimitExceeded / ProvisionedThroughputExceeded are
/// retried with the call's backoff (D6), anything else is returned at once.
fn call<T>(
    o: &RetryOptions,
    shutdown: &Shutdown,
    op: impl FnMut(u32) -> Result<T, KinesisError>,
) -> Result<T, KinesisError> {
    if o.max_retries == 0 {
        // Flink: `maxRetries = 0` fails without calling.
        return Err(KinesisError::RetriesExhausted {
            attempts: 0,
            last: Box::new(KinesisError::Config {
                message: "Retries exceeded - all 0 retry attempts failed.".into(),
            }),
        });
    }
    RetryPolicy::new(o.max_retries, backoff(o)).run_if(shutdown, KinesisError::is_throttling, op)
}

fn sleep_jitter(o: &RetryOptions, attempt: &mut u32, shutdown: &Shutdown) -> bool {
    let d = o.full_jitter(*attempt, fastrand::f64());
    *attempt += 1;
    shutdown.sleep(d)
}

fn interrupted(stream: &str, what: &str) -> SourceError {
    SourceError::Efo {
        stream: stream.into(),
        message: format!("{what} {stream}: interrupted by close"),
        cause: None,
    }
}

/// §6.2: finds or registers the consumer `name` on `stream` and waits until it is ACTIVE;
/// returns its ARN. `initial_jitter` is Flink's quirk: only an explicitly configured LAZY
/// strategy sleeps once before the first call.
pub(crate) fn register(
    client: &KinesisClient,
    stream: &str,
    name: &str,
    calls: &EfoCalls<'_>,
    initial_jitter: bool,
    shutdown: &Shutdown,
) -> Result<String, SourceError> {
    let wrap = |e: KinesisError| SourceError::Efo {
        stream: stream.into(),
        message: format!("Error registering stream: {stream}"),
        cause: Some(Box::new(e)),
    };
    let mut attempt = 1u32;
    if initial_jitter && !sleep_jitter(calls.register, &mut attempt, shutdown) {
        return Err(interrupted(stream, "Error registering stream:"));
    }
    let stream_ref = StreamRef::from(stream.to_string());
    let summary = call(calls.describe_stream, shutdown, |_| {
        client.describe_stream_summary(&stream_ref)
    })
    .map_err(wrap)?;
    let stream_arn = summary.stream_arn;
    let by_name = ConsumerRef::by_name(stream_arn.clone(), name);
    let mut described = match call(calls.describe_consumer, shutdown, |_| {
        client.describe_stream_consumer(&by_name)
    }) {
        Ok(d) => Some(d),
        Err(e) if e.is_code(codes::RESOURCE_NOT_FOUND) => None,
        Err(e) => return Err(wrap(e)),
    };
    if described.is_none() {
        log::info!("registering enhanced fan-out consumer {name} on {stream_arn}");
        match call(calls.register, shutdown, |_| {
            client.register_stream_consumer(&RegisterStreamConsumerInput::new(
                stream_arn.clone(),
                name,
            ))
        }) {
            Ok(_) => {}
            Err(e) if e.is_code(codes::RESOURCE_IN_USE) => {}
            Err(e) => return Err(wrap(e)),
        }
    }
    let start = Instant::now();
    loop {
        if let Some(d) = &described {
            if d.consumer_status == ConsumerStatus::Active {
                return Ok(d.consumer_arn.clone());
            }
        }
        if !sleep_jitter(calls.register, &mut attempt, shutdown) {
            return Err(interrupted(stream, "Error registering stream:"));
        }
        described = Some(
            call(calls.describe_consumer, shutdown, |_| {
                client.describe_stream_consumer(&by_name)
            })
            .map_err(wrap)?,
        );
        if start.elapsed() > calls.register_timeout {
            return Err(SourceError::Efo {
                stream: stream.into(),
                message: format!(
                    "Error registering stream: {stream}: Timeout waiting for stream consumer to become active: {name} on {stream_arn}"
                ),
                cause: None,
            });
        }
    }
}

/// §6.3: deregisters the consumer `arn` and waits until it is gone or DELETING.
pub(crate) fn deregister(
    client: &KinesisClient,
    stream: &str,
    arn: &str,
    calls: &EfoCalls<'_>,
    shutdown: &Shutdown,
) -> Result<(), SourceError> {
    let wrap = |e: KinesisError| SourceError::Efo {
        stream: stream.into(),
        message: format!("Error deregistering stream: {stream}"),
        cause: Some(Box::new(e)),
    };
    let by_arn = ConsumerRef::by_arn(arn);
    let describe = || match call(calls.describe_consumer, shutdown, |_| {
        client.describe_stream_consumer(&by_arn)
    }) {
        Ok(d) => Ok(Some(d)),
        Err(e) if e.is_code(codes::RESOURCE_NOT_FOUND) => Ok(None),
        Err(e) => Err(wrap(e)),
    };
    let mut attempt = 1u32;
    if !sleep_jitter(calls.deregister, &mut attempt, shutdown) {
        return Err(interrupted(stream, "Error deregistering stream:"));
    }
    let mut d = describe()?;
    if d.as_ref()
        .is_some_and(|d| d.consumer_status != ConsumerStatus::Deleting)
    {
        log::info!("deregistering enhanced fan-out consumer {arn}");
        match call(calls.deregister, shutdown, |_| {
            client.deregister_stream_consumer(&by_arn)
        }) {
            Ok(()) => {}
            Err(e) if e.is_code(codes::RESOURCE_IN_USE) => {}
            Err(e) => return Err(wrap(e)),
        }
    }
    let start = Instant::now();
    while d
        .as_ref()
        .is_some_and(|d| d.consumer_status != ConsumerStatus::Deleting)
    {
        if !sleep_jitter(calls.deregister, &mut attempt, shutdown) {
            return Err(interrupted(stream, "Error deregistering stream:"));
        }
        d = describe()?;
        if start.elapsed() > calls.deregister_timeout {
            return Err(SourceError::Efo {
                stream: stream.into(),
                message: format!(
                    "Error deregistering stream: {stream}: Timeout waiting for stream consumer to deregister: {arn}"
                ),
                cause: None,
            });
        }
    }
    Ok(())
}

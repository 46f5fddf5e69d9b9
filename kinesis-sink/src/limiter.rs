//! Flink's congestion control for the Kinesis sink (reference §7.2):
//! `CongestionControlRateLimitingStrategy` with `AIMDScalingStrategy` (+10 after a clean
//! request, ×0.99 after one with failures), as `KinesisStreamsSinkWriter` configures it.

/// Additive increase after a request without failed entries.
pub const AIMD_INCREASE: usize = 10;
/// Multiplicative decrease after a request with failed entries.
pub const AIMD_DECREASE: f64 = 0.99;

/// Limits requests and records in flight.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AimdLimiter {
    max_in_flight_messages: usize,
    ceiling: usize,
    max_in_flight_requests: usize,
}

impl AimdLimiter {
    /// Starts at one batch of records in flight; grows to `batch × max_in_flight_requests`.
    pub fn new(batch_max_size: usize, max_in_flight_requests: usize) -> Self {
        AimdLimiter {
            max_in_flight_messages: batch_max_size.max(1),
            ceiling: batch_max_size.max(1) * max_in_flight_requests.max(1),
            max_in_flight_requests: max_in_flight_requests.max(1),
        }
    }

    /// Whether a batch of `batch` records must wait.
    pub fn should_block(
        &self,
        in_flight_requests: usize,
        in_flight_messages: usize,
        batch: usize,
    ) -> bool {
        in_flight_requests >= self.max_in_flight_requests
            || in_flight_messages + batch > self.max_in_flight_messages
    }

    /// The current limit on records in flight.
    pub fn max_in_flight_messages(&self) -> usize {
        self.max_in_flight_messages
    }

    /// Scales the limit after a request completed.
    pub fn on_request_done(&mut self, had_failures: bool) {
        self.max_in_flight_messages = if had_failures {
            ((self.max_in_flight_messages as f64 * AIMD_DECREASE).round() as usize).max(1)
        } else {
            (self.max_in_flight_messages + AIMD_INCREASE).min(self.ceiling)
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_batch_at_first_then_additive_increase_and_multiplicative_decrease() {
        let mut l = AimdLimiter::new(500, 50);
        assert!(!l.should_block(0, 0, 500));
        assert!(l.should_block(1, 500, 500)); // a second full batch needs a larger limit
        l.on_request_done(false);
        assert_eq!(l.max_in_flight_messages(), 510);
        l.on_request_done(true);
        assert_eq!(l.max_in_flight_messages(), 505); // round(510 × 0.99)
    }

    #[test]
    fn grows_to_the_ceiling_and_shrinks_to_flinks_floor() {
        let mut l = AimdLimiter::new(500, 50);
        for _ in 0..10_000 {
            l.on_request_done(false);
        }
        assert_eq!(l.max_in_flight_messages(), 25_000);
        assert!(l.should_block(50, 0, 1));
        for _ in 0..100_000 {
            l.on_request_done(true);
        }
        // As Flink's Math.round(limit × 0.99): at 50 and below a decrease rounds back up, so
        // the limit never falls under 50.
        assert_eq!(l.max_in_flight_messages(), 50);
        assert!(!l.should_block(0, 0, 50));
        assert!(l.should_block(0, 1, 50));
        let mut small = AimdLimiter::new(10, 1);
        small.on_request_done(true);
        assert_eq!(small.max_in_flight_messages(), 10);
    }
}

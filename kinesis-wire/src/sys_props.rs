//! A process-wide property map: the Rust stand-in for Java system properties (decisions D14).
//!
//! The `SYS_PROP` credentials provider reads `aws.accessKeyId`, `aws.secretKey` (or
//! `aws.secretAccessKey`) and `aws.sessionToken` from here. The CLI fills it from
//! `-D key=value` flags, exactly as Java's `-D` fills `System.getProperties()`.
//!
//! ```
//! use kinesis_wire::sys_props;
//! sys_props::set("doc.example.key", "v");
//! assert_eq!(sys_props::get("doc.example.key").as_deref(), Some("v"));
//! sys_props::clear("doc.example.key");
//! assert_eq!(sys_props::get("doc.example.key"), None);
//! ```

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, OnceLock};

fn map() -> MutexGuard<'static, HashMap<String, String>> {
    static PROPS: OnceLock<Mutex<HashMap<String, String>>> = OnceLock::new();
    // A panic while holding the lock cannot leave the map half-written (every operation is a
    // single insert/remove/get), so a poisoned lock is safe to reuse.
    PROPS
        .get_or_init(|| Mutex::new(HashMap::new()))
        .lock()
        .unwrap_or_else(|e| e.into_inner())
}

/// Sets `key` to `value`, replacing any earlier value.
///
/// ```
/// kinesis_wire::sys_props::set("doc.set.key", "1");
/// assert_eq!(kinesis_wire::sys_props::get("doc.set.key").as_deref(), Some("1"));
/// ```
pub fn set(key: &str, value: &str) {
    map().insert(key.to_string(), value.to_string());
}

/// The value of `key`, or `None` when it was never set (or was cleared).
///
/// ```
/// assert_eq!(kinesis_wire::sys_props::get("doc.never.set"), None);
/// ```
pub fn get(key: &str) -> Option<String> {
    map().get(key).cloned()
}

/// Removes `key`; returns its former value.
///
/// ```
/// kinesis_wire::sys_props::set("doc.clear.key", "x");
/// assert_eq!(kinesis_wire::sys_props::clear("doc.clear.key").as_deref(), Some("x"));
/// assert_eq!(kinesis_wire::sys_props::get("doc.clear.key"), None);
/// ```
pub fn clear(key: &str) -> Option<String> {
    map().remove(key)
}

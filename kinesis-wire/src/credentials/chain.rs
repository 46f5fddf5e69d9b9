//! `AUTO`: try providers in order; the first that yields credentials wins.

use std::sync::{Arc, Mutex};

use super::{Credentials, CredentialsError, Provider};
use crate::retry::Shutdown;

/// Tries each provider in order. A provider that has nothing to offer
/// ([`CredentialsError::NotFound`]) passes to the next one; one that is configured but fails
/// ([`CredentialsError::Failed`]) stops the chain, since falling through would silently use
/// other credentials than the ones the user set up (as in the AWS SDK for Rust and botocore;
/// the Java SDKs fall through; see the [module docs](super) for why we do not). When no
/// provider yields credentials, the error lists what each one said. The provider that won
/// is asked first next time.
///
/// ```
/// use std::sync::Arc;
/// use kinesis_wire::credentials::{ChainProvider, EnvVarProvider, Provider, StaticProvider};
/// use kinesis_wire::{credentials::Credentials, env::MapEnv};
/// let chain = ChainProvider::new(vec![
///     Arc::new(EnvVarProvider::new(Arc::new(MapEnv::default()))),
///     Arc::new(StaticProvider::new(Credentials::new("AKID2", "s", None, None, "BASIC"))),
/// ]);
/// assert_eq!(chain.credentials().unwrap().access_key_id, "AKID2");
/// ```
#[derive(Debug)]
pub struct ChainProvider {
    providers: Vec<Arc<dyn Provider>>,
    /// Index of the provider that last yielded credentials.
    winner: Mutex<Option<usize>>,
}

impl ChainProvider {
    /// A chain over `providers`, tried in this order.
    pub fn new(providers: Vec<Arc<dyn Provider>>) -> Self {
        ChainProvider {
            providers,
            winner: Mutex::new(None),
        }
    }
}

impl Provider for ChainProvider {
    fn credentials(&self) -> Result<Credentials, CredentialsError> {
        self.credentials_with_shutdown(&Shutdown::new())
    }

    fn credentials_with_shutdown(
        &self,
        shutdown: &Shutdown,
    ) -> Result<Credentials, CredentialsError> {
        let last = *self.winner.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(i) = last {
            match self.providers[i].credentials_with_shutdown(shutdown) {
                Ok(c) => return Ok(c),
                // Set up but failing (e.g. STS unreachable), or stopped: report it, keep
                // the winner.
                Err(
                    e @ (CredentialsError::Failed { .. } | CredentialsError::Interrupted { .. }),
                ) => return Err(e),
                // Its source went away (env changed, file removed): search again.
                Err(CredentialsError::NotFound { .. }) => {
                    *self.winner.lock().unwrap_or_else(|e| e.into_inner()) = None;
                }
            }
        }
        let mut said = Vec::new();
        for (i, p) in self.providers.iter().enumerate() {
            if shutdown.is_triggered() {
                return Err(CredentialsError::Interrupted { provider: "AUTO" });
            }
            match p.credentials_with_shutdown(shutdown) {
                Ok(c) => {
                    *self.winner.lock().unwrap_or_else(|e| e.into_inner()) = Some(i);
                    return Ok(c);
                }
                Err(e @ CredentialsError::NotFound { .. }) => said.push(e.to_string()),
                Err(e @ CredentialsError::Interrupted { .. }) => return Err(e),
                Err(e) => {
                    said.push(e.to_string());
                    return Err(CredentialsError::Failed {
                        provider: "AUTO",
                        reason: format!(
                            "the default credentials chain stopped at a provider that is set \
                             up but failed: [{}]",
                            said.join("; ")
                        ),
                    });
                }
            }
        }
        Err(CredentialsError::NotFound {
            provider: "AUTO",
            reason: format!(
                "no provider in the default chain (environment, system properties, web \
                 identity token, profile, container, instance metadata) yielded credentials: \
                 [{}]",
                said.join("; ")
            ),
        })
    }

    fn invalidate(&self) {
        *self.winner.lock().unwrap_or_else(|e| e.into_inner()) = None;
        for p in &self.providers {
            p.invalidate();
        }
    }
}

//! The client's SASL login (Java `LoginManager` with its `LoginModule` and login callback
//! handler): made once, when the producer is built, from `sasl.mechanism` and
//! `sasl.jaas.config`; each connection (and each re-authentication) gets a fresh mechanism
//! client from it. For OAUTHBEARER the login holds the token, refreshed in the background
//! before it expires.

use super::SaslClient;
use super::jaas::JaasConfig;
use super::oauthbearer::expiring_credential_refreshing_login::{
    ExpiringCredentialRefreshingLogin, RefreshConfig,
};
use super::oauthbearer::login_callback_handler::{
    OAuthBearerLoginCallbackHandler, OAuthBearerLoginSettings,
};
use super::oauthbearer::unsecured_login_callback_handler::OAuthBearerUnsecuredLoginCallbackHandler;
use super::plain::PlainSaslClient;
use super::scram::{ScramMechanism, ScramSaslClient};
use crate::config::ProducerConfig;
use crate::config::keys::{SASL_JAAS_CONFIG, SASL_MECHANISM};
use crate::error::Error;
use crate::security::OAuthBearerTokenProvider;
use std::sync::Arc;
use std::time::Duration;

/// Java's login module of each mechanism.
const OAUTHBEARER_LOGIN_MODULE: &str =
    "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule";

/// The login of one producer.
pub(crate) struct SaslLogin {
    mechanism: Mechanism,
}

enum Mechanism {
    Plain(JaasConfig),
    Scram(ScramMechanism, JaasConfig),
    OAuthBearer(ExpiringCredentialRefreshingLogin),
}

impl std::fmt::Debug for SaslLogin {
    /// The mechanism only: credentials never show.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SaslLogin")
            .field("mechanism", &self.mechanism_name())
            .finish()
    }
}

impl SaslLogin {
    /// The login `config` asks for: `None` unless `security.protocol` is SASL_PLAINTEXT or
    /// SASL_SSL. Checks the JAAS configuration, and for OAUTHBEARER gets the first token (a
    /// failure is returned: the producer does not start, as Java's login fails).
    pub(crate) fn from_config(config: &ProducerConfig) -> Result<Option<SaslLogin>, Error> {
        if !config.security_protocol().uses_sasl() {
            return Ok(None);
        }
        let mechanism_name = config.sasl_mechanism();
        let jaas = config
            .sasl_jaas_config()
            .map(|p| JaasConfig::parse(p.value()))
            .transpose()?;
        let missing = || {
            Error::config(
                SASL_JAAS_CONFIG,
                format!(
                    "missing: SASL mechanism {mechanism_name} needs a JAAS login module entry \
                     with the client's credentials (a java.security.auth.login.config file is \
                     not read)"
                ),
            )
        };
        let mechanism = match mechanism_name {
            "PLAIN" => {
                let jaas = jaas.ok_or_else(missing)?;
                PlainSaslClient::from_jaas(&jaas)?;
                Mechanism::Plain(jaas)
            }
            "OAUTHBEARER" => Mechanism::OAuthBearer(oauthbearer_login(config, jaas)?),
            other => match ScramMechanism::from_mechanism_name(other) {
                Some(scram) => {
                    let jaas = jaas.ok_or_else(missing)?;
                    ScramSaslClient::from_jaas(scram, &jaas)?;
                    Mechanism::Scram(scram, jaas)
                }
                None => {
                    return Err(Error::config(
                        SASL_MECHANISM,
                        format!("value \"{other}\" is not supported"),
                    ));
                }
            },
        };
        Ok(Some(SaslLogin { mechanism }))
    }

    /// The mechanism's name, as the broker spells it.
    pub(crate) fn mechanism_name(&self) -> &'static str {
        match &self.mechanism {
            Mechanism::Plain(_) => "PLAIN",
            Mechanism::Scram(m, _) => m.mechanism_name(),
            Mechanism::OAuthBearer(_) => "OAUTHBEARER",
        }
    }

    /// A fresh mechanism client for one authentication (with the current token for
    /// OAUTHBEARER).
    pub(crate) fn new_client(&self) -> Result<Box<dyn SaslClient>, Error> {
        Ok(match &self.mechanism {
            Mechanism::Plain(jaas) => Box::new(PlainSaslClient::from_jaas(jaas)?),
            Mechanism::Scram(m, jaas) => Box::new(ScramSaslClient::from_jaas(*m, jaas)?),
            Mechanism::OAuthBearer(login) => Box::new(login.sasl_client()?),
        })
    }
}

/// The OAUTHBEARER login: the user's token provider, else the token endpoint
/// (`sasl.oauthbearer.token.endpoint.url`), else unsecured JWTs from the JAAS options (Java's
/// default `OAuthBearerUnsecuredLoginCallbackHandler`), refreshed before they expire.
fn oauthbearer_login(
    config: &ProducerConfig,
    jaas: Option<JaasConfig>,
) -> Result<ExpiringCredentialRefreshingLogin, Error> {
    if let Some(jaas) = &jaas {
        jaas.require_login_module(OAUTHBEARER_LOGIN_MODULE, "OAUTHBEARER")?;
    }
    let provider: Arc<dyn OAuthBearerTokenProvider> =
        match (config.sasl_oauthbearer_token_provider(), &jaas) {
            (Some(p), _) => p.clone(),
            (None, None) => {
                return Err(Error::config(
                    SASL_JAAS_CONFIG,
                    "missing: SASL mechanism OAUTHBEARER needs an OAuthBearerLoginModule entry, \
                     or a token provider given in code",
                ));
            }
            (None, Some(jaas)) => match config.sasl_oauthbearer_token_endpoint_url() {
                Some(url) => {
                    let settings = OAuthBearerLoginSettings {
                        token_endpoint_url: url.to_string(),
                        scope_claim_name: config.sasl_oauthbearer_scope_claim_name().to_string(),
                        sub_claim_name: config.sasl_oauthbearer_sub_claim_name().to_string(),
                        retry_backoff: config.sasl_login_retry_backoff(),
                        retry_backoff_max: config.sasl_login_retry_backoff_max(),
                        connect_timeout: config.sasl_login_connect_timeout(),
                        read_timeout: config.sasl_login_read_timeout(),
                        header_urlencode: config.sasl_oauthbearer_header_urlencode(),
                        tls: None,
                        client_id: config
                            .sasl_oauthbearer_client_credentials_client_id()
                            .map(str::to_string),
                        client_secret: config
                            .sasl_oauthbearer_client_credentials_client_secret()
                            .cloned(),
                        scope: config.sasl_oauthbearer_scope().map(str::to_string),
                    };
                    Arc::new(OAuthBearerLoginCallbackHandler::new(
                        &settings,
                        jaas.options(),
                    )?)
                }
                None => Arc::new(OAuthBearerUnsecuredLoginCallbackHandler::new(
                    jaas.options(),
                )?),
            },
        };
    let refresh = RefreshConfig {
        window_factor: config.sasl_login_refresh_window_factor(),
        window_jitter: config.sasl_login_refresh_window_jitter(),
        min_period: Duration::from_secs(config.sasl_login_refresh_min_period_seconds() as u64),
        buffer: Duration::from_secs(config.sasl_login_refresh_buffer_seconds() as u64),
        ..RefreshConfig::default()
    };
    ExpiringCredentialRefreshingLogin::new(provider, refresh)
}

//! OIDC login (Java `OAuthBearerLoginCallbackHandler`, KIP-768): the token from
//! `sasl.oauthbearer.token.endpoint.url` (client credentials over HTTP(S), or a `file:` URL),
//! checked by the [`LoginAccessTokenValidator`], plus SASL extensions from the JAAS options.
//!
//! The client id, secret and scope come as Java 4.1's `ConfigOrJaas` (KIP-1139) takes them:
//! from `sasl.oauthbearer.client.credentials.client.id`, `...client.secret` and
//! `sasl.oauthbearer.scope` when set, else from the (deprecated) JAAS options `clientId`,
//! `clientSecret` and `scope`, each with Java's warning.

use super::client_initial_response::validate_extensions;
use super::file_token_retriever::FileTokenRetriever;
use super::http_access_token_retriever::{HttpAccessTokenRetriever, RetrieverTimings};
use super::login_access_token_validator::{
    DEFAULT_SCOPE_CLAIM_NAME, DEFAULT_SUB_CLAIM_NAME, LoginAccessTokenValidator,
};
use super::{OAuthBearerToken, OAuthBearerTokenProvider};
use crate::config::Password;
use crate::config::keys::{
    SASL_JAAS_CONFIG, SASL_OAUTHBEARER_CLIENT_CREDENTIALS_CLIENT_ID,
    SASL_OAUTHBEARER_CLIENT_CREDENTIALS_CLIENT_SECRET, SASL_OAUTHBEARER_SCOPE,
};
use crate::error::Error;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

/// JAAS option: the OAuth client id.
pub(crate) const CLIENT_ID_OPTION: &str = "clientId";
/// JAAS option: the OAuth client secret.
pub(crate) const CLIENT_SECRET_OPTION: &str = "clientSecret";
/// JAAS option: the scope requested (optional).
pub(crate) const SCOPE_OPTION: &str = "scope";
/// JAAS option prefix: a SASL extension.
pub(crate) const EXTENSION_PREFIX: &str = "extension_";

/// Java's timeout when `sasl.login.connect.timeout.ms` / `sasl.login.read.timeout.ms` are unset.
pub(crate) const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// The producer settings of the OIDC login (the `sasl.oauthbearer.*` and `sasl.login.*` keys).
#[derive(Clone)]
pub(crate) struct OAuthBearerLoginSettings {
    /// `sasl.oauthbearer.token.endpoint.url`: `http(s)://...` or `file:...`.
    pub(crate) token_endpoint_url: String,
    /// `sasl.oauthbearer.scope.claim.name` (default `scope`).
    pub(crate) scope_claim_name: String,
    /// `sasl.oauthbearer.sub.claim.name` (default `sub`).
    pub(crate) sub_claim_name: String,
    /// `sasl.login.retry.backoff.ms` (default 100 ms).
    pub(crate) retry_backoff: Duration,
    /// `sasl.login.retry.backoff.max.ms` (default 10 s): also how long retries go on.
    pub(crate) retry_backoff_max: Duration,
    /// `sasl.login.connect.timeout.ms` (unset: [`DEFAULT_TIMEOUT`]).
    pub(crate) connect_timeout: Option<Duration>,
    /// `sasl.login.read.timeout.ms` (unset: [`DEFAULT_TIMEOUT`]).
    pub(crate) read_timeout: Option<Duration>,
    /// `sasl.oauthbearer.header.urlencode` (Java default `false`): URL-encode the client id and
    /// secret before the Basic authentication base64.
    pub(crate) header_urlencode: bool,
    /// The TLS settings for an `https` endpoint; `None`: the OS trust roots.
    pub(crate) tls: Option<Arc<rustls::ClientConfig>>,
    /// `sasl.oauthbearer.client.credentials.client.id`: wins over the JAAS option `clientId`.
    pub(crate) client_id: Option<String>,
    /// `sasl.oauthbearer.client.credentials.client.secret`: wins over the JAAS option
    /// `clientSecret`.
    pub(crate) client_secret: Option<Password>,
    /// `sasl.oauthbearer.scope`: wins over the JAAS option `scope`.
    pub(crate) scope: Option<String>,
}

impl Default for OAuthBearerLoginSettings {
    fn default() -> Self {
        OAuthBearerLoginSettings {
            token_endpoint_url: String::new(),
            scope_claim_name: DEFAULT_SCOPE_CLAIM_NAME.to_string(),
            sub_claim_name: DEFAULT_SUB_CLAIM_NAME.to_string(),
            retry_backoff: Duration::from_millis(100),
            retry_backoff_max: Duration::from_millis(10_000),
            connect_timeout: None,
            read_timeout: None,
            header_urlencode: false,
            tls: None,
            client_id: None,
            client_secret: None,
            scope: None,
        }
    }
}

impl std::fmt::Debug for OAuthBearerLoginSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuthBearerLoginSettings")
            .field("token_endpoint_url", &self.token_endpoint_url)
            .field("scope_claim_name", &self.scope_claim_name)
            .field("sub_claim_name", &self.sub_claim_name)
            .field("retry_backoff", &self.retry_backoff)
            .field("retry_backoff_max", &self.retry_backoff_max)
            .field("connect_timeout", &self.connect_timeout)
            .field("read_timeout", &self.read_timeout)
            .field("header_urlencode", &self.header_urlencode)
            .field("tls", &self.tls.as_ref().map(|_| "custom"))
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret)
            .field("scope", &self.scope)
            .finish()
    }
}

/// Where the token comes from.
#[derive(Debug)]
enum Retriever {
    Http(HttpAccessTokenRetriever),
    File(FileTokenRetriever),
}

/// The OIDC [`OAuthBearerTokenProvider`]. Its `Debug` shows the endpoint, never the secret
/// (nor the extensions' values).
pub(crate) struct OAuthBearerLoginCallbackHandler {
    retriever: Retriever,
    validator: LoginAccessTokenValidator,
    extensions: BTreeMap<String, String>,
}

impl std::fmt::Debug for OAuthBearerLoginCallbackHandler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuthBearerLoginCallbackHandler")
            .field("retriever", &self.retriever)
            .field("validator", &self.validator)
            .field("extensions", &self.extensions.keys().collect::<Vec<_>>())
            .finish()
    }
}

fn jaas_error(message: impl Into<String>) -> Error {
    Error::Config {
        key: "sasl.jaas.config".to_string(),
        message: message.into(),
    }
}

/// One OAuth client setting as Java 4.1's `ConfigOrJaas.getValue`: the config key's value when
/// set (set even if blank: the JAAS option is then ignored, with a warning when present too),
/// else the JAAS option's (with a deprecation warning), else an error when `required`. Blank
/// values are an error when `required`, unset (`None`) otherwise; values are trimmed. Messages
/// and warnings name the key and option, never a value.
fn config_or_jaas<'a>(
    config: Option<&'a str>,
    options: &'a BTreeMap<String, String>,
    config_name: &str,
    jaas_name: &str,
    required: bool,
) -> Result<Option<&'a str>, Error> {
    let jaas = options.get(jaas_name).map(String::as_str);
    let (value, key) = match (config, jaas) {
        (Some(value), jaas) => {
            if jaas.is_some() {
                log::warn!(
                    "Both the OAuth configuration {config_name} as well as the JAAS option \
                     {jaas_name} (from the {SASL_JAAS_CONFIG} configuration) were provided. \
                     Since the {jaas_name} JAAS option is deprecated, it will be ignored and the \
                     value from the {config_name} configuration will be used. Please update \
                     your configuration to only use {config_name}."
                );
            }
            (value, config_name)
        }
        (None, Some(value)) => {
            log::warn!(
                "The OAuth JAAS option {jaas_name} was configured in {SASL_JAAS_CONFIG}, but \
                 that JAAS option is deprecated and will be removed. Please update your \
                 configuration to use the {config_name} configuration instead."
            );
            (value, SASL_JAAS_CONFIG)
        }
        (None, None) if required => {
            return Err(Error::Config {
                key: config_name.to_string(),
                message: format!(
                    "missing: the OAuth client credentials need {config_name}, or the JAAS \
                     option {jaas_name} in {SASL_JAAS_CONFIG}"
                ),
            });
        }
        (None, None) => return Ok(None),
    };
    let value = value.trim();
    if value.is_empty() {
        if required {
            let name = if key == SASL_JAAS_CONFIG {
                jaas_name
            } else {
                config_name
            };
            return Err(Error::Config {
                key: key.to_string(),
                message: format!("The OAuth configuration option {name} value must be non-empty"),
            });
        }
        return Ok(None);
    }
    Ok(Some(value))
}

impl OAuthBearerLoginCallbackHandler {
    /// The handler for these settings and the JAAS options of `OAuthBearerLoginModule`
    /// (`clientId`, `clientSecret`, `scope`, `extension_<name>`). For an HTTP(S) endpoint the
    /// client id and secret (required) and scope come from the settings' config keys when set,
    /// else from the JAAS options. Bad settings are [`Error::Config`].
    pub(crate) fn new(
        settings: &OAuthBearerLoginSettings,
        options: &BTreeMap<String, String>,
    ) -> Result<Self, Error> {
        let url = settings.token_endpoint_url.trim();
        if url.is_empty() {
            return Err(Error::Config {
                key: "sasl.oauthbearer.token.endpoint.url".to_string(),
                message: "must be set for the OAUTHBEARER login callback handler".to_string(),
            });
        }
        let retriever = if url.starts_with("file:") {
            Retriever::File(FileTokenRetriever::from_url(url)?)
        } else {
            let client_id = config_or_jaas(
                settings.client_id.as_deref(),
                options,
                SASL_OAUTHBEARER_CLIENT_CREDENTIALS_CLIENT_ID,
                CLIENT_ID_OPTION,
                true,
            )?
            .unwrap_or_default();
            let client_secret = Password::new(
                config_or_jaas(
                    settings.client_secret.as_ref().map(Password::value),
                    options,
                    SASL_OAUTHBEARER_CLIENT_CREDENTIALS_CLIENT_SECRET,
                    CLIENT_SECRET_OPTION,
                    true,
                )?
                .unwrap_or_default(),
            );
            let scope = config_or_jaas(
                settings.scope.as_deref(),
                options,
                SASL_OAUTHBEARER_SCOPE,
                SCOPE_OPTION,
                false,
            )?;
            let timings = RetrieverTimings {
                retry_backoff: settings.retry_backoff,
                retry_backoff_max: settings.retry_backoff_max,
                connect_timeout: settings.connect_timeout.unwrap_or(DEFAULT_TIMEOUT),
                read_timeout: settings.read_timeout.unwrap_or(DEFAULT_TIMEOUT),
            };
            Retriever::Http(HttpAccessTokenRetriever::new(
                url,
                client_id,
                &client_secret,
                scope,
                settings.header_urlencode,
                timings,
                settings.tls.clone(),
            )?)
        };
        let extensions: BTreeMap<String, String> = options
            .iter()
            .filter_map(|(k, v)| Some((k.strip_prefix(EXTENSION_PREFIX)?.to_string(), v.clone())))
            .collect();
        validate_extensions(&extensions).map_err(|e| match e {
            Error::Authentication { message, .. } => jaas_error(message),
            other => other,
        })?;
        Ok(OAuthBearerLoginCallbackHandler {
            retriever,
            validator: LoginAccessTokenValidator::new(
                settings.scope_claim_name.trim(),
                settings.sub_claim_name.trim(),
            ),
            extensions,
        })
    }
}

impl OAuthBearerTokenProvider for OAuthBearerLoginCallbackHandler {
    /// Retrieves and validates a token. When the endpoint's `expires_in` ends before the
    /// token's `exp`, the token is treated as expiring then (so it is refreshed in time).
    fn token(&self) -> Result<OAuthBearerToken, Error> {
        let (access_token, expires_in) = match &self.retriever {
            Retriever::Http(r) => {
                let retrieved = r.retrieve()?;
                (retrieved.access_token, retrieved.expires_in)
            }
            Retriever::File(r) => (r.retrieve()?, None),
        };
        let mut token = self.validator.validate(&access_token)?;
        if let Some(expires_in) = expires_in {
            let by_expires_in = SystemTime::now() + expires_in;
            if by_expires_in < token.expires_at() {
                let mut shorter =
                    OAuthBearerToken::new(token.value(), token.principal(), by_expires_in)
                        .with_scope(token.scope().iter().cloned());
                if let Some(start) = token.start_time() {
                    shorter = shorter.with_start_time(start);
                }
                token = shorter;
            }
        }
        log::debug!(
            "Retrieved an access token for principal {} expiring at {:?}",
            token.principal(),
            token.expires_at()
        );
        Ok(token)
    }

    fn extensions(&self) -> Result<BTreeMap<String, String>, Error> {
        Ok(self.extensions.clone())
    }
}

#[cfg(test)]
mod tests;

//! TLS with rustls (Java `SslFactory` / `DefaultSslEngineFactory`). TODO(skeleton): filled by
//! its helper.

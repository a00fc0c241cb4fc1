//! The enumerated value types of the configuration: `acks`, `client.dns.lookup`,
//! `compression.type`, `metadata.recovery.strategy`, `security.protocol`.

use super::keys::*;
use super::parse::not_one_of;
use crate::error::Error;
use std::fmt;
use std::str::FromStr;

/// How many replicas must acknowledge a record before the producer counts it as written
/// (`acks`).
///
/// ```
/// use kafka_producer::config::Acks;
/// assert_eq!("all".parse::<Acks>().unwrap(), Acks::All);
/// assert_eq!("-1".parse::<Acks>().unwrap(), Acks::All);
/// assert_eq!(Acks::Leader.as_i16(), 1);
/// assert!("2".parse::<Acks>().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Acks {
    /// `acks=0`: do not wait for any acknowledgement; offsets are reported as -1.
    None,
    /// `acks=1`: wait for the partition leader only.
    Leader,
    /// `acks=all` (or `-1`): wait for all in-sync replicas. The default.
    #[default]
    All,
}

impl Acks {
    /// The value sent in a `ProduceRequest`: 0, 1 or -1.
    pub fn as_i16(self) -> i16 {
        match self {
            Acks::None => 0,
            Acks::Leader => 1,
            Acks::All => -1,
        }
    }

    /// The configuration value: `"0"`, `"1"` or `"all"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Acks::None => "0",
            Acks::Leader => "1",
            Acks::All => "all",
        }
    }
}

impl FromStr for Acks {
    type Err = Error;

    /// Parses `all`, `-1`, `0` or `1` (case-sensitive, as Java; surrounding spaces ignored).
    fn from_str(s: &str) -> Result<Self, Error> {
        match s.trim() {
            "all" | "-1" => Ok(Acks::All),
            "0" => Ok(Acks::None),
            "1" => Ok(Acks::Leader),
            _ => Err(not_one_of(ACKS, s, "all, -1, 0, 1")),
        }
    }
}

impl fmt::Display for Acks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The codec for record batches (`compression.type`).
///
/// Java's five values, with the bytes Kafka brokers and the Java consumer expect (gzip stream,
/// snappy in the xerial framing, LZ4 frame, zstd frame).
///
/// ```
/// use kafka_producer::config::CompressionType;
/// let c: CompressionType = "zstd".parse().unwrap();
/// assert_eq!(c, CompressionType::Zstd);
/// assert_eq!(c.id(), 4);
/// assert!(c.is_supported());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum CompressionType {
    /// No compression. The default.
    #[default]
    None,
    /// gzip (pure Rust, zlib-rs).
    Gzip,
    /// Snappy in the xerial framing (pure Rust).
    Snappy,
    /// LZ4 frame (pure Rust).
    Lz4,
    /// Zstandard (the C libzstd, built from source by the `zstd` crate).
    Zstd,
}

impl CompressionType {
    /// The configuration value: `none`, `gzip`, `snappy`, `lz4` or `zstd`.
    pub fn as_str(self) -> &'static str {
        match self {
            CompressionType::None => "none",
            CompressionType::Gzip => "gzip",
            CompressionType::Snappy => "snappy",
            CompressionType::Lz4 => "lz4",
            CompressionType::Zstd => "zstd",
        }
    }

    /// The codec id stored in the low 3 bits of a record batch's attributes.
    pub fn id(self) -> i16 {
        match self {
            CompressionType::None => 0,
            CompressionType::Gzip => 1,
            CompressionType::Snappy => 2,
            CompressionType::Lz4 => 3,
            CompressionType::Zstd => 4,
        }
    }

    /// Whether this crate can produce batches with this codec (all five).
    pub fn is_supported(self) -> bool {
        true
    }

    /// The record batch codec.
    pub fn codec(self) -> crate::protocol::record_batch::Compression {
        use crate::protocol::record_batch::Compression;
        match self {
            CompressionType::None => Compression::None,
            CompressionType::Gzip => Compression::Gzip,
            CompressionType::Snappy => Compression::Snappy,
            CompressionType::Lz4 => Compression::Lz4,
            CompressionType::Zstd => Compression::Zstd,
        }
    }
}

impl FromStr for CompressionType {
    type Err = Error;

    /// Parses `none`, `gzip`, `snappy`, `lz4` or `zstd` (case-sensitive, as Java).
    fn from_str(s: &str) -> Result<Self, Error> {
        match s.trim() {
            "none" => Ok(CompressionType::None),
            "gzip" => Ok(CompressionType::Gzip),
            "snappy" => Ok(CompressionType::Snappy),
            "lz4" => Ok(CompressionType::Lz4),
            "zstd" => Ok(CompressionType::Zstd),
            _ => Err(not_one_of(
                COMPRESSION_TYPE,
                s,
                "none, gzip, snappy, lz4, zstd",
            )),
        }
    }
}

impl fmt::Display for CompressionType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How host names are resolved to addresses (`client.dns.lookup`, Java's `ClientDnsLookup`).
///
/// ```
/// use kafka_producer::config::ClientDnsLookup;
/// let l: ClientDnsLookup = "resolve_canonical_bootstrap_servers_only".parse().unwrap();
/// assert_eq!(l, ClientDnsLookup::ResolveCanonicalBootstrapServersOnly);
/// assert_eq!(ClientDnsLookup::default().as_str(), "use_all_dns_ips");
/// assert!("default".parse::<ClientDnsLookup>().is_err()); // removed in Kafka 3.0
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum ClientDnsLookup {
    /// `use_all_dns_ips`: a host name (bootstrap server or broker) stays a name; when it
    /// resolves to several addresses, a failed connection moves on to the next one. The
    /// default.
    #[default]
    UseAllDnsIps,
    /// `resolve_canonical_bootstrap_servers_only`: each bootstrap host is resolved to all its
    /// addresses and each address replaced by its canonical host name (reverse lookup, the
    /// address itself when that fails), as Java's `InetAddress.getCanonicalHostName()`; those
    /// names are the bootstrap list (useful with Kerberos or TLS host name checks behind a DNS
    /// alias). Brokers learnt from metadata are used as `use_all_dns_ips`.
    ResolveCanonicalBootstrapServersOnly,
}

impl ClientDnsLookup {
    /// The configuration value: `use_all_dns_ips` or `resolve_canonical_bootstrap_servers_only`.
    pub fn as_str(self) -> &'static str {
        match self {
            ClientDnsLookup::UseAllDnsIps => "use_all_dns_ips",
            ClientDnsLookup::ResolveCanonicalBootstrapServersOnly => {
                "resolve_canonical_bootstrap_servers_only"
            }
        }
    }
}

impl FromStr for ClientDnsLookup {
    type Err = Error;

    /// Parses the two values, case-sensitively (as Java's validator; surrounding spaces
    /// ignored).
    fn from_str(s: &str) -> Result<Self, Error> {
        match s.trim() {
            "use_all_dns_ips" => Ok(ClientDnsLookup::UseAllDnsIps),
            "resolve_canonical_bootstrap_servers_only" => {
                Ok(ClientDnsLookup::ResolveCanonicalBootstrapServersOnly)
            }
            _ => Err(not_one_of(
                CLIENT_DNS_LOOKUP,
                s,
                "use_all_dns_ips, resolve_canonical_bootstrap_servers_only",
            )),
        }
    }
}

impl fmt::Display for ClientDnsLookup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the client does when it cannot reach any broker it knows of
/// (`metadata.recovery.strategy`).
///
/// ```
/// use kafka_producer::config::MetadataRecoveryStrategy;
/// assert_eq!(
///     "REBOOTSTRAP".parse::<MetadataRecoveryStrategy>().unwrap(),
///     MetadataRecoveryStrategy::Rebootstrap
/// );
/// assert_eq!(MetadataRecoveryStrategy::default(), MetadataRecoveryStrategy::Rebootstrap);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum MetadataRecoveryStrategy {
    /// `none`: keep trying the brokers from the last metadata.
    None,
    /// `rebootstrap`: go back to `bootstrap.servers`. The Kafka 4.x default.
    #[default]
    Rebootstrap,
}

impl MetadataRecoveryStrategy {
    /// The configuration value: `none` or `rebootstrap`.
    pub fn as_str(self) -> &'static str {
        match self {
            MetadataRecoveryStrategy::None => "none",
            MetadataRecoveryStrategy::Rebootstrap => "rebootstrap",
        }
    }
}

impl FromStr for MetadataRecoveryStrategy {
    type Err = Error;

    /// Parses `none` or `rebootstrap`, case-insensitively (as Java).
    fn from_str(s: &str) -> Result<Self, Error> {
        let t = s.trim();
        if t.eq_ignore_ascii_case("none") {
            Ok(MetadataRecoveryStrategy::None)
        } else if t.eq_ignore_ascii_case("rebootstrap") {
            Ok(MetadataRecoveryStrategy::Rebootstrap)
        } else {
            Err(not_one_of(
                METADATA_RECOVERY_STRATEGY,
                s,
                "none, rebootstrap (case-insensitive)",
            ))
        }
    }
}

impl fmt::Display for MetadataRecoveryStrategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The protocol used to talk to brokers (`security.protocol`).
///
/// Java's four values, parsed case-insensitively.
///
/// ```
/// use kafka_producer::config::SecurityProtocol;
/// let p: SecurityProtocol = "sasl_ssl".parse().unwrap();
/// assert_eq!(p, SecurityProtocol::SaslSsl);
/// assert_eq!(p.as_str(), "SASL_SSL");
/// assert!(p.uses_sasl() && p.uses_tls());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum SecurityProtocol {
    /// `PLAINTEXT`: no encryption, no authentication. The default.
    #[default]
    Plaintext,
    /// `SSL`: TLS (the broker may also require a client certificate: `ssl.keystore.*`).
    Ssl,
    /// `SASL_PLAINTEXT`: SASL authentication (`sasl.mechanism`), no encryption.
    SaslPlaintext,
    /// `SASL_SSL`: SASL authentication over TLS.
    SaslSsl,
}

impl SecurityProtocol {
    /// The configuration value: `PLAINTEXT`, `SSL`, `SASL_PLAINTEXT` or `SASL_SSL`.
    pub fn as_str(self) -> &'static str {
        match self {
            SecurityProtocol::Plaintext => "PLAINTEXT",
            SecurityProtocol::Ssl => "SSL",
            SecurityProtocol::SaslPlaintext => "SASL_PLAINTEXT",
            SecurityProtocol::SaslSsl => "SASL_SSL",
        }
    }

    /// Whether connections are encrypted with TLS (`SSL`, `SASL_SSL`).
    pub fn uses_tls(self) -> bool {
        matches!(self, SecurityProtocol::Ssl | SecurityProtocol::SaslSsl)
    }

    /// Whether connections authenticate with SASL (`SASL_PLAINTEXT`, `SASL_SSL`).
    pub fn uses_sasl(self) -> bool {
        matches!(
            self,
            SecurityProtocol::SaslPlaintext | SecurityProtocol::SaslSsl
        )
    }
}

impl FromStr for SecurityProtocol {
    type Err = Error;

    /// Parses `PLAINTEXT`, `SSL`, `SASL_PLAINTEXT` or `SASL_SSL`, case-insensitively (as Java).
    fn from_str(s: &str) -> Result<Self, Error> {
        let t = s.trim();
        [
            SecurityProtocol::Plaintext,
            SecurityProtocol::Ssl,
            SecurityProtocol::SaslPlaintext,
            SecurityProtocol::SaslSsl,
        ]
        .into_iter()
        .find(|p| t.eq_ignore_ascii_case(p.as_str()))
        .ok_or_else(|| {
            not_one_of(
                SECURITY_PROTOCOL,
                s,
                "PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL (case-insensitive)",
            )
        })
    }
}

impl fmt::Display for SecurityProtocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

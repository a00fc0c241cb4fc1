//! From [`SslSettings`] to a rustls [`ClientConfig`] (Java `DefaultSslEngineFactory`): the
//! protocols, the cipher suites, the trusted CAs (PEM, PKCS12, or the OS trust store), the
//! client certificate (PEM, encrypted PKCS#8, PKCS12), and the host name check.

use super::SslSettings;
use super::no_hostname_verifier::NoHostnameVerifier;
use crate::config::Password;
use crate::error::Error;
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::{ClientConfig, RootCertStore, SupportedCipherSuite, SupportedProtocolVersion};
use std::sync::Arc;

const ENABLED_PROTOCOLS: &str = "ssl.enabled.protocols";
const CIPHER_SUITES: &str = "ssl.cipher.suites";
const ENDPOINT_IDENTIFICATION: &str = "ssl.endpoint.identification.algorithm";
const TRUSTSTORE_TYPE: &str = "ssl.truststore.type";
const TRUSTSTORE_LOCATION: &str = "ssl.truststore.location";
const TRUSTSTORE_PASSWORD: &str = "ssl.truststore.password";
const TRUSTSTORE_CERTIFICATES: &str = "ssl.truststore.certificates";
const KEYSTORE_TYPE: &str = "ssl.keystore.type";
const KEYSTORE_LOCATION: &str = "ssl.keystore.location";
const KEYSTORE_PASSWORD: &str = "ssl.keystore.password";
const KEYSTORE_CERTIFICATE_CHAIN: &str = "ssl.keystore.certificate.chain";
const KEYSTORE_KEY: &str = "ssl.keystore.key";
const KEY_PASSWORD: &str = "ssl.key.password";

/// The first bytes of a Java KeyStore file.
const JKS_MAGIC: [u8; 4] = [0xFE, 0xED, 0xFE, 0xED];
/// The first bytes of a JCEKS file.
const JCEKS_MAGIC: [u8; 4] = [0xCE, 0xCE, 0xCE, 0xCE];

/// The client configuration for `settings`; every error is an `Error::Config` naming its key.
pub(crate) fn client_config(settings: &SslSettings) -> Result<ClientConfig, Error> {
    let versions = protocol_versions(&settings.enabled_protocols)?;
    let suites = cipher_suites(&settings.cipher_suites, &versions)?;
    let provider = Arc::new(CryptoProvider {
        cipher_suites: suites,
        ..rustls::crypto::ring::default_provider()
    });
    let roots = trust_roots(settings)?;
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&versions)
        .map_err(|e| Error::config(ENABLED_PROTOCOLS, e.to_string()))?;
    let builder = match settings
        .endpoint_identification_algorithm
        .to_ascii_lowercase()
        .as_str()
    {
        "https" => builder.with_root_certificates(roots),
        "" => {
            log::warn!(
                "{ENDPOINT_IDENTIFICATION} is empty: the brokers' certificates are not checked \
                 against their host names (only against the trusted CAs)"
            );
            let inner = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .map_err(|e| Error::config(TRUSTSTORE_LOCATION, e.to_string()))?;
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(NoHostnameVerifier::new(inner)))
        }
        other => {
            return Err(Error::config(
                ENDPOINT_IDENTIFICATION,
                format!(
                    "unsupported algorithm {other:?}: use \"https\" or \"\" (no host name check)"
                ),
            ));
        }
    };
    let key_setting = if settings.keystore_key.is_some() {
        KEYSTORE_KEY
    } else {
        KEYSTORE_LOCATION
    };
    match client_certificate(settings)? {
        Some((chain, key)) => builder
            .with_client_auth_cert(chain, key)
            .map_err(|e| Error::config(key_setting, format!("unusable client key: {e}"))),
        None => Ok(builder.with_no_client_auth()),
    }
}

/// `ssl.enabled.protocols`: `TLSv1.2` and `TLSv1.3`.
fn protocol_versions(names: &[String]) -> Result<Vec<&'static SupportedProtocolVersion>, Error> {
    let mut out = Vec::new();
    for name in names.iter().map(|n| n.trim()).filter(|n| !n.is_empty()) {
        let v = match name {
            "TLSv1.2" => &rustls::version::TLS12,
            "TLSv1.3" => &rustls::version::TLS13,
            "TLSv1" | "TLSv1.1" | "SSLv3" | "SSLv2Hello" => {
                return Err(Error::config(
                    ENABLED_PROTOCOLS,
                    format!("{name} is not supported (rustls implements only TLSv1.2 and TLSv1.3)"),
                ));
            }
            other => {
                return Err(Error::config(
                    ENABLED_PROTOCOLS,
                    format!("unknown protocol {other:?}: use TLSv1.2 and/or TLSv1.3"),
                ));
            }
        };
        if !out.contains(&v) {
            out.push(v);
        }
    }
    if out.is_empty() {
        return Err(Error::config(ENABLED_PROTOCOLS, "no protocol enabled"));
    }
    Ok(out)
}

/// A suite's Java (IANA) name: `TLS_AES_128_GCM_SHA256`, `TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256`.
fn java_name(suite: &SupportedCipherSuite) -> String {
    let name = format!("{:?}", suite.suite());
    match name.strip_prefix("TLS13_") {
        Some(rest) => format!("TLS_{rest}"),
        None => name,
    }
}

/// `ssl.cipher.suites` (Java names; rustls's `TLS13_*` names are accepted too); empty keeps
/// every suite of the provider.
fn cipher_suites(
    names: &[String],
    versions: &[&'static SupportedProtocolVersion],
) -> Result<Vec<SupportedCipherSuite>, Error> {
    let all = rustls::crypto::ring::ALL_CIPHER_SUITES;
    let names: Vec<&str> = names
        .iter()
        .map(|n| n.trim())
        .filter(|n| !n.is_empty())
        .collect();
    if names.is_empty() {
        return Ok(all.to_vec());
    }
    let mut out: Vec<SupportedCipherSuite> = Vec::new();
    for name in names {
        let found = all
            .iter()
            .find(|s| java_name(s) == name || format!("{:?}", s.suite()) == name);
        match found {
            Some(s) => {
                if !out.iter().any(|o| o.suite() == s.suite()) {
                    out.push(*s);
                }
            }
            None => {
                let supported: Vec<String> = all.iter().map(java_name).collect();
                return Err(Error::config(
                    CIPHER_SUITES,
                    format!(
                        "unsupported cipher suite {name:?}; supported: {}",
                        supported.join(", ")
                    ),
                ));
            }
        }
    }
    if !out.iter().any(|s| versions.contains(&s.version())) {
        return Err(Error::config(
            CIPHER_SUITES,
            "none of the cipher suites is usable with the protocols of ssl.enabled.protocols",
        ));
    }
    Ok(out)
}

/// The store file at `path` (`key` names the setting in errors).
fn read_file(key: &str, path: &str) -> Result<Vec<u8>, Error> {
    std::fs::read(path).map_err(|e| Error::config(key, format!("cannot read {path}: {e}")))
}

/// How a store file is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StoreType {
    Pem,
    Pkcs12,
}

/// The store type of `type_key`'s value, for a file whose bytes are `bytes` (when there is
/// one): JKS and JCEKS files are refused with how to convert them; a PKCS12 file typed JKS
/// (Java 9+ reads those) is read as PKCS12.
fn store_type(
    type_key: &str,
    type_name: &str,
    location_key: &str,
    bytes: Option<&[u8]>,
) -> Result<StoreType, Error> {
    let magic = bytes.and_then(|b| b.get(..4));
    let ty = type_name.trim().to_ascii_uppercase();
    if ty != "PEM" && (magic == Some(&JKS_MAGIC[..]) || magic == Some(&JCEKS_MAGIC[..])) {
        let what = if magic == Some(&JKS_MAGIC[..]) {
            "JKS"
        } else {
            "JCEKS"
        };
        return Err(Error::config(
            location_key,
            format!(
                "this is a {what} key store, which is not supported; convert it to PKCS12 with \
                 `keytool -importkeystore -srckeystore X.jks -destkeystore X.p12 \
                 -deststoretype PKCS12` and set {type_key}=PKCS12"
            ),
        ));
    }
    match ty.as_str() {
        "PEM" => Ok(StoreType::Pem),
        "PKCS12" | "JKS" => Ok(StoreType::Pkcs12),
        other => Err(Error::config(
            type_key,
            format!("unsupported store type {other:?}: use PKCS12 or PEM"),
        )),
    }
}

/// Certificates of a PEM text.
fn pem_certificates(key: &str, pem: &[u8]) -> Result<Vec<CertificateDer<'static>>, Error> {
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| Error::config(key, format!("invalid PEM certificate: {e}")))?;
    if certs.is_empty() {
        return Err(Error::config(key, "no PEM certificate found"));
    }
    Ok(certs)
}

/// A PKCS12 store (`password_key` names its password in errors).
fn pkcs12(
    location_key: &str,
    password_key: &str,
    bytes: &[u8],
    password: Option<&Password>,
) -> Result<p12_keystore::KeyStore, Error> {
    let password = password.map_or("", |p| p.value());
    p12_keystore::KeyStore::from_pkcs12(bytes, password).map_err(|e| match e {
        p12_keystore::error::Error::MacError(_) => Error::config(
            password_key,
            "wrong password for the PKCS12 store (its integrity check failed)",
        ),
        p12_keystore::error::Error::DerError(e) => {
            Error::config(location_key, format!("not a PKCS12 file: {e}"))
        }
        other => Error::config(
            location_key,
            format!("cannot read the PKCS12 store: {other}"),
        ),
    })
}

/// The trusted CAs: `ssl.truststore.*`, or the OS trust store when none is configured.
fn trust_roots(s: &SslSettings) -> Result<RootCertStore, Error> {
    let mut roots = RootCertStore::empty();
    let certs: Vec<CertificateDer<'static>> =
        match (&s.truststore_location, &s.truststore_certificates) {
            (Some(_), Some(_)) => {
                return Err(Error::config(
                    TRUSTSTORE_CERTIFICATES,
                    format!(
                        "set either {TRUSTSTORE_LOCATION} or {TRUSTSTORE_CERTIFICATES}, not both"
                    ),
                ));
            }
            (None, Some(inline)) => {
                pem_certificates(TRUSTSTORE_CERTIFICATES, inline.value().as_bytes())?
            }
            (Some(path), None) => {
                let bytes = read_file(TRUSTSTORE_LOCATION, path)?;
                match store_type(
                    TRUSTSTORE_TYPE,
                    &s.truststore_type,
                    TRUSTSTORE_LOCATION,
                    Some(&bytes),
                )? {
                    StoreType::Pem => pem_certificates(TRUSTSTORE_LOCATION, &bytes)?,
                    StoreType::Pkcs12 => {
                        let store = pkcs12(
                            TRUSTSTORE_LOCATION,
                            TRUSTSTORE_PASSWORD,
                            &bytes,
                            s.truststore_password.as_ref(),
                        )?;
                        let certs: Vec<CertificateDer<'static>> = store
                            .entries()
                            .filter_map(|(_, e)| match e {
                                p12_keystore::KeyStoreEntry::Certificate(c) => {
                                    Some(CertificateDer::from(c.as_der().to_vec()))
                                }
                                _ => None,
                            })
                            .collect();
                        if certs.is_empty() {
                            return Err(Error::config(
                                TRUSTSTORE_LOCATION,
                                "the PKCS12 trust store holds no trusted certificate entry",
                            ));
                        }
                        certs
                    }
                }
            }
            (None, None) => {
                let native = rustls_native_certs::load_native_certs();
                for e in &native.errors {
                    log::debug!("Skipping part of the OS trust store: {e}");
                }
                let (added, _) = roots.add_parsable_certificates(native.certs);
                if added == 0 {
                    return Err(Error::config(
                        TRUSTSTORE_LOCATION,
                        "no trust store is configured and the OS trust store has no usable \
                     certificate",
                    ));
                }
                log::debug!("Trusting {added} CA certificates of the OS trust store");
                return Ok(roots);
            }
        };
    let key = if s.truststore_certificates.is_some() {
        TRUSTSTORE_CERTIFICATES
    } else {
        TRUSTSTORE_LOCATION
    };
    for c in certs {
        roots
            .add(c)
            .map_err(|e| Error::config(key, format!("unusable CA certificate: {e}")))?;
    }
    Ok(roots)
}

/// The client certificate chain and its key (mutual TLS), when a key store is configured.
#[allow(clippy::type_complexity)]
fn client_certificate(
    s: &SslSettings,
) -> Result<Option<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)>, Error> {
    match (&s.keystore_certificate_chain, &s.keystore_key) {
        (Some(chain), Some(key)) => {
            if s.keystore_location.is_some() {
                return Err(Error::config(
                    KEYSTORE_LOCATION,
                    format!(
                        "set either {KEYSTORE_LOCATION} or {KEYSTORE_CERTIFICATE_CHAIN} and \
                         {KEYSTORE_KEY}, not both"
                    ),
                ));
            }
            let certs = pem_certificates(KEYSTORE_CERTIFICATE_CHAIN, chain.value().as_bytes())?;
            let key = pem_private_key(
                KEYSTORE_KEY,
                key.value().as_bytes(),
                s.key_password.as_ref(),
            )?;
            return Ok(Some((certs, key)));
        }
        (Some(_), None) => {
            return Err(Error::config(
                KEYSTORE_KEY,
                format!("{KEYSTORE_CERTIFICATE_CHAIN} is set without {KEYSTORE_KEY}"),
            ));
        }
        (None, Some(_)) => {
            return Err(Error::config(
                KEYSTORE_CERTIFICATE_CHAIN,
                format!("{KEYSTORE_KEY} is set without {KEYSTORE_CERTIFICATE_CHAIN}"),
            ));
        }
        (None, None) => {}
    }
    let Some(path) = &s.keystore_location else {
        return Ok(None);
    };
    let bytes = read_file(KEYSTORE_LOCATION, path)?;
    match store_type(
        KEYSTORE_TYPE,
        &s.keystore_type,
        KEYSTORE_LOCATION,
        Some(&bytes),
    )? {
        StoreType::Pem => {
            // Java's PEM key store: one file with the private key and the certificate chain.
            let certs = pem_certificates(KEYSTORE_LOCATION, &bytes)?;
            let key = pem_private_key(KEYSTORE_LOCATION, &bytes, s.key_password.as_ref())?;
            Ok(Some((certs, key)))
        }
        StoreType::Pkcs12 => {
            let store = match pkcs12(
                KEYSTORE_LOCATION,
                KEYSTORE_PASSWORD,
                &bytes,
                s.keystore_password.as_ref(),
            ) {
                // A key encrypted with its own password (ssl.key.password).
                Err(e) => match s.key_password.as_ref() {
                    Some(kp) if s.keystore_password.as_ref() != Some(kp) => {
                        pkcs12(KEYSTORE_LOCATION, KEYSTORE_PASSWORD, &bytes, Some(kp))
                            .map_err(|_| e)?
                    }
                    _ => return Err(e),
                },
                Ok(store) => store,
            };
            let Some((_, chain)) = store.private_key_chain() else {
                return Err(Error::config(
                    KEYSTORE_LOCATION,
                    "the PKCS12 key store holds no private key entry",
                ));
            };
            let certs: Vec<CertificateDer<'static>> = chain
                .chain()
                .iter()
                .map(|c| CertificateDer::from(c.as_der().to_vec()))
                .collect();
            if certs.is_empty() {
                return Err(Error::config(
                    KEYSTORE_LOCATION,
                    "the PKCS12 key entry has no certificate",
                ));
            }
            let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(chain.key().to_vec()));
            Ok(Some((certs, key)))
        }
    }
}

const ENCRYPTED_BEGIN: &str = "-----BEGIN ENCRYPTED PRIVATE KEY-----";
const ENCRYPTED_END: &str = "-----END ENCRYPTED PRIVATE KEY-----";

/// The private key of a PEM text: PKCS#8 (encrypted with `ssl.key.password`, or not), PKCS#1
/// or SEC1. Error messages never include key bytes.
fn pem_private_key(
    key: &str,
    pem: &[u8],
    password: Option<&Password>,
) -> Result<PrivateKeyDer<'static>, Error> {
    let text = String::from_utf8_lossy(pem);
    if let Some(start) = text.find(ENCRYPTED_BEGIN) {
        let Some(len) = text[start..].find(ENCRYPTED_END) else {
            return Err(Error::config(
                key,
                "unterminated ENCRYPTED PRIVATE KEY block",
            ));
        };
        let block = &text[start..start + len + ENCRYPTED_END.len()];
        let Some(password) = password else {
            return Err(Error::config(
                KEY_PASSWORD,
                format!("the private key of {key} is encrypted: set {KEY_PASSWORD}"),
            ));
        };
        let (_, doc) = pkcs8::Document::from_pem(block)
            .map_err(|e| Error::config(key, format!("invalid encrypted private key: {e}")))?;
        let invalid = |e: &dyn std::fmt::Display| {
            Error::config(key, format!("invalid encrypted private key: {e}"))
        };
        let wrong_password = |e: &dyn std::fmt::Display| {
            Error::config(
                KEY_PASSWORD,
                format!("cannot decrypt the private key of {key} (wrong password?): {e}"),
            )
        };
        let plain = match pbes1_sha1_3des(doc.as_bytes()).map_err(|e| invalid(&e))? {
            Some((salt, iterations, data)) => {
                pbes1_decrypt(password.value(), &salt, iterations, &data)
                    .ok_or_else(|| wrong_password(&"bad padding"))?
            }
            None => pkcs8::EncryptedPrivateKeyInfo::try_from(doc.as_bytes())
                .map_err(|e| invalid(&e))?
                .decrypt(password.value())
                .map_err(|e| wrong_password(&e))?
                .as_bytes()
                .to_vec(),
        };
        // A wrong password may still unpad: the result must be a PKCS#8 structure.
        pkcs8::PrivateKeyInfo::try_from(plain.as_slice()).map_err(|e| wrong_password(&e))?;
        return Ok(PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(plain)));
    }
    PrivateKeyDer::from_pem_slice(pem).map_err(|e| match e {
        rustls::pki_types::pem::Error::NoItemsFound => {
            Error::config(key, "no PEM private key found")
        }
        e => Error::config(key, format!("invalid PEM private key: {e}")),
    })
}

/// `pbeWithSHAAnd3-KeyTripleDES-CBC` (PKCS#12 PBES1, RFC 7292 appendix C).
const PBE_SHA1_3DES: pkcs8::ObjectIdentifier =
    pkcs8::ObjectIdentifier::new_unwrap("1.2.840.113549.1.12.1.3");

/// The salt, iteration count and ciphertext of an `EncryptedPrivateKeyInfo` encrypted with
/// [`PBE_SHA1_3DES`]; `None` for another scheme.
#[allow(clippy::type_complexity)]
fn pbes1_sha1_3des(der: &[u8]) -> pkcs8::der::Result<Option<(Vec<u8>, u32, Vec<u8>)>> {
    use pkcs8::der::asn1::OctetStringRef;
    use pkcs8::der::{Decode, Reader, SliceReader};
    let mut reader = SliceReader::new(der)?;
    let (alg, data) = reader.sequence(|r| {
        let alg = pkcs8::spki::AlgorithmIdentifierRef::decode(r)?;
        let data = OctetStringRef::decode(r)?;
        Ok((alg, data))
    })?;
    if alg.oid != PBE_SHA1_3DES {
        return Ok(None);
    }
    let Some(params) = alg.parameters else {
        return Err(pkcs8::der::Tag::Sequence.value_error());
    };
    let (salt, iterations) = params.sequence(|r| {
        let salt = OctetStringRef::decode(r)?;
        let iterations = u32::decode(r)?;
        Ok((salt.as_bytes().to_vec(), iterations))
    })?;
    Ok(Some((salt, iterations, data.as_bytes().to_vec())))
}

/// Decrypts PBES1 SHA-1 / 3DES-CBC data; `None` when the padding is wrong (wrong password).
fn pbes1_decrypt(password: &str, salt: &[u8], iterations: u32, data: &[u8]) -> Option<Vec<u8>> {
    use cbc::cipher::{BlockDecryptMut, KeyIvInit, block_padding::Pkcs7};
    use pkcs12::kdf::{Pkcs12KeyType, derive_key_utf8};
    let rounds = i32::try_from(iterations).ok()?;
    let key =
        derive_key_utf8::<sha1::Sha1>(password, salt, Pkcs12KeyType::EncryptionKey, rounds, 24)
            .ok()?;
    let iv = derive_key_utf8::<sha1::Sha1>(password, salt, Pkcs12KeyType::Iv, rounds, 8).ok()?;
    cbc::Decryptor::<des::TdesEde3>::new_from_slices(&key, &iv)
        .ok()?
        .decrypt_padded_vec_mut::<Pkcs7>(data)
        .ok()
}

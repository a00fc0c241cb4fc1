//! The server certificate verifier of `ssl.endpoint.identification.algorithm=` (empty): the
//! chain must still lead to a trusted CA and be valid; only the host name check is skipped.

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, SignatureScheme};
use std::sync::Arc;

/// Wraps rustls's [`WebPkiServerVerifier`] and accepts exactly one of its failures: a
/// certificate not valid for the host name (`CertificateError::NotValidForName*`), which webpki
/// reports only once the chain, its validity dates and its revocation were checked. Every other
/// failure (unknown CA, expired, bad signature) is kept.
#[derive(Debug)]
pub(crate) struct NoHostnameVerifier {
    inner: Arc<WebPkiServerVerifier>,
}

impl NoHostnameVerifier {
    /// Wraps `inner`.
    pub(crate) fn new(inner: Arc<WebPkiServerVerifier>) -> Self {
        NoHostnameVerifier { inner }
    }
}

impl ServerCertVerifier for NoHostnameVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self.inner.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        ) {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

//! A TLS client configuration for *identification only*: it accepts any certificate, because
//! the scanner must see the admin page behind a router's self-signed certificate, and it never
//! sends anything secret over the connection. Handshake signatures are still checked, so the
//! peer at least holds the key of the certificate it showed.
//!
//! Nothing outside the service probes can reach this configuration; it is not exported.

use std::sync::Arc;

use tokio_rustls::rustls::client::danger::{
    HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier,
};
use tokio_rustls::rustls::crypto::{self, WebPkiSupportedAlgorithms};
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use tokio_rustls::rustls::{ClientConfig, DigitallySignedStruct, Error, SignatureScheme};

/// Accepts every certificate chain; checks handshake signatures with the provider's algorithms.
#[derive(Debug)]
struct DangerousAcceptAnyCertificate {
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for DangerousAcceptAnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        // Identification only: the probe reads a status line and a title and sends no secret.
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// The client configuration the HTTPS probe uses (ring provider, TLS 1.2 and 1.3); `None`
/// only if the provider refused its own default protocol versions, and then HTTPS is not probed.
pub(super) fn identification_only_config() -> Option<Arc<ClientConfig>> {
    let provider = Arc::new(crypto::ring::default_provider());
    let algorithms = provider.signature_verification_algorithms;
    let verifier = Arc::new(DangerousAcceptAnyCertificate { algorithms });
    let builder =
        ClientConfig::builder_with_provider(provider).with_safe_default_protocol_versions();
    let config = builder
        .ok()?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    Some(Arc::new(config))
}

//! jsonwebtoken's crypto provider for this project, installed once per process: exactly the
//! algorithms we use and nothing else, so no binary links code it never runs.
//!
//! - HS256 (RustCrypto's `hmac`, constant-time `verify_slice`): Vonage signs webhooks with it.
//! - RS256 signing (feature `token`, aws-lc, which TLS links already): the user and application
//!   tokens token-fn mints. Not the `rsa` crate (RUSTSEC-2023-0071, no fixed release).
//!
//! Parsing an RSA private key is far dearer than a signature; token-fn signs with one key for
//! its whole life, so the provider keeps the last key it parsed and reuses it while the key's
//! bytes are the same.

use hmac::{Hmac, KeyInit, Mac};
use jsonwebtoken::crypto::{CryptoProvider, JwtSigner, JwtVerifier};
use jsonwebtoken::errors::{ErrorKind, Result};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

struct HsSigner(HmacSha256);
struct HsVerifier(HmacSha256);

impl signature::Signer<Vec<u8>> for HsSigner {
    fn try_sign(&self, msg: &[u8]) -> std::result::Result<Vec<u8>, signature::Error> {
        let mut mac = self.0.clone();
        mac.update(msg);
        Ok(mac.finalize().into_bytes().to_vec())
    }
}

impl JwtSigner for HsSigner {
    fn algorithm(&self) -> Algorithm {
        Algorithm::HS256
    }
}

impl signature::Verifier<Vec<u8>> for HsVerifier {
    fn verify(&self, msg: &[u8], signature: &Vec<u8>) -> std::result::Result<(), signature::Error> {
        let mut mac = self.0.clone();
        mac.update(msg);
        mac.verify_slice(signature)
            .map_err(signature::Error::from_source)
    }
}

impl JwtVerifier for HsVerifier {
    fn algorithm(&self) -> Algorithm {
        Algorithm::HS256
    }
}

fn signer(algorithm: &Algorithm, key: &EncodingKey) -> Result<Box<dyn JwtSigner>> {
    match algorithm {
        Algorithm::HS256 => {
            let mac = HmacSha256::new_from_slice(key.as_bytes())
                .map_err(|_| ErrorKind::InvalidKeyFormat)?;
            Ok(Box::new(HsSigner(mac)))
        }
        #[cfg(feature = "token")]
        Algorithm::RS256 => Ok(Box::new(rs256::Signer::new(key.as_bytes())?)),
        _ => Err(ErrorKind::InvalidAlgorithm.into()),
    }
}

fn verifier(algorithm: &Algorithm, key: &DecodingKey) -> Result<Box<dyn JwtVerifier>> {
    match algorithm {
        Algorithm::HS256 => {
            let mac = HmacSha256::new_from_slice(key.try_get_as_bytes()?)
                .map_err(|_| ErrorKind::InvalidKeyFormat)?;
            Ok(Box::new(HsVerifier(mac)))
        }
        _ => Err(ErrorKind::InvalidAlgorithm.into()),
    }
}

static PROVIDER: CryptoProvider = CryptoProvider {
    signer_factory: signer,
    verifier_factory: verifier,
    key_utils: jsonwebtoken::crypto::KeyUtils::new_unimplemented(),
};

/// Installs the provider for the process; a second call finds it installed and does nothing.
pub fn install() {
    let _ = PROVIDER.install_default();
}

#[cfg(feature = "token")]
mod rs256 {
    use aws_lc_rs::{rand::SystemRandom, signature::RsaKeyPair, signature::RSA_PKCS1_SHA256};
    use jsonwebtoken::crypto::JwtSigner;
    use jsonwebtoken::errors::{ErrorKind, Result};
    use jsonwebtoken::Algorithm;
    use std::sync::{Arc, Mutex};

    /// The last key parsed, with the DER bytes it came from.
    static PARSED: Mutex<Option<(Vec<u8>, Arc<RsaKeyPair>)>> = Mutex::new(None);

    pub struct Signer(Arc<RsaKeyPair>);

    impl Signer {
        /// `der`: PKCS#1 `RSAPrivateKey` (what jsonwebtoken's PEM reader yields for both
        /// `BEGIN RSA PRIVATE KEY` and `BEGIN PRIVATE KEY`) or a whole PKCS#8 document.
        pub fn new(der: &[u8]) -> Result<Self> {
            let mut parsed = PARSED
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            if let Some((bytes, pair)) = parsed.as_ref() {
                if bytes == der {
                    return Ok(Self(pair.clone()));
                }
            }
            let pair = RsaKeyPair::from_der(der)
                .or_else(|_| RsaKeyPair::from_pkcs8(der))
                .map_err(|_| ErrorKind::InvalidRsaKey("not an RSA private key".into()))?;
            let pair = Arc::new(pair);
            *parsed = Some((der.to_vec(), pair.clone()));
            Ok(Self(pair))
        }
    }

    impl signature::Signer<Vec<u8>> for Signer {
        fn try_sign(&self, msg: &[u8]) -> std::result::Result<Vec<u8>, signature::Error> {
            let mut signature = vec![0; self.0.public_modulus_len()];
            self.0
                .sign(&RSA_PKCS1_SHA256, &SystemRandom::new(), msg, &mut signature)
                .map_err(signature::Error::from_source)?;
            Ok(signature)
        }
    }

    impl JwtSigner for Signer {
        fn algorithm(&self) -> Algorithm {
            Algorithm::RS256
        }
    }
}

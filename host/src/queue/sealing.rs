//! Credentials at rest. Until a job ends, its password and enable secret are
//! kept apart from the job record (`<p>:cred:<id>`, deleted when the job ends,
//! and expiring by itself the job's `ttl` + 60 s after submit).
//! With a `credential_key` configured they are also sealed there: AES-256-GCM
//! under the SHA-256 of the key, a random nonce per job, and the job id as
//! associated data, so a blob copied onto another job does not open.
//! Without a key they are stored as JSON (the API warns at start).

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD_NO_PAD as B64;
use sha2::{Digest, Sha256};

/// Marks a sealed blob (unsealed credentials are JSON and start with `{`).
const SEALED: &str = "aes256gcm:";
const NONCE_LEN: usize = 12;

/// Why stored credentials could not be read.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    #[error(
        "the job's credentials were sealed with a credential_key and this node has none: set the same credential_key (NETPULSE_CREDENTIAL_KEY) on the API and every node"
    )]
    NoKey,
    #[error(
        "the job's credentials do not open with this node's credential_key: the API and every node must share one credential_key (NETPULSE_CREDENTIAL_KEY)"
    )]
    WrongKey,
}

/// Seals and opens stored credentials with the configured key, if any.
#[derive(Clone, Default)]
pub struct Sealer {
    cipher: Option<Aes256Gcm>,
}

impl Sealer {
    /// A sealer for `key`; `None` (or empty) stores credentials unsealed.
    pub fn new(key: Option<&str>) -> Self {
        let cipher = key.filter(|k| !k.is_empty()).map(|k| {
            let digest: [u8; 32] = Sha256::digest(k.as_bytes()).into();
            Aes256Gcm::new(&Key::<Aes256Gcm>::from(digest))
        });
        Self { cipher }
    }

    /// Whether credentials are sealed.
    pub fn seals(&self) -> bool {
        self.cipher.is_some()
    }

    /// The stored form of job `id`'s credentials (`json`).
    pub fn seal(&self, id: &str, json: &str) -> String {
        let Some(cipher) = &self.cipher else { return json.to_string() };
        let nonce: [u8; NONCE_LEN] = rand::random();
        let sealed = cipher
            .encrypt(&Nonce::from(nonce), Payload { msg: json.as_bytes(), aad: id.as_bytes() })
            .expect("AES-GCM sealing of a short message does not fail");
        let mut blob = nonce.to_vec();
        blob.extend_from_slice(&sealed);
        format!("{SEALED}{}", B64.encode(blob))
    }

    /// Job `id`'s credentials JSON from their stored form. Unsealed JSON (stored
    /// by an API without a key) is accepted as it is.
    pub fn open(&self, id: &str, stored: &str) -> Result<String, SealError> {
        let Some(text) = stored.strip_prefix(SEALED) else { return Ok(stored.to_string()) };
        let cipher = self.cipher.as_ref().ok_or(SealError::NoKey)?;
        let blob = B64.decode(text).map_err(|_| SealError::WrongKey)?;
        if blob.len() < NONCE_LEN {
            return Err(SealError::WrongKey);
        }
        let (nonce, sealed) = blob.split_at(NONCE_LEN);
        let nonce: [u8; NONCE_LEN] = nonce.try_into().expect("split at the nonce length");
        let plain = cipher
            .decrypt(&Nonce::from(nonce), Payload { msg: sealed, aad: id.as_bytes() })
            .map_err(|_| SealError::WrongKey)?;
        String::from_utf8(plain).map_err(|_| SealError::WrongKey)
    }
}

#[cfg(test)]
mod tests {
    use super::{SealError, Sealer};

    const JSON: &str = r#"{"password":"pw-1","secret":null}"#;

    #[test]
    fn sealed_credentials_open_only_with_the_key_and_for_their_job() {
        let s = Sealer::new(Some("k1"));
        let stored = s.seal("job-a", JSON);
        assert!(stored.starts_with("aes256gcm:") && !stored.contains("pw-1"), "{stored}");
        assert_ne!(s.seal("job-a", JSON), stored, "a fresh nonce each time");
        assert_eq!(s.open("job-a", &stored).unwrap(), JSON);
        assert_eq!(s.open("job-b", &stored), Err(SealError::WrongKey), "bound to its job");
        assert_eq!(Sealer::new(Some("k2")).open("job-a", &stored), Err(SealError::WrongKey));
        assert_eq!(Sealer::new(None).open("job-a", &stored), Err(SealError::NoKey));
        assert_eq!(s.open("job-a", "aes256gcm:!!"), Err(SealError::WrongKey));
    }

    #[test]
    fn without_a_key_credentials_stay_json_and_json_is_accepted() {
        let plain = Sealer::new(None);
        assert!(!plain.seals() && !Sealer::new(Some("")).seals());
        assert_eq!(plain.seal("j", JSON), JSON);
        assert_eq!(Sealer::new(Some("k")).open("j", JSON).unwrap(), JSON);
    }
}

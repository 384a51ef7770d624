//! The staff's second factor: an authenticator app's time-based codes (TOTP, RFC 6238:
//! HMAC-SHA-1, 6 digits, 30-second steps, as Google Authenticator, Microsoft Authenticator
//! and FreeOTP read them), accepted one step early or late (RFC 6238 §5.2), each step once.
//! The secret is 160 random bits (RFC 4226 §4 recommends at least that), stored sealed with
//! ChaCha20-Poly1305 (RFC 8439) under `FactorKey`, a key kept outside the database; the
//! sealed form is bound to its member of staff, so a sealed secret copied onto another row
//! does not open.

use ring::aead::{Aad, CHACHA20_POLY1305, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use totp_rs::{Algorithm, Secret, Totp};
use zeroize::Zeroizing;

use crate::domain::user::UserId;

/// Seconds a code stands for (RFC 6238's default).
pub const STEP_SECS: i64 = 30;
/// Digits of a code.
pub const DIGITS: usize = 6;
/// Bytes of a secret (160 bits).
pub const SECRET_BYTES: usize = 20;
/// The issuer an authenticator app lists the account under.
pub const ISSUER: &str = "helpdesk";

/// An authenticator secret, wiped when dropped.
#[derive(Clone)]
pub struct FactorSecret(Zeroizing<Vec<u8>>);

impl std::fmt::Debug for FactorSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FactorSecret(…)")
    }
}

/// Why a code was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CodeRefusal {
    #[error("That is not a {DIGITS}-digit code from your authenticator app.")]
    Malformed,
    #[error("That code is wrong, or your device's clock is off by more than half a minute.")]
    Wrong,
    #[error("That code was already used: wait for the next one.")]
    Replayed,
}

impl FactorSecret {
    /// A new secret from the OS CSPRNG.
    pub fn random() -> Result<Self, rand::rngs::SysError> {
        let mut bytes = Zeroizing::new(vec![0_u8; SECRET_BYTES]);
        rand::rngs::SysRng.try_fill_bytes(&mut bytes)?;
        Ok(FactorSecret(bytes))
    }

    /// A secret given as base32 (RFC 4648, as authenticator apps show it; spaces ignored).
    pub fn from_base32(text: &str) -> Option<Self> {
        let clean: String = text.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_uppercase();
        let bytes = Secret::try_from_base32(clean).ok()?;
        let bytes = bytes.as_bytes();
        (bytes.len() >= 16).then(|| FactorSecret(Zeroizing::new(bytes.to_vec())))
    }

    pub fn to_base32(&self) -> Zeroizing<String> {
        Zeroizing::new(Secret::new(self.0.to_vec().into_boxed_slice()).to_base32())
    }

    fn totp(&self) -> Totp {
        totp_rs::Builder::new()
            .with_algorithm(Algorithm::SHA1)
            .with_digits(DIGITS as u8)
            .with_skew(1)
            .with_step_duration(STEP_SECS as u64)
            .with_secret(Secret::new(self.0.to_vec().into_boxed_slice()))
            .build_noncompliant()
    }

    /// The `otpauth://totp/ISSUER:ACCOUNT?secret=…&issuer=ISSUER` URI an authenticator app
    /// enrols from (Google's Key Uri Format). The algorithm, digits and period are the
    /// format's defaults and left out, which keeps the QR code small enough for 80×24.
    /// Characters of `account` outside RFC 3986's unreserved set are percent-encoded.
    pub fn uri(&self, account: &str) -> Zeroizing<String> {
        let mut label = String::new();
        for byte in account.bytes() {
            match byte {
                b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => label.push(byte as char),
                other => label.push_str(&format!("%{other:02X}")),
            }
        }
        let secret = self.to_base32();
        Zeroizing::new(format!("otpauth://totp/{ISSUER}:{label}?secret={}&issuer={ISSUER}", secret.as_str()))
    }

    /// The code for the step that holds `at` (Unix seconds).
    pub fn code_at(&self, at: i64) -> Zeroizing<String> {
        Zeroizing::new(self.totp().generate(at.max(0) as u64).to_string())
    }

    /// Checks a typed code at `now`: spaces and dashes ignored; the step before, the
    /// current and the one after are accepted, but only a step after `last_used` (the step
    /// of the last accepted code), so that each code works once. Returns the step matched,
    /// for the caller to record as used.
    pub fn check(&self, typed: &str, now: i64, last_used: Option<i64>) -> Result<i64, CodeRefusal> {
        let digits: String = typed.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
        if digits.len() != DIGITS || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(CodeRefusal::Malformed);
        }
        let totp = self.totp();
        let origin = now.max(0) / STEP_SECS;
        let matched = [origin - 1, origin, origin + 1]
            .into_iter()
            .filter(|s| *s >= 0)
            .find(|s| *totp.generate((*s * STEP_SECS) as u64).to_string() == *digits);
        match matched {
            None => Err(CodeRefusal::Wrong),
            Some(step) if last_used.is_some_and(|last| step <= last) => Err(CodeRefusal::Replayed),
            Some(step) => Ok(step),
        }
    }
}

/// The key that seals the secrets (`staff.factor_key_file`, 32 bytes), never the audit key.
#[derive(Clone)]
pub struct FactorKey(Zeroizing<[u8; 32]>);

impl std::fmt::Debug for FactorKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FactorKey(…)")
    }
}

impl FactorKey {
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        FactorKey(Zeroizing::new(bytes))
    }

    fn key(&self) -> LessSafeKey {
        LessSafeKey::new(UnboundKey::new(&CHACHA20_POLY1305, self.0.as_slice()).expect("a 32-byte key"))
    }

    /// `nonce ‖ ciphertext ‖ tag` of the secret, bound to `owner` (the additional data).
    pub fn seal(&self, secret: &FactorSecret, owner: UserId) -> Result<Vec<u8>, rand::rngs::SysError> {
        let mut nonce = [0_u8; NONCE_LEN];
        rand::rngs::SysRng.try_fill_bytes(&mut nonce)?;
        let mut sealed = secret.0.to_vec();
        self.key()
            .seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::from(owner.to_be_bytes()), &mut sealed)
            .expect("sealing a short secret");
        let mut out = nonce.to_vec();
        out.append(&mut sealed);
        Ok(out)
    }

    /// The secret sealed for `owner`; `None` when it was sealed under another key, for
    /// another member of staff, or altered.
    pub fn open(&self, sealed: &[u8], owner: UserId) -> Option<FactorSecret> {
        if sealed.len() < NONCE_LEN {
            return None;
        }
        let (nonce, body) = sealed.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).ok()?;
        let mut buffer = Zeroizing::new(body.to_vec());
        let plain = self.key().open_in_place(nonce, Aad::from(owner.to_be_bytes()), &mut buffer).ok()?;
        Some(FactorSecret(Zeroizing::new(plain.to_vec())))
    }
}

use rand::TryRng as _;

/// An SSH public key, as the SHA-256 of its blob (RFC 4253 §6.6's encoding): what sshd's
/// `ExposeAuthInfo` says a session authenticated with, and what an admin binds to a member
/// of staff. Shown as OpenSSH shows it (`SHA256:` and unpadded base64); stored as hex.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyFingerprint(pub [u8; 32]);

impl KeyFingerprint {
    /// From a public key line, `TYPE BASE64 [COMMENT]` (an `authorized_keys` line, or
    /// `publickey TYPE BASE64` from `ExposeAuthInfo`'s file): the blob must decode and name
    /// the same type it is given as. `None` otherwise.
    pub fn of_public_key(line: &str) -> Option<Self> {
        let mut words = line.split_whitespace();
        let mut kind = words.next()?;
        if kind == "publickey" {
            kind = words.next()?;
        }
        let blob = data_encoding::BASE64.decode(words.next()?.as_bytes()).ok()?;
        let named = blob.get(4..4 + u32::from_be_bytes(blob.get(..4)?.try_into().ok()?) as usize)?;
        if named != kind.as_bytes() {
            return None;
        }
        use sha2::Digest;
        Some(KeyFingerprint(sha2::Sha256::digest(&blob).into()))
    }

    /// `SHA256:…`, as `ssh-keygen -l` prints it; or 64 hex digits.
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        let bytes = match text.strip_prefix("SHA256:") {
            Some(b64) => data_encoding::BASE64_NOPAD.decode(b64.as_bytes()).ok()?,
            None => data_encoding::HEXLOWER_PERMISSIVE.decode(text.as_bytes()).ok()?,
        };
        Some(KeyFingerprint(bytes.try_into().ok()?))
    }

    pub fn hex(&self) -> String {
        data_encoding::HEXLOWER.encode(&self.0)
    }

    /// As OpenSSH shows it.
    pub fn openssh(&self) -> String {
        format!("SHA256:{}", data_encoding::BASE64_NOPAD.encode(&self.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 Appendix B, SHA-1: the 8-digit codes' last 6 digits are the 6-digit codes.
    #[test]
    fn rfc_6238_appendix_b_vectors() {
        let secret = FactorSecret(Zeroizing::new(b"12345678901234567890".to_vec()));
        for (at, eight) in [
            (59, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ] {
            assert_eq!(*secret.code_at(at), eight[2..], "at {at}");
        }
    }

    #[test]
    fn a_code_holds_one_step_either_side_and_only_once() {
        let secret = FactorSecret::random().unwrap();
        let now = 1_800_000_015;
        let code = secret.code_at(now);
        let step = now / STEP_SECS;
        assert_eq!(secret.check(&code, now, None), Ok(step));
        // Typed with a space, as apps show it.
        assert_eq!(secret.check(&format!("{} {}", &code[..3], &code[3..]), now, None), Ok(step));
        // One step late or early still holds; two do not.
        assert_eq!(secret.check(&code, now + STEP_SECS, None), Ok(step));
        assert_eq!(secret.check(&code, now - STEP_SECS, None), Ok(step));
        assert_eq!(secret.check(&code, now + 2 * STEP_SECS, None), Err(CodeRefusal::Wrong));
        // The edges of the step: its first and last second.
        let first = step * STEP_SECS;
        assert_eq!(secret.check(&secret.code_at(first), first + STEP_SECS - 1, None), Ok(step));
        // Used once, never again; the next step's code works.
        assert_eq!(secret.check(&code, now, Some(step)), Err(CodeRefusal::Replayed));
        let next = secret.code_at(now + STEP_SECS);
        assert_eq!(secret.check(&next, now + STEP_SECS, Some(step)), Ok(step + 1));
        for typed in ["", "12345", "1234567", "12a456", "１２３４５６"] {
            assert_eq!(secret.check(typed, now, None), Err(CodeRefusal::Malformed), "{typed:?}");
        }
    }

    #[test]
    fn a_sealed_secret_opens_only_for_its_owner_under_its_key() {
        let key = FactorKey::from_bytes([7; 32]);
        let secret = FactorSecret::random().unwrap();
        let sealed = key.seal(&secret, 41).unwrap();
        assert!(!sealed.windows(SECRET_BYTES).any(|w| w == secret.0.as_slice()), "the secret is in the clear");
        assert_eq!(key.open(&sealed, 41).map(|s| s.to_base32()), Some(secret.to_base32()));
        assert!(key.open(&sealed, 42).is_none(), "opened for another member of staff");
        assert!(FactorKey::from_bytes([8; 32]).open(&sealed, 41).is_none(), "opened under another key");
        let mut altered = sealed.clone();
        altered[NONCE_LEN] ^= 1;
        assert!(key.open(&altered, 41).is_none(), "an altered secret opened");
    }

    #[test]
    fn an_ssh_key_fingerprint_is_what_ssh_keygen_prints() {
        // A key made with `ssh-keygen -t ed25519`; `ssh-keygen -l` printed the fingerprint.
        let line = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHPhgugA1Cu1iODXSfW2F2ffw6y/+PmTlFa1XM+57+Jv alex@laptop";
        let fp = KeyFingerprint::of_public_key(line).expect("a key");
        assert_eq!(fp.openssh(), "SHA256:ok98Vkl5vOnmmcEnMbo2o35U+6vMuLYJ4mu7FIflQTw");
        assert_eq!(KeyFingerprint::of_public_key(&format!("publickey {line}")), Some(fp));
        assert_eq!(KeyFingerprint::parse(&fp.openssh()), Some(fp));
        assert_eq!(KeyFingerprint::parse(&fp.hex()), Some(fp));
        // A blob that names another type than the line says is refused.
        assert!(KeyFingerprint::of_public_key(&line.replace("ssh-ed25519", "ssh-rsa")).is_none());
        assert!(KeyFingerprint::of_public_key("ssh-ed25519 not-base64!").is_none());
        assert!(KeyFingerprint::parse("SHA256:short").is_none());
    }

    #[test]
    fn the_uri_is_what_an_authenticator_app_reads() {
        let secret = FactorSecret::from_base32("JBSW Y3DP EHPK 3PXP JBSW Y3DP EHPK 3PXP").unwrap();
        let uri = secret.uri("alex.agent");
        assert_eq!(*uri, "otpauth://totp/helpdesk:alex.agent?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=helpdesk");
        assert!(secret.uri("zoë ").contains("helpdesk:zo%C3%AB%20?"), "{}", *secret.uri("zoë "));
        assert!(uri.contains("secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP") && uri.contains("issuer=helpdesk"), "{}", *uri);
        assert!(FactorSecret::from_base32("not base32!").is_none());
    }
}

//! Secrets come from the operating system's secure random source, nothing else.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::TryRngCore;
use rand::rngs::OsRng;

/// `N` bytes from the OS. The kernel's source does not fail once the system has
/// booted; if it ever did, no secret may be made from anything weaker.
pub fn os_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    OsRng.try_fill_bytes(&mut bytes).expect("the OS random source failed");
    bytes
}

/// 256 random bits as 43 URL-safe characters.
pub fn token_256() -> String {
    URL_SAFE_NO_PAD.encode(os_bytes::<32>())
}

/// 64 random bits as 16 hex characters: a name nothing else will take (the
/// CLI's temporary files). Not a secret, so from the thread's CSPRNG.
pub fn unique_name() -> String {
    format!("{:016x}", rand::random::<u64>())
}

//! argon2id hashes of API-key secrets. The parameters are written out (OWASP's
//! argon2id baseline: 19 MiB, 2 passes, 1 lane) so a crate upgrade cannot change
//! them silently; they are stored in each PHC string, so old hashes keep verifying.
//!
//! Hashing and verifying cost ~20 ms of CPU and 19 MiB of memory each: the
//! server runs them in the slots of [`super::argon2_pool::Argon2Pool`], off the
//! async threads, in reused memory ([`hash_secret_in`], [`verify_secret_in`]).

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{Output, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use subtle::ConstantTimeEq;

const MEMORY_KIB: u32 = 19 * 1024;
const PASSES: u32 = 2;
const LANES: u32 = 1;
const ALGORITHM: Algorithm = Algorithm::Argon2id;
const VERSION: Version = Version::V0x13;

fn argon2() -> Argon2<'static> {
    let params = Params::new(MEMORY_KIB, PASSES, LANES, None).expect("valid argon2 parameters");
    Argon2::new(ALGORITHM, VERSION, params)
}

/// The PHC string (`$argon2id$v=19$m=19456,t=2,p=1$salt$hash`) of a secret.
/// (Allocates the working memory; the server hashes with [`hash_secret_in`].)
pub fn hash_secret(secret: &str) -> Result<String, argon2::password_hash::Error> {
    hash_secret_in(secret, &mut Argon2Memory::default())
}

/// [`hash_secret`] in `memory`, which grows to our parameters' size once and is
/// then reused.
pub fn hash_secret_in(
    secret: &str,
    memory: &mut Argon2Memory,
) -> Result<String, argon2::password_hash::Error> {
    hash_with_salt_in(secret, &SaltString::generate(&mut OsRng), memory)
}

/// What `argon2`'s own `PasswordHasher::hash_password` makes of this salt (the
/// same PHC string, byte for byte), computed in `memory`.
fn hash_with_salt_in(
    secret: &str,
    salt: &SaltString,
    memory: &mut Argon2Memory,
) -> Result<String, argon2::password_hash::Error> {
    let argon2 = argon2();
    let mut salt_bytes = [0u8; 64];
    let salt_bytes = salt.decode_b64(&mut salt_bytes)?;
    let blocks = memory.blocks(argon2.params());
    let output_len = argon2.params().output_len().unwrap_or(Params::DEFAULT_OUTPUT_LEN);
    let output = Output::init_with(output_len, |out| {
        Ok(argon2.hash_password_into_with_memory(secret.as_bytes(), salt_bytes, out, blocks)?)
    })?;
    let hash = PasswordHash {
        algorithm: ALGORITHM.ident(),
        version: Some(VERSION.into()),
        params: argon2.params().try_into()?,
        salt: Some(salt.as_salt()),
        hash: Some(output),
    };
    Ok(hash.to_string())
}

/// True when `secret` matches the stored PHC string. A malformed hash never matches.
/// (Allocates the working memory; repeated checks use [`verify_secret_in`].)
pub fn verify_secret(secret: &str, phc: &str) -> bool {
    verify_secret_in(secret, phc, &mut Argon2Memory::default())
}

/// The working memory of one argon2 check (19 MiB with our parameters), kept
/// and reused: allocating and freeing it per check leaves the allocator's
/// per-thread arenas holding many such blocks, and memory grows under load.
#[derive(Default)]
pub struct Argon2Memory(Vec<Block>);

impl Argon2Memory {
    /// The blocks `params` need, grown into once and reused after.
    fn blocks(&mut self, params: &Params) -> &mut [Block] {
        let blocks = params.block_count();
        if self.0.len() < blocks {
            self.0.resize(blocks, Block::default());
        }
        &mut self.0[..blocks]
    }
}

/// [`verify_secret`] in `memory`, which grows to the hash's size once and is
/// then reused. The comparison of the outputs is constant-time.
pub fn verify_secret_in(secret: &str, phc: &str, memory: &mut Argon2Memory) -> bool {
    let Ok(hash) = PasswordHash::new(phc) else { return false };
    let (Some(expected), Some(salt)) = (&hash.hash, &hash.salt) else { return false };
    let Ok(algorithm) = Algorithm::try_from(hash.algorithm) else { return false };
    let Ok(version) = hash.version.map_or(Ok(Version::default()), Version::try_from) else { return false };
    let Ok(params) = Params::try_from(&hash) else { return false };
    let mut salt_bytes = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_bytes) else { return false };
    let blocks = memory.blocks(&params);
    let mut output = vec![0u8; expected.len()];
    Argon2::new(algorithm, version, params)
        .hash_password_into_with_memory(secret.as_bytes(), salt, &mut output, blocks)
        .is_ok()
        && bool::from(output.as_slice().ct_eq(expected.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::password_hash::{PasswordHasher, PasswordVerifier};

    #[test]
    fn a_hash_verifies_its_secret_only() {
        let phc = hash_secret("s3cret").unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify_secret("s3cret", &phc));
        assert!(!verify_secret("s3cres", &phc));
        assert!(!verify_secret("s3cret", "not a hash"));
    }

    #[test]
    fn reused_memory_verifies_like_a_fresh_check() {
        let phc = hash_secret("s3cret").unwrap();
        let parsed = PasswordHash::new(&phc).unwrap();
        assert!(argon2().verify_password(b"s3cret", &parsed).is_ok(), "the crate's own verifier agrees");
        assert!(argon2().verify_password(b"s3cres", &parsed).is_err());
        let mut memory = Argon2Memory::default();
        assert!(verify_secret_in("s3cret", &phc, &mut memory));
        assert!(!verify_secret_in("s3cres", &phc, &mut memory));
        assert!(verify_secret_in("s3cret", &phc, &mut memory), "again, in the same memory");
        assert!(!verify_secret_in("s3cret", "not a hash", &mut memory));
        let other = "$argon2id$v=19$m=8,t=1,p=1$c29tZXNhbHQ$kRfd9bP5lw3uTg+lZ+uYJgTyzpJ0dHaKIYqzgXYAeXk";
        assert!(!verify_secret_in("x", other, &mut memory), "other parameters are read from the hash");
    }

    #[test]
    fn a_hash_in_reused_memory_is_the_crates_own_phc_string() {
        let salt = SaltString::encode_b64(b"sixteen byte salt").unwrap();
        let theirs = argon2().hash_password(b"s3cret", &salt).unwrap().to_string();
        let mut memory = Argon2Memory::default();
        assert_eq!(hash_with_salt_in("s3cret", &salt, &mut memory).unwrap(), theirs);
        assert!(verify_secret_in("s3cret", &theirs, &mut memory), "verified in the memory it was hashed in");
        assert_eq!(
            hash_with_salt_in("s3cret", &salt, &mut memory).unwrap(),
            theirs,
            "again, in the same memory"
        );
        assert!(theirs.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{theirs}");
    }

    #[test]
    fn the_same_secret_hashes_differently_each_time() {
        assert_ne!(hash_secret("x").unwrap(), hash_secret("x").unwrap());
    }
}

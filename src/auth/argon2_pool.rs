//! The argon2 slots: every argon2 computation of the server — hashing a new
//! key's secret and verifying a presented one alike — runs here, at most
//! `slots` at once (`MONKEYCI_ARGON2_CONCURRENCY`, default one per core), on the
//! blocking pool, each in its slot's working memory (19 MiB with our
//! parameters), allocated on the slot's first use and kept.
//!
//! Why one bound for both: each computation needs 19 MiB. Allocated per call,
//! that memory is freed into the allocator's arenas, which keep it, so a burst
//! of N concurrent calls leaves the process N × 19 MiB larger for good. With
//! the slots, the server never holds more than `slots` such blocks.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::key_hash::{Argon2Memory, hash_secret_in};

/// Verifications waiting for a slot at most; more are told to come back.
const MAX_WAITING: usize = 256;

#[derive(Debug, thiserror::Error)]
pub enum Argon2Error {
    /// [`Argon2Pool::try_run`] found `MAX_WAITING` computations already waiting.
    #[error("too many argon2 computations waiting")]
    Busy,
    /// The computation's thread or slot failed (a panic, a closed pool).
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// The argon2 work now, for the metrics.
#[derive(Debug, Clone, Copy)]
pub struct Argon2Load {
    /// Computations waiting for a slot.
    pub waiting: usize,
    /// Computations running.
    pub running: usize,
    pub slots: usize,
}

pub struct Argon2Pool {
    slots: Arc<Semaphore>,
    size: usize,
    waiting: AtomicUsize,
    /// One working memory per slot, allocated on first use and kept.
    memory: Arc<Mutex<Vec<Argon2Memory>>>,
    running: Arc<Running>,
}

/// Computations running now, and the most that ever ran at once.
#[derive(Default)]
struct Running {
    now: AtomicUsize,
    most: AtomicUsize,
}

impl Argon2Pool {
    /// A pool of `slots` slots (at least one).
    pub fn new(slots: usize) -> Argon2Pool {
        let size = slots.max(1);
        Argon2Pool {
            slots: Arc::new(Semaphore::new(size)),
            size,
            waiting: AtomicUsize::new(0),
            memory: Arc::new(Mutex::new(Vec::with_capacity(size))),
            running: Arc::default(),
        }
    }

    /// How many computations may run at once.
    pub fn slots(&self) -> usize {
        self.size
    }

    /// What the slots are doing now, for the metrics.
    pub fn load(&self) -> Argon2Load {
        Argon2Load {
            waiting: self.waiting.load(Ordering::Relaxed),
            running: self.running.now.load(Ordering::Relaxed),
            slots: self.size,
        }
    }

    /// The most argon2 computations that ran at the same time since the pool
    /// was made (never more than [`Self::slots`]): for tests and diagnostics.
    pub fn most_running(&self) -> usize {
        self.running.most.load(Ordering::SeqCst)
    }

    /// The PHC string of a new key's secret, once a slot is free. Waits however
    /// many are queued: only people allowed to create keys get here.
    pub async fn hash(&self, secret: String) -> anyhow::Result<String> {
        self.run(move |memory| hash_secret_in(&secret, memory))
            .await?
            .map_err(|e| anyhow::anyhow!("argon2: {e}"))
    }

    /// Runs `work` (an argon2 computation in the memory it is given) once a
    /// slot is free; waits however many are queued.
    pub async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Argon2Memory) -> T + Send + 'static,
    ) -> anyhow::Result<T> {
        let slot = self.wait_for_slot().await?;
        self.run_in(slot, work).await
    }

    /// [`Self::run`], refused with [`Argon2Error::Busy`] when every slot is taken
    /// and `MAX_WAITING` computations already wait: for work anyone can cause
    /// (verifying presented keys).
    pub async fn try_run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Argon2Memory) -> T + Send + 'static,
    ) -> Result<T, Argon2Error> {
        if self.slots.available_permits() == 0 && self.waiting.load(Ordering::Relaxed) >= MAX_WAITING {
            return Err(Argon2Error::Busy);
        }
        let slot = self.wait_for_slot().await?;
        Ok(self.run_in(slot, work).await?)
    }

    async fn wait_for_slot(&self) -> anyhow::Result<OwnedSemaphorePermit> {
        let _waiting = Waiting::enter(&self.waiting);
        Ok(self.slots.clone().acquire_owned().await?)
    }

    /// Runs `work` on the blocking pool in the memory of the slot held. The
    /// slot and its memory go back when the computation ends, on the blocking
    /// thread: a request dropped while it waits for the result (its client
    /// gone) neither frees the slot early nor loses the memory.
    async fn run_in<T: Send + 'static>(
        &self,
        slot: OwnedSemaphorePermit,
        work: impl FnOnce(&mut Argon2Memory) -> T + Send + 'static,
    ) -> anyhow::Result<T> {
        let (memories, running) = (self.memory.clone(), self.running.clone());
        actix_web::web::block(move || {
            // A slot is held, so a memory is free (or this is the slot's first computation).
            let mut memory =
                memories.lock().unwrap_or_else(std::sync::PoisonError::into_inner).pop().unwrap_or_default();
            let result = {
                let _running = running.enter();
                work(&mut memory)
            };
            memories.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(memory);
            drop(slot);
            result
        })
        .await
        .map_err(|e| anyhow::anyhow!("argon2 computation interrupted: {e}"))
    }
}

impl Running {
    fn enter(&self) -> RunningGuard<'_> {
        let now = self.now.fetch_add(1, Ordering::SeqCst) + 1;
        self.most.fetch_max(now, Ordering::SeqCst);
        RunningGuard(self)
    }
}

struct RunningGuard<'a>(&'a Running);

impl Drop for RunningGuard<'_> {
    fn drop(&mut self) {
        self.0.now.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Counts a computation while it waits for a slot.
struct Waiting<'a>(&'a AtomicUsize);

impl<'a> Waiting<'a> {
    fn enter(count: &'a AtomicUsize) -> Waiting<'a> {
        count.fetch_add(1, Ordering::Relaxed);
        Waiting(count)
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::key_hash::{verify_secret, verify_secret_in};

    #[actix_web::test]
    async fn a_hash_made_in_the_pool_verifies_with_the_existing_check() {
        let pool = Argon2Pool::new(1);
        let phc = pool.hash("s3cret".to_string()).await.unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(verify_secret("s3cret", &phc), "a fresh check accepts it");
        assert!(!verify_secret("s3cres", &phc));
        let stored = phc.clone();
        let verified = pool.try_run(move |memory| verify_secret_in("s3cret", &stored, memory)).await;
        assert!(verified.unwrap(), "the pool's own check, in the memory the hash was made in");
        assert_ne!(pool.hash("s3cret".to_string()).await.unwrap(), phc, "a new salt each time");
    }

    #[actix_web::test]
    async fn no_more_computations_run_at_once_than_there_are_slots() {
        let pool = Arc::new(Argon2Pool::new(2));
        let hashes = (0..8).map(|i| {
            let pool = pool.clone();
            async move { pool.hash(format!("secret {i}")).await }
        });
        for phc in futures_util::future::join_all(hashes).await {
            assert!(phc.unwrap().starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        }
        assert!((1..=2).contains(&pool.most_running()), "{}", pool.most_running());
        assert_eq!(pool.memory.lock().unwrap().len(), pool.most_running(), "one memory per slot used, kept");
    }

    #[actix_web::test]
    async fn a_computation_whose_caller_went_away_keeps_its_slot_until_it_ends() {
        let pool = Arc::new(Argon2Pool::new(1));
        let first = actix_web::rt::spawn({
            let pool = pool.clone();
            async move { pool.hash("abandoned".to_string()).await }
        });
        while pool.most_running() == 0 {
            actix_web::rt::time::sleep(std::time::Duration::from_millis(1)).await;
        }
        first.abort();
        assert!(pool.hash("next".to_string()).await.is_ok());
        assert_eq!(pool.most_running(), 1, "the next one waited for the abandoned one to end");
        assert_eq!(pool.memory.lock().unwrap().len(), 1, "and its memory came back");
    }
}

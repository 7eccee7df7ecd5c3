//! One verification per key at a time. Requests that arrive together with the
//! same key, not yet cached, queue behind the first; once it has filled the
//! cache, the others are answered from it. (A flood of wrong secrets for one key
//! queues the same way, so it occupies at most one argon2 slot.)

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::{Mutex as AsyncMutex, OwnedMutexGuard};

#[derive(Default)]
pub struct InFlight {
    turns: Mutex<HashMap<String, Arc<AsyncMutex<()>>>>,
}

/// This request's turn with a key; the queue's entry goes when nobody waits.
pub struct Turn<'a> {
    in_flight: &'a InFlight,
    public_id: String,
    guard: Option<OwnedMutexGuard<()>>,
}

impl InFlight {
    pub async fn turn(&self, public_id: &str) -> Turn<'_> {
        let lock = self.lock().entry(public_id.to_string()).or_default().clone();
        let guard = lock.lock_owned().await;
        Turn { in_flight: self, public_id: public_id.to_string(), guard: Some(guard) }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<AsyncMutex<()>>>> {
        self.turns.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.lock().len()
    }
}

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        drop(self.guard.take());
        let mut turns = self.in_flight.lock();
        // Only the map holds it: nobody is waiting or checking.
        if turns.get(&self.public_id).is_some_and(|lock| Arc::strong_count(lock) == 1) {
            turns.remove(&self.public_id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::FutureExt;

    #[actix_web::test]
    async fn turns_with_one_key_follow_each_other_and_leave_nothing_behind() {
        let in_flight = InFlight::default();
        let first = in_flight.turn("A").await;
        let other_key = in_flight.turn("B").await;
        assert!(in_flight.turn("A").now_or_never().is_none(), "the second waits for the first");
        drop(first);
        let second = in_flight.turn("A").now_or_never().expect("its turn once the first is done");
        drop(second);
        drop(other_key);
        assert_eq!(in_flight.len(), 0);
    }
}

//! At most so many index builds at once across tenants (one per core): a
//! build holds a tenant's scores and rows while it reads them, so after a
//! nightly run over many tenants their first views queue for a core instead
//! of all building, and holding that memory, at once.

use std::sync::{Condvar, Mutex};

/// Counted places; [`Slots::take`] waits for one.
#[derive(Debug)]
pub(super) struct Slots {
    taken: Mutex<usize>,
    freed: Condvar,
    places: usize,
}

/// A place, given back when dropped (an error or a panic included).
pub(super) struct Place<'a>(&'a Slots);

impl Drop for Place<'_> {
    fn drop(&mut self) {
        *self.0.taken.lock().unwrap_or_else(|e| e.into_inner()) -= 1;
        self.0.freed.notify_one();
    }
}

impl Default for Slots {
    /// One place per core.
    fn default() -> Self {
        Slots::new(std::thread::available_parallelism().map_or(1, |n| n.get()))
    }
}

impl Slots {
    pub fn new(places: usize) -> Self {
        Slots {
            taken: Mutex::new(0),
            freed: Condvar::new(),
            places: places.max(1),
        }
    }

    /// Waits for a free place and takes it.
    pub fn take(&self) -> Place<'_> {
        let mut taken = self.taken.lock().unwrap_or_else(|e| e.into_inner());
        while *taken >= self.places {
            taken = self.freed.wait(taken).unwrap_or_else(|e| e.into_inner());
        }
        *taken += 1;
        Place(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;
    use std::time::Duration;

    #[test]
    fn a_taker_waits_until_a_place_is_given_back() {
        let slots = Slots::new(2);
        let (first, second) = (slots.take(), slots.take());
        std::thread::scope(|s| {
            let (tx, rx) = mpsc::channel();
            let slots = &slots;
            s.spawn(move || {
                let _third = slots.take();
                tx.send(()).unwrap();
            });
            assert!(
                rx.recv_timeout(Duration::from_millis(200)).is_err(),
                "both places are taken"
            );
            drop(first);
            rx.recv_timeout(Duration::from_secs(10))
                .expect("a place was given back");
        });
        drop(second);
        let _again = (slots.take(), slots.take());
    }
}

//! Each tenant's ingest clock, in memory: the last committed ingest
//! generation (what a new reader sees), the readers still reading an older
//! one (whose undo logs must be kept), and whether an ingest is writing
//! (at most one per tenant, so that two can never both check and then both
//! write; an erasure writes as an ingest does, and meanwhile no run of the
//! tenant starts). The committed generation is also on disk
//! (`store::undo`); this is the process's copy of it.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

#[derive(Debug, Default)]
struct Clock {
    /// The newest generation whose ingest is committed.
    committed: u64,
    /// Readers by the generation they read at, and how many.
    readers: BTreeMap<u64, usize>,
    /// Whether an ingest holds the tenant's write turn.
    writing: bool,
    /// An ingest failed and could not be rolled back in this process: no
    /// more writes until the store is opened again (which rolls it back).
    broken: bool,
    /// Committed generations whose undo logs are still on disk.
    undo_kept: BTreeSet<u64>,
    /// The write turn is an erasure's: no run of the tenant may start.
    erasing: bool,
    /// Committed erasures whose undo logs (and tombstones) are still on
    /// disk: a reader from before one is still reading, or the log is
    /// being removed. No ingest may write meanwhile (its writer reads the
    /// live records, and must never meet a tombstone).
    erasures_kept: BTreeSet<u64>,
}

impl Clock {
    /// Takes the undo logs no reader needs: a reader at generation r needs
    /// those of every later one.
    fn take_unneeded(&mut self) -> Vec<u64> {
        let oldest_reader = self.readers.keys().next().copied();
        let unneeded: Vec<u64> = self
            .undo_kept
            .iter()
            .copied()
            .filter(|g| oldest_reader.is_none_or(|r| *g <= r))
            .collect();
        for g in &unneeded {
            self.undo_kept.remove(g);
        }
        unneeded
    }
}

/// Every tenant's clock. Cloned handles share it.
#[derive(Debug, Clone, Default)]
pub(super) struct Versions {
    clocks: Arc<Mutex<HashMap<String, Clock>>>,
}

/// A reader's place: it reads the tenant as of `generation`; dropping it
/// lets the undo logs it needed go.
#[derive(Debug)]
pub(super) struct ReadTurn {
    versions: Versions,
    tenant: String,
    /// The generation the reader sees: every ingest up to it, none after.
    pub generation: u64,
}

impl Drop for ReadTurn {
    fn drop(&mut self) {
        let mut clocks = self.versions.clocks.lock().expect("versions");
        if let Some(clock) = clocks.get_mut(&self.tenant)
            && let Some(n) = clock.readers.get_mut(&self.generation)
        {
            *n -= 1;
            if *n == 0 {
                clock.readers.remove(&self.generation);
            }
        }
    }
}

/// The tenant's write turn: held by one ingest at a time.
#[derive(Debug)]
pub(super) struct WriteTurn {
    versions: Versions,
    tenant: String,
    /// The generation this ingest writes (the committed one plus one).
    pub generation: u64,
    committed: bool,
    broken: bool,
    /// An erasure's turn (see `Clock::erasing`).
    erasing: bool,
    /// The tenant was deleted: its clock goes (a tenant of the same id
    /// created later starts from generation 0, as its disk does).
    forget: bool,
}

impl Drop for WriteTurn {
    fn drop(&mut self) {
        let mut clocks = self.versions.clocks.lock().expect("versions");
        if self.forget {
            clocks.remove(&self.tenant);
            return;
        }
        let clock = clocks.entry(self.tenant.clone()).or_default();
        clock.writing = false;
        clock.erasing &= !self.erasing;
        clock.broken |= self.broken;
        if self.committed {
            clock.committed = clock.committed.max(self.generation);
            clock.undo_kept.insert(self.generation);
        }
    }
}

impl WriteTurn {
    /// Marks the ingest committed (on disk already): readers that start
    /// after the turn is dropped see it.
    pub fn committed(mut self) {
        self.committed = true;
    }

    /// Marks the tenant unwritable until the store is opened again: the
    /// ingest's rollback failed, so its records may still be on disk.
    pub fn broken(mut self) {
        self.broken = true;
    }

    /// The tenant is deleted: its clock is forgotten when the turn ends.
    pub fn tenant_deleted(mut self) {
        self.forget = true;
    }
}

/// Why a write turn was not given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Refused {
    /// Another ingest of the tenant is writing.
    Busy,
    /// An earlier ingest could not be rolled back (see [`WriteTurn::broken`]).
    Broken,
}

impl Versions {
    /// Knows a tenant's committed generation (read from disk); `load`
    /// runs once per tenant and process, under the lock.
    fn clock<'a, E>(
        clocks: &'a mut HashMap<String, Clock>,
        tenant: &str,
        load: impl FnOnce() -> Result<(u64, BTreeSet<u64>), E>,
    ) -> Result<&'a mut Clock, E> {
        if !clocks.contains_key(tenant) {
            let (committed, undo_kept) = load()?;
            clocks.insert(
                tenant.to_string(),
                Clock {
                    committed,
                    undo_kept,
                    ..Clock::default()
                },
            );
        }
        Ok(clocks.get_mut(tenant).expect("inserted above"))
    }

    /// A reader's turn at the tenant's committed generation.
    pub fn read<E>(
        &self,
        tenant: &str,
        load: impl FnOnce() -> Result<(u64, BTreeSet<u64>), E>,
    ) -> Result<ReadTurn, E> {
        let mut clocks = self.clocks.lock().expect("versions");
        let clock = Self::clock(&mut clocks, tenant, load)?;
        let generation = clock.committed;
        *clock.readers.entry(generation).or_default() += 1;
        Ok(ReadTurn {
            versions: self.clone(),
            tenant: tenant.to_string(),
            generation,
        })
    }

    /// The tenant's write turn, or why not. Also returns the committed generations whose undo logs no reader
    /// needs any more (every reader sees them), for the writer to remove.
    pub fn write<E>(
        &self,
        tenant: &str,
        load: impl FnOnce() -> Result<(u64, BTreeSet<u64>), E>,
    ) -> Result<Result<(WriteTurn, Vec<u64>), Refused>, E> {
        self.turn(tenant, load, false)
    }

    /// The tenant's write turn for an erasure: [`Versions::write`], and no
    /// run of the tenant starts while it is held ([`Versions::unless_erasing`]).
    pub fn erase<E>(
        &self,
        tenant: &str,
        load: impl FnOnce() -> Result<(u64, BTreeSet<u64>), E>,
    ) -> Result<Result<(WriteTurn, Vec<u64>), Refused>, E> {
        self.turn(tenant, load, true)
    }

    fn turn<E>(
        &self,
        tenant: &str,
        load: impl FnOnce() -> Result<(u64, BTreeSet<u64>), E>,
        erasing: bool,
    ) -> Result<Result<(WriteTurn, Vec<u64>), Refused>, E> {
        let mut clocks = self.clocks.lock().expect("versions");
        let clock = Self::clock(&mut clocks, tenant, load)?;
        if clock.broken {
            return Ok(Err(Refused::Broken));
        }
        if clock.writing {
            return Ok(Err(Refused::Busy));
        }
        clock.writing = true;
        clock.erasing = erasing;
        let unneeded = clock.take_unneeded();
        let generation = clock.committed + 1;
        Ok(Ok((
            WriteTurn {
                versions: self.clone(),
                tenant: tenant.to_string(),
                generation,
                committed: false,
                broken: false,
                erasing,
                forget: false,
            },
            unneeded,
        )))
    }

    /// Commits an erasure's turn: `commit` (the atomic write that makes it
    /// committed on disk) runs under the clocks' lock, and readers that
    /// start after it see the erasure, every one before it does not, so a
    /// reader that checks a view taken after its other reads sees an
    /// erasure whole or not at all.
    pub fn commit_with<T, E>(
        &self,
        turn: &WriteTurn,
        commit: impl FnOnce() -> Result<T, E>,
    ) -> Result<T, E> {
        let mut clocks = self.clocks.lock().expect("versions");
        let done = commit()?;
        let clock = clocks.entry(turn.tenant.clone()).or_default();
        clock.committed = clock.committed.max(turn.generation);
        clock.undo_kept.insert(turn.generation);
        if turn.erasing {
            clock.erasures_kept.insert(turn.generation);
        }
        Ok(done)
    }

    /// Notes that the undo logs of `generations` are removed (those of
    /// erasures with their tombstones).
    pub fn removed(&self, tenant: &str, generations: &[u64]) {
        let mut clocks = self.clocks.lock().expect("versions");
        if let Some(clock) = clocks.get_mut(tenant) {
            for g in generations {
                clock.erasures_kept.remove(g);
            }
        }
    }

    /// Whether an erasure's undo log is kept for a reader from before it
    /// (no ingest may write meanwhile: see `Clock::erasures_kept`).
    pub fn erasure_pending(&self, tenant: &str) -> bool {
        let clocks = self.clocks.lock().expect("versions");
        clocks
            .get(tenant)
            .is_some_and(|c| !c.erasures_kept.is_empty())
    }

    /// Runs `f` unless an erasure of the tenant holds its write turn (then
    /// `None`), under the clocks' lock: a run that records its start here
    /// either started before the erasure (which then sees it running) or
    /// starts after it.
    pub fn unless_erasing<T>(&self, tenant: &str, f: impl FnOnce() -> T) -> Option<T> {
        let clocks = self.clocks.lock().expect("versions");
        if clocks.get(tenant).is_some_and(|c| c.erasing) {
            return None;
        }
        Some(f())
    }

    /// The committed generations whose undo logs no reader needs any more,
    /// now the caller's to remove (one caller gets each).
    pub fn unneeded(&self, tenant: &str) -> Vec<u64> {
        let mut clocks = self.clocks.lock().expect("versions");
        clocks
            .get_mut(tenant)
            .map(Clock::take_unneeded)
            .unwrap_or_default()
    }

    /// Gives back undo logs a writer could not remove (it failed first).
    pub fn keep_undo(&self, tenant: &str, generations: &[u64]) {
        let mut clocks = self.clocks.lock().expect("versions");
        if let Some(clock) = clocks.get_mut(tenant) {
            clock.undo_kept.extend(generations);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn none() -> Result<(u64, BTreeSet<u64>), ()> {
        Ok((0, BTreeSet::new()))
    }

    #[test]
    fn one_writer_at_a_time_and_readers_see_only_what_was_committed() {
        let v = Versions::default();
        let (w, unneeded) = v.write("t", none).unwrap().unwrap();
        assert_eq!((w.generation, unneeded.len()), (1, 0));
        assert_eq!(
            v.write("t", none).unwrap().unwrap_err(),
            Refused::Busy,
            "a second writer is refused"
        );
        assert!(v.write("u", none).unwrap().is_ok(), "other tenants are not");
        let before = v.read("t", none).unwrap();
        w.committed();
        let after = v.read("t", none).unwrap();
        assert_eq!((before.generation, after.generation), (0, 1));
        // The reader at 0 still needs generation 1's undo log.
        let (w2, unneeded) = v.write("t", none).unwrap().unwrap();
        assert_eq!((w2.generation, unneeded), (2, vec![]));
        drop(w2);
        drop(before);
        let (_, unneeded) = v.write("t", none).unwrap().unwrap();
        assert_eq!(unneeded, vec![1], "no reader older than 1 is left");
    }

    #[test]
    fn an_erasure_holds_runs_off_and_ingests_until_no_reader_from_before_it_is_left() {
        let v = Versions::default();
        let before = v.read("t", none).unwrap();
        let (turn, _) = v.erase("t", none).unwrap().unwrap();
        assert_eq!(v.unless_erasing("t", || 1), None, "no run starts");
        assert_eq!(v.unless_erasing("u", || 1), Some(1), "other tenants' do");
        assert_eq!(
            v.write("t", none).unwrap().unwrap_err(),
            Refused::Busy,
            "one writer"
        );
        assert_eq!(v.commit_with(&turn, || Ok::<_, ()>(7)), Ok(7));
        assert_eq!(v.read("t", none).unwrap().generation, 1, "seen at once");
        drop(turn);
        assert_eq!(v.unless_erasing("t", || 2), Some(2));
        assert!(v.erasure_pending("t"), "a reader from before it is left");
        let (w, unneeded) = v.write("t", none).unwrap().unwrap();
        assert_eq!(unneeded, vec![] as Vec<u64>);
        drop(w);
        drop(before);
        let (w, unneeded) = v.write("t", none).unwrap().unwrap();
        assert_eq!(unneeded, vec![1]);
        assert!(v.erasure_pending("t"), "until its log is removed");
        v.removed("t", &unneeded);
        assert!(!v.erasure_pending("t"));
        w.tenant_deleted();
        assert!(v.clocks.lock().unwrap().get("t").is_none(), "forgotten");
    }

    #[test]
    fn a_failed_commit_leaves_the_generation_uncommitted() {
        let v = Versions::default();
        let (turn, _) = v.erase("t", none).unwrap().unwrap();
        assert_eq!(v.commit_with(&turn, || Err::<(), _>("no")), Err("no"));
        drop(turn);
        assert_eq!(v.read("t", none).unwrap().generation, 0);
        assert!(!v.erasure_pending("t"));
    }

    #[test]
    fn a_writer_that_fails_leaves_the_generation_uncommitted() {
        let v = Versions::default();
        let (w, _) = v.write("t", none).unwrap().unwrap();
        drop(w);
        assert_eq!(v.read("t", none).unwrap().generation, 0);
        let (w, _) = v.write("t", none).unwrap().unwrap();
        assert_eq!(w.generation, 1, "the rolled-back generation is reused");
        w.broken();
        assert_eq!(v.write("t", none).unwrap().unwrap_err(), Refused::Broken);
    }
}

//! Per-provider, per-day counters: the source of every statistic, and a cache of them for
//! the statistics reads.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, MutexGuard};

use super::Store;
use super::codec::{self, counter_key, counter_key_day};
use super::error::StoreError;
use super::records::DayCounters;

const WHAT: &str = "day counters";

/// Most providers whose counters are kept in memory at once (about 100 KB each for three
/// years of days); reading another one starts the cache afresh.
const CACHED_PROVIDERS: usize = 16;

/// Decoded counters of the providers whose statistics were read lately, so a three-year
/// query copies 1096 entries out of memory instead of walking sled's tree (which costs about
/// 2,000 instructions per day) and decoding each day.
///
/// Kept exact by [`Store::commit`], the only writer of counters, which applies every batch
/// it commits to the cache under the cache's lock; a provider's entry is filled under that
/// same lock, so a fill and a commit cannot interleave and leave a stale day behind. The
/// purge drops the whole cache.
#[derive(Debug, Default)]
pub(super) struct CounterCache {
    providers: Mutex<HashMap<u64, Cached>>,
}

#[derive(Debug)]
struct Cached {
    /// The first day covered; every stored day from here on is in `days`.
    from: i32,
    days: BTreeMap<i32, DayCounters>,
}

impl CounterCache {
    fn lock(&self) -> MutexGuard<'_, HashMap<u64, Cached>> {
        self.providers.lock().unwrap_or_else(|poisoned| {
            // A panic mid-update may have left an entry half changed: start afresh.
            let mut providers = poisoned.into_inner();
            providers.clear();
            providers
        })
    }

    /// Records new totals that were just committed.
    pub(super) fn apply(&self, totals: &[(u64, i32, DayCounters)]) {
        if totals.is_empty() {
            return;
        }
        let mut providers = self.lock();
        for (provider, day, counters) in totals {
            if let Some(cached) = providers.get_mut(provider).filter(|c| *day >= c.from) {
                cached.days.insert(*day, *counters);
            }
        }
    }

    /// Forgets everything, after counters were removed.
    pub(super) fn clear(&self) {
        self.lock().clear();
    }
}

impl Store {
    /// The provider's counters for the days `from_day..=to_day` (days since the Unix epoch),
    /// in day order, one entry per day that has data; the caller zero-fills the gaps.
    ///
    /// Served from memory once the provider's counters from `from_day` on have been read.
    pub fn counters(
        &self,
        provider_id: u64,
        from_day: i32,
        to_day: i32,
    ) -> Result<Vec<(i32, DayCounters)>, StoreError> {
        if from_day > to_day {
            return Ok(Vec::new());
        }
        let mut providers = self.counter_cache.lock();
        if let Some(cached) = providers
            .get(&provider_id)
            .filter(|cached| cached.from <= from_day)
        {
            return Ok(copy(&cached.days, from_day, to_day));
        }
        // Filled under the lock, so no commit can land between the scan and the insert.
        let days: BTreeMap<_, _> = self
            .scan_counters(provider_id, from_day, i32::MAX)?
            .into_iter()
            .collect();
        let found = copy(&days, from_day, to_day);
        if providers.len() >= CACHED_PROVIDERS {
            providers.clear();
        }
        providers.insert(
            provider_id,
            Cached {
                from: from_day,
                days,
            },
        );
        Ok(found)
    }

    /// [`Store::counters`] read from sled, bypassing the cache: one contiguous key range.
    pub fn scan_counters(
        &self,
        provider_id: u64,
        from_day: i32,
        to_day: i32,
    ) -> Result<Vec<(i32, DayCounters)>, StoreError> {
        if from_day > to_day {
            return Ok(Vec::new());
        }
        let range = counter_key(provider_id, from_day)..=counter_key(provider_id, to_day);
        self.counters
            .range(range)
            .map(|entry| {
                let (key, value) = entry?;
                Ok((counter_key_day(&key)?, codec::decode(WHAT, &value)?))
            })
            .collect()
    }
}

fn copy(days: &BTreeMap<i32, DayCounters>, from: i32, to: i32) -> Vec<(i32, DayCounters)> {
    days.range(from..=to).map(|(day, c)| (*day, *c)).collect()
}

/// Test-only writes.
#[cfg(test)]
impl Store {
    /// Adds `delta` to the provider's counters for `day`. The provider must still exist
    /// ([`StoreError::NotFound`]), checked in the same transaction, so nothing is counted for
    /// a provider whose data is being purged; archived providers still count late callbacks.
    ///
    /// A read-modify-write outside the writer, so only tests may use it: in the daemon every
    /// counter change goes through the single writer (`crate::ledger`).
    pub(crate) fn add_counters(
        &self,
        provider_id: u64,
        day: i32,
        delta: &DayCounters,
    ) -> Result<(), StoreError> {
        let _gate = self.write_gate();
        let key = counter_key(provider_id, day);
        let provider_key = super::codec::id_key(provider_id);
        sled::Transactional::transaction(
            &(&self.providers, &self.counters),
            |(providers, counters)| {
                if providers.get(provider_key)?.is_none() {
                    return Err(super::error::abort(StoreError::NotFound {
                        entity: super::error::Entity::Provider,
                        id: provider_id,
                    }));
                }
                let mut total: DayCounters =
                    super::tx_get_decoded(counters, &key, WHAT)?.unwrap_or_default();
                total.add(delta);
                super::tx_put(counters, &key, WHAT, &total)
            },
        )?;
        self.counter_cache.clear();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::store::test_util::{provider, temp_store};
    use crate::store::{DayCounters, Entity, StoreError};

    fn sent(n: u64) -> DayCounters {
        DayCounters {
            sent: n,
            ..DayCounters::default()
        }
    }

    #[test]
    fn counters_add_up_and_come_back_in_day_order() {
        let (_dir, store) = temp_store();
        store.insert_provider(&provider(1, "a")).expect("insert a");
        store.insert_provider(&provider(2, "b")).expect("insert b");
        for day in [5, -3, 0, -1, 2] {
            store.add_counters(1, day, &sent(1)).expect("add");
        }
        store.add_counters(1, 2, &sent(4)).expect("add again");
        store
            .add_counters(2, 0, &sent(100))
            .expect("other provider");

        let all = store.counters(1, i32::MIN, i32::MAX).expect("read");
        let days: Vec<i32> = all.iter().map(|(day, _)| *day).collect();
        assert_eq!(days, vec![-3, -1, 0, 2, 5]);
        assert_eq!(all[3].1, sent(5));

        let window = store.counters(1, -1, 2).expect("window");
        assert_eq!(window, vec![(-1, sent(1)), (0, sent(1)), (2, sent(5))]);
        assert!(store.counters(1, 3, 4).expect("empty").is_empty());
        assert!(store.counters(1, 2, -1).expect("reversed").is_empty());
        assert_eq!(store.counters(2, 0, 0).expect("b"), vec![(0, sent(100))]);
    }

    #[test]
    fn cached_counters_follow_every_commit() {
        let (_dir, store) = temp_store();
        store.insert_provider(&provider(1, "a")).expect("insert");
        let commit = |day: i32, n: u64| {
            store
                .commit(&crate::store::Writes {
                    messages: vec![],
                    counters: vec![(1, day, sent(n))],
                })
                .expect("commit")
        };
        commit(10, 1);
        commit(20, 2);
        assert_eq!(store.counters(1, 15, 30).unwrap(), vec![(20, sent(2))]);
        // Served from the cache now; commits inside and before its range must show.
        commit(20, 5);
        commit(25, 1);
        commit(12, 7);
        assert_eq!(
            store.counters(1, 15, 30).unwrap(),
            vec![(20, sent(5)), (25, sent(1))]
        );
        // A range starting earlier than the cached one is read from sled again.
        assert_eq!(
            store.counters(1, 0, 30).unwrap(),
            vec![(10, sent(1)), (12, sent(7)), (20, sent(5)), (25, sent(1))]
        );
        assert_eq!(
            store.counters(1, 0, 30).unwrap(),
            store.scan_counters(1, 0, 30).unwrap()
        );
    }

    #[test]
    fn counters_need_an_existing_provider() {
        let (_dir, store) = temp_store();
        let err = store.add_counters(9, 0, &sent(1)).expect_err("no provider");
        assert!(matches!(
            err,
            StoreError::NotFound {
                entity: Entity::Provider,
                id: 9
            }
        ));
    }

    #[test]
    fn day_counters_add_every_field_saturating() {
        let mut total = DayCounters {
            sent: u64::MAX,
            ..DayCounters::default()
        };
        let one = DayCounters {
            sent: 1,
            send_errors: 2,
            delivered: 3,
            failed: 4,
            clicked: 5,
            replied: 6,
            unmatched: 7,
        };
        total.add(&one);
        assert_eq!(
            total,
            DayCounters {
                sent: u64::MAX,
                ..one
            }
        );
        assert!(DayCounters::default().is_zero());
        assert!(!total.is_zero());
    }
}

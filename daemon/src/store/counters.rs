//! Per-provider, per-day counters: the source of every statistic.

use super::Store;
use super::codec::{self, counter_key, counter_key_day};
use super::error::StoreError;
use super::records::DayCounters;

const WHAT: &str = "day counters";

impl Store {
    /// The provider's counters for the days `from_day..=to_day` (days since the Unix epoch),
    /// in day order, one entry per day that has data; the caller zero-fills the gaps. Reads
    /// one contiguous key range, so a year of statistics costs one scan.
    pub fn counters(
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

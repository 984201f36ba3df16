//! A ticket's id is a UUIDv7 of the instant it was filed (its `created_at`), to the
//! millisecond. Ids sort as the tickets were filed, which the lists page by, and a period of
//! filing is a range of ids, which every index of `tickets` ends in: a list or an export of a
//! past period reads that range of an index instead of walking it down from today.
//!
//! The instant is the service's clock, not the system's: the same one that stamps
//! `created_at` (a test's clock may be set in the past, or stand still). Within one
//! millisecond the ids of one process increase in the order they were made. Tickets filed by
//! builds before this one took their id from the system clock a little after `created_at`;
//! readers of a period widen its range of ids by [`SLACK`] and check `created_at` as well.

use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};

/// How far a ticket's id may be from its `created_at`: readers of a period read this much
/// more of the ids on either side (see the module's text).
pub const SLACK: Duration = Duration::days(1);

/// The 74 bits of a UUIDv7 after its time: 12 in `rand_a`, 62 in `rand_b`.
const TAIL_BITS: u32 = 74;

/// Recent milliseconds and the last tail given in each, newest last. A clock that stands
/// still, or goes back to a millisecond it has shown, goes on from that millisecond's last id.
static LAST: Mutex<Vec<(u64, u128)>> = Mutex::new(Vec::new());
const REMEMBERED: usize = 256;

/// A new ticket id for a ticket filed at `at`.
pub fn filed_at(at: DateTime<Utc>) -> String {
    let millis = u64::try_from(at.timestamp_millis()).unwrap_or(0);
    let tail = next_tail(millis);
    with_tail(millis, tail)
}

/// The smallest id a ticket filed at or after `at` can have.
pub fn floor(at: DateTime<Utc>) -> String {
    with_tail(u64::try_from(at.timestamp_millis()).unwrap_or(0), 0)
}

fn next_tail(millis: u64) -> u128 {
    let mut last = LAST.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(i) = last.iter().rposition(|(m, _)| *m == millis) {
        let (_, tail) = last.remove(i);
        let next = tail + 1 + u128::from(random_u64() & 0xffff);
        last.push((millis, next));
        return next;
    }
    // A fresh millisecond starts low in the tail's range, so that it can count up.
    let start = (u128::from(random_u64()) << 8) & ((1u128 << (TAIL_BITS - 2)) - 1);
    if last.len() >= REMEMBERED {
        last.remove(0);
    }
    last.push((millis, start));
    start
}

fn with_tail(millis: u64, tail: u128) -> String {
    let rand_a = (tail >> 62) as u16 & 0x0fff;
    let rand_b = (tail as u64) & ((1 << 62) - 1);
    let mut bytes = [0u8; 10];
    bytes[..2].copy_from_slice(&rand_a.to_be_bytes());
    bytes[2..].copy_from_slice(&rand_b.to_be_bytes());
    uuid::Builder::from_unix_timestamp_millis(millis, &bytes)
        .into_uuid()
        .to_string()
}

fn random_u64() -> u64 {
    let mut bytes = [0u8; 8];
    // Without randomness the ids are still ordered and unique within the process.
    getrandom::fill(&mut bytes).ok();
    u64::from_le_bytes(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::time;

    fn at(s: &str) -> DateTime<Utc> {
        time::parse(s).expect("instant")
    }

    #[test]
    fn ids_carry_their_instant_and_sort_as_made() {
        let t = at("2026-02-13T02:00:00.123Z");
        let ids: Vec<String> = (0..200).map(|_| filed_at(t)).collect();
        let mut sorted = ids.clone();
        sorted.sort();
        assert_eq!(
            ids, sorted,
            "ids within one millisecond sort as they were made"
        );
        sorted.dedup();
        assert_eq!(sorted.len(), 200);
        for id in &ids {
            let uuid = uuid::Uuid::parse_str(id).expect("a UUID");
            assert_eq!(uuid.get_version_num(), 7);
            let (secs, nanos) = uuid.get_timestamp().expect("a time").to_unix();
            assert_eq!(
                DateTime::from_timestamp(secs as i64, nanos).expect("time"),
                t
            );
        }
        // A clock set back gives ids of its own time, before the later ones.
        let earlier = filed_at(at("2026-02-12T02:00:00Z"));
        assert!(earlier < ids[0]);
        // Back to the first millisecond: after its ids, not among them.
        assert!(filed_at(t) > ids[199]);
    }

    #[test]
    fn the_floor_of_an_instant_is_below_its_ids_and_above_earlier_ones() {
        let t = at("2026-06-01T00:00:00Z");
        let floor = floor(t);
        assert!(filed_at(t) >= floor);
        assert!(filed_at(t + Duration::milliseconds(1)) > floor);
        assert!(filed_at(t - Duration::milliseconds(1)) < floor);
        assert!(floor.ends_with("-7000-8000-000000000000"), "{floor}");
    }
}

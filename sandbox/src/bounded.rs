//! A map that keeps at most `cap` entries and drops the oldest inserted first, so the sandbox's
//! state stays bounded however long it runs (`SandboxConfig::max_objects`).

use std::borrow::Borrow;
use std::collections::{HashMap, VecDeque};
use std::hash::Hash;

/// Entries by key, in insertion order; inserting the `cap + 1`-th drops the oldest.
pub struct Bounded<K, V> {
    /// Each value with the sequence number of its insertion.
    map: HashMap<K, (u64, V)>,
    /// Insertion order; an entry whose number no longer matches the map's was removed or
    /// replaced, and is skipped.
    order: VecDeque<(u64, K)>,
    next: u64,
    cap: usize,
}

impl<K: Eq + Hash + Clone, V> Bounded<K, V> {
    /// An empty map keeping at most `cap` entries (at least 1).
    pub fn new(cap: usize) -> Self {
        Bounded { map: HashMap::new(), order: VecDeque::new(), next: 0, cap: cap.max(1) }
    }

    /// Inserts (or replaces, as the newest) `key`, dropping the oldest entries beyond the cap.
    pub fn insert(&mut self, key: K, value: V) {
        self.next += 1;
        self.map.insert(key.clone(), (self.next, value));
        self.order.push_back((self.next, key));
        while self.map.len() > self.cap {
            self.pop_oldest();
        }
        // Removals and replacements leave stale entries behind: sweep them once they are as
        // many as the live ones, so the order never holds more than twice the cap.
        if self.order.len() > 2 * self.cap {
            let map = &self.map;
            self.order.retain(|(seq, k)| map.get(k).is_some_and(|(s, _)| s == seq));
        }
    }

    /// The value of `key`, inserting `make()` first (as the newest) when there is none.
    pub fn get_or_insert_with(&mut self, key: K, make: impl FnOnce() -> V) -> &mut V {
        if !self.map.contains_key(&key) {
            self.insert(key.clone(), make());
        }
        &mut self.map.get_mut(&key).expect("just inserted, and the newest is never dropped").1
    }

    pub fn get<Q: Hash + Eq + ?Sized>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
    {
        self.map.get(key).map(|(_, v)| v)
    }

    pub fn get_mut<Q: Hash + Eq + ?Sized>(&mut self, key: &Q) -> Option<&mut V>
    where
        K: Borrow<Q>,
    {
        self.map.get_mut(key).map(|(_, v)| v)
    }

    pub fn remove<Q: Hash + Eq + ?Sized>(&mut self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
    {
        self.map.remove(key).map(|(_, v)| v)
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Drops entries from the oldest on while `expired` says so (entries that outlived their
    /// provider's documented lifetime, inserted in order of expiry).
    pub fn drop_oldest_while(&mut self, expired: impl Fn(&V) -> bool) {
        while let Some((seq, key)) = self.order.front() {
            match self.map.get(key) {
                Some((s, v)) if s == seq && !expired(v) => return,
                Some((s, _)) if s == seq => {
                    self.pop_oldest();
                }
                _ => {
                    self.order.pop_front();
                }
            }
        }
    }

    /// The entries, oldest first.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&K, &V)> {
        self.order.iter().filter_map(|(seq, k)| self.map.get(k).filter(|(s, _)| s == seq).map(|(_, v)| (k, v)))
    }

    /// Every value, in no particular order.
    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut V> {
        self.map.values_mut().map(|(_, v)| v)
    }

    fn pop_oldest(&mut self) {
        while let Some((seq, key)) = self.order.pop_front() {
            if self.map.get(&key).is_some_and(|(s, _)| *s == seq) {
                self.map.remove(&key);
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Bounded;

    #[test]
    fn keeps_the_newest_entries_up_to_the_cap() {
        let mut b = Bounded::new(3);
        for i in 0..5 {
            b.insert(i, i * 10);
        }
        assert_eq!(b.iter().map(|(k, v)| (*k, *v)).collect::<Vec<_>>(), [(2, 20), (3, 30), (4, 40)]);
        assert_eq!((b.get(&1), b.get(&4)), (None, Some(&40)));
        // A replaced entry becomes the newest; a removed one frees its place.
        b.insert(2, 21);
        b.remove(&3);
        b.insert(5, 50);
        assert_eq!(b.iter().map(|(k, _)| *k).collect::<Vec<_>>(), [4, 2, 5]);
        b.insert(6, 60);
        assert_eq!(b.iter().map(|(k, _)| *k).collect::<Vec<_>>(), [2, 5, 6]);
    }

    #[test]
    fn stale_order_entries_stay_bounded() {
        let mut b = Bounded::new(2);
        for i in 0..1000 {
            b.insert(i % 2, i);
        }
        assert!(b.order.len() <= 4, "{}", b.order.len());
        assert_eq!(b.len(), 2);
        *b.get_or_insert_with(7, || 0) += 1;
        *b.get_or_insert_with(7, || 0) += 1;
        assert_eq!(b.get(&7), Some(&2));
    }

    #[test]
    fn expired_entries_go_from_the_oldest_on() {
        let mut b = Bounded::new(10);
        for i in 0..6 {
            b.insert(i, i);
        }
        b.remove(&0);
        b.drop_oldest_while(|v| *v < 3);
        assert_eq!(b.iter().map(|(k, _)| *k).collect::<Vec<_>>(), [3, 4, 5]);
    }
}

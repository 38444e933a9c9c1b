//! Sorting with one compiled sort for the whole program.
//!
//! The standard library's stable sort is generic over the element and the comparison, so every call site
//! with its own closure compiles another copy of it: some 200 functions and a twentieth of the app's code
//! before `wasm-opt`. Here each call sorts positions (`u32`) through one comparison behind `&dyn`; only
//! moving the elements into place is compiled per type. Stable, like `slice::sort_by`.

use std::cmp::Ordering;

/// `v.sort_by(cmp)`.
pub fn sort_by<T>(v: &mut Vec<T>, cmp: impl Fn(&T, &T) -> Ordering) {
    let order = positions(v.len(), &|a, b| cmp(&v[a], &v[b]));
    arrange(v, &order);
}

/// `v.sort_by_key(key)`.
pub fn sort_by_key<T, K: Ord>(v: &mut Vec<T>, key: impl Fn(&T) -> K) {
    sort_by(v, |a, b| key(a).cmp(&key(b)));
}

/// `v.sort_by_cached_key(key)`: each key computed once.
pub fn sort_by_cached_key<T, K: Ord>(v: &mut Vec<T>, key: impl FnMut(&T) -> K) {
    let keys: Vec<K> = v.iter().map(key).collect();
    let order = positions(v.len(), &|a, b| keys[a].cmp(&keys[b]));
    arrange(v, &order);
}

/// `v.sort()`.
pub fn sort<T: Ord>(v: &mut Vec<T>) {
    sort_by(v, T::cmp);
}

/// The positions of `len` elements in the order `cmp` gives them: the one sort that is compiled.
#[inline(never)]
fn positions(len: usize, cmp: &dyn Fn(usize, usize) -> Ordering) -> Vec<u32> {
    let len = u32::try_from(len).expect("fewer than 2^32 elements to sort");
    let mut order: Vec<u32> = (0..len).collect();
    order.sort_by(|a, b| cmp(*a as usize, *b as usize));
    order
}

/// Moves `v`'s elements into `order` (each position once).
fn arrange<T>(v: &mut Vec<T>, order: &[u32]) {
    let mut slots: Vec<Option<T>> = v.drain(..).map(Some).collect();
    v.extend(
        order
            .iter()
            .map(|&i| slots[i as usize].take().expect("each position once")),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_as_the_standard_library_does_and_keeps_ties_in_order() {
        let words = ["b2", "a1", "b1", "c", "a2", "", "b3", "a1"];
        let mut ours: Vec<String> = words.iter().map(|s| s.to_string()).collect();
        let mut std_sorted = ours.clone();
        // By first letter only: ties must keep their order.
        let first = |s: &String| s.chars().next();
        sort_by_key(&mut ours, first);
        std_sorted.sort_by_key(first);
        assert_eq!(ours, std_sorted);
        sort_by_cached_key(&mut ours, |s| std::cmp::Reverse(s.len()));
        std_sorted.sort_by_cached_key(|s| std::cmp::Reverse(s.len()));
        assert_eq!(ours, std_sorted);
        sort(&mut ours);
        std_sorted.sort();
        assert_eq!(ours, std_sorted);
        let mut empty: Vec<u8> = Vec::new();
        sort(&mut empty);
        assert!(empty.is_empty());
    }
}

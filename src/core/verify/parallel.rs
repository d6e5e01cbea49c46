//! Work spread over all cores with `std::thread::scope`: the verifier's per-entry checks are
//! independent, so each thread takes the next chunk of entries until none are left.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Entries per chunk: small enough to balance two cores, large enough that taking a chunk costs
/// nothing next to the signature checks in it.
pub(super) const CHUNK: usize = 512;

/// `items.map(f)` on `threads` threads, in order; `tick(done)` after each chunk.
pub fn par_map<T: Sync, R: Send>(
    items: &[T],
    threads: usize,
    f: impl Fn(&T) -> R + Sync,
    tick: impl Fn(usize) + Sync,
) -> Vec<R> {
    let threads = threads.clamp(1, items.len().div_ceil(CHUNK).max(1));
    if threads == 1 {
        let mut out = Vec::with_capacity(items.len());
        for (i, chunk) in items.chunks(CHUNK).enumerate() {
            out.extend(chunk.iter().map(&f));
            tick((i * CHUNK + chunk.len()).min(items.len()));
        }
        return out;
    }
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let results: Mutex<Vec<(usize, Vec<R>)>> = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                loop {
                    let start = next.fetch_add(CHUNK, Ordering::Relaxed);
                    if start >= items.len() {
                        break;
                    }
                    let chunk = &items[start..(start + CHUNK).min(items.len())];
                    let mapped: Vec<R> = chunk.iter().map(&f).collect();
                    let finished = done.fetch_add(chunk.len(), Ordering::Relaxed) + chunk.len();
                    results
                        .lock()
                        .unwrap_or_else(|poisoned| poisoned.into_inner())
                        .push((start, mapped));
                    tick(finished);
                }
            });
        }
    });
    let mut chunks = results
        .into_inner()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    chunks.sort_unstable_by_key(|(start, _)| *start);
    chunks.into_iter().flat_map(|(_, mapped)| mapped).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_order_on_any_number_of_threads() {
        let items: Vec<u32> = (0..5000).collect();
        for threads in [1, 2, 3, 8] {
            let out = par_map(&items, threads, |x| x * 2, |_| {});
            assert_eq!(out, items.iter().map(|x| x * 2).collect::<Vec<_>>());
        }
        assert!(par_map(&[] as &[u32], 4, |x| *x, |_| {}).is_empty());
    }
}

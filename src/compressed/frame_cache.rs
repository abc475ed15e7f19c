//! A small least-recently-used cache of decompressed frames, by frame
//! index. A handful of frames is enough: random reads cluster (a record and
//! its neighbours, a type's offsets and then its records).

use std::sync::Arc;

/// Frames kept by default: with 1 MiB frames, 4 MiB of memory at most.
pub const DEFAULT_CACHED_FRAMES: usize = 4;

pub struct FrameCache {
    /// Most recently used last.
    frames: Vec<(usize, Arc<[u8]>)>,
    capacity: usize,
}

impl FrameCache {
    pub fn new(capacity: usize) -> FrameCache {
        FrameCache {
            frames: Vec::with_capacity(capacity.max(1)),
            capacity: capacity.max(1),
        }
    }

    /// The frame `index`, if cached; it becomes the most recently used.
    pub fn get(&mut self, index: usize) -> Option<Arc<[u8]>> {
        let at = self.frames.iter().position(|(i, _)| *i == index)?;
        let entry = self.frames.remove(at);
        let bytes = Arc::clone(&entry.1);
        self.frames.push(entry);
        Some(bytes)
    }

    /// Whether frame `index` is cached (its place in the order unchanged).
    pub fn contains(&self, index: usize) -> bool {
        self.frames.iter().any(|(i, _)| *i == index)
    }

    /// Caches frame `index`, dropping the least recently used if full.
    pub fn insert(&mut self, index: usize, bytes: Arc<[u8]>) {
        self.frames.retain(|(i, _)| *i != index);
        if self.frames.len() == self.capacity {
            self.frames.remove(0);
        }
        self.frames.push((index, bytes));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_least_recently_used_frame_goes_first() {
        let mut c = FrameCache::new(2);
        c.insert(1, Arc::from(&b"one"[..]));
        c.insert(2, Arc::from(&b"two"[..]));
        assert_eq!(c.get(1).as_deref(), Some(&b"one"[..]));
        c.insert(3, Arc::from(&b"three"[..]));
        assert!(c.get(2).is_none(), "2 was the least recently used");
        assert_eq!(c.get(1).as_deref(), Some(&b"one"[..]));
        assert_eq!(c.get(3).as_deref(), Some(&b"three"[..]));
    }
}

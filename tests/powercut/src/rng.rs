//! A small seeded generator (SplitMix64): a cut made with the same seed
//! over the same operations keeps the same pages and directory operations.

pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..=max`.
    pub fn upto(&mut self, max: u64) -> u64 {
        self.next() % (max + 1)
    }

    pub fn coin(&mut self) -> bool {
        self.next() & 1 == 1
    }
}

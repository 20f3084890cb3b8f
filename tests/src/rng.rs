//! A small seeded random number generator for tests that pick random moments: the seed is
//! printed, and `TERN_TEST_SEED` replays a run exactly.

use std::time::{SystemTime, UNIX_EPOCH};

/// xorshift64*: plenty for choosing kill points and orders, and no dependency.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// Seeded from `TERN_TEST_SEED` if set, else from the clock. Prints the seed, so a failing
    /// run can be repeated with `TERN_TEST_SEED=<seed>`.
    pub fn from_env() -> Rng {
        let seed = std::env::var("TERN_TEST_SEED")
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or_else(|| {
                SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map(|d| d.as_nanos() as u64)
                    .unwrap_or(1)
            });
        println!("random seed: {seed} (set TERN_TEST_SEED={seed} to repeat this run)");
        Rng::new(seed)
    }

    /// A generator with a fixed seed.
    pub fn new(seed: u64) -> Rng {
        // Zero is the one state xorshift cannot leave.
        Rng(seed.max(1))
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `range` (which must not be empty).
    pub fn range(&mut self, range: std::ops::Range<u64>) -> u64 {
        range.start + self.next_u64() % (range.end - range.start)
    }
}

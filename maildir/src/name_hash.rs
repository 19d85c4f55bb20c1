//! A fast hasher for the file-name index of a uidlist.
//!
//! std's SipHash costs more than the rest of a lookup for 50-byte Maildir
//! names, and opening a 100,000-message folder hashes every name twice.
//! Names are made by local delivery agents, not chosen by remote senders,
//! so a keyed multiply-rotate hash (seeded once per process, so that
//! collisions are not predictable from outside) is enough.

use std::hash::{BuildHasher, Hasher};
use std::sync::OnceLock;

const K: u64 = 0x9e37_79b9_7f4a_7c15;

/// Builds [`NameHasher`]s with the process's seed.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct NameHash;

impl BuildHasher for NameHash {
    type Hasher = NameHasher;

    fn build_hasher(&self) -> NameHasher {
        static SEED: OnceLock<u64> = OnceLock::new();
        let seed =
            *SEED.get_or_init(|| std::collections::hash_map::RandomState::new().hash_one(0u8));
        NameHasher(seed)
    }
}

/// Eight bytes per multiply; finished with MurmurHash3's mixer so that the
/// high bits (hashbrown's tags) depend on every input bit.
#[derive(Debug, Clone)]
pub(crate) struct NameHasher(u64);

impl NameHasher {
    fn mix(&mut self, word: u64) {
        self.0 = (self.0 ^ word).wrapping_mul(K).rotate_left(31);
    }
}

impl Hasher for NameHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut words = bytes.chunks_exact(8);
        for word in &mut words {
            self.mix(u64::from_le_bytes(word.try_into().expect("8 bytes")));
        }
        let rest = words.remainder();
        let mut last = [0u8; 8];
        last[..rest.len()].copy_from_slice(rest);
        self.mix(u64::from_le_bytes(last) ^ ((bytes.len() as u64) << 56));
    }

    fn finish(&self) -> u64 {
        let mut h = self.0;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        h ^ (h >> 33)
    }
}

#[cfg(test)]
mod tests {
    use super::NameHash;
    use std::collections::HashSet;
    use std::hash::BuildHasher;

    #[test]
    fn distinct_names_spread_over_the_table() {
        let names: Vec<String> = (0..10_000)
            .map(|i| format!("1700000000.M{i}P1234Q{}.host,S=100:2,S", i % 7))
            .collect();
        let hashes: HashSet<u64> = names.iter().map(|n| NameHash.hash_one(n)).collect();
        assert_eq!(hashes.len(), names.len());
        // The top 7 bits (hashbrown's tags) take all 128 values.
        let tags: HashSet<u64> = hashes.iter().map(|h| h >> 57).collect();
        assert_eq!(tags.len(), 128);
        // A name and its prefix padded with zero bytes differ.
        assert_ne!(NameHash.hash_one("abc"), NameHash.hash_one("abc\0"));
    }
}

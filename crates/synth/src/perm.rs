//! Keyed permutations of `[0, n)`, the reason identifiers are unique by construction.
//!
//! Every unique identifier (SSN, phone, IMEI, IMSI, licence number, e-mail suffix) is the image of
//! the person's index under a permutation keyed by the seed, decoded into the identifier's
//! format. A permutation never maps two indexes to one value, so no two people can share an
//! identifier however many are generated (up to the domain's size), and no lookup table or
//! collision check is needed: each person is still a pure function of `(seed, index)`.
//!
//! The permutation is a Feistel network on `Z_a × Z_b` with `a·b ≥ n` (the alternating-radix
//! construction of Black and Rogaway, "Ciphers with Arbitrary Finite Domains", 2002), restricted
//! to `[0, n)` by cycle walking. It is not a cipher anyone should rely on for secrecy, only a
//! fast, well-mixed bijection.

/// Number of Feistel rounds; even, so that the radices return to `(a, b)`.
const ROUNDS: usize = 8;

/// A keyed bijection of `[0, n)` onto itself.
#[derive(Debug, Clone)]
pub(crate) struct Perm {
    n: u64,
    a: u64,
    b: u64,
    keys: [u64; ROUNDS],
}

impl Perm {
    /// A permutation of `[0, n)` chosen by `key`; `n` must be at least 1.
    pub(crate) fn new(n: u64, key: u64) -> Self {
        let n = n.max(1);
        let mut a = n.isqrt();
        if a * a < n {
            a += 1;
        }
        let b = n.div_ceil(a);
        let mut keys = [0; ROUNDS];
        let mut state = key;
        for k in &mut keys {
            state = mix64(state.wrapping_add(0x9E37_79B9_7F4A_7C15));
            *k = state;
        }
        Self { n, a, b, keys }
    }

    /// The size of the domain.
    pub(crate) fn len(&self) -> u64 {
        self.n
    }

    /// The image of `x`. Values at or past `n` are first reduced modulo `n`, so callers never
    /// loop forever, but only `x < n` keeps the bijection's guarantee.
    pub(crate) fn apply(&self, x: u64) -> u64 {
        let x = x % self.n;
        let mut y = self.round_trip(x);
        // Cycle walking: the cycle through `x` returns to `x < n`, so this terminates, and
        // taking the first in-domain value on the cycle keeps the map a bijection of [0, n).
        while y >= self.n {
            y = self.round_trip(y);
        }
        y
    }

    /// One pass of the Feistel network over `[0, a·b)`.
    fn round_trip(&self, x: u64) -> u64 {
        let (mut l, mut r) = (x / self.b, x % self.b);
        let (mut ml, mut mr) = (self.a, self.b);
        for &k in &self.keys {
            // (L, R) in Z_ml × Z_mr becomes (R, L + F(R)) in Z_mr × Z_ml.
            let w = (l + mix64(r ^ k) % ml) % ml;
            l = r;
            r = w;
            std::mem::swap(&mut ml, &mut mr);
        }
        l * self.b + r
    }
}

/// The SplitMix64 finalizer: a fast bijective mixer of 64-bit words.
pub(crate) fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A 64-bit key for one use of the seed, so that each identifier gets its own permutation.
pub(crate) fn derive_key(seed: u64, purpose: &str) -> u64 {
    let mut h = mix64(seed ^ 0x243F_6A88_85A3_08D3);
    for &byte in purpose.as_bytes() {
        h = mix64(h ^ u64::from(byte));
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_bijection(n: u64, key: u64) {
        let p = Perm::new(n, key);
        let mut seen = vec![false; n as usize];
        for x in 0..n {
            let y = p.apply(x);
            assert!(y < n, "n={n} x={x} y={y}");
            assert!(!seen[y as usize], "n={n}: {y} hit twice");
            seen[y as usize] = true;
        }
    }

    #[test]
    fn permutes_domains_of_awkward_sizes() {
        for n in [1, 2, 3, 5, 7, 10, 97, 1000, 1024, 12_345, 65_536, 99_991] {
            assert_bijection(n, 42);
            assert_bijection(n, 7);
        }
    }

    #[test]
    fn different_keys_give_different_orders() {
        let a = Perm::new(10_000, 1);
        let b = Perm::new(10_000, 2);
        let differ = (0..10_000).filter(|&x| a.apply(x) != b.apply(x)).count();
        assert!(differ > 9_900, "only {differ} differ");
    }

    #[test]
    fn mixes_neighbouring_indexes() {
        // Consecutive people must not get consecutive identifiers.
        let p = Perm::new(1_000_000_000, 9);
        let close = (0..10_000u64)
            .filter(|&x| p.apply(x).abs_diff(p.apply(x + 1)) < 1_000)
            .count();
        assert!(close < 10, "{close} neighbours stayed close");
    }

    #[test]
    fn out_of_domain_input_terminates() {
        let p = Perm::new(10, 3);
        assert!(p.apply(u64::MAX) < 10);
        assert_eq!(p.len(), 10);
    }
}

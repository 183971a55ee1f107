//! The compact encoding of person sets: dataset members, people of a principal or file exposure,
//! and the people of an impact version. Entries are sorted by person id and stored as LEB128
//! varints of the id's delta from the previous entry followed by the entry's small integers, in
//! chunks of at most [`CHUNK_ENTRIES`]. A million memberships take a few megabytes and decode in
//! milliseconds, which is what lets impact be recomputed over tens of millions of memberships in
//! seconds; one database row per membership would make reading them the slowest step.
//!
//! Only person ids (the vault's internal row ids), element bits and small codes are encoded:
//! never a value from a file.

use crate::error::BreachError;

/// The most entries one chunk holds.
pub(crate) const CHUNK_ENTRIES: usize = 65_536;

/// One person of an impact version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ImpactEntry {
    /// The vault's person row id.
    pub(crate) person: i64,
    /// Elements exposed in clear.
    pub(crate) clear: u32,
    /// Elements exposed only as ciphertext.
    pub(crate) encrypted: u32,
    /// Index of the account kind in `AccountKind::ALL`.
    pub(crate) kind: u8,
    /// Index into the version's state dictionary (0 = no state).
    pub(crate) state: u32,
    /// Indexes into the version's exposure list, ascending.
    pub(crate) exposures: Vec<u32>,
}

fn put(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// A cursor over an encoded chunk.
struct Cursor<'a> {
    data: &'a [u8],
    pos: usize,
}

impl Cursor<'_> {
    fn is_done(&self) -> bool {
        self.pos >= self.data.len()
    }

    fn next(&mut self) -> Result<u64, BreachError> {
        let mut v: u64 = 0;
        let mut shift = 0;
        loop {
            let b = *self
                .data
                .get(self.pos)
                .ok_or_else(|| BreachError::Corrupt("truncated person chunk".into()))?;
            self.pos += 1;
            if shift >= 64 {
                return Err(BreachError::Corrupt(
                    "varint too long in person chunk".into(),
                ));
            }
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
            shift += 7;
        }
    }

    fn next_u32(&mut self) -> Result<u32, BreachError> {
        u32::try_from(self.next()?)
            .map_err(|_| BreachError::Corrupt("value out of range in person chunk".into()))
    }
}

/// Sorts `entries` by person, merges repeated persons (OR of their bits) and encodes them.
pub(crate) fn encode_members(entries: &mut Vec<(i64, u32)>) -> Vec<u8> {
    entries.sort_unstable_by_key(|e| e.0);
    entries.dedup_by(|later, first| {
        if later.0 == first.0 {
            first.1 |= later.1;
            true
        } else {
            false
        }
    });
    let mut out = Vec::with_capacity(entries.len() * 5);
    let mut prev = 0i64;
    for (person, bits) in entries.iter() {
        put(&mut out, person.wrapping_sub(prev) as u64);
        put(&mut out, u64::from(*bits));
        prev = *person;
    }
    out
}

/// Calls `f(person, bits)` for every entry of a member chunk; returns the number of entries.
pub(crate) fn decode_members(
    data: &[u8],
    mut f: impl FnMut(i64, u32),
) -> Result<usize, BreachError> {
    let mut c = Cursor { data, pos: 0 };
    let mut prev = 0i64;
    let mut n = 0;
    while !c.is_done() {
        let person = prev.wrapping_add(c.next()? as i64);
        f(person, c.next_u32()?);
        prev = person;
        n += 1;
    }
    Ok(n)
}

/// Encodes impact entries, which must be sorted by person.
pub(crate) fn encode_impact(entries: &[ImpactEntry]) -> Vec<u8> {
    let mut out = Vec::with_capacity(entries.len() * 8);
    let mut prev = 0i64;
    for e in entries {
        put(&mut out, e.person.wrapping_sub(prev) as u64);
        put(&mut out, u64::from(e.clear));
        put(&mut out, u64::from(e.encrypted));
        put(&mut out, u64::from(e.kind));
        put(&mut out, u64::from(e.state));
        put(&mut out, e.exposures.len() as u64);
        for x in &e.exposures {
            put(&mut out, u64::from(*x));
        }
        prev = e.person;
    }
    out
}

/// Decodes an impact chunk, calling `f` for each entry in person order.
pub(crate) fn decode_impact(
    data: &[u8],
    mut f: impl FnMut(&ImpactEntry),
) -> Result<usize, BreachError> {
    let mut c = Cursor { data, pos: 0 };
    let mut e = ImpactEntry {
        person: 0,
        clear: 0,
        encrypted: 0,
        kind: 0,
        state: 0,
        exposures: Vec::new(),
    };
    let mut n = 0;
    while !c.is_done() {
        e.person = e.person.wrapping_add(c.next()? as i64);
        e.clear = c.next_u32()?;
        e.encrypted = c.next_u32()?;
        e.kind = u8::try_from(c.next()?)
            .map_err(|_| BreachError::Corrupt("account kind out of range".into()))?;
        e.state = c.next_u32()?;
        let k = c.next()?;
        if k > 1 << 20 {
            return Err(BreachError::Corrupt("exposure list too long".into()));
        }
        e.exposures.clear();
        for _ in 0..k {
            e.exposures.push(c.next_u32()?);
        }
        f(&e);
        n += 1;
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_round_trip_sorted_and_merged() {
        let mut entries = vec![(9, 1), (3, 4), (9, 2), (1_000_000_000_000, 0x1fff), (3, 8)];
        let data = encode_members(&mut entries);
        let mut back = Vec::new();
        assert_eq!(decode_members(&data, |p, b| back.push((p, b))).unwrap(), 3);
        assert_eq!(back, [(3, 12), (9, 3), (1_000_000_000_000, 0x1fff)]);
    }

    #[test]
    fn impact_round_trips() {
        let entries = vec![
            ImpactEntry {
                person: 2,
                clear: 9,
                encrypted: 0,
                kind: 1,
                state: 4,
                exposures: vec![0, 3],
            },
            ImpactEntry {
                person: 300,
                clear: 0,
                encrypted: 16,
                kind: 3,
                state: 0,
                exposures: vec![],
            },
        ];
        let data = encode_impact(&entries);
        let mut back = Vec::new();
        decode_impact(&data, |e| back.push(e.clone())).unwrap();
        assert_eq!(back, entries);
    }

    #[test]
    fn truncated_chunks_are_corrupt_not_panics() {
        let mut entries = vec![(300, 70_000)];
        let data = encode_members(&mut entries);
        assert!(decode_members(&data[..data.len() - 1], |_, _| {}).is_err());
        assert!(decode_impact(&[0xff; 11], |_| {}).is_err());
    }
}

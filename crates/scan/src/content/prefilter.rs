//! The keyword prefilter: finds every occurrence of every rule keyword (ASCII
//! case-insensitively, overlapping occurrences included) in one pass over a chunk.
//!
//! A general Aho-Corasick automaton over a few hundred keywords has no usable prefilter and
//! walks a DFA too large for L1, which made it the scanner's bottleneck. Keywords here are at
//! least three bytes, so each position is first checked against an 8 KiB bitmap of hashed
//! keyword trigrams (one L1-resident load per byte); only the rare positions whose trigram is
//! set are compared against the few keywords that start with it. The odd keyword shorter than
//! three bytes (the PII pack's `@`) must not contain letters and is found with `memmem`.

/// log2 of the number of bits in the trigram bitmap.
const BITS: u32 = 16;
/// `u64` words in the bitmap.
const WORDS: usize = (1 << BITS) / 64;

/// The 512 most frequent lowercase trigrams of ordinary source code (measured on a sample of
/// open-source Rust crates), most frequent first. A keyword is indexed by its least frequent
/// trigram, so the bitmap fires rarely on normal text.
const COMMON_TRIGRAMS: &str = concat!(
    "   /////  //  / ththe = ateselhe elf  } re seingturion interre stais ratente::tiofor tomut",
    "et ure cout = \" le stor attcfgreaed let forese =eatconse mat a  fncrafn useatuitelf.eadto ",
    "tattok isfeapubte:all as  lng  an nostr[cf#[c  sparfg(err cr uspattra pa  fer kenes mpl ma",
    ") -and->  ->ons  pthie tokeonederatiult cahis ifif tar ofub herdocind> {tch #[not/  on (fe",
    "linizeivetes puatcile  #odeimpe sintnd &mus tttrfilchee cof  _  beeres aget ex/ tectexpset",
    "t sputd::rron tass =>=> ch in tte_ _ itat s, et_locveren extas comst pree isizess))]ritror",
    "tim dee a prockoreval) =new dor::\"))serted  iretametha whendarg wi&sesitle inpe, npuwri::n",
    "it rente t tg(fime sonsttoran sseurnetut::art  c firefithestnteare: &ath())erihatble oncal",
    ") {esutrurset ie()sul ha)))::rull taful//!f,  mu, t\", optnam::sars [`inely _todfalf,witt c",
    "::fnceptixprs =/ `f t al unfroromomeert() _storm/ a:nepro tralirgeper \"frec # pleabldatrep",
    "whetre/ #));ens, facksynfieaitclostd enanylens i:re, iarcernme((),riner.tr(d tll ::po::ns ",
    "somidetin::e_atnt \"funon lilontyp by, d &m_remen opn aoutevell\"bytyteit_redl\")  at mspaner",
    "ndet,   tts /! (&ss::io:ypee f bu  .rmavisew(();e o\")]ckee {trimodhanitiomponf::iencto_ach",
    "tem::tntie: rchdin, sb fersrn manth oc( ne sid, elditsdire rt a)?;be fg_ielpl usig_aot nfi",
    "yncrivhen().isicesden ar boferataearer:), n i lor trs,rucsedfigcti vauct(setrymitcurs:  po",
    "posocsrane) lit dfmetlt<::c= s melf) atworalulueustounng_hasistc::is_/ [f)  errt_regracpec",
    "  )nodt: illignt firelooontok(erazipsin ok mouncr(d(do felsete_kinreee p/ s  ras_iniastcod",
    "ssindi",
);

/// ASCII lowercase of every byte, as a table so the hot loop has no branches.
const FOLD: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = (i as u8).to_ascii_lowercase();
        i += 1;
    }
    t
};

/// Keyword occurrences finder; see the module documentation.
pub(crate) struct KeywordFilter {
    bitmap: Box<[u64; WORDS]>,
    /// For bucket `b`, `order[starts[b]..starts[b + 1]]` are the (keyword, offset of its
    /// indexed trigram) pairs whose trigram hashes to `b`.
    starts: Vec<u32>,
    order: Vec<(u32, u32)>,
    keywords: Vec<Vec<u8>>,
    short: Vec<(usize, memchr::memmem::Finder<'static>)>,
}

#[inline(always)]
fn fold(b: u8) -> u8 {
    FOLD[usize::from(b)]
}

/// The bitmap bucket of the trigram held in the low three bytes of `t` (first byte lowest).
#[inline(always)]
fn bucket_of(t: u32) -> u32 {
    folded_bucket(t | 0x2020_2020)
}

/// [`bucket_of`] for a `t` whose bytes are already `| 0x20`: the shift drops the fourth byte,
/// and the multiplication's top bits depend only on the three below it.
#[inline(always)]
fn folded_bucket(t: u32) -> u32 {
    (t << 8).wrapping_mul(0x9E37_79B1) >> (32 - BITS)
}

fn bucket(a: u8, b: u8, c: u8) -> usize {
    bucket_of(u32::from_le_bytes([a, b, c, 0])) as usize
}

impl KeywordFilter {
    /// Builds the filter; every keyword must be at least three bytes (the rule parser
    /// enforces it) and is matched ASCII case-insensitively.
    pub(crate) fn new(keywords: &[String]) -> KeywordFilter {
        let keywords: Vec<Vec<u8>> = keywords
            .iter()
            .map(|k| k.bytes().map(fold).collect())
            .collect();
        let common: Vec<&[u8]> = COMMON_TRIGRAMS.as_bytes().chunks(3).collect();
        let rarity = |g: &[u8]| common.iter().position(|c| *c == g).unwrap_or(common.len());
        // (bucket, offset of the indexed trigram) per keyword of three bytes or more.
        let anchors: Vec<Option<(usize, usize)>> = keywords
            .iter()
            .map(|k| {
                let offset =
                    (0..k.len().checked_sub(2)?).max_by_key(|&o| (rarity(&k[o..o + 3]), o))?;
                Some((bucket(k[offset], k[offset + 1], k[offset + 2]), offset))
            })
            .collect();
        let size = 1usize << BITS;
        let mut bitmap = Box::new([0u64; WORDS]);
        let mut counts = vec![0u32; size + 1];
        for (b, _) in anchors.iter().flatten() {
            bitmap[b / 64] |= 1 << (b % 64);
            counts[b + 1] += 1;
        }
        for i in 1..counts.len() {
            counts[i] += counts[i - 1];
        }
        let starts = counts.clone();
        let mut fill = counts;
        let mut order = vec![(0u32, 0u32); anchors.iter().flatten().count()];
        for (k, anchor) in anchors.iter().enumerate() {
            if let Some((b, offset)) = anchor {
                order[fill[*b] as usize] = (k as u32, *offset as u32);
                fill[*b] += 1;
            }
        }
        let short = keywords
            .iter()
            .enumerate()
            .filter(|(_, k)| k.len() < 3)
            .map(|(i, k)| (i, memchr::memmem::Finder::new(k).into_owned()))
            .collect();
        KeywordFilter {
            bitmap,
            starts,
            order,
            keywords,
            short,
        }
    }

    /// Calls `hit(keyword, start, end)` for every occurrence, in no particular order.
    /// `candidates` is scratch space, reused across calls; `hay` is at most 4 GiB.
    pub(crate) fn for_each(
        &self,
        hay: &[u8],
        candidates: &mut Vec<(u32, u32)>,
        mut hit: impl FnMut(usize, usize, usize),
    ) {
        for (k, finder) in &self.short {
            let len = self.keywords[*k].len();
            for start in finder.find_iter(hay) {
                hit(*k, start, start + len);
            }
        }
        if hay.len() < 3 {
            return;
        }
        candidates.clear();
        scan_trigrams(&self.bitmap, hay, candidates);
        for &(at, bk) in candidates.iter() {
            self.verify(hay, at as usize, bk as usize, &mut hit);
        }
    }
}

/// The hot loop, kept free of everything else so its state stays in registers: pushes
/// `(start, bucket)` for each position whose trigram's bit is set. Bytes are folded with
/// `| 0x20` for hashing only (it lowercases letters and maps a few symbols onto others, which
/// costs at most a false candidate; verification compares exactly).
///
/// One 8-byte load covers the trigrams of six positions, folded with one `or`. Their six bits
/// are gathered into a mask without branches, so the loop branches once per block, and rarely:
/// most blocks of ordinary text hold no indexed trigram at all.
fn scan_trigrams(bitmap: &[u64; WORDS], hay: &[u8], out: &mut Vec<(u32, u32)>) {
    let bit = |t: u64| {
        let bk = folded_bucket(t as u32);
        (bitmap[(bk as usize >> 6) & (WORDS - 1)] >> (bk & 63)) & 1
    };
    let mut i = 0;
    while let Some(word) = hay.get(i..).and_then(<[u8]>::first_chunk::<8>) {
        let x = u64::from_le_bytes(*word) | 0x2020_2020_2020_2020;
        let mask = bit(x)
            | bit(x >> 8) << 1
            | bit(x >> 16) << 2
            | bit(x >> 24) << 3
            | bit(x >> 32) << 4
            | bit(x >> 40) << 5;
        if mask != 0 {
            for k in 0..6 {
                if mask & (1 << k) != 0 {
                    out.push(((i + k) as u32, folded_bucket((x >> (8 * k)) as u32)));
                }
            }
        }
        i += 6;
    }
    // The last few positions, which have no full eight bytes from them on, one at a time.
    for (at, w) in hay.windows(3).enumerate().skip(i) {
        let bk = bucket_of(u32::from_le_bytes([w[0], w[1], w[2], 0]));
        if bitmap[(bk as usize >> 6) & (WORDS - 1)] & (1 << (bk & 63)) != 0 {
            out.push((at as u32, bk));
        }
    }
}

impl KeywordFilter {
    /// Compares the keywords of bucket `bk` against `hay`, given that their indexed trigram
    /// starts at `at`.
    #[inline(never)]
    fn verify(&self, hay: &[u8], at: usize, bk: usize, hit: &mut impl FnMut(usize, usize, usize)) {
        let (lo, hi) = (self.starts[bk] as usize, self.starts[bk + 1] as usize);
        for &(k, offset) in &self.order[lo..hi] {
            let kw = &self.keywords[k as usize];
            let Some(start) = at.checked_sub(offset as usize) else {
                continue;
            };
            let end = start + kw.len();
            if end <= hay.len() && hay[start..end].iter().zip(kw).all(|(&x, &y)| fold(x) == y) {
                hit(k as usize, start, end);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hits(keywords: &[&str], hay: &str) -> Vec<(usize, usize, usize)> {
        let kws: Vec<String> = keywords.iter().map(|k| k.to_string()).collect();
        let mut out = Vec::new();
        KeywordFilter::new(&kws).for_each(hay.as_bytes(), &mut Vec::new(), |k, s, e| {
            out.push((k, s, e));
        });
        out.sort_by_key(|&(k, s, _)| (s, k));
        out
    }

    /// Every occurrence found by comparing each keyword at each position, case-folded.
    fn naive(keywords: &[&str], hay: &[u8]) -> Vec<(usize, usize, usize)> {
        let mut out = Vec::new();
        for start in 0..hay.len() {
            for (k, kw) in keywords.iter().enumerate() {
                let end = start + kw.len();
                if hay
                    .get(start..end)
                    .is_some_and(|s| s.eq_ignore_ascii_case(kw.as_bytes()))
                {
                    out.push((k, start, end));
                }
            }
        }
        out.sort_by_key(|&(k, s, _)| (s, k));
        out
    }

    #[test]
    fn agrees_with_comparing_at_every_position() {
        let keywords = [
            "akia",
            "pwd",
            "ghp_",
            "password",
            "://",
            "$2b$",
            "-----begin",
            "@",
        ];
        // Keywords at every offset from the start and the end of haystacks of every length up
        // to 40 (so each lands in the eight-byte blocks, across their edges and in the tail),
        // in changing case, between filler bytes that include NUL and high bytes.
        let filler = b"xQ\0\xff .=Z9";
        let filter = KeywordFilter::new(&keywords.map(String::from));
        for len in 0..40 {
            for (n, kw) in keywords.iter().enumerate() {
                for at in 0..len {
                    let mut hay: Vec<u8> =
                        (0..len).map(|i| filler[(i + n) % filler.len()]).collect();
                    for (j, b) in kw.bytes().enumerate() {
                        if let Some(slot) = hay.get_mut(at + j) {
                            *slot = if (at + j) % 2 == 0 {
                                b.to_ascii_uppercase()
                            } else {
                                b
                            };
                        }
                    }
                    let mut got = Vec::new();
                    filter.for_each(&hay, &mut Vec::new(), |k, s, e| got.push((k, s, e)));
                    got.sort_by_key(|&(k, s, _)| (s, k));
                    assert_eq!(got, naive(&keywords, &hay), "{hay:?}");
                }
            }
        }
    }

    #[test]
    fn finds_overlapping_and_case_folded_occurrences() {
        assert_eq!(
            hits(
                &["password", "pass", " password ", "word 7"],
                "x PassWord 7"
            ),
            vec![(2, 1, 11), (0, 2, 10), (1, 2, 6), (3, 6, 12)]
        );
        assert_eq!(hits(&["ghp_"], "gh"), vec![]);
        assert_eq!(hits(&["ghp_"], "ghp_"), vec![(0, 0, 4)]);
        assert_eq!(hits(&["@", "ghp_"], "a@b"), vec![(0, 1, 2)]);
    }
}

//! Where the synthetic people live: the 50 states and DC with their 2020 census populations,
//! real area codes, a handful of cities each with a real three-digit ZIP prefix, and the shape
//! of each state's driver's licence numbers.
//!
//! The phone numbering plan built here is what places people: every area code of a state gets
//! a block of line numbers sized by the state's population per area code, and a person's state
//! is the state of the area code their (uniquely permuted) phone number falls in. That makes
//! states proportional to population and phone numbers unique at the same time, with area
//! codes that belong to the person's state.

use std::sync::OnceLock;

use crate::ids::DlFormat;

/// One state (or DC): its postal code, population, area codes, cities and licence format.
#[derive(Debug)]
pub(crate) struct StateInfo {
    /// USPS two-letter code.
    pub(crate) code: &'static str,
    /// 2020 census population, in thousands.
    pub(crate) population_k: u32,
    /// Geographic area codes in use in the state.
    pub(crate) area_codes: &'static [u16],
    /// Cities with a ZIP prefix (first three digits) of that city.
    pub(crate) cities: &'static [(&'static str, u16)],
    /// Shape of the state's driver's licence numbers.
    pub(crate) dl: DlFormat,
}

const fn s(
    code: &'static str,
    population_k: u32,
    area_codes: &'static [u16],
    cities: &'static [(&'static str, u16)],
    dl: DlFormat,
) -> StateInfo {
    StateInfo {
        code,
        population_k,
        area_codes,
        cities,
        dl,
    }
}

const fn d(digits: u8) -> DlFormat {
    DlFormat {
        prefix: "",
        surname_initial: false,
        letters: 0,
        digits,
    }
}

const fn l(letters: u8, digits: u8) -> DlFormat {
    DlFormat {
        prefix: "",
        surname_initial: false,
        letters,
        digits,
    }
}

const fn p(prefix: &'static str, letters: u8, digits: u8) -> DlFormat {
    DlFormat {
        prefix,
        surname_initial: false,
        letters,
        digits,
    }
}

const fn soundex(digits: u8) -> DlFormat {
    DlFormat {
        prefix: "",
        surname_initial: true,
        letters: 0,
        digits,
    }
}

/// All 50 states and DC, alphabetical by name.
#[rustfmt::skip]
pub(crate) static STATES: [StateInfo; 51] = [
    s("AL", 5024, &[205, 251, 256, 334, 659, 938], &[("Birmingham", 352), ("Montgomery", 361), ("Mobile", 366), ("Huntsville", 358), ("Tuscaloosa", 354)], d(8)),
    s("AK", 733, &[907], &[("Anchorage", 995), ("Fairbanks", 997), ("Juneau", 998), ("Wasilla", 996)], d(8)),
    s("AZ", 7152, &[480, 520, 602, 623, 928], &[("Phoenix", 850), ("Tucson", 857), ("Mesa", 852), ("Scottsdale", 852), ("Flagstaff", 860), ("Yuma", 853)], l(1, 8)),
    s("AR", 3012, &[479, 501, 870], &[("Little Rock", 722), ("Fayetteville", 727), ("Fort Smith", 729), ("Jonesboro", 724)], d(9)),
    s("CA", 39538, &[209, 213, 310, 323, 408, 415, 424, 442, 510, 530, 559, 562, 619, 626, 628, 650, 657, 661, 669, 707, 714, 747, 760, 805, 818, 831, 858, 909, 916, 925, 949, 951],
        &[("Los Angeles", 900), ("San Diego", 921), ("San Jose", 951), ("San Francisco", 941), ("Fresno", 937), ("Sacramento", 958), ("Oakland", 946), ("Long Beach", 908), ("Bakersfield", 933), ("Riverside", 925), ("Anaheim", 928), ("Santa Rosa", 954)], l(1, 7)),
    s("CO", 5774, &[303, 719, 720, 970], &[("Denver", 802), ("Colorado Springs", 809), ("Aurora", 800), ("Fort Collins", 805), ("Boulder", 803), ("Pueblo", 810)], d(9)),
    s("CT", 3606, &[203, 475, 860, 959], &[("Hartford", 61), ("Bridgeport", 66), ("New Haven", 65), ("Stamford", 69), ("Waterbury", 67)], d(9)),
    s("DE", 990, &[302], &[("Wilmington", 198), ("Dover", 199), ("Newark", 197)], d(8)),
    s("DC", 690, &[202], &[("Washington", 200)], d(9)),
    s("FL", 21538, &[239, 305, 321, 352, 386, 407, 561, 727, 754, 772, 786, 813, 850, 863, 904, 941, 954],
        &[("Miami", 331), ("Orlando", 328), ("Tampa", 336), ("Jacksonville", 322), ("Tallahassee", 323), ("Fort Lauderdale", 333), ("St. Petersburg", 337), ("Gainesville", 326), ("Pensacola", 325)], soundex(12)),
    s("GA", 10712, &[229, 404, 470, 478, 678, 706, 762, 770, 912], &[("Atlanta", 303), ("Savannah", 314), ("Augusta", 309), ("Columbus", 319), ("Macon", 312), ("Athens", 306)], d(9)),
    s("HI", 1455, &[808], &[("Honolulu", 968), ("Hilo", 967), ("Kailua", 967)], p("H", 0, 8)),
    s("ID", 1839, &[208, 986], &[("Boise", 837), ("Idaho Falls", 834), ("Pocatello", 832), ("Nampa", 836), ("Coeur d'Alene", 838)], l(2, 6)),
    s("IL", 12813, &[217, 224, 309, 312, 331, 618, 630, 708, 773, 779, 815, 847, 872], &[("Chicago", 606), ("Aurora", 605), ("Naperville", 605), ("Rockford", 611), ("Springfield", 627), ("Peoria", 616), ("Joliet", 604)], soundex(11)),
    s("IN", 6786, &[219, 260, 317, 463, 574, 765, 812, 930], &[("Indianapolis", 462), ("Fort Wayne", 468), ("Evansville", 477), ("South Bend", 466), ("Bloomington", 474)], d(10)),
    s("IA", 3190, &[319, 515, 563, 641, 712], &[("Des Moines", 503), ("Cedar Rapids", 524), ("Davenport", 528), ("Iowa City", 522), ("Sioux City", 511)], d(9)),
    s("KS", 2938, &[316, 620, 785, 913], &[("Wichita", 672), ("Overland Park", 662), ("Kansas City", 661), ("Topeka", 666), ("Lawrence", 660)], p("K", 0, 8)),
    s("KY", 4506, &[270, 364, 502, 606, 859], &[("Louisville", 402), ("Lexington", 405), ("Bowling Green", 421), ("Owensboro", 423), ("Covington", 410)], l(1, 8)),
    s("LA", 4658, &[225, 318, 337, 504, 985], &[("New Orleans", 701), ("Baton Rouge", 708), ("Shreveport", 711), ("Lafayette", 705), ("Lake Charles", 706)], d(9)),
    s("ME", 1362, &[207], &[("Portland", 41), ("Lewiston", 42), ("Bangor", 44), ("Augusta", 43)], d(8)),
    s("MD", 6177, &[240, 301, 410, 443, 667], &[("Baltimore", 212), ("Silver Spring", 209), ("Annapolis", 214), ("Frederick", 217), ("Rockville", 208)], soundex(12)),
    s("MA", 7030, &[339, 351, 413, 508, 617, 774, 781, 857, 978], &[("Boston", 21), ("Worcester", 16), ("Springfield", 11), ("Cambridge", 21), ("Lowell", 18)], p("S", 0, 8)),
    s("MI", 10077, &[231, 248, 269, 313, 517, 586, 616, 734, 810, 906, 947, 989], &[("Detroit", 482), ("Grand Rapids", 495), ("Lansing", 489), ("Ann Arbor", 481), ("Flint", 485), ("Kalamazoo", 490)], soundex(12)),
    s("MN", 5706, &[218, 320, 507, 612, 651, 763, 952], &[("Minneapolis", 554), ("Saint Paul", 551), ("Rochester", 559), ("Duluth", 558), ("Bloomington", 554)], soundex(12)),
    s("MS", 2961, &[228, 601, 662, 769], &[("Jackson", 392), ("Gulfport", 395), ("Hattiesburg", 394), ("Tupelo", 388), ("Biloxi", 395)], d(9)),
    s("MO", 6155, &[314, 417, 573, 636, 660, 816], &[("Kansas City", 641), ("St. Louis", 631), ("Springfield", 658), ("Columbia", 652), ("Independence", 640)], l(1, 9)),
    s("MT", 1084, &[406], &[("Billings", 591), ("Missoula", 598), ("Great Falls", 594), ("Bozeman", 597), ("Helena", 596)], d(13)),
    s("NE", 1962, &[308, 402, 531], &[("Omaha", 681), ("Lincoln", 685), ("Grand Island", 688), ("Kearney", 688)], l(1, 8)),
    s("NV", 3105, &[702, 725, 775], &[("Las Vegas", 891), ("Henderson", 890), ("Reno", 895), ("Carson City", 897)], d(10)),
    s("NH", 1377, &[603], &[("Manchester", 31), ("Nashua", 30), ("Concord", 33), ("Portsmouth", 38)], d(10)),
    s("NJ", 9289, &[201, 551, 609, 732, 848, 856, 862, 908, 973], &[("Newark", 71), ("Jersey City", 73), ("Paterson", 75), ("Trenton", 86), ("Camden", 81), ("Edison", 88)], soundex(14)),
    s("NM", 2118, &[505, 575], &[("Albuquerque", 871), ("Santa Fe", 875), ("Las Cruces", 880), ("Roswell", 882)], d(9)),
    s("NY", 20201, &[212, 315, 332, 347, 516, 518, 585, 607, 631, 646, 680, 716, 718, 838, 845, 914, 917, 929, 934],
        &[("New York", 100), ("Brooklyn", 112), ("Bronx", 104), ("Buffalo", 142), ("Rochester", 146), ("Albany", 122), ("Syracuse", 132), ("Yonkers", 107)], d(9)),
    s("NC", 10439, &[252, 336, 704, 743, 828, 910, 919, 980, 984], &[("Charlotte", 282), ("Raleigh", 276), ("Greensboro", 274), ("Durham", 277), ("Winston-Salem", 271), ("Asheville", 288), ("Wilmington", 284)], d(12)),
    s("ND", 779, &[701], &[("Fargo", 581), ("Bismarck", 585), ("Grand Forks", 582), ("Minot", 587)], l(3, 6)),
    s("OH", 11799, &[216, 220, 234, 330, 380, 419, 440, 513, 567, 614, 740, 937], &[("Columbus", 432), ("Cleveland", 441), ("Cincinnati", 452), ("Toledo", 436), ("Akron", 443), ("Dayton", 454)], l(2, 6)),
    s("OK", 3959, &[405, 539, 580, 918], &[("Oklahoma City", 731), ("Tulsa", 741), ("Norman", 730), ("Lawton", 735)], l(1, 9)),
    s("OR", 4237, &[458, 503, 541, 971], &[("Portland", 972), ("Salem", 973), ("Eugene", 974), ("Bend", 977), ("Medford", 975)], d(9)),
    s("PA", 13003, &[215, 223, 267, 272, 412, 445, 484, 570, 610, 717, 724, 814, 878], &[("Philadelphia", 191), ("Pittsburgh", 152), ("Allentown", 181), ("Harrisburg", 171), ("Erie", 165), ("Scranton", 185)], d(8)),
    s("RI", 1097, &[401], &[("Providence", 29), ("Warwick", 28), ("Cranston", 29), ("Newport", 28)], d(8)),
    s("SC", 5118, &[803, 839, 843, 854, 864], &[("Columbia", 292), ("Charleston", 294), ("Greenville", 296), ("Myrtle Beach", 295), ("Spartanburg", 293)], d(10)),
    s("SD", 887, &[605], &[("Sioux Falls", 571), ("Rapid City", 577), ("Aberdeen", 574), ("Brookings", 570)], d(9)),
    s("TN", 6911, &[423, 615, 629, 731, 865, 901, 931], &[("Nashville", 372), ("Memphis", 381), ("Knoxville", 379), ("Chattanooga", 374), ("Clarksville", 370)], d(9)),
    s("TX", 29146, &[210, 214, 254, 281, 325, 346, 361, 409, 430, 432, 469, 512, 682, 713, 726, 737, 806, 817, 830, 832, 903, 915, 936, 940, 956, 972, 979],
        &[("Houston", 770), ("Dallas", 752), ("San Antonio", 782), ("Austin", 787), ("Fort Worth", 761), ("El Paso", 799), ("Arlington", 760), ("Corpus Christi", 784), ("Lubbock", 794), ("Plano", 750)], d(8)),
    s("UT", 3272, &[385, 435, 801], &[("Salt Lake City", 841), ("Provo", 846), ("Ogden", 844), ("St. George", 847), ("Orem", 840)], d(9)),
    s("VT", 643, &[802], &[("Burlington", 54), ("Montpelier", 56), ("Rutland", 57), ("Brattleboro", 53)], d(8)),
    s("VA", 8631, &[276, 434, 540, 571, 703, 757, 804], &[("Virginia Beach", 234), ("Richmond", 232), ("Norfolk", 235), ("Arlington", 222), ("Roanoke", 240), ("Alexandria", 223)], l(1, 8)),
    s("WA", 7705, &[206, 253, 360, 425, 509, 564], &[("Seattle", 981), ("Spokane", 992), ("Tacoma", 984), ("Vancouver", 986), ("Bellevue", 980), ("Olympia", 985)], p("WDL", 3, 6)),
    s("WV", 1794, &[304, 681], &[("Charleston", 253), ("Huntington", 257), ("Morgantown", 265), ("Parkersburg", 261), ("Wheeling", 260)], d(9)),
    s("WI", 5894, &[262, 414, 534, 608, 715, 920], &[("Milwaukee", 532), ("Madison", 537), ("Green Bay", 543), ("Kenosha", 531), ("Eau Claire", 547)], soundex(13)),
    s("WY", 577, &[307], &[("Cheyenne", 820), ("Casper", 826), ("Laramie", 820), ("Gillette", 827)], d(9)),
];

/// Central office codes (NXX) usable in a phone number: 200 to 999 without the N11 service
/// codes and without 555, whose 01xx lines are reserved for fiction.
pub(crate) const EXCHANGES: u64 = 800 - 8 - 1;

/// Line numbers per area code: every usable exchange times 10,000 lines.
pub(crate) const LINES_PER_AREA_CODE: u64 = EXCHANGES * 10_000;

/// One area code's block of the phone numbering plan.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PhoneBlock {
    /// First plan position of the block.
    start: u64,
    /// Index into [`STATES`].
    state: u8,
    /// The area code.
    area_code: u16,
}

/// The phone numbering plan: area-code blocks laid end to end, sized by population.
#[derive(Debug)]
pub(crate) struct PhonePlan {
    blocks: Vec<PhoneBlock>,
    len: u64,
}

/// A located phone number: the state, area code and line position inside the area code.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PhoneSlot {
    pub(crate) state: usize,
    pub(crate) area_code: u16,
    pub(crate) local: u64,
}

impl PhonePlan {
    /// The plan shared by every generator (it depends on no seed).
    pub(crate) fn get() -> &'static PhonePlan {
        static PLAN: OnceLock<PhonePlan> = OnceLock::new();
        PLAN.get_or_init(PhonePlan::build)
    }

    fn build() -> PhonePlan {
        // Scale so that the most crowded area code (people per code) just fits its lines.
        let densest = STATES
            .iter()
            .map(|st| u64::from(st.population_k).div_ceil(st.area_codes.len() as u64))
            .max()
            .unwrap_or(1)
            .max(1);
        let scale = LINES_PER_AREA_CODE / densest;
        let mut blocks = Vec::new();
        let mut len = 0;
        for (i, st) in STATES.iter().enumerate() {
            let per_code = u64::from(st.population_k) * scale / st.area_codes.len() as u64;
            for &area_code in st.area_codes {
                // At most 51 states, so the index fits in a byte.
                blocks.push(PhoneBlock {
                    start: len,
                    state: i as u8,
                    area_code,
                });
                len += per_code.min(LINES_PER_AREA_CODE);
            }
        }
        PhonePlan { blocks, len }
    }

    /// Number of positions in the plan (the phone permutation's domain).
    pub(crate) fn len(&self) -> u64 {
        self.len
    }

    /// The block holding plan position `pos` (which must be below [`PhonePlan::len`]).
    pub(crate) fn locate(&self, pos: u64) -> PhoneSlot {
        let i = self
            .blocks
            .partition_point(|b| b.start <= pos)
            .saturating_sub(1);
        let block = self.blocks.get(i).copied().unwrap_or(PhoneBlock {
            start: 0,
            state: 0,
            area_code: 205,
        });
        PhoneSlot {
            state: usize::from(block.state),
            area_code: block.area_code,
            local: pos - block.start,
        }
    }
}

/// Cumulative populations (thousands) in [`STATES`] order, for drawing a state by population.
pub(crate) fn population_cumulative() -> &'static [u64; 51] {
    static CUM: OnceLock<[u64; 51]> = OnceLock::new();
    CUM.get_or_init(|| {
        let mut cum = [0; 51];
        let mut total = 0;
        for (c, st) in cum.iter_mut().zip(STATES.iter()) {
            total += u64::from(st.population_k);
            *c = total;
        }
        cum
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_has_codes_cities_and_a_unique_postal_code() {
        let mut codes: Vec<_> = STATES.iter().map(|s| s.code).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), 51);
        let mut area_codes: Vec<_> = STATES.iter().flat_map(|s| s.area_codes).collect();
        let n = area_codes.len();
        area_codes.sort_unstable();
        area_codes.dedup();
        assert_eq!(area_codes.len(), n, "an area code is listed twice");
        for st in &STATES {
            assert!(
                !st.cities.is_empty() && !st.area_codes.is_empty(),
                "{}",
                st.code
            );
        }
    }

    #[test]
    fn plan_is_large_enough_for_people_and_unlinked_rows() {
        let plan = PhonePlan::get();
        assert!(plan.len() >= 2 * crate::MAX_PEOPLE, "{}", plan.len());
        let first = plan.locate(0);
        assert_eq!(STATES[first.state].code, "AL");
        let last = plan.locate(plan.len() - 1);
        assert_eq!(STATES[last.state].code, "WY");
        assert!(last.local < LINES_PER_AREA_CODE);
    }
}

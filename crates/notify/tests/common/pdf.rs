//! A minimal PDF reader written from the specification (ISO 32000-1, 7.3 and 7.5), not the
//! crate's own: the letters' tests check structure and extract text with it.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, HashMap};

// ---- A minimal PDF reader, from the specification (ISO 32000-1, 7.3 and 7.5). ----

#[derive(Debug, Clone, PartialEq)]
enum Obj {
    Num(f64),
    Name(String),
    Str(Vec<u8>),
    Array(Vec<Obj>),
    Dict(BTreeMap<String, Obj>),
    Ref(usize),
    Op(String),
}

impl Obj {
    fn get(&self, key: &str) -> &Obj {
        match self {
            Obj::Dict(d) => d.get(key).unwrap_or_else(|| panic!("no {key} in {self:?}")),
            _ => panic!("not a dictionary: {self:?}"),
        }
    }
    fn num(&self) -> f64 {
        match self {
            Obj::Num(n) => *n,
            _ => panic!("not a number: {self:?}"),
        }
    }
    fn name(&self) -> &str {
        match self {
            Obj::Name(n) => n,
            _ => panic!("not a name: {self:?}"),
        }
    }
    fn reference(&self) -> usize {
        match self {
            Obj::Ref(r) => *r,
            _ => panic!("not a reference: {self:?}"),
        }
    }
}

struct Lexer<'a> {
    b: &'a [u8],
    i: usize,
}

fn is_delim(c: u8) -> bool {
    c.is_ascii_whitespace() || b"()<>[]{}/%".contains(&c)
}

impl Lexer<'_> {
    fn skip(&mut self) {
        while let Some(&c) = self.b.get(self.i) {
            if c == b'%' {
                while self
                    .b
                    .get(self.i)
                    .is_some_and(|&c| c != b'\n' && c != b'\r')
                {
                    self.i += 1;
                }
            } else if c.is_ascii_whitespace() {
                self.i += 1;
            } else {
                break;
            }
        }
    }

    fn word(&mut self) -> String {
        let s = self.i;
        while self.b.get(self.i).is_some_and(|&c| !is_delim(c)) {
            self.i += 1;
        }
        String::from_utf8(self.b[s..self.i].to_vec()).unwrap()
    }

    /// The next object or operator; `None` at the end or before `]` / `>>`.
    fn value(&mut self) -> Option<Obj> {
        self.skip();
        let c = *self.b.get(self.i)?;
        Some(match c {
            b'/' => {
                self.i += 1;
                Obj::Name(self.word())
            }
            b'(' => Obj::Str(self.literal()),
            b'<' if self.b.get(self.i + 1) == Some(&b'<') => {
                self.i += 2;
                let mut d = BTreeMap::new();
                loop {
                    self.skip();
                    if self.b[self.i..].starts_with(b">>") {
                        self.i += 2;
                        break;
                    }
                    let Some(Obj::Name(k)) = self.value() else {
                        panic!("a dictionary key is not a name")
                    };
                    d.insert(k, self.value().unwrap());
                }
                Obj::Dict(d)
            }
            b'<' => {
                self.i += 1;
                let s = self.i;
                while self.b[self.i] != b'>' {
                    self.i += 1;
                }
                let hex: Vec<u8> = self.b[s..self.i]
                    .iter()
                    .copied()
                    .filter(|c| !c.is_ascii_whitespace())
                    .collect();
                self.i += 1;
                Obj::Str(
                    hex.chunks(2)
                        .map(|p| u8::from_str_radix(std::str::from_utf8(p).unwrap(), 16).unwrap())
                        .collect(),
                )
            }
            b'[' => {
                self.i += 1;
                let mut a = Vec::new();
                while let Some(v) = self.value() {
                    a.push(v);
                }
                self.skip();
                assert_eq!(self.b[self.i], b']');
                self.i += 1;
                Obj::Array(a)
            }
            b']' | b'>' => return None,
            b'0'..=b'9' | b'-' | b'+' | b'.' => {
                let n: f64 = self.word().parse().unwrap();
                let save = self.i;
                self.skip();
                let g = self.word();
                self.skip();
                let r = self.word();
                if g == "0" && r == "R" {
                    Obj::Ref(n as usize)
                } else {
                    self.i = save;
                    Obj::Num(n)
                }
            }
            _ => Obj::Op(self.word()),
        })
    }

    fn literal(&mut self) -> Vec<u8> {
        self.i += 1;
        let mut out = Vec::new();
        let mut depth = 0;
        loop {
            let c = self.b[self.i];
            self.i += 1;
            match c {
                b'\\' => {
                    let e = self.b[self.i];
                    self.i += 1;
                    match e {
                        b'n' => out.push(b'\n'),
                        b'r' => out.push(b'\r'),
                        b't' => out.push(b'\t'),
                        b'b' => out.push(8),
                        b'f' => out.push(12),
                        b'0'..=b'7' => {
                            let mut v = u32::from(e - b'0');
                            for _ in 0..2 {
                                match self.b[self.i] {
                                    d @ b'0'..=b'7' => {
                                        v = v * 8 + u32::from(d - b'0');
                                        self.i += 1;
                                    }
                                    _ => break,
                                }
                            }
                            out.push(v as u8);
                        }
                        b'\n' => {}
                        other => out.push(other),
                    }
                }
                b'(' => {
                    depth += 1;
                    out.push(c);
                }
                b')' if depth == 0 => return out,
                b')' => {
                    depth -= 1;
                    out.push(c);
                }
                _ => out.push(c),
            }
        }
    }
}

/// A line of text as shown, with its position.
#[derive(Debug)]
pub(crate) struct Shown {
    pub(crate) x: f64,
    pub(crate) y: f64,
    pub(crate) text: String,
}

#[derive(Debug)]
pub(crate) struct Page {
    pub(crate) lines: Vec<Shown>,
}

impl Page {
    pub(crate) fn text(&self) -> String {
        self.lines
            .iter()
            .map(|l| l.text.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    }
}

pub(crate) fn all_text(pages: &[Page]) -> String {
    pages.iter().map(Page::text).collect::<Vec<_>>().join("\n")
}

/// Parses a whole file strictly and returns its pages' text.
pub(crate) fn parse(pdf: &[u8]) -> Vec<Page> {
    assert!(pdf.starts_with(b"%PDF-1."), "header");
    assert!(pdf.trim_ascii_end().ends_with(b"%%EOF"), "%%EOF");
    let sx = pdf
        .windows(9)
        .rposition(|w| w == b"startxref")
        .expect("startxref");
    let mut lx = Lexer { b: pdf, i: sx + 9 };
    let Some(Obj::Num(at)) = lx.value() else {
        panic!("startxref offset")
    };
    let at = at as usize;
    let mut lx = Lexer { b: pdf, i: at };
    assert_eq!(
        lx.value(),
        Some(Obj::Op("xref".into())),
        "startxref points at the xref table"
    );
    let (Some(Obj::Num(first)), Some(Obj::Num(n))) = (lx.value(), lx.value()) else {
        panic!("xref subsection")
    };
    assert_eq!(first, 0.0);
    let mut objects: HashMap<usize, (Obj, Option<Vec<u8>>)> = HashMap::new();
    for num in 0..n as usize {
        let (Some(Obj::Num(off)), Some(Obj::Num(_)), Some(Obj::Op(kind))) =
            (lx.value(), lx.value(), lx.value())
        else {
            panic!("xref entry {num}")
        };
        if kind == "n" {
            objects.insert(num, object(pdf, off as usize, num));
        }
    }
    assert_eq!(lx.value(), Some(Obj::Op("trailer".into())));
    let trailer = lx.value().unwrap();
    assert_eq!(trailer.get("Size").num(), n);
    let obj = |r: &Obj| &objects[&r.reference()];
    let catalog = &obj(trailer.get("Root")).0;
    assert_eq!(catalog.get("Type").name(), "Catalog");
    let tree = &obj(catalog.get("Pages")).0;
    let Obj::Array(kids) = tree.get("Kids") else {
        panic!("Kids")
    };
    assert_eq!(tree.get("Count").num() as usize, kids.len());
    kids.iter()
        .map(|kid| {
            let page = &obj(kid).0;
            assert_eq!(page.get("Type").name(), "Page");
            assert_eq!(
                page.get("Parent").reference(),
                catalog.get("Pages").reference()
            );
            assert_eq!(
                page.get("MediaBox"),
                &Obj::Array([0.0, 0.0, 612.0, 792.0].map(Obj::Num).to_vec()),
                "US Letter"
            );
            let Obj::Dict(fonts) = page.get("Resources").get("Font") else {
                panic!("fonts")
            };
            for f in fonts.values() {
                let font = &obj(f).0;
                assert_eq!(font.get("Subtype").name(), "Type1");
                assert!(["Helvetica", "Helvetica-Bold"].contains(&font.get("BaseFont").name()));
                assert_eq!(font.get("Encoding").name(), "WinAnsiEncoding");
            }
            let (stream, data) = obj(page.get("Contents"));
            assert!(matches!(stream, Obj::Dict(d) if !d.contains_key("Filter")));
            Page {
                lines: shown(data.as_ref().expect("a content stream")),
            }
        })
        .collect()
}

/// Object `num` at `off`: `num 0 obj … endobj`, with a stream's data read by its /Length.
fn object(pdf: &[u8], off: usize, num: usize) -> (Obj, Option<Vec<u8>>) {
    let mut lx = Lexer { b: pdf, i: off };
    assert_eq!(
        (lx.value(), lx.value(), lx.value()),
        (
            Some(Obj::Num(num as f64)),
            Some(Obj::Num(0.0)),
            Some(Obj::Op("obj".into()))
        ),
        "xref entry {num} points at its object"
    );
    let value = lx.value().unwrap();
    let mut data = None;
    let mut next = lx.value();
    if next == Some(Obj::Op("stream".into())) {
        let mut s = lx.i;
        if pdf[s] == b'\r' {
            s += 1;
        }
        assert_eq!(pdf[s], b'\n');
        s += 1;
        let len = value.get("Length").num() as usize;
        data = Some(pdf[s..s + len].to_vec());
        lx.i = s + len;
        assert_eq!(
            lx.value(),
            Some(Obj::Op("endstream".into())),
            "/Length of {num}"
        );
        next = lx.value();
    }
    assert_eq!(next, Some(Obj::Op("endobj".into())));
    (value, data)
}

/// The text a content stream shows, one entry per text position (`Tm`, `Td`, `T*`).
fn shown(content: &[u8]) -> Vec<Shown> {
    let mut lx = Lexer { b: content, i: 0 };
    let mut operands = Vec::new();
    let mut lines: Vec<Shown> = Vec::new();
    let mut at = (0.0, 0.0);
    let mut fresh = true;
    while let Some(v) = lx.value() {
        let Obj::Op(op) = v else {
            operands.push(v);
            continue;
        };
        match op.as_str() {
            "Tm" => {
                at = (operands[4].num(), operands[5].num());
                fresh = true;
            }
            "Td" | "TD" => {
                at = (at.0 + operands[0].num(), at.1 + operands[1].num());
                fresh = true;
            }
            "T*" | "BT" => fresh = true,
            "Tj" => {
                let Obj::Str(s) = &operands[0] else {
                    panic!("Tj operand")
                };
                if fresh {
                    lines.push(Shown {
                        x: at.0,
                        y: at.1,
                        text: String::new(),
                    });
                    fresh = false;
                }
                if let Some(l) = lines.last_mut() {
                    l.text.extend(s.iter().map(|&b| winansi(b)));
                }
            }
            _ => {}
        }
        operands.clear();
    }
    lines
}

/// WinAnsiEncoding (ISO 32000-1, annex D.2).
fn winansi(b: u8) -> char {
    const HIGH: [char; 32] = [
        '€', '\u{fffd}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{fffd}', 'Ž',
        '\u{fffd}', '\u{fffd}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ',
        '\u{fffd}', 'ž', 'Ÿ',
    ];
    match b {
        0x80..=0x9f => HIGH[usize::from(b - 0x80)],
        _ => char::from(b),
    }
}

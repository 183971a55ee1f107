//! Postal letters as PDF. [`render`] lays one notice out on US Letter pages (8.5 × 11 in) for a
//! #10 window envelope: the sender's lines in the return-address corner (0.5 in from the top), the
//! recipient's address block 0.75 in from the left and 2 in from the top (in the envelope's window
//! once the sheet is tri-folded), the subject as a bold heading below the first fold, then the
//! body wrapped to the page width and continued on as many pages as it needs, every page
//! numbered "Page i of n". [`combine`] joins letters into one print file, each letter starting on
//! a new sheet: a letter with an odd number of pages is followed by a blank page, for duplex
//! printing.
//!
//! Text is set in Helvetica and Helvetica-Bold, standard Type 1 fonts every PDF reader and
//! printer has (nothing is embedded), with WinAnsiEncoding, so text stays extractable and Spanish
//! (á é í ó ú ü ñ ¿ ¡), typographic quotes and dashes print as themselves; any other character
//! prints as `?`. Lines are broken by measuring words with the fonts' Adobe metrics. Streams are
//! not compressed: a letter is a few kilobytes a page.
//!
//! [`read_pages`] reads back the page contents of a PDF this module wrote, and nothing else: it
//! follows the cross-reference table, the catalog, the page tree and each page's content stream,
//! and refuses what it does not find there. That is what lets a print file be assembled later
//! from the durable letters in the batch's spool alone, without keeping the notices' text anywhere else.

use std::io;

use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str, TextStr};

/// What one letter shows.
pub(crate) struct LetterText<'a> {
    /// The sender's lines (company name first), printed in the return-address corner.
    pub(crate) sender: &'a [String],
    /// The recipient's address lines, printed in the envelope's window.
    pub(crate) address: &'a [String],
    /// The heading.
    pub(crate) subject: &'a str,
    /// Plain text; lines are paragraphs, empty lines are kept.
    pub(crate) body: &'a str,
}

/// A rendered letter: a complete PDF file and its number of pages.
pub(crate) struct LetterPdf {
    /// The file's bytes.
    pub(crate) bytes: Vec<u8>,
    /// Its pages (without any blank page added for duplex printing).
    pub(crate) pages: usize,
}

/// Lays out and writes one letter.
pub(crate) fn render(l: &LetterText<'_>) -> io::Result<LetterPdf> {
    let pages = layout(l);
    let streams: Vec<Vec<u8>> = pages.iter().map(|p| content(p)).collect();
    let refs: Vec<&[u8]> = streams.iter().map(Vec::as_slice).collect();
    Ok(LetterPdf {
        bytes: assemble(&refs)?,
        pages: streams.len(),
    })
}

/// Joins letters (each given as its pages' content streams, from [`read_pages`]) into one print
/// file, adding a blank page after each letter with an odd number of pages.
pub(crate) fn combine(letters: &[Vec<Vec<u8>>]) -> io::Result<Vec<u8>> {
    const BLANK: &[u8] = b"";
    let mut pages: Vec<&[u8]> = Vec::new();
    for letter in letters {
        pages.extend(letter.iter().map(Vec::as_slice));
        if letter.len() % 2 == 1 {
            pages.push(BLANK);
        }
    }
    assemble(&pages)
}

/// The content streams of the pages of a PDF written by [`render`] or [`combine`], in order.
pub(crate) fn read_pages(pdf: &[u8]) -> io::Result<Vec<Vec<u8>>> {
    let doc = Doc::open(pdf)?;
    let root = find_ref(doc.trailer, b"/Root").ok_or_else(|| bad("no /Root in the trailer"))?;
    let tree = find_ref(doc.head(root)?, b"/Pages").ok_or_else(|| bad("no page tree"))?;
    let tree_head = doc.head(tree)?;
    let kids = find_refs(tree_head, b"/Kids").ok_or_else(|| bad("no /Kids"))?;
    if find_int(tree_head, b"/Count") != Some(kids.len()) {
        return Err(bad("/Count does not match /Kids"));
    }
    kids.into_iter()
        .map(|page| {
            let contents = find_ref(doc.head(page)?, b"/Contents")
                .ok_or_else(|| bad("a page has no content"))?;
            doc.stream(contents).map(<[u8]>::to_vec)
        })
        .collect()
}

const PAGE_W: f32 = 612.0;
const PAGE_H: f32 = 792.0;
const INCH: f32 = 72.0;
/// The body's left margin and width.
const LEFT: f32 = INCH;
const BODY_WIDTH: f32 = PAGE_W - 2.0 * INCH;
/// The highest and lowest baselines of body text.
const TOP: f32 = PAGE_H - INCH;
const BOTTOM: f32 = INCH;
const BODY_SIZE: f32 = 11.0;
const LEADING: f32 = 14.0;
/// The address block sits where a #10 window envelope's window is once the sheet is folded in
/// three (the window: 4.5 × 1.125 in, 7/8 in from the envelope's left edge).
const ADDRESS_X: f32 = 0.75 * INCH;
const ADDRESS_TOP: f32 = PAGE_H - 2.0 * INCH;
const SENDER_TOP: f32 = PAGE_H - 0.5 * INCH;
/// The heading starts below the first fold (11/3 in from the top).
const HEADING_Y: f32 = PAGE_H - 3.75 * INCH;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Face {
    Regular,
    Bold,
}

impl Face {
    fn name(self) -> Name<'static> {
        match self {
            Face::Regular => Name(b"F1"),
            Face::Bold => Name(b"F2"),
        }
    }

    /// The width of WinAnsi-encoded text at a size, in points.
    fn width(self, text: &[u8], size: f32) -> f32 {
        let table = match self {
            Face::Regular => &HELVETICA,
            Face::Bold => &HELVETICA_BOLD,
        };
        let units: u32 = text
            .iter()
            .map(|&b| {
                u32::from(
                    table
                        .get(usize::from(b).wrapping_sub(32))
                        .copied()
                        .unwrap_or(278),
                )
            })
            .sum();
        units as f32 * size / 1000.0
    }
}

/// One line of text placed on a page.
struct Line {
    face: Face,
    size: f32,
    x: f32,
    y: f32,
    text: Vec<u8>,
}

fn layout(l: &LetterText<'_>) -> Vec<Vec<Line>> {
    let mut first = Vec::new();
    let mut y = SENDER_TOP - 9.0;
    for (i, s) in l.sender.iter().enumerate() {
        let (face, size) = if i == 0 {
            (Face::Bold, 10.0)
        } else {
            (Face::Regular, 9.0)
        };
        first.push(Line {
            face,
            size,
            x: ADDRESS_X,
            y,
            text: encode(s),
        });
        y -= 11.0;
    }
    // The first baseline sits a cap height (about 8 pt at 11 pt) below the block's top.
    let mut y = ADDRESS_TOP - 8.0;
    for a in l.address {
        first.push(Line {
            face: Face::Regular,
            size: BODY_SIZE,
            x: ADDRESS_X,
            y,
            text: encode(a),
        });
        y -= 13.0;
    }
    let mut y = HEADING_Y.min(y - 2.0 * LEADING);
    for row in wrap(&encode(l.subject), Face::Bold, 13.0) {
        first.push(Line {
            face: Face::Bold,
            size: 13.0,
            x: LEFT,
            y,
            text: row,
        });
        y -= 17.0;
    }
    // The body starts 24 pt below the heading's last baseline.
    y -= 7.0;
    let mut pages = vec![first];
    // Whether the current page already has body text: blank lines do not open a page.
    let mut has_body = true;
    for para in l.body.trim_end().lines() {
        let text = encode(para.trim_end());
        let rows = if text.is_empty() {
            vec![Vec::new()]
        } else {
            wrap(&text, Face::Regular, BODY_SIZE)
        };
        for row in rows {
            if row.is_empty() && !has_body {
                continue;
            }
            if y < BOTTOM {
                pages.push(Vec::new());
                y = TOP;
                has_body = false;
                if row.is_empty() {
                    continue;
                }
            }
            if !row.is_empty() {
                has_body = true;
                if let Some(page) = pages.last_mut() {
                    page.push(Line {
                        face: Face::Regular,
                        size: BODY_SIZE,
                        x: LEFT,
                        y,
                        text: row,
                    });
                }
            }
            y -= LEADING;
        }
    }
    let n = pages.len();
    for (i, page) in pages.iter_mut().enumerate() {
        let text = encode(&format!("Page {} of {n}", i + 1));
        let x = (PAGE_W - Face::Regular.width(&text, 9.0)) / 2.0;
        page.push(Line {
            face: Face::Regular,
            size: 9.0,
            x,
            y: 0.5 * INCH,
            text,
        });
    }
    pages
}

/// Breaks WinAnsi text into lines no wider than the body, at spaces; a word wider than a line is
/// cut where it must be.
fn wrap(text: &[u8], face: Face, size: f32) -> Vec<Vec<u8>> {
    let mut lines = Vec::new();
    let mut line: Vec<u8> = Vec::new();
    for word in text.split(|&b| b == b' ').filter(|w| !w.is_empty()) {
        let mut word = word;
        if !line.is_empty() {
            let mut longer = line.clone();
            longer.push(b' ');
            longer.extend_from_slice(word);
            if face.width(&longer, size) <= BODY_WIDTH {
                line = longer;
                continue;
            }
            lines.push(std::mem::take(&mut line));
        }
        while face.width(word, size) > BODY_WIDTH {
            let mut cut = 1;
            while cut < word.len() && face.width(&word[..=cut], size) <= BODY_WIDTH {
                cut += 1;
            }
            lines.push(word[..cut].to_vec());
            word = &word[cut..];
        }
        line = word.to_vec();
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// Text in WinAnsiEncoding: ASCII and Latin-1 as they are, the typographic characters WinAnsi
/// adds, a tab as a space, anything else as `?`.
fn encode(s: &str) -> Vec<u8> {
    s.chars()
        .map(|c| match c {
            ' '..='~' | '\u{a0}'..='\u{ff}' => u8::try_from(u32::from(c)).unwrap_or(b'?'),
            '\t' => b' ',
            '€' => 0x80,
            '‚' => 0x82,
            'ƒ' => 0x83,
            '„' => 0x84,
            '…' => 0x85,
            '†' => 0x86,
            '‡' => 0x87,
            'ˆ' => 0x88,
            '‰' => 0x89,
            'Š' => 0x8a,
            '‹' => 0x8b,
            'Œ' => 0x8c,
            'Ž' => 0x8e,
            '‘' => 0x91,
            '’' => 0x92,
            '“' => 0x93,
            '”' => 0x94,
            '•' => 0x95,
            '–' => 0x96,
            '—' => 0x97,
            '˜' => 0x98,
            '™' => 0x99,
            'š' => 0x9a,
            '›' => 0x9b,
            'œ' => 0x9c,
            'ž' => 0x9e,
            'Ÿ' => 0x9f,
            _ => b'?',
        })
        .collect()
}

fn content(lines: &[Line]) -> Vec<u8> {
    let mut c = Content::new();
    c.begin_text();
    let mut font = None;
    for l in lines {
        if font != Some((l.face, l.size)) {
            c.set_font(l.face.name(), l.size);
            font = Some((l.face, l.size));
        }
        c.set_text_matrix([1.0, 0.0, 0.0, 1.0, l.x, l.y]);
        c.show(Str(&l.text));
    }
    c.end_text();
    c.finish().into_vec()
}

/// Writes a document of US Letter pages with the given content streams, Helvetica as `/F1` and
/// Helvetica-Bold as `/F2`.
fn assemble(pages: &[&[u8]]) -> io::Result<Vec<u8>> {
    let catalog = Ref::new(1);
    let tree = Ref::new(2);
    let regular = Ref::new(3);
    let bold = Ref::new(4);
    let info = Ref::new(5);
    // Page i is object 6 + 2i, its content 7 + 2i.
    let count = i32::try_from(pages.len())
        .ok()
        .filter(|n| *n < (i32::MAX - 7) / 2)
        .ok_or_else(|| bad("too many pages"))?;
    let page_ref = |i: i32| Ref::new(6 + 2 * i);
    let mut pdf = Pdf::new();
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree).kids((0..count).map(page_ref)).count(count);
    for (i, stream) in (0..count).zip(pages) {
        let id = page_ref(i);
        let mut page = pdf.page(id);
        page.media_box(Rect::new(0.0, 0.0, PAGE_W, PAGE_H));
        page.parent(tree);
        page.contents(id.next());
        page.resources()
            .fonts()
            .pair(Face::Regular.name(), regular)
            .pair(Face::Bold.name(), bold);
        page.finish();
        pdf.stream(id.next(), stream);
    }
    for (id, base) in [
        (regular, Name(b"Helvetica")),
        (bold, Name(b"Helvetica-Bold")),
    ] {
        pdf.type1_font(id)
            .base_font(base)
            .encoding_predefined(Name(b"WinAnsiEncoding"));
    }
    pdf.document_info(info).producer(TextStr("Custodian"));
    Ok(pdf.finish())
}

fn bad(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, format!("letter PDF: {what}"))
}

/// A parsed cross-reference table.
struct Doc<'a> {
    pdf: &'a [u8],
    /// Byte offsets of objects 0..n (`None` for free entries).
    offsets: Vec<Option<usize>>,
    trailer: &'a [u8],
}

impl<'a> Doc<'a> {
    fn open(pdf: &'a [u8]) -> io::Result<Doc<'a>> {
        if !pdf.starts_with(b"%PDF-") || !pdf.trim_ascii_end().ends_with(b"%%EOF") {
            return Err(bad("no PDF header or %%EOF"));
        }
        let sx = rfind(pdf, b"startxref").ok_or_else(|| bad("no startxref"))?;
        let mut t = Tokens::new(&pdf[sx + b"startxref".len()..]);
        let at = t.int().ok_or_else(|| bad("bad startxref"))?;
        let mut t = Tokens::new(pdf.get(at..).ok_or_else(|| bad("startxref past the end"))?);
        if t.next() != Some(b"xref") {
            return Err(bad("startxref does not point at a cross-reference table"));
        }
        let mut offsets = Vec::new();
        while let (Some(first), Some(n)) = (t.int(), t.int()) {
            if first != offsets.len() {
                return Err(bad("cross-reference subsections out of order"));
            }
            for _ in 0..n {
                let (Some(off), Some(_gen), Some(kind)) = (t.int(), t.int(), t.next()) else {
                    return Err(bad("short cross-reference table"));
                };
                offsets.push((kind == b"n").then_some(off));
            }
        }
        if t.next() != Some(b"trailer") {
            return Err(bad("no trailer"));
        }
        let start = at + t.pos;
        let trailer = &pdf[start..sx.max(start)];
        Ok(Doc {
            pdf,
            offsets,
            trailer,
        })
    }

    /// An object's text up to `stream` or `endobj`.
    fn head(&self, num: usize) -> io::Result<&'a [u8]> {
        let at = self
            .offsets
            .get(num)
            .copied()
            .flatten()
            .ok_or_else(|| bad("a missing object"))?;
        let obj = &self.pdf[at.min(self.pdf.len())..];
        let mut t = Tokens::new(obj);
        if (t.int(), t.int(), t.next()) != (Some(num), Some(0), Some(&b"obj"[..])) {
            return Err(bad("a cross-reference entry does not point at its object"));
        }
        let end = [find(obj, b"stream"), find(obj, b"endobj")]
            .into_iter()
            .flatten()
            .min()
            .ok_or_else(|| bad("an unterminated object"))?;
        Ok(&obj[..end])
    }

    /// A stream object's (unfiltered) data.
    fn stream(&self, num: usize) -> io::Result<&'a [u8]> {
        let head = self.head(num)?;
        if find(head, b"/Filter").is_some() {
            return Err(bad("a filtered stream"));
        }
        let len = find_int(head, b"/Length").ok_or_else(|| bad("a stream without /Length"))?;
        let at = self.offsets.get(num).copied().flatten().unwrap_or(0) + head.len();
        let rest = self
            .pdf
            .get(at..)
            .filter(|r| r.starts_with(b"stream"))
            .ok_or_else(|| bad("no stream"))?;
        let rest = &rest[b"stream".len()..];
        let rest = rest
            .strip_prefix(b"\r\n")
            .or_else(|| rest.strip_prefix(b"\n"))
            .ok_or_else(|| bad("stream keyword"))?;
        let data = rest
            .get(..len)
            .ok_or_else(|| bad("a stream past the end"))?;
        if !rest[len..].trim_ascii_start().starts_with(b"endstream") {
            return Err(bad("a stream's /Length is wrong"));
        }
        Ok(data)
    }
}

/// Whitespace-separated tokens.
struct Tokens<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Tokens<'a> {
    fn new(buf: &'a [u8]) -> Tokens<'a> {
        Tokens { buf, pos: 0 }
    }

    fn next(&mut self) -> Option<&'a [u8]> {
        while self.buf.get(self.pos).is_some_and(u8::is_ascii_whitespace) {
            self.pos += 1;
        }
        let start = self.pos;
        while self
            .buf
            .get(self.pos)
            .is_some_and(|b| !b.is_ascii_whitespace())
        {
            self.pos += 1;
        }
        (self.pos > start).then(|| &self.buf[start..self.pos])
    }

    /// The next token as a number; on anything else the position is left where it was.
    fn int(&mut self) -> Option<usize> {
        let save = self.pos;
        let n = self
            .next()
            .and_then(|t| std::str::from_utf8(t).ok()?.parse().ok());
        if n.is_none() {
            self.pos = save;
        }
        n
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn rfind(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).rposition(|w| w == needle)
}

/// The text after each occurrence of `key` (as a whole name) in a dictionary.
fn after_key<'a>(dict: &'a [u8], key: &'a [u8]) -> impl Iterator<Item = &'a [u8]> + 'a {
    dict.windows(key.len())
        .enumerate()
        .filter(move |(_, w)| *w == key)
        .map(move |(i, _)| &dict[i + key.len()..])
        .filter(|rest| {
            rest.first()
                .is_some_and(|b| b.is_ascii_whitespace() || *b == b'[')
        })
}

fn find_int(dict: &[u8], key: &[u8]) -> Option<usize> {
    after_key(dict, key).find_map(|rest| Tokens::new(rest).int())
}

fn find_ref(dict: &[u8], key: &[u8]) -> Option<usize> {
    after_key(dict, key).find_map(|rest| {
        let mut t = Tokens::new(rest);
        let (num, generation, r) = (t.int()?, t.int()?, t.next()?);
        (generation == 0 && r == b"R").then_some(num)
    })
}

fn find_refs(dict: &[u8], key: &[u8]) -> Option<Vec<usize>> {
    let rest = after_key(dict, key)
        .next()?
        .trim_ascii_start()
        .strip_prefix(b"[")?;
    let inner = &rest[..find(rest, b"]")?];
    let mut t = Tokens::new(inner);
    let mut refs = Vec::new();
    while let Some(num) = t.int() {
        if (t.int(), t.next()) != (Some(0), Some(&b"R"[..])) {
            return None;
        }
        refs.push(num);
    }
    t.next().is_none().then_some(refs)
}

/// Helvetica's advance widths (1/1000 em) for WinAnsi codes 32 to 255, from Adobe's AFM.
#[rustfmt::skip]
const HELVETICA: [u16; 224] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278,
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556,
    1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778,
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556,
    333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556,
    556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584, 350,
    556, 350, 222, 556, 333, 1000, 556, 556, 333, 1000, 667, 333, 1000, 350, 611, 350,
    350, 222, 222, 333, 333, 350, 556, 1000, 333, 1000, 500, 333, 944, 350, 500, 667,
    278, 333, 556, 556, 556, 556, 260, 556, 333, 737, 370, 556, 584, 333, 737, 333,
    400, 584, 333, 333, 333, 556, 537, 278, 333, 333, 365, 556, 834, 834, 834, 611,
    667, 667, 667, 667, 667, 667, 1000, 722, 667, 667, 667, 667, 278, 278, 278, 278,
    722, 722, 778, 778, 778, 778, 778, 584, 778, 722, 722, 722, 722, 667, 667, 611,
    556, 556, 556, 556, 556, 556, 889, 500, 556, 556, 556, 556, 278, 278, 278, 278,
    556, 556, 556, 556, 556, 556, 556, 584, 611, 556, 556, 556, 556, 500, 556, 500,
];

/// Helvetica-Bold's advance widths for WinAnsi codes 32 to 255.
#[rustfmt::skip]
const HELVETICA_BOLD: [u16; 224] = [
    278, 333, 474, 556, 556, 889, 722, 238, 333, 333, 389, 584, 278, 333, 278, 278,
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 333, 333, 584, 584, 584, 611,
    975, 722, 722, 722, 722, 667, 611, 778, 722, 278, 556, 722, 611, 833, 722, 778,
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 333, 278, 333, 584, 556,
    333, 556, 611, 556, 611, 556, 333, 611, 611, 278, 278, 556, 278, 889, 611, 611,
    611, 611, 389, 556, 333, 611, 556, 778, 556, 556, 500, 389, 280, 389, 584, 350,
    556, 350, 278, 556, 500, 1000, 556, 556, 333, 1000, 667, 333, 1000, 350, 611, 350,
    350, 278, 278, 500, 500, 350, 556, 1000, 333, 1000, 556, 333, 944, 350, 500, 667,
    278, 333, 556, 556, 556, 556, 280, 556, 333, 737, 370, 556, 584, 333, 737, 333,
    400, 584, 333, 333, 333, 611, 556, 278, 333, 333, 365, 556, 834, 834, 834, 611,
    722, 722, 722, 722, 722, 722, 1000, 722, 667, 667, 667, 667, 278, 278, 278, 278,
    722, 722, 778, 778, 778, 778, 778, 584, 778, 722, 722, 722, 722, 667, 667, 611,
    556, 556, 556, 556, 556, 556, 889, 556, 556, 556, 556, 556, 278, 278, 278, 278,
    611, 611, 611, 611, 611, 611, 611, 584, 611, 611, 611, 611, 611, 556, 611, 556,
];

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn text_is_winansi_and_the_rest_is_a_question_mark() {
        assert_eq!(encode("¿Qué? ¡Sí! ñ"), b"\xbfQu\xe9? \xa1S\xed! \xf1");
        assert_eq!(encode("“a” – b…"), b"\x93a\x94 \x96 b\x85");
        assert_eq!(encode("Ω😀\u{301}\x07"), b"????");
    }

    #[test]
    fn wrapping_keeps_every_word_and_every_line_fits() {
        let text = encode(&"alpha beta gamma delta ".repeat(40));
        let lines = wrap(&text, Face::Regular, BODY_SIZE);
        assert!(lines.len() > 5);
        assert!(
            lines
                .iter()
                .all(|l| Face::Regular.width(l, BODY_SIZE) <= BODY_WIDTH)
        );
        assert_eq!(lines.join(&b' ').as_slice(), text.trim_ascii_end());
        let long = vec![b'W'; 200];
        let lines = wrap(&long, Face::Bold, 13.0);
        assert_eq!(lines.concat(), long);
        assert!(
            lines
                .iter()
                .all(|l| Face::Bold.width(l, 13.0) <= BODY_WIDTH)
        );
    }

    #[test]
    fn a_rendered_letter_reads_back_and_combines() {
        let body = "word ".repeat(3000);
        let l = LetterText {
            sender: &["Example Corp".into()],
            address: &[
                "Ana Núñez".into(),
                "1 Main St".into(),
                "Austin TX 78701".into(),
            ],
            subject: "Aviso",
            body: &body,
        };
        let letter = render(&l).unwrap();
        assert!(letter.pages >= 3);
        let pages = read_pages(&letter.bytes).unwrap();
        assert_eq!(pages.len(), letter.pages);
        let both = combine(&[pages.clone(), pages[..1].to_vec()]).unwrap();
        let odd = usize::from(letter.pages % 2 == 1);
        assert_eq!(read_pages(&both).unwrap().len(), letter.pages + odd + 2);
        let mut broken = letter.bytes;
        broken.truncate(broken.len() - 20);
        assert!(read_pages(&broken).is_err());
    }
}

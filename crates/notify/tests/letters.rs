//! Postal letters without a database: each notice becomes a PDF whose text can be extracted
//! (address in the envelope window, sender, subject, body over as many pages as it needs,
//! "Page i of n", Spanish accents), letters are batched into print files with one manifest row
//! each, and nothing acknowledged is lost or duplicated across restarts and torn writes.
//!
//! The PDFs are checked with a small reader written here from the PDF specification, not with
//! the crate's own: the cross-reference offsets must point at their objects, the page tree must
//! hold together, fonts must be standard Type 1 with WinAnsiEncoding, and text is decoded from
//! the content streams.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::path::Path;

use custodian_notify::channel::{Letters, LettersConfig, SendResult};
use custodian_notify::service::Contact;
use custodian_notify::template::Rendered;

#[path = "common/pdf.rs"]
mod pdf;
use pdf::{Page, all_text, parse};

struct Notice {
    key: &'static str,
    address: [&'static str; 3],
    subject: String,
    body: String,
}

fn notices() -> Vec<Notice> {
    let long: String = (1..=120)
        .map(|i| {
            format!(
                "Paragraph {i}: we are writing to explain what happened, what information was \
                 involved, what we are doing and what you can do to protect yourself.\n\n"
            )
        })
        .collect();
    vec![
        Notice {
            key: "notice/1/1/letter",
            address: ["Ann Lee", "12 Oak St", "Austin TX 78701"],
            subject: "Notice of Data Breach from Example Health".into(),
            body:
                "NOTICE OF DATA BREACH\n\nDear Ann Lee,\n\nWhat happened: a server was accessed.\n"
                    .into(),
        },
        Notice {
            key: "notice/1/2/letter",
            address: ["Bo Park", "400 Long Rd Apt 9", "Denver CO 80202"],
            subject: "Notice of Data Breach from Example Health".into(),
            body: format!("Dear Bo Park,\n\n{long}Sincerely, the end of a long letter."),
        },
        Notice {
            key: "notice/1/3/letter",
            address: ["José Núñez", "Calle Peña 5", "El Paso TX 79901"],
            subject: "Aviso de violación de datos de Example Health".into(),
            body: "AVISO DE VIOLACIÓN DE DATOS\n\nEstimado José Núñez:\n\n¿Me afectó? ¡Sí! Qué \
                   ocurrió: á é í ó ú ü ñ Á É Í Ó Ú Ñ, año y señor.\n"
                .into(),
        },
        Notice {
            key: "notice/1/4/letter",
            address: ["Zoë Kim", "7 Elm St", "Reno NV 89501"],
            subject: "Notice of Data Breach from Example Health".into(),
            body: "Symbols Ω≈ and 😀 are not in WinAnsi; “quotes” — dashes… are.\n".into(),
        },
        Notice {
            key: "notice/1/5/letter",
            address: ["Cy Ortiz", "1 Bay Ave", "Tampa FL 33601"],
            subject: "Notice of Data Breach from Example Health".into(),
            body: "Dear Cy Ortiz,\n\nA short letter.\n".into(),
        },
    ]
}

fn config(batch_size: usize) -> LettersConfig {
    LettersConfig {
        batch_size,
        sender: vec![
            "Example Health, Inc.".into(),
            "PO Box 100, Austin TX 78701".into(),
        ],
    }
}

/// A spool's frames as this test reads the documented format: key length (u16 LE), key, PDF
/// length (u64 LE), PDF.
fn spool_frames(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        let klen = u16::from_le_bytes(bytes[at..at + 2].try_into().unwrap()) as usize;
        let key = String::from_utf8(bytes[at + 2..at + 2 + klen].to_vec()).unwrap();
        let p = at + 2 + klen;
        let plen = u64::from_le_bytes(bytes[p..p + 8].try_into().unwrap()) as usize;
        out.push((key, bytes[p + 8..p + 8 + plen].to_vec()));
        at = p + 8 + plen;
    }
    out
}

fn spool_frame(key: &str, pdf: &[u8]) -> Vec<u8> {
    let mut out = (key.len() as u16).to_le_bytes().to_vec();
    out.extend_from_slice(key.as_bytes());
    out.extend_from_slice(&(pdf.len() as u64).to_le_bytes());
    out.extend_from_slice(pdf);
    out
}

fn send(l: &Letters, n: &Notice) -> SendResult {
    let contact = Contact {
        address: Some(n.address.iter().map(|s| (*s).to_owned()).collect()),
        ..Contact::default()
    };
    let r = Rendered {
        subject: n.subject.clone(),
        body: n.body.clone(),
        text: None,
    };
    l.send("c1", &contact, n.key, &r)
}

#[test]
fn letters_are_pdfs_batched_into_print_files_with_one_manifest_row_each() {
    let dir = tempfile::tempdir().unwrap();
    let notices = notices();
    for (i, n) in notices.iter().enumerate() {
        // A new writer for every letter: a restart between any two letters loses nothing.
        let l = Letters::with_config(dir.path().to_owned(), "w1", config(3));
        assert_eq!(send(&l, n), SendResult::Sent(n.key.into()));
        if i == 2 {
            assert!(
                dir.path().join("print-c1-w1-0001.pdf").is_file(),
                "a full batch is printed"
            );
            assert!(!dir.path().join("batch-c1-w1-0001.spool").exists());
        }
    }

    // The open batch's spool holds one PDF per letter, in sequence, each a document of its own.
    let open = dir.path().join("batch-c1-w1-0002.spool");
    let frames = spool_frames(&std::fs::read(&open).unwrap());
    let keys: Vec<&str> = frames.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(keys, [notices[3].key, notices[4].key]);
    for ((key, pdf), n) in frames.iter().zip(&notices[3..]) {
        let text = all_text(&parse(pdf));
        for want in n.address.iter().chain([&n.subject.as_str()]) {
            assert!(text.contains(want), "{key} lacks {want:?}:\n{text}");
        }
    }

    // A retry of an acknowledged key after a restart writes nothing twice.
    let l = Letters::with_config(dir.path().to_owned(), "w1", config(3));
    assert_eq!(
        send(&l, &notices[3]),
        SendResult::Sent(notices[3].key.into())
    );
    assert_eq!(spool_frames(&std::fs::read(&open).unwrap()).len(), 2);
    let last = l.finish("c1").unwrap().expect("a print file");
    assert_eq!(last, dir.path().join("print-c1-w1-0002.pdf"));
    assert_eq!(l.finish("c1").unwrap(), None, "nothing left to print");
    assert!(!open.exists());

    let rows = manifest(dir.path());
    let keys: Vec<&str> = rows.iter().map(|r| r["idempotency_key"].as_str()).collect();
    let want: Vec<&str> = notices.iter().map(|n| n.key).collect();
    assert_eq!(keys, want, "one row per letter, in order");
    let seqs: Vec<&str> = rows.iter().map(|r| r["sequence"].as_str()).collect();
    assert_eq!(seqs, ["1", "2", "3", "1", "2"]);

    let mut prints: HashMap<String, Vec<Page>> = HashMap::new();
    for (row, n) in rows.iter().zip(&notices) {
        let pages = prints
            .entry(row["batch_file"].clone())
            .or_insert_with(|| parse(&std::fs::read(dir.path().join(&row["batch_file"])).unwrap()));
        let first: usize = row["first_page"].parse().unwrap();
        let count: usize = row["page_count"].parse().unwrap();
        assert_eq!(
            [&row["name"], &row["street"], &row["city_state_zip"]],
            n.address.map(String::from).each_ref()
        );
        let letter = &pages[first - 1..first - 1 + count];
        let text = all_text(letter);
        for want in n
            .address
            .iter()
            .chain([&n.subject.as_str(), &"Example Health, Inc."])
        {
            assert!(text.contains(want), "{} lacks {want:?}:\n{text}", n.key);
        }
        for (i, p) in letter.iter().enumerate() {
            assert!(
                p.text().contains(&format!("Page {} of {count}", i + 1)),
                "page {} of {}",
                i + 1,
                n.key
            );
            assert!(
                p.lines
                    .iter()
                    .all(|l| l.y >= 30.0 && l.y <= 770.0 && l.x >= 50.0)
            );
        }
        if count % 2 == 1 {
            assert!(
                pages[first - 1 + count].lines.is_empty(),
                "a blank page for duplex"
            );
        }
        // The name is the address block's first line, in a #10 envelope's window (7/8 in from
        // the envelope's left edge; 2 to 3 1/8 in from the top of the tri-folded sheet).
        let name = letter[0]
            .lines
            .iter()
            .find(|l| l.text == n.address[0])
            .unwrap();
        assert!(
            name.x >= 0.6 * 72.0 && name.x <= 0.9 * 72.0,
            "x = {}",
            name.x
        );
        assert!(
            (2.0 * 72.0..2.4 * 72.0).contains(&(792.0 - name.y)),
            "y = {}",
            name.y
        );
    }
    for (file, pages) in &prints {
        let rows: Vec<_> = rows.iter().filter(|r| &r["batch_file"] == file).collect();
        let total: usize = rows
            .iter()
            .map(|r| r["page_count"].parse::<usize>().unwrap())
            .map(|n| n + n % 2)
            .sum();
        assert_eq!(pages.len(), total, "{file}: every page is in the manifest");
    }

    let long: usize = rows[1]["page_count"].parse().unwrap();
    assert!(long >= 3, "the long letter spans pages ({long})");
    let long_text = all_text(&prints["print-c1-w1-0001.pdf"]);
    assert!(long_text.contains("Paragraph 120: we are writing"));
    assert!(long_text.contains("Sincerely, the end of a long letter."));

    let es = &rows[2];
    let first: usize = es["first_page"].parse().unwrap();
    let es_text = prints[&es["batch_file"]][first - 1].text();
    for want in [
        "José Núñez",
        "Calle Peña 5",
        "Aviso de violación de datos",
        "AVISO DE VIOLACIÓN DE DATOS",
        "¿Me afectó? ¡Sí!",
        "á é í ó ú ü ñ Á É Í Ó Ú Ñ, año y señor.",
    ] {
        assert!(es_text.contains(want), "{want:?} in\n{es_text}");
    }
    let other = all_text(&prints["print-c1-w1-0002.pdf"]);
    assert!(
        other.contains("Symbols ?? and ? are not in WinAnsi; “quotes” — dashes… are."),
        "{other}"
    );
}

#[test]
fn a_crash_before_a_manifest_row_drops_the_unacknowledged_letter_only() {
    let dir = tempfile::tempdir().unwrap();
    let notices = notices();
    let l = Letters::with_config(dir.path().to_owned(), "w1", config(10));
    assert_eq!(
        send(&l, &notices[0]),
        SendResult::Sent(notices[0].key.into())
    );
    drop(l);

    // A worker killed while writing the next letters: one whole frame in the spool whose row was
    // torn, then a frame torn half-way.
    let open = dir.path().join("batch-c1-w1-0001.spool");
    let mut sp = std::fs::OpenOptions::new()
        .append(true)
        .open(&open)
        .unwrap();
    std::io::Write::write_all(&mut sp, &spool_frame("notice/9/9/letter", b"%PDF-1.7 torn"))
        .unwrap();
    std::io::Write::write_all(
        &mut sp,
        &spool_frame("notice/9/10/letter", b"%PDF-1.7")[..14],
    )
    .unwrap();
    drop(sp);
    let mut m = std::fs::OpenOptions::new()
        .append(true)
        .open(dir.path().join("manifest-c1-w1.csv"))
        .unwrap();
    std::io::Write::write_all(&mut m, b"notice/9/9/letter,print-c1-w1-0001.pdf,2,").unwrap();
    drop(m);

    let l = Letters::with_config(dir.path().to_owned(), "w1", config(10));
    for n in &notices[1..3] {
        assert_eq!(send(&l, n), SendResult::Sent(n.key.into()));
    }
    let print = l.finish("c1").unwrap().unwrap();

    let rows = manifest(dir.path());
    let keys: Vec<&str> = rows.iter().map(|r| r["idempotency_key"].as_str()).collect();
    assert_eq!(keys, [notices[0].key, notices[1].key, notices[2].key]);
    let pages = parse(&std::fs::read(&print).unwrap());
    let total: usize = rows
        .iter()
        .map(|r| r["page_count"].parse::<usize>().unwrap())
        .map(|n| n + n % 2)
        .sum();
    assert_eq!(pages.len(), total);
    for (r, n) in rows.iter().zip(&notices) {
        let first: usize = r["first_page"].parse().unwrap();
        assert!(
            pages[first - 1].text().contains(n.address[0]),
            "{} at page {first}",
            n.key
        );
    }
    let mut left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    left.sort();
    assert_eq!(left, ["manifest-c1-w1.csv", "print-c1-w1-0001.pdf"]);
}

#[test]
fn a_spool_of_unacknowledged_letters_alone_prints_nothing_and_is_removed() {
    let dir = tempfile::tempdir().unwrap();
    // A worker killed after its first letter's frame was synced but before its manifest row.
    std::fs::write(
        dir.path().join("batch-c1-w1-0001.spool"),
        spool_frame("notice/9/9/letter", b"%PDF-1.7"),
    )
    .unwrap();
    let l = Letters::with_config(dir.path().to_owned(), "w1", config(10));
    assert_eq!(l.finish("c1").unwrap(), None);
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn no_address_is_a_hard_failure_and_an_unwritable_directory_a_soft_one() {
    let dir = tempfile::tempdir().unwrap();
    let l = Letters::new(dir.path().to_owned(), "w1");
    let r = Rendered {
        subject: "S".into(),
        body: "B".into(),
        text: None,
    };
    for address in [None, Some(Vec::new())] {
        let contact = Contact {
            address,
            ..Contact::default()
        };
        assert!(matches!(
            l.send("c1", &contact, "k", &r),
            SendResult::Hard(_)
        ));
    }
    let file = dir.path().join("not-a-dir");
    std::fs::write(&file, b"").unwrap();
    let l = Letters::new(file, "w1");
    assert!(matches!(send(&l, &notices()[0]), SendResult::Soft(_)));
    assert!(l.finish("c1").is_err());
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "nothing written"
    );
}

fn manifest(dir: &Path) -> Vec<HashMap<String, String>> {
    let mut rd = csv::Reader::from_path(dir.join("manifest-c1-w1.csv")).unwrap();
    let headers = rd.headers().unwrap().clone();
    assert_eq!(
        headers.iter().collect::<Vec<_>>(),
        [
            "idempotency_key",
            "batch_file",
            "sequence",
            "first_page",
            "page_count",
            "name",
            "street",
            "city_state_zip"
        ]
    );
    rd.records()
        .map(|r| {
            let r = r.unwrap();
            headers
                .iter()
                .map(str::to_owned)
                .zip(r.iter().map(str::to_owned))
                .collect()
        })
        .collect()
}

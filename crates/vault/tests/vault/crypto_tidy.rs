//! Tidy checks for the crypto and field-type layers, run as tests (rust-analyzer's tidy): every
//! file opens with a `//!` paragraph, stays under 600 lines, and no `Debug` derive sneaks onto a
//! type that holds key material or plaintext.

// A test binary reports a broken fixture by panicking; helpers outside #[test] fns need this too.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;
use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn our_files() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    rust_files(&root.join("src/crypto"), &mut files);
    rust_files(&root.join("src/types"), &mut files);
    for entry in fs::read_dir(root.join("tests")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.starts_with("crypto_") && name.ends_with(".rs") {
            files.push(path);
        }
    }
    assert!(files.len() > 20, "found only {} files", files.len());
    files
}

#[test]
fn every_file_has_a_module_doc_and_a_sane_length() {
    for path in our_files() {
        let text = fs::read_to_string(&path).unwrap();
        assert!(
            text.starts_with("//! "),
            "{} must open with a //! paragraph",
            path.display()
        );
        let lines = text.lines().count();
        assert!(
            lines <= 600,
            "{} has {lines} lines; split it",
            path.display()
        );
    }
}

#[test]
fn secret_holding_types_do_not_derive_debug() {
    let secret_types = [
        "struct RootKey",
        "struct DataKey",
        "struct Kek",
        "struct FieldCipher",
        "struct Revealed",
        "struct Tokenizer",
        "struct BlindIndexer",
        "struct Ssn",
        "struct Phone",
        "struct Email",
        "struct Imei",
        "struct Imsi",
        "struct DateOfBirth",
        "struct DriversLicense",
        "struct Pin",
        "struct Zip",
        "struct Text",
    ];
    for path in our_files() {
        let text = fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            let declares = |t: &&&str| {
                line.find(**t).is_some_and(|at| {
                    let next = line[at + t.len()..].chars().next();
                    !next.is_some_and(|c| c.is_alphanumeric() || c == '_')
                })
            };
            let Some(ty) = secret_types.iter().find(declares) else {
                continue;
            };
            let derives = lines[..i]
                .iter()
                .rev()
                .take_while(|l| {
                    l.trim_start().starts_with("#[") || l.trim_start().starts_with("///")
                })
                .any(|l| l.contains("derive(") && l.contains("Debug"));
            assert!(!derives, "{}:{}: {ty} derives Debug", path.display(), i + 1);
        }
    }
}

//! Key providers and the key hierarchy: the key file is created 0600, a loose-permission or
//! symlinked file is refused with a clear error, rotation appends a version that survives a
//! reopen, and the environment provider reads `NAME`, `NAME_V2`, ... and refuses rotation.

// A test binary reports a broken fixture by panicking; helpers outside #[test] fns need this too.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::fs;
use std::os::unix::fs::PermissionsExt as _;

use custodian_vault::crypto::file_provider::KEY_FILE_NAME;
use custodian_vault::{
    CryptoError, DataKey, EnvKeyProvider, FieldAd, FieldCipher, FileKeyProvider, Kek, KeyProvider,
    WrapAd,
};

#[test]
fn file_provider_creates_a_private_file() {
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("keys");
    let p = FileKeyProvider::open(&keys).unwrap();
    let mode = fs::metadata(p.path()).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    assert_eq!(p.current_version().unwrap(), 1);
    let text = fs::read_to_string(p.path()).unwrap();
    assert!(text.lines().any(|l| l.starts_with("v1:")));
    assert!(format!("{p:?}").contains("versions: 1"));
    assert!(!format!("{:?}", p.root_key(1).unwrap()).contains(&text[text.len() - 10..]));
}

#[test]
fn file_provider_rotation_survives_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let p = FileKeyProvider::open(dir.path()).unwrap();
    let v1 = p.root_key(1).unwrap();
    assert_eq!(p.create_version().unwrap(), 2);
    assert_eq!(p.create_version().unwrap(), 3);
    drop(p);
    let p = FileKeyProvider::open(dir.path()).unwrap();
    assert_eq!(p.current_version().unwrap(), 3);
    assert!(matches!(
        p.root_key(4),
        Err(CryptoError::UnknownKeyVersion(4))
    ));
    assert!(matches!(
        p.root_key(0),
        Err(CryptoError::UnknownKeyVersion(0))
    ));
    // Same version 1 key as before rotation: a KEK derived from it still unwraps.
    let person = [1; 16];
    let wad = WrapAd {
        tenant: "acme",
        person: &person,
        key_version: 1,
    };
    let wrapped = Kek::derive(&v1, "acme").wrap(&DataKey::from_bytes([9; 32]), &wad);
    let again = Kek::derive(&p.root_key(1).unwrap(), "acme");
    assert!(again.unwrap(&wrapped, &wad).is_ok());
    let v3 = Kek::derive(&p.root_key(3).unwrap(), "acme");
    assert_eq!(v3.version(), 3);
    // No temp files are left behind.
    let names: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.contains(".tmp"))
        .collect();
    assert!(names.is_empty(), "{names:?}");
}

#[test]
fn a_second_handle_sees_the_first_ones_rotation() {
    let dir = tempfile::tempdir().unwrap();
    let a = FileKeyProvider::open(dir.path()).unwrap();
    let b = FileKeyProvider::open(dir.path()).unwrap();
    assert_eq!(a.create_version().unwrap(), 2);
    assert_eq!(b.current_version().unwrap(), 1, "in-memory until reloaded");
    assert_eq!(b.reload().unwrap(), 2);
    // b re-reads the file when asked for a version it has not seen, and rotates on top of it.
    assert_eq!(b.root_key(2).unwrap().version(), 2);
    assert_eq!(b.create_version().unwrap(), 3);
    assert!(a.root_key(3).is_ok());
}

#[test]
fn file_provider_refuses_loose_permissions() {
    let dir = tempfile::tempdir().unwrap();
    let p = FileKeyProvider::open(dir.path()).unwrap();
    let path = p.path().to_owned();
    drop(p);
    fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).unwrap();
    let err = FileKeyProvider::open(dir.path()).unwrap_err();
    assert!(matches!(
        err,
        CryptoError::InsecurePermissions { mode: 0o640, .. }
    ));
    let msg = err.to_string();
    assert!(
        msg.contains("mode 640") && msg.contains("chmod 600"),
        "{msg}"
    );
}

#[test]
fn file_provider_refuses_symlinks_and_malformed_lines() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("elsewhere");
    fs::write(&target, "v1:AAAA\n").unwrap();
    fs::set_permissions(&target, fs::Permissions::from_mode(0o600)).unwrap();
    std::os::unix::fs::symlink(&target, dir.path().join(KEY_FILE_NAME)).unwrap();
    assert!(matches!(
        FileKeyProvider::open(dir.path()),
        Err(CryptoError::NotARegularFile { .. })
    ));

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(KEY_FILE_NAME);
    fs::write(&path, "# comment\nv1:c2hvcnQ=\n").unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
    let err = FileKeyProvider::open(dir.path()).unwrap_err();
    assert!(
        matches!(err, CryptoError::MalformedKeyFile { line: 2, .. }),
        "{err}"
    );
    assert!(
        !err.to_string().contains("c2hvcnQ"),
        "no key material in errors"
    );
}

#[test]
fn env_provider_reads_versions_in_order() {
    let k1 = "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=";
    let k2 = "AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI=";
    let vars: HashMap<&str, &str> = [("VK", k1), ("VK_V2", k2), ("VK_V4", k1)].into();
    let lookup = |name: &str| vars.get(name).map(|v| (*v).to_owned());
    let p = EnvKeyProvider::from_lookup("VK", lookup).unwrap();
    // V4 is ignored: versions stop at the first gap.
    assert_eq!(p.current_version().unwrap(), 2);
    assert_eq!(p.root_key(2).unwrap().version(), 2);
    assert!(p.root_key(3).is_err());
    assert!(matches!(
        p.create_version(),
        Err(CryptoError::RotationUnsupported { .. })
    ));

    let missing = EnvKeyProvider::from_lookup("NOPE", |_| None).unwrap_err();
    assert_eq!(missing.to_string(), "environment variable NOPE is not set");
    let bad = EnvKeyProvider::from_lookup("VK", |_| Some("c2hvcnQ=".to_owned())).unwrap_err();
    assert_eq!(
        bad.to_string(),
        "environment variable VK is not a base64-encoded 32-byte key"
    );
}

#[test]
fn root_rotation_rewraps_without_touching_fields() {
    let dir = tempfile::tempdir().unwrap();
    let p = FileKeyProvider::open(dir.path()).unwrap();
    let person = [4; 16];
    let wad = WrapAd {
        tenant: "acme",
        person: &person,
        key_version: 1,
    };
    let dk = DataKey::generate().unwrap();
    let field = FieldAd {
        tenant: "acme",
        person: &person,
        field: "ssn",
    };
    let sealed = FieldCipher::new(&dk, 1).seal(&field, b"123456789").unwrap();
    let old = Kek::derive(&p.root_key(1).unwrap(), "acme").wrap(&dk, &wad);
    drop(dk);

    let v2 = p.create_version().unwrap();
    let dk = Kek::derive(&p.root_key(1).unwrap(), "acme")
        .unwrap(&old, &wad)
        .unwrap();
    let new = Kek::derive(&p.root_key(v2).unwrap(), "acme").wrap(&dk, &wad);
    drop(dk);

    let dk = Kek::derive(&p.root_key(2).unwrap(), "acme")
        .unwrap(&new, &wad)
        .unwrap();
    assert_eq!(
        FieldCipher::new(&dk, 1)
            .open(&field, &sealed)
            .unwrap()
            .expose(),
        b"123456789"
    );
}

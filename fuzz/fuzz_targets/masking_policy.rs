//! A masking policy file from arbitrary text: loading never panics, and a loaded policy answers
//! every role and field without panicking.
#![no_main]

use custodian_vault::policy::Policy;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(p) = Policy::from_toml(text) {
        let roles: Vec<String> = p.roles().map(str::to_owned).collect();
        for role in roles.iter().map(String::as_str).chain(["nobody"]) {
            for f in ["ssn", "dob", "phone", "email", "pin", "unknown"] {
                let _ = p.disposition(role, f);
                let _ = p.check_reveal(role, f, Some("fuzz"));
            }
        }
    }
});

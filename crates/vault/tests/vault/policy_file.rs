//! The policy file: the built-in policy says what DESIGN.md promises for each role, custom
//! policies parse, and a broken file is refused with an error naming the role and field. Reveals
//! need a role that allows the field and a stated purpose.

// A test binary reports a broken fixture by panicking; helpers outside #[test] fns need this too.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use custodian_vault::policy::{Disposition, Policy, PolicyError, PolicyField};

fn err(text: &str) -> String {
    Policy::from_toml(text).unwrap_err().to_string()
}

#[test]
fn the_default_policy_masks_by_default_and_reveals_with_a_purpose() {
    let p = Policy::default();
    let ssn = "123-45-6789";
    // A plain read is masked even for a role that may reveal.
    assert_eq!(
        p.read_value("admin", PolicyField::Ssn, ssn).as_deref(),
        Some("***-**-6789")
    );
    assert_eq!(
        p.read_value("agent", "ssn", ssn).as_deref(),
        Some("***-**-6789")
    );
    assert_eq!(p.read_value("analyst", PolicyField::Ssn, ssn), None);
    assert_eq!(
        p.read_value("agent", PolicyField::Imsi, "310150123456789"),
        None
    );
    assert_eq!(
        p.read_value("agent", PolicyField::State, "WA").as_deref(),
        Some("WA"),
        "state is kept in clear"
    );

    p.check_reveal("admin", PolicyField::Ssn, Some("fraud case 881"))
        .unwrap();
    p.check_reveal("agent", "phone", Some("call back the customer"))
        .unwrap();
    assert_eq!(
        p.check_reveal("admin", PolicyField::Ssn, None),
        Err(PolicyError::PurposeRequired {
            field: PolicyField::Ssn
        })
    );
    assert_eq!(
        p.check_reveal("admin", PolicyField::Ssn, Some("   ")),
        Err(PolicyError::PurposeRequired {
            field: PolicyField::Ssn
        })
    );
    assert_eq!(
        p.check_reveal("admin", PolicyField::Ssn, Some("why"))
            .unwrap_err()
            .to_string(),
        "revealing `ssn`: the purpose must be at least 8 characters"
    );
    assert_eq!(
        p.check_reveal("agent", PolicyField::Ssn, Some("caller verification"))
            .unwrap_err()
            .to_string(),
        "role `agent` may not reveal `ssn` (policy: masked)"
    );
    assert!(matches!(
        p.check_reveal("agent", "pin", Some("caller verification")),
        Err(PolicyError::UnknownFieldName)
    ));
}

#[test]
fn only_admin_and_agent_may_reveal_and_unknown_roles_see_nothing() {
    let p = Policy::default();
    for role in ["analyst", "service", "nobody"] {
        for f in PolicyField::ALL {
            assert_ne!(p.disposition(role, f), Disposition::Reveal, "{role} {f}");
        }
    }
    for f in PolicyField::ALL {
        assert_eq!(p.disposition("custom-role", f), Disposition::Hidden);
        assert_eq!(p.read_value("custom-role", f, "123-45-6789"), None);
    }
}

#[test]
fn a_custom_policy_parses() {
    let p = Policy::from_toml(
        r#"
        require_purpose = false
        [roles.fraud]
        default = "masked"
        ssn = "reveal"
        drivers_license = "reveal"
        email = "hidden"
        state = "clear"
        "#,
    )
    .unwrap();
    assert_eq!(
        p.disposition("fraud", PolicyField::Ssn),
        Disposition::Reveal
    );
    assert_eq!(p.disposition("fraud", "dl_number"), Disposition::Reveal);
    assert_eq!(
        p.disposition("fraud", PolicyField::Email),
        Disposition::Hidden
    );
    assert_eq!(
        p.disposition("fraud", PolicyField::Zip),
        Disposition::Masked
    );
    assert_eq!(p.disposition("fraud", "no_such_field"), Disposition::Hidden);
    assert!(!p.requires_purpose());
    p.check_reveal("fraud", PolicyField::Ssn, None).unwrap();
    assert_eq!(p.roles().collect::<Vec<_>>(), vec!["fraud"]);
}

#[test]
fn a_broken_policy_names_the_role_and_field() {
    assert_eq!(
        err("[roles.agent]\nssn = \"show\"\n"),
        "policy file: role `agent`, field `ssn`: `\"show\"` is not reveal, masked, hidden or clear"
    );
    assert_eq!(
        err("[roles.agent]\npin = \"masked\"\n"),
        "policy file: role `agent`: unknown field `pin`"
    );
    assert_eq!(
        err("[roles.agent]\nssn = \"clear\"\n"),
        "policy file: role `agent`, field `ssn`: only `state` may be `clear`"
    );
    assert_eq!(
        err("[roles.agent]\ndefault = \"clear\"\n"),
        "policy file: role `agent`, field `default`: only `state` may be `clear`"
    );
    assert_eq!(
        err("[roles]\nagent = \"reveal\"\n"),
        "policy file: role `agent` must be a table of field = \"reveal\" | \"masked\" | \"hidden\""
    );
    assert_eq!(
        err("min_purpose_len = 0\n"),
        "policy file: `min_purpose_len` must be a whole number from 1 to 200"
    );
    assert_eq!(
        err("require_purpose = \"yes\"\n"),
        "policy file: `require_purpose` must be true or false"
    );
    assert_eq!(
        err("reveal_all = true\n"),
        "policy file: unknown setting `reveal_all`"
    );
    let syntax = err("[roles.agent\nssn = 1\n");
    assert!(
        syntax.starts_with("policy file: TOML parse error at line 1"),
        "{syntax}"
    );
}

//! Is a captured value a real secret, or something that only sits where one would: a
//! documentation placeholder (`changeme`, `${VAR}`, `<password>`, `xxxx`), a reference in
//! code (`config.password`, `getPassword()`, `crate::KEY`), or a weak default password? These
//! heuristics keep the generic and password rules from drowning real findings in noise.

use crate::content::validate::shannon_entropy;

/// Substrings that mark a value as a template or documentation placeholder.
const PLACEHOLDER_PARTS: &[&str] = &[
    "changeme",
    "change_me",
    "change-me",
    "changeit",
    "replaceme",
    "replace_me",
    "placeholder",
    "example",
    "dummy",
    "redacted",
    "your_",
    "your-",
    "yourpass",
    "yourkey",
    "yourtoken",
    "_here",
    "-here",
    "insert_",
    "xxxx",
    "****",
    "....",
    "____",
    "{{",
    "}}",
    "${",
    "#{",
    "&lt;",
    "&gt;",
    "abcdefgh",
    "12345678",
    "a1b2c3",
    "abc123",
];

/// Whole values that are never real secrets.
const PLACEHOLDER_WORDS: &[&str] = &[
    "none",
    "null",
    "nil",
    "undefined",
    "true",
    "false",
    "test",
    "todo",
    "tbd",
    "n/a",
    "na",
    "empty",
    "string",
    "value",
    "secret_value",
    "token",
    "key",
    "pass",
    "pwd",
    "your",
    "foo",
    "bar",
    "foobar",
    "hidden",
    "masked",
    "required",
    "optional",
    "default",
];

/// True when `value` is a template, variable reference or documentation placeholder.
pub(crate) fn is_placeholder(value: &[u8]) -> bool {
    let lower = String::from_utf8_lossy(value).to_ascii_lowercase();
    let trimmed = lower.trim_matches(|c: char| c == '"' || c == '\'' || c == '`');
    if trimmed.is_empty() || PLACEHOLDER_WORDS.contains(&trimmed) {
        return true;
    }
    if PLACEHOLDER_PARTS.iter().any(|p| trimmed.contains(p)) {
        return true;
    }
    // Python `%(name)s` formatting.
    if trimmed.contains("%(") && trimmed.contains(")s") {
        return true;
    }
    let first = trimmed.as_bytes()[0];
    let last = trimmed.as_bytes()[trimmed.len() - 1];
    // `$VAR`, `%VAR%`, `[value goes here]`, `{SumoAccessKey}` are references, not values.
    if first == b'$'
        && trimmed
            .as_bytes()
            .get(1)
            .is_some_and(|b| b.is_ascii_alphabetic() || *b == b'_' || *b == b'(' || *b == b'{')
    {
        return true;
    }
    let wrapped = |open: u8, close: u8| first == open && last == close;
    if wrapped(b'%', b'%') || wrapped(b'[', b']') || wrapped(b'{', b'}') || wrapped(b'<', b'>') {
        return true;
    }
    // A value made of one repeated character (`aaaaaaaa`, `00000000`) is filler.
    let distinct = {
        let mut seen = [false; 256];
        trimmed
            .bytes()
            .filter(|&b| !std::mem::replace(&mut seen[usize::from(b)], true))
            .count()
    };
    distinct <= 2 && trimmed.len() >= 3
}

/// True when `value` reads as a password literal rather than code that fetches one.
pub(crate) fn is_password_literal(value: &[u8]) -> bool {
    if is_placeholder(value) || value.len() < 3 {
        return false;
    }
    let text = String::from_utf8_lossy(value);
    let t = text.trim();
    if t.ends_with(':')
        || t.starts_with('#') && t[1..].bytes().all(|b| b.is_ascii_lowercase() || b == b'-')
    {
        return false;
    }
    // `" + getPassword() + "` and `'.$cfg['pw'].'` are string concatenation, not a literal.
    if t.starts_with(['+', '.']) || t.ends_with('+') {
        return false;
    }
    if t.starts_with('%') || t.starts_with("$") && t.len() > 1 && !t[1..].contains('$') {
        return false;
    }
    !is_code_like(t)
}

/// Words that, as a whole value, are a type, keyword or literal of some language.
const CODE_WORDS: &[&str] = &[
    "impl",
    "dyn",
    "mut",
    "usize",
    "isize",
    "u8",
    "u16",
    "u32",
    "u64",
    "u128",
    "i8",
    "i16",
    "i32",
    "i64",
    "i128",
    "f32",
    "f64",
    "bool",
    "str",
    "string",
    "vec",
    "option",
    "some",
    "none",
    "ok",
    "err",
    "self",
    "this",
    "new",
    "null",
    "nil",
    "undefined",
    "void",
    "int",
    "char",
    "byte",
    "bytes",
    "long",
    "float",
    "double",
    "object",
    "any",
    "number",
    "boolean",
    "const",
    "static",
    "async",
    "await",
    "return",
    "function",
    "lambda",
    "unknown",
    "match",
    "if",
    "else",
    "loop",
    "while",
    "for",
    "let",
    "var",
    "fn",
    "def",
    "unsafe",
    "where",
    "yield",
];

/// True when `value` reads as code that refers to a secret rather than the secret:
/// `config.password`, `getPassword()`, `os.environ["X"]`, `&self.token`, `crate::Key`,
/// `SOME_CONSTANT`, `0x10u32`, a type name.
pub(crate) fn is_code_like(value: &str) -> bool {
    let t = value.trim();
    let ident = |s: &str| {
        let mut cs = s.chars();
        cs.next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && s.len() <= 40
            && cs.all(|c| c.is_ascii_alphanumeric() || c == '_')
    };
    if t.contains("::") || t.contains("->") || t.contains("=>") || t.starts_with(['&', '*']) {
        return true;
    }
    // `get_key()`, `format!(`, `cfg["db"]`: a call or an index, not a value.
    if let Some(open) = t.find(['(', '[']) {
        let head = t[..open].trim_end_matches('!');
        if head.len() >= 2 && (ident(head) || head.contains('.') && head.split('.').all(ident)) {
            return true;
        }
    }
    // `self.token`, `config.db.password`: a path, unless a segment looks random (a Vault
    // `s.` token or a JWT has segments full of digits and mixed case).
    let random = |seg: &str| {
        let digits = seg.bytes().filter(u8::is_ascii_digit).count();
        seg.bytes().any(|b| b.is_ascii_uppercase())
            && seg.bytes().any(|b| b.is_ascii_lowercase())
            && (digits >= 3 || digits >= 1 && seg.len() >= 16)
    };
    if t.contains('.') && t.split('.').all(ident) && !t.split('.').any(random) {
        return true;
    }
    if t.contains("process.env") || t.contains("getenv") || t.contains("environ") {
        return true;
    }
    let constant = t.starts_with(|c: char| c.is_ascii_uppercase())
        && t.contains('_')
        && t.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_');
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit() || b == b'_');
    let hex_literal = t.len() > 2
        && t.len() <= 20
        && (t.starts_with("0x") || t.starts_with("0X"))
        && t[2..].bytes().all(|b| b.is_ascii_hexdigit() || b == b'_');
    const SUFFIXES: [&str; 12] = [
        "i8", "i16", "i32", "i64", "u8", "u16", "u32", "u64", "usize", "isize", "f32", "f64",
    ];
    let suffixed = SUFFIXES.iter().any(|suffix| {
        t.len() > suffix.len() && t.ends_with(suffix) && digits(&t[..t.len() - suffix.len()])
    });
    let numeric = hex_literal || suffixed;
    constant || numeric || CODE_WORDS.contains(&t.to_ascii_lowercase().as_str())
}

/// Common default and dictionary passwords, reported at low confidence.
const WEAK_PASSWORDS: &[&str] = &[
    "password", "passwd", "secret", "admin", "root", "guest", "letmein", "welcome", "qwerty",
    "default", "changeit", "public", "private", "master", "login", "user", "demo",
];

/// True for short, low-entropy or dictionary passwords.
pub(crate) fn is_weak_password(value: &[u8]) -> bool {
    let lower = String::from_utf8_lossy(value).to_ascii_lowercase();
    let word = lower.trim_end_matches(|c: char| c.is_ascii_digit() || c == '!');
    value.len() < 8 || shannon_entropy(value) < 2.5 || WEAK_PASSWORDS.contains(&word)
}

/// `user:password` (either side may be quoted) with a non-placeholder password half.
pub(crate) fn user_pass_ok(value: &[u8]) -> bool {
    let text = String::from_utf8_lossy(value);
    let cleaned: String = text.chars().filter(|c| *c != '"' && *c != '\'').collect();
    let Some((user, pass)) = cleaned.split_once(':') else {
        return false;
    };
    let pass = pass.trim();
    if pass.is_empty() {
        return user.len() >= 8 && !is_placeholder(user.as_bytes());
    }
    if matches!(
        pass.to_ascii_lowercase().as_str(),
        "pass" | "password" | "token" | "passwd" | "secret"
    ) {
        return false;
    }
    is_password_literal(pass.as_bytes()) && !is_placeholder(user.as_bytes())
        || user.is_empty() && pass.len() >= 8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_recognized() {
        for p in [
            "changeme",
            "${DB_PASSWORD}",
            "<password>",
            "xxxxxxxx",
            "YOUR_API_KEY",
            "%PASS%",
            "[secret]",
            "aaaaaaa",
        ] {
            assert!(is_placeholder(p.as_bytes()), "{p}");
        }
        for real in ["hunter2!x", "Zf3D0LXCM3EIMbgJ", "s3cr3t-Pa55"] {
            assert!(!is_placeholder(real.as_bytes()), "{real}");
        }
    }

    #[test]
    fn password_literals_exclude_code_references() {
        for code in [
            "config.password",
            "getPassword()",
            "$password",
            "%PASS%",
            "os.environ['X']",
            "Password:",
        ] {
            assert!(!is_password_literal(code.as_bytes()), "{code}");
        }
        for real in ["open sesame", "super$ecret", "Pass123!@#", "VMware1!"] {
            assert!(is_password_literal(real.as_bytes()), "{real}");
        }
    }

    #[test]
    fn user_pass_needs_a_real_password() {
        assert!(user_pass_ok(b"elastic:P@ssw0rd$1"));
        assert!(!user_pass_ok(b"username:password"));
        assert!(!user_pass_ok(b"${user}:${pass}"));
        assert!(!user_pass_ok(b"myusername"));
    }

    #[test]
    fn code_is_not_a_secret() {
        for code in [
            "&self.colon2_token",
            "super::Foundation::BOOL",
            "IKEEXT_CREDENTIALS0",
            "0x100",
            "8i32",
            "impl",
            "GOOD_SECRET.as_bytes()",
            "cfg[\"db\"]",
        ] {
            assert!(is_code_like(code), "{code}");
        }
        for secret in [
            "Zf3D0LXCM3EIMbgJpUNnkRtOfOueHznB",
            "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig",
            "9032050d09c5892503e12b47fa42f93c",
            "Spring2021!",
        ] {
            assert!(!is_code_like(secret), "{secret}");
        }
    }

    #[test]
    fn weak_passwords() {
        assert!(is_weak_password(b"secret"));
        assert!(is_weak_password(b"Password123"));
        assert!(!is_weak_password(b"Tr4ck1ng-2021!"));
    }
}

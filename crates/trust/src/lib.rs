//! The public Trust Center: attestations and reports, advisories and incident notices (HTML, Atom,
//! CSAF 2.0), subscriptions with double opt-in, security.txt, vulnerability disclosure and bug
//! bounty.

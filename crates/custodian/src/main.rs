//! The `custodian` binary: command line, configuration and wiring.
fn main() {}

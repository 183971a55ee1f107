//! The network exposure scanner for the company's own address ranges.

//! The guard: customer PINs and passwords hashed with Argon2id, attempt limiting that stops brute
//! force without letting strangers lock the real owner out, number-lock / port-out and SIM-change
//! protection, and forced resets after a breach.

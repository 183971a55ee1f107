//! Synthetic carrier populations, their systems and breach scenarios.

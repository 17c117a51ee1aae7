//! Chaos for the store (filled in below).

//! The CAP table (filled in below).

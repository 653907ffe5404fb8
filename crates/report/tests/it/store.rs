//! Report numbers against a brute-force computation over the same events, through a real
//! sluice-store (filled in once the store and es-client land).

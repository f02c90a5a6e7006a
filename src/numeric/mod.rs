//! Numerical building blocks with no knowledge of deals: special functions
//! ([`special`]) and linear algebra ([`linalg`]).

pub mod linalg;
pub mod special;

pub use linalg::{cholesky, count_f64, trunc_count};

//! Numerical building blocks with no knowledge of deals: special functions
//! ([`special`]), linear algebra ([`linalg`]) and the standard errors of
//! surveys and randomised evaluations ([`sampling`]).

pub mod linalg;
pub mod sampling;
pub mod special;

pub use linalg::{cholesky, count_f64, trunc_count};
pub use sampling::{design_effect, rct_standard_error, survey_standard_error};

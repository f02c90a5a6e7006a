//! Numerical building blocks with no knowledge of deals: the platform-
//! independent transcendental functions ([`math`]), special functions
//! ([`special`]), linear algebra ([`linalg`]) and the standard errors of
//! surveys and randomised evaluations ([`sampling`]).

pub mod linalg;
pub mod math;
pub mod sampling;
pub mod special;

pub use linalg::{cholesky, count_f64, trunc_count};
pub use sampling::{design_effect, rct_standard_error, survey_standard_error};

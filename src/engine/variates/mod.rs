//! Random variates the funnel draws: binomial counts (BTRD, four lanes at
//! once) and beta rates.

pub mod beta;
pub mod binomial;

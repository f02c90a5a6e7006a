//! Random variates the funnel draws: binomial counts (BTRD, four lanes at
//! once), beta rates and the standard normals behind them.

pub mod beta;
pub mod binomial;
pub mod normal;

//! Sampling error of an evaluation: the standard errors of a survey's
//! measured rate and of a randomised evaluation's estimated effect
//! (docs/model.md, "Measured outcomes").

/// The design effect of cluster sampling, 1 + (m - 1) ICC, for clusters of
/// `cluster_size` participants and intra-cluster correlation `icc`.
pub fn design_effect(icc: f64, cluster_size: f64) -> f64 {
    1.0 + (cluster_size - 1.0) * icc
}

/// Standard error of a difference in means between `treated` and `control`
/// participants of an outcome with standard deviation `sd`, both groups
/// sampled in clusters: sd sqrt(deff / n_t + deff / n_c).
pub fn rct_standard_error(sd: f64, treated: f64, control: f64, icc: f64, cluster_size: f64) -> f64 {
    let deff = design_effect(icc, cluster_size);
    sd * (deff / treated + deff / control).sqrt()
}

/// Standard error of a rate `p` measured by a survey of `sample`
/// respondents with design effect `deff`: sqrt(p (1 - p) deff / n).
pub fn survey_standard_error(p: f64, sample: f64, deff: f64) -> f64 {
    (p * (1.0 - p) * deff / sample).max(0.0).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_errors_match_the_textbook() {
        // Equal arms of 400 without clustering: sd sqrt(2 / 400).
        assert!(
            (rct_standard_error(1.0, 400.0, 400.0, 0.0, 1.0) - (2.0f64 / 400.0).sqrt()).abs()
                < 1e-15
        );
        // ICC 0.05 in clusters of 21: deff = 2, so the variance doubles.
        let se = rct_standard_error(60.0, 400.0, 400.0, 0.05, 21.0);
        assert!((se - 60.0 * (4.0f64 / 400.0).sqrt()).abs() < 1e-12, "{se}");
        // A 20% rate from 2,500 respondents with deff 2: 1.13 points.
        let s = survey_standard_error(0.2, 2500.0, 2.0);
        assert!((s - (0.16f64 * 2.0 / 2500.0).sqrt()).abs() < 1e-15);
    }
}

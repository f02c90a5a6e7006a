//! Value stability of every random draw: a fixed seed's first draws of each
//! distribution's quantile function, of each binomial branch (none, all,
//! inversion, BTRD, mirrored, four lanes), of the beta variate, and of the
//! generator, the uniforms and the Latin hypercube permutation, pinned to
//! the bit. A change that moves any of them is value-breaking (a new
//! `MODEL_VERSION`, regenerated baselines) and is caught here, where it
//! happens, not only in the end-to-end baselines. After an intended change,
//! `IBSIM_PRINT_PINS=1 cargo test variates -- --nocapture` prints the table
//! to paste.

use ibsim::engine::variates::{beta, binomial};
use ibsim::engine::{open_unit, permute, trial_rng};
use ibsim::model::Sampler;
use ibsim::scenario::Dist;
use ibsim::scenario::values::{
    BetaParams, DiscreteParams, MeanSd, NormalParams, Range, ThreePoint,
};

/// Four uniforms of trial `k` (0..4) of seed 2024: the first of each.
fn uniforms() -> Vec<f64> {
    (0..4).map(|k| open_unit(&mut trial_rng(2024, k))).collect()
}

fn samplers() -> Vec<(&'static str, Dist)> {
    let three = |min, mode, max| ThreePoint { min, mode, max };
    vec![
        (
            "beta mean/sd",
            Dist::Beta(BetaParams {
                mean: Some(0.55),
                sd: Some(0.15),
                ..Default::default()
            }),
        ),
        (
            "beta alpha/beta",
            Dist::Beta(BetaParams {
                alpha: Some(2.0),
                beta: Some(30.0),
                ..Default::default()
            }),
        ),
        (
            "beta tight",
            Dist::Beta(BetaParams {
                mean: Some(0.2),
                sd: Some(0.01),
                ..Default::default()
            }),
        ),
        ("uniform", Dist::Uniform(Range { min: 1.0, max: 4.0 })),
        ("triangular", Dist::Triangular(three(0.1, 0.3, 0.8))),
        ("pert", Dist::Pert(three(100.0, 150.0, 260.0))),
        (
            "normal",
            Dist::Normal(NormalParams {
                mean: 500.0,
                sd: 80.0,
                min: None,
                max: None,
            }),
        ),
        (
            "normal truncated",
            Dist::Normal(NormalParams {
                mean: 500.0,
                sd: 80.0,
                min: Some(450.0),
                max: Some(600.0),
            }),
        ),
        (
            "lognormal",
            Dist::Lognormal(MeanSd {
                mean: 2.0e6,
                sd: 4.0e5,
            }),
        ),
        (
            "discrete",
            Dist::Discrete(DiscreteParams {
                values: vec![0.0, 2.0, 5.0],
                weights: vec![1.0, 2.0, 1.0],
            }),
        ),
    ]
}

/// Every pinned draw, as (what, bits or count).
fn draws() -> Vec<(String, u64)> {
    let mut out = Vec::new();
    let u = uniforms();
    for (k, x) in u.iter().enumerate() {
        out.push((format!("uniform {k}"), x.to_bits()));
    }
    for i in [0, 1, 499, 999] {
        out.push((format!("permute {i}"), permute(i, 1000, 0x4C48_5300)));
    }
    for (name, d) in samplers() {
        let s = Sampler::new(&d);
        for (k, &x) in u.iter().enumerate() {
            out.push((format!("{name} Q(u{k})"), s.quantile(x).to_bits()));
        }
        if name.starts_with("beta") {
            for z in [-2.5, 0.3, 4.0] {
                out.push((format!("{name} Q(Phi({z}))"), s.quantile_z(z).to_bits()));
            }
        }
    }
    let cases: [(&str, u64, f64); 7] = [
        ("none", 0, 0.3),
        ("p = 0", 50, 0.0),
        ("all", 50, 1.0),
        ("inversion", 20, 0.1),
        ("btrd", 1000, 0.3),
        ("mirrored btrd", 1000, 0.8),
        ("mirrored inversion", 20, 0.95),
    ];
    for (name, n, p) in cases {
        let mut rng = trial_rng(7, 1);
        for j in 0..3 {
            out.push((
                format!("binomial {name} #{j}"),
                binomial::sample(n, p, &mut rng),
            ));
        }
    }
    let mut rng = trial_rng(7, 2);
    for j in 0..2 {
        let k = binomial::sample_lanes([1500, 20, 0, 300], [0.55, 0.1, 0.5, 0.9], &mut rng);
        for (l, x) in k.iter().enumerate() {
            out.push((format!("lanes #{j} lane {l}"), *x));
        }
    }
    for (a, b) in [(2.0, 5.0), (0.5, 0.5), (50.0, 30.0)] {
        let mut rng = trial_rng(7, 3);
        for j in 0..2 {
            out.push((
                format!("beta variate ({a}, {b}) #{j}"),
                beta::sample(a, b, &mut rng).to_bits(),
            ));
        }
    }
    out
}

#[test]
fn first_draws_are_pinned() {
    let got = draws();
    if std::env::var_os("IBSIM_PRINT_PINS").is_some() {
        for (what, v) in &got {
            println!("    (\"{what}\", {v:#x}),");
        }
    }
    assert_eq!(got.len(), PINS.len(), "the list of draws changed");
    let mut moved = Vec::new();
    for ((what, v), (pin_what, pin)) in got.iter().zip(PINS) {
        assert_eq!(what, pin_what, "the list of draws changed");
        if v != pin {
            moved.push(format!("{what}: {v:#x} (pinned {pin:#x})"));
        }
    }
    assert!(
        moved.is_empty(),
        "draws moved (value-breaking):\n{}",
        moved.join("\n")
    );
}

const PINS: &[(&str, u64)] = &[
    ("uniform 0", 0x3fef457188c3b5fe),
    ("uniform 1", 0x3fec247924428524),
    ("uniform 2", 0x3feb5ec8c6ccfeaa),
    ("uniform 3", 0x3fea84840079c7d0),
    ("permute 0", 0x6b),
    ("permute 1", 0x20),
    ("permute 499", 0x1f1),
    ("permute 999", 0x133),
    ("beta mean/sd Q(u0)", 0x3fea998a8751e8e3),
    ("beta mean/sd Q(u1)", 0x3fe762495c2fd95f),
    ("beta mean/sd Q(u2)", 0x3fe6e2aec508319c),
    ("beta mean/sd Q(u3)", 0x3fe66262e6901be6),
    ("beta mean/sd Q(Phi(-2.5))", 0x3fc8338da193437b),
    ("beta mean/sd Q(Phi(0.3))", 0x3fe33e47ff68c58a),
    ("beta mean/sd Q(Phi(4))", 0x3feee33d5bcc31f9),
    ("beta alpha/beta Q(u0)", 0x3fc5c32b5367c915),
    ("beta alpha/beta Q(u1)", 0x3fbce80e1a8244f6),
    ("beta alpha/beta Q(u2)", 0x3fbb27ee77942683),
    ("beta alpha/beta Q(u3)", 0x3fb97f65dd1066c5),
    ("beta alpha/beta Q(Phi(-2.5))", 0x3f6f0cbfe8b921cd),
    ("beta alpha/beta Q(Phi(0.3))", 0x3fb0f62f87de5c59),
    ("beta alpha/beta Q(Phi(4))", 0x3fd638becb80add8),
    ("beta tight Q(u0)", 0x3fcc34edf590c7df),
    ("beta tight Q(u1)", 0x3fcb1b45d0b3da9a),
    ("beta tight Q(u2)", 0x3fcaf5500488a722),
    ("beta tight Q(u3)", 0x3fcad02c29e91029),
    ("beta tight Q(Phi(-2.5))", 0x3fc67c5810f755d1),
    ("beta tight Q(Phi(0.3))", 0x3fc9f8312a32300f),
    ("beta tight Q(Phi(4))", 0x3fcef3702d70482c),
    ("uniform Q(u0)", 0x400f74152692c87e),
    ("uniform Q(u1)", 0x400d1b5adb31e3db),
    ("uniform Q(u2)", 0x400c87169519bf00),
    ("uniform Q(u3)", 0x400be363005b55dc),
    ("triangular Q(u0)", 0x3fe6be3c2692185a),
    ("triangular Q(u1)", 0x3fe306e9a190afcc),
    ("triangular Q(u2)", 0x3fe2662a62b60144),
    ("triangular Q(u3)", 0x3fe1c3976804702a),
    ("pert Q(u0)", 0x406bbb1c1a1f1cce),
    ("pert Q(u1)", 0x4068a6bb1b9dc7ff),
    ("pert Q(u2)", 0x40682fa465f24ee7),
    ("pert Q(u3)", 0x4067b9203c868392),
    ("normal Q(u0)", 0x40849fba99cb8871),
    ("normal Q(u1)", 0x40828e3df79cdf34),
    ("normal Q(u2)", 0x408246191886c417),
    ("normal Q(u3)", 0x4081ff537b740cac),
    ("normal truncated Q(u0)", 0x4082901efc81ebe5),
    ("normal truncated Q(u1)", 0x4081e66ed34e4e33),
    ("normal truncated Q(u2)", 0x4081c28a1dff8a59),
    ("normal truncated Q(u3)", 0x40819cce953f63e6),
    ("lognormal Q(u0)", 0x41463b777d1c9598),
    ("lognormal Q(u1)", 0x4142df5614275ba4),
    ("lognormal Q(u2)", 0x414274accaadba1c),
    ("lognormal Q(u3)", 0x41420e54a23aceaf),
    ("discrete Q(u0)", 0x4014000000000000),
    ("discrete Q(u1)", 0x4014000000000000),
    ("discrete Q(u2)", 0x4014000000000000),
    ("discrete Q(u3)", 0x4014000000000000),
    ("binomial none #0", 0x0),
    ("binomial none #1", 0x0),
    ("binomial none #2", 0x0),
    ("binomial p = 0 #0", 0x0),
    ("binomial p = 0 #1", 0x0),
    ("binomial p = 0 #2", 0x0),
    ("binomial all #0", 0x32),
    ("binomial all #1", 0x32),
    ("binomial all #2", 0x32),
    ("binomial inversion #0", 0x4),
    ("binomial inversion #1", 0x2),
    ("binomial inversion #2", 0x0),
    ("binomial btrd #0", 0x12c),
    ("binomial btrd #1", 0x11f),
    ("binomial btrd #2", 0x127),
    ("binomial mirrored btrd #0", 0x320),
    ("binomial mirrored btrd #1", 0x32b),
    ("binomial mirrored btrd #2", 0x324),
    ("binomial mirrored inversion #0", 0x11),
    ("binomial mirrored inversion #1", 0x13),
    ("binomial mirrored inversion #2", 0x14),
    ("lanes #0 lane 0", 0x33a),
    ("lanes #0 lane 1", 0x2),
    ("lanes #0 lane 2", 0x0),
    ("lanes #0 lane 3", 0x107),
    ("lanes #1 lane 0", 0x32e),
    ("lanes #1 lane 1", 0x3),
    ("lanes #1 lane 2", 0x0),
    ("lanes #1 lane 3", 0x11b),
    ("beta variate (2, 5) #0", 0x3fddfa614efc79b6),
    ("beta variate (2, 5) #1", 0x3fdd3fb2a9c52eb3),
    ("beta variate (0.5, 0.5) #0", 0x3fee2a28b9574a1b),
    ("beta variate (0.5, 0.5) #1", 0x3fd073a5932c9ad8),
    ("beta variate (50, 30) #0", 0x3fe6473e9460e358),
    ("beta variate (50, 30) #1", 0x3fe5d3e885fda176),
];

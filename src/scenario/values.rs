//! Value types of the scenario format that need their own reading rules:
//! whole numbers that accept `48.0`, probability distributions written as a
//! plain number or a one-key mapping, and ordered `id -> value` mappings.
//!
//! Each type has a hand-written `Deserialize` (for precise error messages) and
//! a hand-written `JsonSchema` (so `ibsim schema` describes the same format).

use std::borrow::Cow;
use std::fmt;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize};

/// The start of the message for a whole number beyond `i64` (the reader
/// puts the number as written in front of it).
pub const TOO_LARGE: &str = "is too large for a whole number (at most 9223372036854775807)";

/// A whole number as written in a scenario (`48` or `48.0`); range checks are
/// left to validation so that they can report every problem at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Whole(pub i64);

impl<'de> Deserialize<'de> for Whole {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Whole;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a whole number")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Whole, E> {
                Ok(Whole(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Whole, E> {
                i64::try_from(v)
                    .map(Whole)
                    .map_err(|_| E::custom(TOO_LARGE))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Whole, E> {
                // 2^63 is exactly representable; anything at or above it overflows i64.
                if v.is_finite() && v.fract() == 0.0 && v.abs() < 9.223_372_036_854_776e18 {
                    Ok(Whole(v as i64))
                } else if v.is_finite() && v.fract() == 0.0 {
                    Err(E::custom(TOO_LARGE))
                } else {
                    Err(E::custom(format!("expected a whole number, found {v}")))
                }
            }
        }
        d.deserialize_any(V)
    }
}

impl JsonSchema for Whole {
    fn schema_name() -> Cow<'static, str> {
        "Whole".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({"type": "integer", "description": "a whole number (48 or 48.0)"})
    }
}

/// The parameters of a beta distribution: either `{mean, sd}` or `{alpha, beta}`.
/// Which pair was given (and that it is exactly one pair) is checked in validation.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BetaParams {
    /// Mean of the distribution, in (0, 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mean: Option<f64>,
    /// Standard deviation; needs sd^2 < mean (1 - mean).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sd: Option<f64>,
    /// Shape parameter alpha > 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alpha: Option<f64>,
    /// Shape parameter beta > 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub beta: Option<f64>,
}

/// `{min, max}`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Range {
    /// Lower bound.
    pub min: f64,
    /// Upper bound.
    pub max: f64,
}

/// `{min, mode, max}`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ThreePoint {
    /// Lower bound.
    pub min: f64,
    /// Most likely value.
    pub mode: f64,
    /// Upper bound.
    pub max: f64,
}

/// `{mean, sd, min?, max?}`: a normal, optionally truncated to [min, max].
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NormalParams {
    /// Mean before truncation.
    pub mean: f64,
    /// Standard deviation before truncation.
    pub sd: f64,
    /// Optional lower truncation bound.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    /// Optional upper truncation bound.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
}

/// `{mean, sd}` of a lognormal variable itself (not of its logarithm).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MeanSd {
    /// Mean of the variable.
    pub mean: f64,
    /// Standard deviation of the variable.
    pub sd: f64,
}

/// `{values, weights}`: a finite distribution; weights need not sum to 1.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DiscreteParams {
    /// The possible values.
    pub values: Vec<f64>,
    /// One non-negative weight per value.
    pub weights: Vec<f64>,
}

/// An uncertain quantity: a constant or one of the distribution kinds of docs/model.md, "Scenario".
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Dist {
    /// `beta: {mean, sd}` or `beta: {alpha, beta}`.
    Beta(BetaParams),
    /// `uniform: {min, max}`.
    Uniform(Range),
    /// `triangular: {min, mode, max}`.
    Triangular(ThreePoint),
    /// `pert: {min, mode, max}` (beta-PERT, lambda = 4).
    Pert(ThreePoint),
    /// `normal: {mean, sd, min?, max?}`.
    Normal(NormalParams),
    /// `lognormal: {mean, sd}`.
    Lognormal(MeanSd),
    /// `discrete: {values, weights}`.
    Discrete(DiscreteParams),
    /// A plain number.
    #[serde(untagged)]
    Const(f64),
}

/// The distribution kinds, in the order the format documents them.
pub const DIST_KINDS: [&str; 7] = [
    "beta",
    "uniform",
    "triangular",
    "pert",
    "normal",
    "lognormal",
    "discrete",
];

impl Dist {
    /// The kind's key as written in YAML (`"constant"` for a plain number).
    pub fn kind(&self) -> &'static str {
        match self {
            Dist::Const(_) => "constant",
            Dist::Beta(_) => "beta",
            Dist::Uniform(_) => "uniform",
            Dist::Triangular(_) => "triangular",
            Dist::Pert(_) => "pert",
            Dist::Normal(_) => "normal",
            Dist::Lognormal(_) => "lognormal",
            Dist::Discrete(_) => "discrete",
        }
    }
}

impl<'de> Deserialize<'de> for Dist {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Dist;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                write!(
                    f,
                    "a number or a distribution (a mapping with one key: {})",
                    DIST_KINDS.join(", ")
                )
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Dist, E> {
                Ok(Dist::Const(v as f64))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Dist, E> {
                Ok(Dist::Const(v as f64))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Dist, E> {
                Ok(Dist::Const(v))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Dist, A::Error> {
                let Some(kind) = map.next_key::<String>()? else {
                    return Err(de::Error::custom(format!(
                        "empty mapping: expected one distribution key ({})",
                        DIST_KINDS.join(", ")
                    )));
                };
                let dist = match kind.as_str() {
                    "beta" => Dist::Beta(map.next_value()?),
                    "uniform" => Dist::Uniform(map.next_value()?),
                    "triangular" => Dist::Triangular(map.next_value()?),
                    "pert" => Dist::Pert(map.next_value()?),
                    "normal" => Dist::Normal(map.next_value()?),
                    "lognormal" => Dist::Lognormal(map.next_value()?),
                    "discrete" => Dist::Discrete(map.next_value()?),
                    other => {
                        return Err(de::Error::unknown_variant(other, &DIST_KINDS));
                    }
                };
                if let Some(extra) = map.next_key::<String>()? {
                    return Err(de::Error::custom(format!(
                        "a distribution has exactly one key; found `{kind}` and `{extra}`"
                    )));
                }
                Ok(dist)
            }
        }
        d.deserialize_any(V)
    }
}

impl JsonSchema for Dist {
    fn schema_name() -> Cow<'static, str> {
        "Distribution".into()
    }
    fn json_schema(g: &mut SchemaGenerator) -> Schema {
        let beta = g.subschema_for::<BetaParams>();
        let range = g.subschema_for::<Range>();
        let three = g.subschema_for::<ThreePoint>();
        let normal = g.subschema_for::<NormalParams>();
        let meansd = g.subschema_for::<MeanSd>();
        let discrete = g.subschema_for::<DiscreteParams>();
        let one = |key: &str, s: Schema| {
            json_schema!({
                "type": "object",
                "properties": {key: s},
                "required": [key],
                "additionalProperties": false
            })
        };
        json_schema!({
            "description": "a constant number, or a mapping with exactly one distribution key",
            "oneOf": [
                {"type": "number"},
                one("beta", beta),
                one("uniform", range),
                one("triangular", three.clone()),
                one("pert", three),
                one("normal", normal),
                one("lognormal", meansd),
                one("discrete", discrete)
            ]
        })
    }
}

/// A mapping from ids to values that keeps the order it was written in
/// (`rate_multiplier: {placement: 0.75}`, `per_outcome: {...}`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(transparent, bound(serialize = "V: Serialize"))]
pub struct IdMap<V>(#[serde(with = "pairs")] pub Vec<(String, V)>);

impl<V> IdMap<V> {
    /// True when no id is mapped.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<V> Default for IdMap<V> {
    fn default() -> Self {
        IdMap(Vec::new())
    }
}

mod pairs {
    use serde::ser::{SerializeMap, Serializer};
    pub fn serialize<S: Serializer, V: serde::Serialize>(
        v: &[(String, V)],
        s: S,
    ) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(v.len()))?;
        for (k, x) in v {
            m.serialize_entry(k, x)?;
        }
        m.end()
    }
}

impl<'de, V: Deserialize<'de>> Deserialize<'de> for IdMap<V> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Vis<V>(std::marker::PhantomData<V>);
        impl<'de, V: Deserialize<'de>> Visitor<'de> for Vis<V> {
            type Value = IdMap<V>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a mapping from outcome id to value")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<IdMap<V>, A::Error> {
                let mut out = Vec::new();
                while let Some((k, v)) = map.next_entry::<String, V>()? {
                    out.push((k, v));
                }
                Ok(IdMap(out))
            }
        }
        d.deserialize_map(Vis(std::marker::PhantomData))
    }
}

impl<V: JsonSchema> JsonSchema for IdMap<V> {
    fn schema_name() -> Cow<'static, str> {
        format!("IdMap_of_{}", V::schema_name()).into()
    }
    fn json_schema(g: &mut SchemaGenerator) -> Schema {
        let v = g.subschema_for::<V>();
        json_schema!({
            "type": "object",
            "propertyNames": {"pattern": "^[a-z0-9_]+$"},
            "additionalProperties": v
        })
    }
}

/// One marginal price tier: outcomes number `previous up_to + 1 ..= up_to`
/// of an outcome id are paid at `price` (docs/scenario-format.md, "Payment mechanics of real contracts").
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Tier {
    /// Last paid outcome (inclusive, counted over the whole contract) at this
    /// price; every tier but the last has one, strictly increasing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub up_to: Option<Whole>,
    /// Price per outcome in this tier (>= 0).
    pub price: f64,
}

/// The price of an outcome: one number, or marginal tiers on the cumulative
/// count paid (`{tiers: [{up_to: 370, price: 1100}, {price: 1350}]}`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Price {
    /// Every paid outcome at this price.
    Fixed(f64),
    /// Marginal tiers.
    Tiered {
        /// The tiers, in order.
        tiers: Vec<Tier>,
    },
}

impl<'de> Deserialize<'de> for Price {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Price;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a price (a number) or `{tiers: [{up_to, price}, ..., {price}]}`")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Price, E> {
                Ok(Price::Fixed(v as f64))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Price, E> {
                Ok(Price::Fixed(v as f64))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Price, E> {
                Ok(Price::Fixed(v))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Price, A::Error> {
                let mut tiers = None;
                while let Some(k) = map.next_key::<String>()? {
                    if k != "tiers" {
                        return Err(de::Error::unknown_field(&k, &["tiers"]));
                    }
                    if tiers.is_some() {
                        return Err(de::Error::duplicate_field("tiers"));
                    }
                    tiers = Some(map.next_value::<Vec<Tier>>()?);
                }
                tiers
                    .map(|tiers| Price::Tiered { tiers })
                    .ok_or_else(|| de::Error::missing_field("tiers"))
            }
        }
        d.deserialize_any(V)
    }
}

impl JsonSchema for Price {
    fn schema_name() -> Cow<'static, str> {
        "Price".into()
    }
    fn json_schema(g: &mut SchemaGenerator) -> Schema {
        let tier = g.subschema_for::<Tier>();
        json_schema!({
            "description": "a price per outcome, or marginal tiers on the cumulative count paid",
            "oneOf": [
                {"type": "number", "minimum": 0},
                {
                    "type": "object",
                    "properties": {"tiers": {"type": "array", "items": tier, "minItems": 1}},
                    "required": ["tiers"],
                    "additionalProperties": false
                }
            ]
        })
    }
}

/// A multiplier for every outcome (a number) or per outcome id (a mapping).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum PerOutcome {
    /// The same multiplier for every outcome.
    All(f64),
    /// Outcome id -> multiplier (1 for the others).
    Each(IdMap<f64>),
}

impl<'de> Deserialize<'de> for PerOutcome {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = PerOutcome;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a number (every outcome) or a mapping from outcome id to number")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<PerOutcome, E> {
                Ok(PerOutcome::All(v as f64))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<PerOutcome, E> {
                Ok(PerOutcome::All(v as f64))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<PerOutcome, E> {
                Ok(PerOutcome::All(v))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<PerOutcome, A::Error> {
                let mut out = Vec::new();
                while let Some((k, v)) = map.next_entry::<String, f64>()? {
                    out.push((k, v));
                }
                Ok(PerOutcome::Each(IdMap(out)))
            }
        }
        d.deserialize_any(V)
    }
}

impl JsonSchema for PerOutcome {
    fn schema_name() -> Cow<'static, str> {
        "PerOutcome".into()
    }
    fn json_schema(g: &mut SchemaGenerator) -> Schema {
        let map = g.subschema_for::<IdMap<f64>>();
        json_schema!({
            "description": "a multiplier for every outcome, or per outcome id",
            "oneOf": [{"type": "number", "minimum": 0}, map]
        })
    }
}

/// When the deal account distributes to the tranches (docs/model.md, "The deal account"):
/// `monthly`, `end`, or `{every_months: N}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Distributions {
    /// Every month.
    Monthly,
    /// Only in the last month.
    End,
    /// Months t with (t + 1) divisible by N, and the last month.
    Every(Whole),
}

impl Distributions {
    /// The schedule as written in YAML (`monthly`, `end`, `every 12 months`).
    pub fn describe(&self) -> String {
        match self {
            Distributions::Monthly => "monthly".into(),
            Distributions::End => "end".into(),
            Distributions::Every(n) => format!("every_months: {}", n.0),
        }
    }
}

impl Serialize for Distributions {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        match self {
            Distributions::Monthly => s.serialize_str("monthly"),
            Distributions::End => s.serialize_str("end"),
            Distributions::Every(n) => {
                let mut m = s.serialize_map(Some(1))?;
                m.serialize_entry("every_months", n)?;
                m.end()
            }
        }
    }
}

const SCHEDULES: &str = "`monthly`, `end` or `{every_months: N}`";

impl<'de> Deserialize<'de> for Distributions {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Distributions;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                write!(f, "a distribution schedule: {SCHEDULES}")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Distributions, E> {
                match v {
                    "monthly" => Ok(Distributions::Monthly),
                    "end" => Ok(Distributions::End),
                    other => Err(E::custom(format!(
                        "unknown schedule `{other}`: expected {SCHEDULES}"
                    ))),
                }
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Distributions, E> {
                Err(E::custom(format!(
                    "a bare number is not a schedule: write `{{every_months: {v}}}` (or `monthly`, `end`)"
                )))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Distributions, E> {
                self.visit_i64(i64::try_from(v).unwrap_or(i64::MAX))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Distributions, E> {
                Err(E::custom(format!(
                    "a bare number ({v}) is not a schedule: expected {SCHEDULES}"
                )))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Distributions, E> {
                Err(E::custom(format!(
                    "`{v}` is not a schedule: expected {SCHEDULES}"
                )))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Distributions, A::Error> {
                let mut every = None;
                while let Some(k) = map.next_key::<String>()? {
                    if k != "every_months" {
                        return Err(de::Error::unknown_field(&k, &["every_months"]));
                    }
                    if every.is_some() {
                        return Err(de::Error::duplicate_field("every_months"));
                    }
                    every = Some(map.next_value::<Whole>()?);
                }
                every
                    .map(Distributions::Every)
                    .ok_or_else(|| de::Error::missing_field("every_months"))
            }
        }
        d.deserialize_any(V)
    }
}

impl JsonSchema for Distributions {
    fn schema_name() -> Cow<'static, str> {
        "Distributions".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "when the deal account pays the tranches: every month, only in the last month, or every N months (and in the last month)",
            "oneOf": [
                {"type": "string", "enum": ["monthly", "end"]},
                {
                    "type": "object",
                    "properties": {"every_months": {"type": "integer", "minimum": 1}},
                    "required": ["every_months"],
                    "additionalProperties": false
                }
            ]
        })
    }
}

//! PATH addressing of scenario values (README, "Commands"): dots between keys,
//! list items by `id` or `name` (or position), e.g. `outcomes.placement.price`,
//! `finance.tranches.senior.cap_irr`, `payment.budget_cap`.
//!
//! A value is set on the scenario's JSON form, read back into the typed
//! scenario (so unknown keys are still rejected) and validated again.

use serde_json::Value;

use crate::scenario::{Scenario, validate};

/// Sets the value at `path` to `x` and returns the checked scenario.
pub fn set(s: &Scenario, path: &str, x: f64) -> Result<Scenario, String> {
    let mut v = serde_json::to_value(s).map_err(|e| e.to_string())?;
    set_value(&mut v, path, x, "the scenario")?;
    let s2: Scenario = serde_json::from_value(v).map_err(|e| format!("`{path}`: {e}"))?;
    let problems = validate::validate(&s2);
    if let Some(p) = problems.first() {
        return Err(format!("{path} = {x}: {}: {}", p.path, p.message));
    }
    Ok(s2)
}

/// Sets the number at `path` in the JSON form `v` of a file (`root` names
/// the file in messages: "the scenario", "the programme"), adding a key
/// the file leaves out.
pub fn set_value(v: &mut Value, path: &str, x: f64, root: &str) -> Result<(), String> {
    let segs: Vec<&str> = path.split('.').collect();
    if segs.iter().any(|p| p.is_empty()) {
        return Err(format!(
            "`{path}` is not a path: expected keys separated by dots, e.g. outcomes.placement.price"
        ));
    }
    let mut cur = v;
    let mut walked = String::new();
    for (i, seg) in segs.iter().enumerate() {
        let last = i + 1 == segs.len();
        let here = if walked.is_empty() {
            root.to_owned()
        } else {
            format!("`{walked}`")
        };
        cur = match cur {
            Value::Object(map) => {
                if !map.contains_key(*seg) {
                    // A key the scenario leaves out (an optional value) may be set.
                    map.insert(
                        (*seg).to_owned(),
                        if last {
                            Value::Null
                        } else {
                            Value::Object(Default::default())
                        },
                    );
                }
                map.get_mut(*seg)
                    .ok_or_else(|| format!("no key `{seg}` in {here}"))?
            }
            Value::Array(items) => {
                let names: Vec<String> = items
                    .iter()
                    .filter_map(|it| {
                        it.get("id")
                            .or_else(|| it.get("name"))
                            .and_then(Value::as_str)
                            .map(str::to_owned)
                    })
                    .collect();
                let pos = items
                    .iter()
                    .position(|it| {
                        it.get("id").and_then(Value::as_str) == Some(seg)
                            || it.get("name").and_then(Value::as_str) == Some(seg)
                    })
                    .or_else(|| seg.parse::<usize>().ok().filter(|&k| k < items.len()));
                match pos {
                    Some(k) => &mut items[k],
                    None => {
                        return Err(format!(
                            "no item `{seg}` in {here}: expected one of {}",
                            if names.is_empty() {
                                "the item positions".to_owned()
                            } else {
                                names.join(", ")
                            }
                        ));
                    }
                }
            }
            _ => {
                return Err(format!(
                    "{here} is a single value; `{seg}` cannot be looked up in it"
                ));
            }
        };
        if !walked.is_empty() {
            walked.push('.');
        }
        walked.push_str(seg);
    }
    // A distribution may be replaced by a constant; any other group of values may not.
    let is_dist = cur.as_object().is_some_and(|m| {
        m.len() == 1
            && m.keys()
                .all(|k| crate::scenario::values::DIST_KINDS.contains(&k.as_str()))
    });
    if (cur.is_object() && !is_dist) || cur.is_array() {
        let keys = match cur {
            Value::Object(m) => m.keys().cloned().collect::<Vec<_>>().join(", "),
            _ => "item names".into(),
        };
        return Err(format!(
            "`{path}` is a group of values, not a number: continue the path with one of {keys}"
        ));
    }
    *cur = serde_json::Number::from_f64(x)
        .map(Value::Number)
        .ok_or_else(|| format!("{x} is not a finite number"))?;
    Ok(())
}

/// Reads the number at `path`, if the scenario has one there.
pub fn get(s: &Scenario, path: &str) -> Option<f64> {
    let v = serde_json::to_value(s).ok()?;
    let mut cur = &v;
    for seg in path.split('.') {
        cur = match cur {
            Value::Object(m) => m.get(seg)?,
            // An item by id or name, else by position, as `set` reads it.
            Value::Array(items) => items
                .iter()
                .find(|it| {
                    it.get("id").and_then(Value::as_str) == Some(seg)
                        || it.get("name").and_then(Value::as_str) == Some(seg)
                })
                .or_else(|| items.get(seg.parse::<usize>().ok()?))?,
            _ => return None,
        };
    }
    cur.as_f64()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reference() -> Scenario {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/scenarios/bench/reference.yaml"
        ))
        .unwrap();
        crate::scenario::parse_str(&text, "reference.yaml")
            .unwrap()
            .scenario
    }

    #[test]
    fn sets_values_by_id_name_and_key() {
        let s = reference();
        let t = set(&s, "outcomes.placement.price", 2.0e6).unwrap();
        assert_eq!(t.outcomes[0].price, crate::scenario::Price::Fixed(2.0e6));
        let t = set(&s, "finance.tranches.senior.cap_irr", 0.1).unwrap();
        assert_eq!(t.finance.tranches.as_ref().unwrap()[0].cap_irr, Some(0.1));
        let t = set(&s, "payment.budget_cap", 1e10).unwrap();
        assert_eq!(t.payment.budget_cap, Some(1e10));
        let t = set(&s, "outcomes.retention_3m.rate", 0.7).unwrap();
        assert_eq!(t.outcomes[1].rate, Some(crate::scenario::Dist::Const(0.7)));
        let t = set(&s, "outcomes.placement.rate.beta.mean", 0.6).unwrap();
        assert_eq!(get(&t, "outcomes.placement.rate.beta.mean"), Some(0.6));
        assert_eq!(get(&s, "finance.committed_capital"), Some(25e9));
    }

    #[test]
    fn errors_name_the_valid_choices() {
        let s = reference();
        let e = set(&s, "outcomes.hiring.price", 1.0).unwrap_err();
        assert!(e.contains("placement, retention_3m"), "{e}");
        let e = set(&s, "payment.budget_kap", 1.0).unwrap_err();
        assert!(
            e.contains("unknown field `budget_kap`") && e.contains("budget_cap"),
            "{e}"
        );
        let e = set(&s, "finance.tranches.senior.cap_irr", -1.0).unwrap_err();
        assert!(e.contains("cap_irr"), "{e}");
        let e = set(&s, "finance", 1.0).unwrap_err();
        assert!(e.contains("group of values"), "{e}");
    }
}

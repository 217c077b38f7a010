//! A tenant's tuning of a vendor pack plugin: an RFC 7386 JSON merge patch
//! over the vendor's default configuration. The patch, not the merged
//! result, is what the tenant owns, so that an upgrade applies the same
//! patch over the new version's defaults (a default the vendor changes and
//! the tenant never touched follows the vendor; Helm's `--reuse-values`
//! drops such changes, Totango's templates drop the tenant's).

use serde_json::{Map, Value};

/// The configuration a plugin runs with: the defaults under the patch.
pub fn effective(defaults: &Value, patch: Option<&Value>) -> Value {
    let mut out = defaults.clone();
    if let Some(p) = patch {
        json_patch::merge(&mut out, p);
    }
    out
}

/// The tenant's patch after `more` is applied on top of `existing`: later
/// keys win, and a `null` (remove this key from the defaults) is kept, so
/// that `effective(d, compose(a, b)) == effective(effective(d, a), b)`.
pub fn compose(existing: Option<&Value>, more: &Value) -> Value {
    match (existing, more) {
        (Some(Value::Object(old)), Value::Object(new)) => {
            let mut out = old.clone();
            for (k, v) in new {
                let merged = match (out.get(k), v) {
                    (Some(prev @ Value::Object(_)), Value::Object(_)) => compose(Some(prev), v),
                    _ => v.clone(),
                };
                out.insert(k.clone(), merged);
            }
            Value::Object(out)
        }
        _ => more.clone(),
    }
}

/// The merge patch that turns `defaults` into `config` (what a tenant who
/// sets a whole configuration of a pack plugin has changed), or `None`
/// when no merge patch can say it: a `null` inside `config` reads as
/// "remove" in a merge patch (RFC 7386 section 1).
pub fn diff(defaults: &Value, config: &Value) -> Option<Value> {
    let patch = diff_value(defaults, config);
    (effective(defaults, Some(&patch)) == *config).then_some(patch)
}

fn diff_value(defaults: &Value, config: &Value) -> Value {
    let (Value::Object(d), Value::Object(c)) = (defaults, config) else {
        return config.clone();
    };
    let mut out = Map::new();
    for key in d.keys() {
        if !c.contains_key(key) {
            out.insert(key.clone(), Value::Null);
        }
    }
    for (key, value) in c {
        match d.get(key) {
            Some(old) if old == value => {}
            Some(old @ Value::Object(_)) if value.is_object() => {
                out.insert(key.clone(), diff_value(old, value));
            }
            _ => {
                out.insert(key.clone(), value.clone());
            }
        }
    }
    Value::Object(out)
}

/// Whether a patch changes nothing (`{}`).
pub fn is_empty(patch: &Value) -> bool {
    patch.as_object().is_some_and(Map::is_empty)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn defaults() -> Value {
        json!({"weights": {"usage": 0.5, "support": 0.3, "nps": 0.2}, "red_below": 40, "notes": "x"})
    }

    #[test]
    fn a_patch_overrides_removes_and_keeps_the_rest() {
        let patch = json!({"weights": {"usage": 0.6, "nps": null}, "red_below": 45});
        assert_eq!(
            effective(&defaults(), Some(&patch)),
            json!({"weights": {"usage": 0.6, "support": 0.3}, "red_below": 45, "notes": "x"})
        );
        assert_eq!(effective(&defaults(), None), defaults());
    }

    #[test]
    fn the_same_patch_over_new_defaults_follows_the_vendor_where_untouched() {
        let patch = json!({"red_below": 45});
        let v2 = json!({"weights": {"usage": 0.4, "support": 0.4, "nps": 0.2}, "red_below": 35, "amber_below": 70});
        assert_eq!(
            effective(&v2, Some(&patch)),
            json!({"weights": {"usage": 0.4, "support": 0.4, "nps": 0.2}, "red_below": 45, "amber_below": 70})
        );
    }

    #[test]
    fn composed_patches_act_as_applied_one_after_the_other() {
        let a = json!({"weights": {"usage": 0.6}, "notes": null});
        let b = json!({"weights": {"support": 0.1}, "red_below": 50});
        let once = effective(&defaults(), Some(&compose(Some(&a), &b)));
        let twice = effective(&effective(&defaults(), Some(&a)), Some(&b));
        assert_eq!(once, twice);
        assert_eq!(compose(None, &b), b);
    }

    #[test]
    fn a_whole_configuration_becomes_the_patch_that_gives_it() {
        let config =
            json!({"weights": {"usage": 0.7, "support": 0.3}, "red_below": 40, "extra": [1]});
        let patch = diff(&defaults(), &config).unwrap();
        assert_eq!(
            patch,
            json!({"weights": {"usage": 0.7, "nps": null}, "notes": null, "extra": [1]})
        );
        assert_eq!(effective(&defaults(), Some(&patch)), config);
        assert!(is_empty(&diff(&defaults(), &defaults()).unwrap()));
        // A null value cannot be said by a merge patch.
        assert_eq!(diff(&defaults(), &json!({"red_below": null})), None);
    }
}

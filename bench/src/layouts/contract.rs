//! Checks of the proposed contract (`wit/0.2`), parsed as the binding
//! generators parse it: its four worlds, what each exports, and that it
//! carries every snapshot field and attribute of the frozen 0.1 package.

#[cfg(test)]
mod tests {
    use std::path::Path;
    use wit_parser::{
        InterfaceId, PackageId, Resolve, Type, TypeDefKind, TypeOwner, WorldItem, WorldKey,
    };

    fn load(dir: &str) -> (Resolve, PackageId) {
        let mut resolve = Resolve::default();
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(dir);
        let (package, _) = resolve
            .push_dir(&path)
            .unwrap_or_else(|e| panic!("{}: {e:#}", path.display()));
        (resolve, package)
    }

    fn interface(r: &Resolve, package: PackageId, name: &str) -> InterfaceId {
        r.packages[package].interfaces[name]
    }

    /// The names of a record's fields, or of an enum's cases.
    fn members(r: &Resolve, iface: InterfaceId, ty: &str) -> Vec<String> {
        let id = r.interfaces[iface].types[ty];
        match &r.types[id].kind {
            TypeDefKind::Record(rec) => rec.fields.iter().map(|f| f.name.clone()).collect(),
            TypeDefKind::Enum(e) => e.cases.iter().map(|c| c.name.clone()).collect(),
            other => panic!("{ty} is a {other:?}"),
        }
    }

    fn type_name(r: &Resolve, ty: &Type) -> Option<String> {
        match ty {
            Type::Id(id) => r.types[*id].name.clone(),
            _ => None,
        }
    }

    #[test]
    fn each_world_exports_metadata_project_and_one_batch_call() {
        let (r, package) = load("wit/0.2");
        assert_eq!(r.packages[package].name.to_string(), "vitals:plugin@0.2.0");
        for (world, export, call, results) in [
            ("health-model", "health", "score", "health-results"),
            ("segmenter", "segments", "assign", "segment-results"),
            (
                "propensity-model",
                "propensity",
                "score",
                "propensity-results",
            ),
            ("forecaster", "forecast", "predict", "forecast-results"),
        ] {
            let w = &r.worlds[r.select_world(&[package], Some(world)).unwrap()];
            let exported: Vec<&str> = w
                .exports
                .iter()
                .map(|(key, item)| match (key, item) {
                    (WorldKey::Interface(id), WorldItem::Interface { .. }) => {
                        r.interfaces[*id].name.as_deref().unwrap_or("")
                    }
                    other => panic!("{world} exports {other:?}"),
                })
                .collect();
            assert_eq!(exported, [export], "{world}");
            let imports_log = w.imports.keys().any(|k| match k {
                WorldKey::Interface(id) => r.interfaces[*id].name.as_deref() == Some("log"),
                WorldKey::Name(_) => false,
            });
            assert!(imports_log, "{world} imports log");
            let iface = &r.interfaces[interface(&r, package, export)];
            let functions: Vec<&str> = iface.functions.keys().map(String::as_str).collect();
            assert_eq!(functions, ["metadata", "project", call], "{world}");
            let f = &iface.functions[call];
            let params: Vec<(&str, Option<String>)> = f
                .params
                .iter()
                .map(|p| (p.name.as_str(), type_name(&r, &p.ty)))
                .collect();
            assert_eq!(
                params,
                [
                    ("config", None),
                    ("as-of", Some("date".into())),
                    ("accounts", Some("batch".into()))
                ],
                "{world}.{call}"
            );
            // result<X-results, plugin-error>: one result per account inside X-results.
            let Some(Type::Id(result)) = f.result else {
                panic!("{world}.{call} returns nothing")
            };
            let TypeDefKind::Result(res) = &r.types[result].kind else {
                panic!("{world}.{call} does not return a result")
            };
            assert_eq!(
                type_name(&r, res.ok.as_ref().unwrap()),
                Some(results.into())
            );
            assert_eq!(
                type_name(&r, res.err.as_ref().unwrap()),
                Some("plugin-error".into())
            );
        }
    }

    #[test]
    fn the_field_and_attribute_enums_carry_every_0_1_field_in_order() {
        let (old, old_package) = load("wit");
        let (new, new_package) = load("wit/0.2");
        let (old_types, new_types) = (
            interface(&old, old_package, "types"),
            interface(&new, new_package, "types"),
        );
        let snapshot: Vec<String> = members(&old, old_types, "snapshot")
            .into_iter()
            .filter(|f| f != "as-of" && f != "metrics")
            .collect();
        assert_eq!(members(&new, new_types, "field"), snapshot);
        let attributes: Vec<String> = members(&old, old_types, "attributes")
            .into_iter()
            .filter(|f| f != "labels")
            .collect();
        assert_eq!(members(&new, new_types, "attribute"), attributes);
        // The outputs keep their explanations.
        for (record, field) in [
            ("health", "factors"),
            ("segment", "reason"),
            ("propensity", "drivers"),
            ("forecast", "basis"),
        ] {
            assert!(
                members(&new, new_types, record).contains(&field.to_string()),
                "{record}.{field}"
            );
        }
    }

    #[test]
    fn every_type_and_function_of_the_proposal_is_documented() {
        let (r, package) = load("wit/0.2");
        let mut undocumented = Vec::new();
        for (_, ty) in r.types.iter() {
            let TypeOwner::Interface(owner) = ty.owner else {
                continue;
            };
            if r.interfaces[owner].package == Some(package)
                && let Some(name) = &ty.name
                && ty.docs.contents.is_none()
                // `use`d names are aliases of documented types.
                && !matches!(ty.kind, TypeDefKind::Type(Type::Id(_)))
            {
                undocumented.push(name.clone());
            }
        }
        for (_, iface) in r.interfaces.iter() {
            if iface.package != Some(package) {
                continue;
            }
            if iface.docs.contents.is_none() {
                undocumented.push(iface.name.clone().unwrap_or_default());
            }
            for (name, f) in &iface.functions {
                if f.docs.contents.is_none() {
                    undocumented.push(name.clone());
                }
            }
        }
        assert!(undocumented.is_empty(), "undocumented: {undocumented:?}");
    }
}

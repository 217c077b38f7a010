//! Conversions between the SDK's own types and the generated contract types
//! (`vitals:plugin/types@0.2.0`) for the small, fixed-shape ones: enums,
//! errors, metadata and the projection. The batch and the result tables have
//! modules of their own ([`crate::decode`], [`crate::results`]).

pub use crate::bindings::health_model::vitals::plugin::types::*;

use crate::projection::{self as sdk_projection, Names as SdkNames, Reads as SdkReads};
use crate::types as sdk;

impl From<sdk::PluginError> for PluginError {
    fn from(e: sdk::PluginError) -> Self {
        match e {
            sdk::PluginError::InvalidConfig(m) => PluginError::InvalidConfig(m),
            sdk::PluginError::MissingData(m) => PluginError::MissingData(m),
            sdk::PluginError::InvalidInput(m) => PluginError::InvalidInput(m),
            sdk::PluginError::Internal(m) => PluginError::Internal(m),
        }
    }
}

impl From<PluginError> for sdk::PluginError {
    fn from(e: PluginError) -> Self {
        match e {
            PluginError::InvalidConfig(m) => sdk::PluginError::InvalidConfig(m),
            PluginError::MissingData(m) => sdk::PluginError::MissingData(m),
            PluginError::InvalidInput(m) => sdk::PluginError::InvalidInput(m),
            PluginError::Internal(m) => sdk::PluginError::Internal(m),
        }
    }
}

impl From<sdk::Band> for Band {
    fn from(b: sdk::Band) -> Self {
        match b {
            sdk::Band::Green => Band::Green,
            sdk::Band::Yellow => Band::Yellow,
            sdk::Band::Red => Band::Red,
        }
    }
}

impl From<Band> for sdk::Band {
    fn from(b: Band) -> Self {
        match b {
            Band::Green => sdk::Band::Green,
            Band::Yellow => sdk::Band::Yellow,
            Band::Red => sdk::Band::Red,
        }
    }
}

impl From<sdk::Confidence> for Confidence {
    fn from(c: sdk::Confidence) -> Self {
        match c {
            sdk::Confidence::Commit => Confidence::Commit,
            sdk::Confidence::BestCase => Confidence::BestCase,
            sdk::Confidence::Pipeline => Confidence::Pipeline,
            sdk::Confidence::Omitted => Confidence::Omitted,
        }
    }
}

impl From<Confidence> for sdk::Confidence {
    fn from(c: Confidence) -> Self {
        match c {
            Confidence::Commit => sdk::Confidence::Commit,
            Confidence::BestCase => sdk::Confidence::BestCase,
            Confidence::Pipeline => sdk::Confidence::Pipeline,
            Confidence::Omitted => sdk::Confidence::Omitted,
        }
    }
}

impl From<sdk::PluginKind> for PluginKind {
    fn from(k: sdk::PluginKind) -> Self {
        match k {
            sdk::PluginKind::HealthModel => PluginKind::HealthModel,
            sdk::PluginKind::Segmenter => PluginKind::Segmenter,
            sdk::PluginKind::PropensityModel => PluginKind::PropensityModel,
            sdk::PluginKind::Forecaster => PluginKind::Forecaster,
        }
    }
}

impl From<sdk_projection::Field> for Field {
    fn from(f: sdk_projection::Field) -> Self {
        use sdk_projection::Field as F;
        match f {
            F::SeatsPurchased => Field::SeatsPurchased,
            F::SeatsActive => Field::SeatsActive,
            F::Logins => Field::Logins,
            F::FeaturesUsed => Field::FeaturesUsed,
            F::FeaturesAvailable => Field::FeaturesAvailable,
            F::TicketsOpen => Field::TicketsOpen,
            F::TicketsHighSeverity => Field::TicketsHighSeverity,
            F::Nps => Field::Nps,
            F::Csat => Field::Csat,
            F::Arr => Field::Arr,
            F::ChampionLeft => Field::ChampionLeft,
            F::LatePayments => Field::LatePayments,
        }
    }
}

impl From<Field> for sdk_projection::Field {
    fn from(f: Field) -> Self {
        use sdk_projection::Field as F;
        match f {
            Field::SeatsPurchased => F::SeatsPurchased,
            Field::SeatsActive => F::SeatsActive,
            Field::Logins => F::Logins,
            Field::FeaturesUsed => F::FeaturesUsed,
            Field::FeaturesAvailable => F::FeaturesAvailable,
            Field::TicketsOpen => F::TicketsOpen,
            Field::TicketsHighSeverity => F::TicketsHighSeverity,
            Field::Nps => F::Nps,
            Field::Csat => F::Csat,
            Field::Arr => F::Arr,
            Field::ChampionLeft => F::ChampionLeft,
            Field::LatePayments => F::LatePayments,
        }
    }
}

impl From<sdk_projection::Attribute> for Attribute {
    fn from(a: sdk_projection::Attribute) -> Self {
        use sdk_projection::Attribute as A;
        match a {
            A::Name => Attribute::Name,
            A::Owner => Attribute::Owner,
            A::Tier => Attribute::Tier,
            A::Plan => Attribute::Plan,
            A::StartDate => Attribute::StartDate,
            A::RenewalDate => Attribute::RenewalDate,
            A::ContractArr => Attribute::ContractArr,
            A::RenewalConfidence => Attribute::RenewalConfidence,
        }
    }
}

impl From<&SdkNames> for Names {
    fn from(n: &SdkNames) -> Self {
        match n {
            SdkNames::All => Names::All,
            SdkNames::Only(names) => Names::Only(names.iter().map(|n| n.to_string()).collect()),
        }
    }
}

impl From<sdk_projection::Window> for Window {
    fn from(w: sdk_projection::Window) -> Self {
        use sdk_projection::Window as W;
        match w {
            W::None => Window::None,
            W::Days(d) => Window::Days(d),
            W::Latest(n) => Window::Latest(n),
            W::All => Window::All,
        }
    }
}

impl From<&SdkReads> for Reads {
    fn from(r: &SdkReads) -> Self {
        Reads {
            fields: r.fields.iter().map(Field::from).collect(),
            metrics: Names::from(&r.metrics),
        }
    }
}

impl From<&sdk_projection::Projection> for Projection {
    fn from(p: &sdk_projection::Projection) -> Self {
        Projection {
            attributes: p.attributes.iter().map(Attribute::from).collect(),
            labels: Names::from(&p.labels),
            current: Reads::from(&p.current),
            history: p.history.into(),
            history_reads: Reads::from(&p.history_reads),
            health: p.health.into(),
        }
    }
}

impl From<sdk::Metadata> for PluginMetadata {
    fn from(m: sdk::Metadata) -> Self {
        PluginMetadata {
            reads: Projection::from(&m.reads),
            name: m.name,
            version: m.version,
            kind: m.kind.into(),
            description: m.description,
            config_schema: m.config_schema,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::projection::{Field as F, Projection as P, Window as W};

    #[test]
    fn a_projection_crosses_as_declared() {
        let p = P::current(&[F::Nps, F::Arr])
            .with_metrics(&["m"])
            .with_history(W::Days(90), &[F::Arr])
            .with_health(W::Latest(1));
        let w = Projection::from(&p);
        assert_eq!(w.current.fields, [Field::Nps, Field::Arr]);
        assert_eq!(w.current.metrics, Names::Only(vec!["m".into()]));
        assert_eq!(w.history, Window::Days(90));
        assert_eq!(w.history_reads.metrics, Names::Only(vec![]));
        assert_eq!(w.health, Window::Latest(1));
        assert_eq!(Projection::from(&P::EVERYTHING).labels, Names::All);
    }

    #[test]
    fn fields_map_both_ways_in_order() {
        for f in F::ALL {
            assert_eq!(F::from(Field::from(f)), f);
            assert_eq!(Field::from(f) as usize, f as usize);
        }
    }
}

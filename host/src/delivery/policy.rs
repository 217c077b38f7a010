//! Where tenants may deliver (the operator's `webhooks.destinations`), and
//! the addresses no delivery may reach unless the operator listed them:
//! loopback, private, link-local, unique-local, unspecified, multicast,
//! broadcast, documentation, shared (CGNAT) and reserved ranges, and the
//! IPv6 forms that embed such an IPv4 address. Checked when an endpoint is
//! added and again on every address an attempt connects to (the resolver
//! in [`PolicyResolver`] drops refused ones), so a name that later resolves
//! somewhere private is still refused.

use ipnet::IpNet;
use reqwest::Url;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

/// One entry of `webhooks.destinations`.
#[derive(Debug, Clone, PartialEq)]
pub enum Destination {
    /// Exactly this host name (lowercase).
    Host(String),
    /// Any host under this domain (`*.example.com` is stored as
    /// `.example.com`; the domain itself does not match).
    Under(String),
    /// Any address in this network, private or not: how an operator lets
    /// tenants call an internal receiver (and tests call 127.0.0.1).
    Network(IpNet),
}

/// The operator's destinations, checked.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DestinationPolicy {
    destinations: Vec<Destination>,
}

/// Why a URL or an address is refused, in words for the tenant.
pub type Refusal = String;

impl DestinationPolicy {
    /// Reads `webhooks.destinations`; an error names the entry.
    pub fn parse(entries: &[String]) -> Result<DestinationPolicy, String> {
        let destinations = entries
            .iter()
            .enumerate()
            .map(|(i, entry)| {
                parse_destination(entry).map_err(|why| format!("webhooks.destinations[{i}]: {why}"))
            })
            .collect::<Result<_, _>>()?;
        Ok(DestinationPolicy { destinations })
    }

    /// Whether the operator listed no destination (any public address).
    pub fn is_open(&self) -> bool {
        self.destinations.is_empty()
    }

    /// The URL's form: http(s), a host, no credentials; and its host
    /// allowed by name when it is a name, or its address when it is an
    /// address. Names are resolved by [`Self::check_resolved`].
    pub fn check_url(&self, url: &str) -> Result<Url, Refusal> {
        let parsed = Url::parse(url).map_err(|e| format!("{url:?} is not a URL: {e}"))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(format!(
                "{url:?}: webhooks are delivered over http or https, not {}",
                parsed.scheme()
            ));
        }
        if !parsed.username().is_empty() || parsed.password().is_some() {
            return Err(format!(
                "{url:?}: credentials in the URL would be sent in the clear to every proxy log; use the signature to authenticate"
            ));
        }
        match parsed.host() {
            None => Err(format!("{url:?} has no host")),
            Some(url::Host::Domain(name)) => {
                if self.is_open() || self.host_listed(name) || self.has_networks() {
                    Ok(parsed)
                } else {
                    Err(format!(
                        "{url:?}: host {name:?} is not among the destinations the operator allows (webhooks.destinations)"
                    ))
                }
            }
            Some(url::Host::Ipv4(ip)) => self
                .check_address(IpAddr::V4(ip), false)
                .map(|_| parsed)
                .map_err(|why| format!("{url:?}: {why}")),
            Some(url::Host::Ipv6(ip)) => self
                .check_address(IpAddr::V6(ip), false)
                .map(|_| parsed)
                .map_err(|why| format!("{url:?}: {why}")),
        }
    }

    /// Whether a host name is listed (exactly, or under a `*.` domain).
    pub fn host_listed(&self, name: &str) -> bool {
        let name = name.trim_end_matches('.').to_ascii_lowercase();
        self.destinations.iter().any(|d| match d {
            Destination::Host(h) => *h == name,
            Destination::Under(suffix) => name.ends_with(suffix.as_str()),
            Destination::Network(_) => false,
        })
    }

    fn has_networks(&self) -> bool {
        self.destinations
            .iter()
            .any(|d| matches!(d, Destination::Network(_)))
    }

    fn in_listed_network(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.destinations.iter().any(|d| match d {
            Destination::Network(net) => net.contains(&ip),
            _ => false,
        })
    }

    /// May a delivery connect to `ip`? Inside a listed network: yes.
    /// Otherwise only a public address, and when the operator listed
    /// destinations, only for a listed host name (`host_listed`).
    pub fn check_address(&self, ip: IpAddr, host_listed: bool) -> Result<(), Refusal> {
        if self.in_listed_network(ip) {
            return Ok(());
        }
        if let Some(class) = non_public_class(ip) {
            return Err(format!(
                "{ip} is not a public address ({class}): refused unless the operator lists its network in webhooks.destinations"
            ));
        }
        if self.is_open() || host_listed {
            Ok(())
        } else {
            Err(format!(
                "{ip} is not among the destinations the operator allows (webhooks.destinations)"
            ))
        }
    }

    /// Checks every address a host name resolved to (at `webhook add`:
    /// one refused address refuses the URL).
    pub fn check_resolved(&self, name: &str, addrs: &[SocketAddr]) -> Result<(), Refusal> {
        if addrs.is_empty() {
            return Err(format!("{name:?} resolves to no address"));
        }
        let listed = self.host_listed(name);
        for a in addrs {
            self.check_address(a.ip(), listed)
                .map_err(|why| format!("{name:?} resolves to {why}"))?;
        }
        Ok(())
    }

    /// Checks a URL whole, resolving its host name (blocking: for
    /// `webhook add`, outside any async runtime).
    pub fn check_url_now(&self, url: &str) -> Result<Url, Refusal> {
        let parsed = self.check_url(url)?;
        if let Some(url::Host::Domain(name)) = parsed.host() {
            use std::net::ToSocketAddrs;
            let port = parsed.port_or_known_default().unwrap_or(443);
            let addrs: Vec<SocketAddr> = (name, port)
                .to_socket_addrs()
                .map_err(|e| format!("{url:?}: cannot resolve {name:?}: {e}"))?
                .collect();
            self.check_resolved(name, &addrs)
                .map_err(|why| format!("{url:?}: {why}"))?;
        }
        Ok(parsed)
    }
}

fn parse_destination(entry: &str) -> Result<Destination, String> {
    let entry = entry.trim();
    if entry.contains('/') {
        let net: IpNet = entry
            .parse()
            .map_err(|_| format!("{entry:?} is not a network (like 10.0.0.0/8)"))?;
        return Ok(Destination::Network(net.trunc()));
    }
    if let Ok(ip) = entry.parse::<IpAddr>() {
        return Ok(Destination::Network(IpNet::from(ip)));
    }
    let (under, name) = match entry.strip_prefix("*.") {
        Some(rest) => (true, rest),
        None => (false, entry),
    };
    let valid = !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
    if !valid {
        return Err(format!(
            "{entry:?} is not a host name (hooks.example.com), a wildcard (*.example.com) or a network (10.0.0.0/8)"
        ));
    }
    let name = name.to_ascii_lowercase();
    Ok(if under {
        Destination::Under(format!(".{name}"))
    } else {
        Destination::Host(name)
    })
}

/// An IPv4 address written in IPv6 (mapped `::ffff:a.b.c.d`) is judged
/// as the IPv4 address it is.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => ip,
        },
        v4 => v4,
    }
}

/// The class of an address that is not public, or `None` for a public one.
pub fn non_public_class(ip: IpAddr) -> Option<&'static str> {
    match canonical(ip) {
        IpAddr::V4(v4) => v4_class(v4),
        IpAddr::V6(v6) => v6_class(v6),
    }
}

fn v4_class(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, c, _] = ip.octets();
    Some(match (a, b, c) {
        _ if ip.is_unspecified() || a == 0 => "unspecified (\"this network\")",
        _ if ip.is_loopback() => "loopback",
        _ if ip.is_private() => "private (RFC 1918)",
        _ if ip.is_link_local() => "link-local",
        _ if ip.is_broadcast() => "broadcast",
        _ if ip.is_multicast() => "multicast",
        _ if ip.is_documentation() => "documentation",
        (100, 64..=127, _) => "shared (CGNAT, RFC 6598)",
        (192, 0, 0) => "IETF protocol assignment",
        (198, 18..=19, _) => "benchmarking",
        (240..=255, _, _) => "reserved",
        _ => return None,
    })
}

fn v6_class(ip: Ipv6Addr) -> Option<&'static str> {
    let segments = ip.segments();
    let embedded_v4 = |hi: usize| {
        Ipv4Addr::new(
            (segments[hi] >> 8) as u8,
            segments[hi] as u8,
            (segments[hi + 1] >> 8) as u8,
            segments[hi + 1] as u8,
        )
    };
    if ip.is_unspecified() {
        return Some("unspecified");
    }
    if ip.is_loopback() {
        return Some("loopback");
    }
    if ip.is_multicast() {
        return Some("multicast");
    }
    match segments[0] {
        s if s & 0xfe00 == 0xfc00 => return Some("unique-local"),
        s if s & 0xffc0 == 0xfe80 => return Some("link-local"),
        s if s & 0xffc0 == 0xfec0 => return Some("site-local (deprecated)"),
        _ => {}
    }
    if segments[0] == 0x2001 && segments[1] == 0x0db8 {
        return Some("documentation");
    }
    // IPv4-compatible (deprecated) and NAT64 (64:ff9b::/96) forms reach
    // the IPv4 address they embed; 6to4 (2002::/16) embeds one too.
    if segments[..6] == [0, 0, 0, 0, 0, 0] || segments[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return v4_class(embedded_v4(6)).map(|_| "IPv6 form of a non-public IPv4");
    }
    if segments[0] == 0x2002 {
        return v4_class(embedded_v4(1)).map(|_| "6to4 form of a non-public IPv4");
    }
    None
}

/// The resolver every delivery connects through: the system's, with the
/// addresses the policy refuses dropped (none left: the attempt fails,
/// saying why).
pub struct PolicyResolver {
    /// The policy.
    pub policy: Arc<DestinationPolicy>,
}

impl reqwest::dns::Resolve for PolicyResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let policy = self.policy.clone();
        let host = name.as_str().to_string();
        Box::pin(async move {
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let listed = policy.host_listed(&host);
            let mut refusals = Vec::new();
            let allowed: Vec<SocketAddr> = found
                .into_iter()
                .filter(|a| match policy.check_address(a.ip(), listed) {
                    Ok(()) => true,
                    Err(why) => {
                        refusals.push(why);
                        false
                    }
                })
                .collect();
            if allowed.is_empty() {
                let why = refusals
                    .into_iter()
                    .next()
                    .unwrap_or_else(|| "no address".into());
                return Err(format!("{host:?}: {why}").into());
            }
            Ok(Box::new(allowed.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

#[cfg(test)]
#[path = "policy_tests.rs"]
mod tests;

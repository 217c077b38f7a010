use super::*;

fn open() -> DestinationPolicy {
    DestinationPolicy::default()
}

fn listing(entries: &[&str]) -> DestinationPolicy {
    DestinationPolicy::parse(&entries.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap()
}

fn ip(text: &str) -> IpAddr {
    text.parse().unwrap()
}

#[test]
fn every_class_of_non_public_address_is_refused_by_default() {
    let refused = [
        ("0.0.0.0", "unspecified"),
        ("0.1.2.3", "unspecified"),
        ("127.0.0.1", "loopback"),
        ("127.255.0.9", "loopback"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("172.31.255.254", "private"),
        ("192.168.1.1", "private"),
        ("169.254.169.254", "link-local"),
        ("255.255.255.255", "broadcast"),
        ("224.0.0.1", "multicast"),
        ("239.255.255.250", "multicast"),
        ("192.0.2.10", "documentation"),
        ("198.51.100.7", "documentation"),
        ("203.0.113.99", "documentation"),
        ("100.64.0.1", "CGNAT"),
        ("100.127.255.254", "CGNAT"),
        ("192.0.0.8", "IETF"),
        ("198.18.0.1", "benchmarking"),
        ("240.0.0.1", "reserved"),
        ("::", "unspecified"),
        ("::1", "loopback"),
        ("ff02::1", "multicast"),
        ("fe80::1", "link-local"),
        ("fc00::1", "unique-local"),
        ("fd12:3456::1", "unique-local"),
        ("fec0::1", "site-local"),
        ("2001:db8::1", "documentation"),
        ("::ffff:127.0.0.1", "loopback"),
        ("::ffff:10.0.0.1", "private"),
        ("::ffff:169.254.169.254", "link-local"),
        ("::127.0.0.1", "IPv6 form"),
        ("64:ff9b::a00:1", "IPv6 form"),
        ("2002:7f00:1::", "6to4"),
    ];
    for (address, class) in refused {
        let why = open().check_address(ip(address), false).unwrap_err();
        assert!(why.contains(class), "{address}: {why}");
        assert!(why.contains(&ip(address).to_string()), "{why}");
    }
}

#[test]
fn public_addresses_are_allowed_when_no_destination_is_listed() {
    for address in [
        "1.1.1.1",
        "8.8.8.8",
        "100.63.255.255",
        "100.128.0.1",
        "172.32.0.1",
        "192.169.0.1",
        "2606:4700:4700::1111",
        "::ffff:8.8.8.8",
        "64:ff9b::808:808",
        "2002:808:808::",
    ] {
        assert_eq!(
            open().check_address(ip(address), false),
            Ok(()),
            "{address}"
        );
    }
}

#[test]
fn a_listed_network_allows_its_addresses_even_private_ones_and_only_those() {
    let p = listing(&["127.0.0.1/32", "10.0.0.0/8"]);
    assert_eq!(p.check_address(ip("127.0.0.1"), false), Ok(()));
    assert_eq!(p.check_address(ip("::ffff:127.0.0.1"), false), Ok(()));
    assert_eq!(p.check_address(ip("10.9.8.7"), false), Ok(()));
    assert!(
        p.check_address(ip("127.0.0.2"), false)
            .unwrap_err()
            .contains("loopback")
    );
    // A public address outside the list: not a listed destination.
    assert!(
        p.check_address(ip("8.8.8.8"), false)
            .unwrap_err()
            .contains("not among the destinations")
    );
    assert!(p.check_url("http://127.0.0.1:9999/hook").is_ok());
    assert!(
        p.check_url("http://[::1]:9999/hook")
            .unwrap_err()
            .contains("loopback")
    );
}

#[test]
fn host_names_match_exactly_or_under_a_wildcard() {
    let p = listing(&["hooks.example.com", "*.acme.io"]);
    assert!(p.host_listed("hooks.example.com"));
    assert!(p.host_listed("HOOKS.example.com."));
    assert!(p.host_listed("crm.acme.io"));
    assert!(p.host_listed("a.b.acme.io"));
    assert!(!p.host_listed("acme.io"));
    assert!(!p.host_listed("evilacme.io"));
    assert!(!p.host_listed("example.com"));
    assert!(p.check_url("https://hooks.example.com/in").is_ok());
    let why = p.check_url("https://elsewhere.example.net/in").unwrap_err();
    assert!(
        why.contains("elsewhere.example.net") && why.contains("webhooks.destinations"),
        "{why}"
    );
    // A listed name still never reaches a private address.
    assert!(
        p.check_address(ip("10.0.0.1"), true)
            .unwrap_err()
            .contains("private")
    );
    assert_eq!(p.check_address(ip("93.184.216.34"), true), Ok(()));
}

#[test]
fn resolved_addresses_must_all_pass() {
    let p = open();
    let a = |s: &str| SocketAddr::new(ip(s), 443);
    assert_eq!(p.check_resolved("ok.test", &[a("8.8.8.8")]), Ok(()));
    let why = p
        .check_resolved("rebind.test", &[a("8.8.8.8"), a("127.0.0.1")])
        .unwrap_err();
    assert!(
        why.contains("rebind.test") && why.contains("loopback"),
        "{why}"
    );
    assert!(
        p.check_resolved("none.test", &[])
            .unwrap_err()
            .contains("no address")
    );
}

#[test]
fn urls_must_be_http_with_a_host_and_no_credentials() {
    let p = open();
    assert!(
        p.check_url("ftp://8.8.8.8/x")
            .unwrap_err()
            .contains("http or https")
    );
    assert!(p.check_url("not a url").unwrap_err().contains("not a URL"));
    assert!(
        p.check_url("http://user:pw@8.8.8.8/")
            .unwrap_err()
            .contains("credentials")
    );
    assert!(
        p.check_url("http://127.0.0.1/")
            .unwrap_err()
            .contains("loopback")
    );
    assert!(
        p.check_url("http://[::ffff:127.0.0.1]/")
            .unwrap_err()
            .contains("loopback")
    );
    // Decimal and short IPv4 forms are parsed as the address they are.
    assert!(
        p.check_url("http://2130706433/")
            .unwrap_err()
            .contains("loopback")
    );
    assert!(
        p.check_url("http://127.1/")
            .unwrap_err()
            .contains("loopback")
    );
    assert!(p.check_url("https://8.8.8.8/hook").is_ok());
    assert!(p.check_url("https://hooks.example.com/hook").is_ok());
}

#[test]
fn bad_destinations_are_named_by_index() {
    let err = DestinationPolicy::parse(&["ok.example.com".into(), "bad host!".into()]).unwrap_err();
    assert!(
        err.contains("webhooks.destinations[1]") && err.contains("bad host!"),
        "{err}"
    );
    let err = DestinationPolicy::parse(&["10.0.0.0/40".into()]).unwrap_err();
    assert!(err.contains("not a network"), "{err}");
    assert_eq!(
        listing(&["127.0.0.1"]).check_address(ip("127.0.0.1"), false),
        Ok(())
    );
}

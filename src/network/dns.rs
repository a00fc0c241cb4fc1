//! The resolution of `bootstrap.servers` by `client.dns.lookup` (Java's
//! `ClientUtils.parseAndValidateAddresses`), done once when the producer is created.
//!
//! * `use_all_dns_ips`: each bootstrap host stays a name (connections resolve it again and try
//!   its addresses one after another, see `Connections::resolve`); a host that does not resolve
//!   is skipped with Java's warning.
//! * `resolve_canonical_bootstrap_servers_only`: each host is resolved to all its addresses and
//!   each address replaced by its canonical host name, as `InetAddress.getCanonicalHostName()`:
//!   the reverse lookup's name when resolving that name gives the address back (forward
//!   confirmation), else the textual address, so no address is dropped; a host that does not
//!   resolve is an error, as in Java.
//!
//! Either way, no resolvable bootstrap server at all is Java's configuration error
//! "No resolvable bootstrap urls given in bootstrap.servers".

use crate::config::{ClientDnsLookup, format_host_port, keys::BOOTSTRAP_SERVERS};
use crate::error::Error;
use std::io;
use std::net::{IpAddr, ToSocketAddrs};

/// Resolves `servers` (from `bootstrap.servers`) with the system resolver.
pub(crate) fn resolve_bootstrap_servers(
    servers: &[(String, u16)],
    lookup: ClientDnsLookup,
) -> Result<Vec<(String, u16)>, Error> {
    expand_bootstrap_servers(servers, lookup, system_resolve, system_canonical_name)
}

/// The addresses of `host` (`getaddrinfo`).
fn system_resolve(host: &str, port: u16) -> io::Result<Vec<IpAddr>> {
    Ok((host, port).to_socket_addrs()?.map(|a| a.ip()).collect())
}

/// The reverse lookup of `ip` (`getnameinfo`), or the textual address when it fails; the
/// forward confirmation of Java's `getCanonicalHostName` is done by
/// [`expand_bootstrap_servers`].
fn system_canonical_name(ip: IpAddr) -> String {
    dns_lookup::lookup_addr(&ip).unwrap_or_else(|_| ip.to_string())
}

/// The bootstrap list by `lookup`, given a resolver (`host` → its addresses) and a reverse
/// resolver (address → its name, or the textual address when there is none): the pure part of
/// [`resolve_bootstrap_servers`].
pub(crate) fn expand_bootstrap_servers(
    servers: &[(String, u16)],
    lookup: ClientDnsLookup,
    resolve: impl Fn(&str, u16) -> io::Result<Vec<IpAddr>>,
    canonical_name: impl Fn(IpAddr) -> String,
) -> Result<Vec<(String, u16)>, Error> {
    let resolves = |host: &str, port: u16| resolve(host, port).is_ok_and(|a| !a.is_empty());
    let mut out: Vec<(String, u16)> = Vec::new();
    for (host, port) in servers {
        let port = *port;
        match lookup {
            ClientDnsLookup::ResolveCanonicalBootstrapServersOnly => {
                let addrs = match resolve(host, port) {
                    Ok(addrs) if !addrs.is_empty() => addrs,
                    _ => {
                        return Err(Error::config(
                            BOOTSTRAP_SERVERS,
                            format!(
                                "Unknown host in {BOOTSTRAP_SERVERS}: {}",
                                format_host_port(host, port)
                            ),
                        ));
                    }
                };
                for ip in addrs {
                    // InetAddress.getCanonicalHostName: the reverse name only if it resolves
                    // back to this address, else the textual address.
                    let mut name = canonical_name(ip);
                    let textual = ip.to_string();
                    if name != textual && !resolve(&name, port).is_ok_and(|back| back.contains(&ip))
                    {
                        log::debug!(
                            "The name {name} of {textual} does not resolve back to it: using \
                             the address"
                        );
                        name = textual;
                    }
                    // The name resolves (to `ip`, just checked) or is the address itself.
                    if !out.contains(&(name.clone(), port)) {
                        out.push((name, port));
                    }
                }
            }
            _ => {
                if resolves(host, port) {
                    out.push((host.clone(), port));
                } else {
                    log::warn!(
                        "Couldn't resolve server {} from {BOOTSTRAP_SERVERS} as DNS resolution \
                         failed for {host}",
                        format_host_port(host, port)
                    );
                }
            }
        }
    }
    if out.is_empty() {
        return Err(Error::config(
            BOOTSTRAP_SERVERS,
            format!("No resolvable bootstrap urls given in {BOOTSTRAP_SERVERS}"),
        ));
    }
    if lookup == ClientDnsLookup::ResolveCanonicalBootstrapServersOnly {
        log::info!(
            "{BOOTSTRAP_SERVERS} resolved to canonical host names \
             (client.dns.lookup=resolve_canonical_bootstrap_servers_only): {}",
            out.iter()
                .map(|(h, p)| format_host_port(h, *p))
                .collect::<Vec<_>>()
                .join(",")
        );
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    const A: IpAddr = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1));
    const B: IpAddr = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2));
    const C: IpAddr = IpAddr::V6(Ipv6Addr::new(0xfd00, 0, 0, 0, 0, 0, 0, 3));

    /// `kafka` has A and B (reverse: broker-1, broker-2), `alias` has C (no reverse name),
    /// `broker-1`/`broker-2` and addresses resolve, everything else does not.
    fn resolve(host: &str, _port: u16) -> io::Result<Vec<IpAddr>> {
        match host {
            "kafka" => Ok(vec![A, B]),
            "alias" => Ok(vec![C]),
            "empty" => Ok(vec![]),
            "broker-1" => Ok(vec![A]),
            "broker-2" => Ok(vec![B]),
            // An address resolves to itself, as with getaddrinfo.
            _ if host.parse::<IpAddr>().is_ok() => Ok(vec![host.parse().unwrap()]),
            _ => Err(io::Error::new(io::ErrorKind::NotFound, "no such host")),
        }
    }

    fn canonical(ip: IpAddr) -> String {
        match ip {
            A => "broker-1".to_string(),
            B => "broker-2".to_string(),
            other => other.to_string(), // the reverse lookup failed: the textual address
        }
    }

    fn servers(list: &[(&str, u16)]) -> Vec<(String, u16)> {
        list.iter().map(|(h, p)| (h.to_string(), *p)).collect()
    }

    #[test]
    fn use_all_dns_ips_keeps_names_and_skips_unresolvable_hosts() {
        let got = expand_bootstrap_servers(
            &servers(&[
                ("no-such-host.invalid", 9092),
                ("kafka", 9092),
                ("empty", 1),
            ]),
            ClientDnsLookup::UseAllDnsIps,
            resolve,
            canonical,
        )
        .unwrap();
        assert_eq!(got, servers(&[("kafka", 9092)]));
    }

    #[test]
    fn no_resolvable_bootstrap_server_is_javas_config_error() {
        for lookup in [
            ClientDnsLookup::UseAllDnsIps,
            ClientDnsLookup::ResolveCanonicalBootstrapServersOnly,
        ] {
            let err = expand_bootstrap_servers(
                &servers(&[("no-such-host.invalid", 9092)]),
                lookup,
                resolve,
                canonical,
            )
            .unwrap_err();
            let text = err.to_string();
            assert!(text.contains("bootstrap.servers"), "{text}");
            match lookup {
                ClientDnsLookup::UseAllDnsIps => assert!(
                    text.contains("No resolvable bootstrap urls given in bootstrap.servers"),
                    "{text}"
                ),
                _ => assert!(
                    text.contains("Unknown host in bootstrap.servers: no-such-host.invalid:9092"),
                    "{text}"
                ),
            }
        }
    }

    #[test]
    fn canonical_lookup_replaces_each_address_by_its_name() {
        let got = expand_bootstrap_servers(
            &servers(&[("kafka", 9092), ("alias", 9093), ("broker-1", 9092)]),
            ClientDnsLookup::ResolveCanonicalBootstrapServersOnly,
            resolve,
            canonical,
        )
        .unwrap();
        // kafka -> A, B -> broker-1, broker-2; alias -> C, no reverse name: the address;
        // broker-1:9092 again is not listed twice.
        assert_eq!(
            got,
            servers(&[("broker-1", 9092), ("broker-2", 9092), ("fd00::3", 9093)])
        );
    }

    #[test]
    fn canonical_name_not_confirmed_by_a_forward_lookup_is_the_address() {
        // As InetAddress.getCanonicalHostName: a reverse name that does not resolve, or that
        // resolves to other addresses, is replaced by the textual address; nothing is dropped.
        let got = expand_bootstrap_servers(
            &servers(&[("kafka", 9092), ("alias", 9093)]),
            ClientDnsLookup::ResolveCanonicalBootstrapServersOnly,
            resolve,
            |ip| match ip {
                A => "stale-name".to_string(),
                B => "broker-2".to_string(),
                _ => "broker-1".to_string(), // resolves, but to A, not C
            },
        )
        .unwrap();
        assert_eq!(
            got,
            servers(&[("10.0.0.1", 9092), ("broker-2", 9092), ("fd00::3", 9093)])
        );
    }

    #[test]
    fn system_resolver_on_loopback() {
        // 127.0.0.1 needs no DNS; its canonical name is whatever /etc/hosts says (usually
        // localhost), or the address itself.
        let got = resolve_bootstrap_servers(
            &servers(&[("127.0.0.1", 9092)]),
            ClientDnsLookup::ResolveCanonicalBootstrapServersOnly,
        )
        .unwrap();
        let name = system_canonical_name(IpAddr::V4(Ipv4Addr::LOCALHOST));
        assert_eq!(got, vec![(name.clone(), 9092)]);
        assert!(
            name == "127.0.0.1" || (name.as_str(), 9092).to_socket_addrs().is_ok(),
            "{name}"
        );
        let got = resolve_bootstrap_servers(
            &servers(&[("127.0.0.1", 9092)]),
            ClientDnsLookup::UseAllDnsIps,
        )
        .unwrap();
        assert_eq!(got, servers(&[("127.0.0.1", 9092)]));
    }
}

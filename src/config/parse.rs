//! Parsing of values and properties: integers and ranges, booleans, `bootstrap.servers`, and
//! the Java `.properties` file format.

use super::keys::BOOTSTRAP_SERVERS;
use crate::error::Error;
use std::num::IntErrorKind;
use std::time::Duration;

/// Largest value of a Java `int` config.
pub(super) const INT: i64 = i32::MAX as i64;
/// Largest value of a Java `long` config.
pub(super) const LONG: i64 = i64::MAX;

pub(super) fn not_one_of(key: &str, raw: &str, allowed: &str) -> Error {
    Error::config(
        key,
        format!(
            "value \"{}\" is not allowed: must be one of {allowed}",
            raw.trim()
        ),
    )
}

/// "must be >= lo" when `hi` is only the type's limit, "must be between lo and hi" otherwise.
fn range_text(lo: i64, hi: i64) -> String {
    if hi == INT || hi == LONG {
        format!(">= {lo}")
    } else {
        format!("between {lo} and {hi}")
    }
}

/// Parses an integer in `lo..=hi` (`hi` is [`INT`] or [`LONG`] for Java's `int` and `long`
/// types with no upper bound).
pub(super) fn int(key: &str, raw: &str, lo: i64, hi: i64) -> Result<i64, Error> {
    let v = raw.trim();
    let out_of_range = |too_big: bool| {
        let range = if too_big {
            format!("between {lo} and {hi}")
        } else {
            range_text(lo, hi)
        };
        Error::config(
            key,
            format!("value \"{v}\" is out of range: must be {range}"),
        )
    };
    match v.parse::<i64>() {
        Ok(n) if n < lo => Err(out_of_range(false)),
        Ok(n) if n > hi => Err(out_of_range(true)),
        Ok(n) => Ok(n),
        Err(e) => match e.kind() {
            IntErrorKind::PosOverflow => Err(out_of_range(true)),
            IntErrorKind::NegOverflow => Err(out_of_range(false)),
            _ => Err(Error::config(
                key,
                format!(
                    "value \"{v}\" is not an integer: must be an integer {}",
                    range_text(lo, hi)
                ),
            )),
        },
    }
}

/// Parses milliseconds (`lo >= 0`).
pub(super) fn millis(key: &str, raw: &str, lo: i64, hi: i64) -> Result<Duration, Error> {
    debug_assert!(lo >= 0);
    Ok(Duration::from_millis(int(key, raw, lo, hi)? as u64))
}

/// Parses a size or count (`lo >= 0`).
pub(super) fn size(key: &str, raw: &str, lo: i64, hi: i64) -> Result<usize, Error> {
    debug_assert!(lo >= 0);
    let n = int(key, raw, lo, hi)?;
    usize::try_from(n).map_err(|_| {
        Error::config(
            key,
            format!(
                "value \"{}\" is out of range: must be at most {} on this platform",
                raw.trim(),
                usize::MAX
            ),
        )
    })
}

/// Parses `true` or `false`, case-insensitively (as Java).
pub(super) fn boolean(key: &str, raw: &str) -> Result<bool, Error> {
    let v = raw.trim();
    if v.eq_ignore_ascii_case("true") {
        Ok(true)
    } else if v.eq_ignore_ascii_case("false") {
        Ok(false)
    } else {
        Err(Error::config(
            key,
            format!("value \"{v}\" is not a boolean: must be true or false"),
        ))
    }
}

/// `host:port`, or `[host]:port` for an IPv6 address.
pub(crate) fn format_host_port(host: &str, port: u16) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// Parses a `bootstrap.servers` value: comma-separated `host:port` entries, IPv6 addresses in
/// brackets (`[::1]:9092`, stored as `::1`), spaces around entries ignored.
///
/// As Java (4.x), the list must not be empty and have no empty entries (`a:1,,b:2`, a trailing
/// comma) or duplicates. Ports must be 1..=65535. A listener prefix such as `PLAINTEXT://` is
/// ignored, as Java does.
///
/// ```
/// use kafka_producer::config::parse_bootstrap_servers;
/// assert_eq!(
///     parse_bootstrap_servers("kafka:9092, 10.0.0.1:9093,[fe80::1]:9094").unwrap(),
///     vec![
///         ("kafka".to_string(), 9092),
///         ("10.0.0.1".to_string(), 9093),
///         ("fe80::1".to_string(), 9094)
///     ]
/// );
/// assert!(parse_bootstrap_servers("kafka").is_err()); // no port
/// ```
pub fn parse_bootstrap_servers(value: &str) -> Result<Vec<(String, u16)>, Error> {
    let value = value.trim();
    if value.is_empty() {
        return Err(Error::config(
            BOOTSTRAP_SERVERS,
            "must not be empty: set it to host:port[,host:port...]",
        ));
    }
    let mut servers: Vec<(String, u16)> = Vec::new();
    for entry in value.split(',').map(str::trim) {
        if entry.is_empty() {
            return Err(Error::config(
                BOOTSTRAP_SERVERS,
                format!("value \"{value}\" has an empty entry (a stray comma?)"),
            ));
        }
        let server = parse_host_port(entry).map_err(|why| {
            Error::config(
                BOOTSTRAP_SERVERS,
                format!(
                    "invalid entry \"{entry}\": {why}; expected host:port, or [address]:port \
                     for IPv6"
                ),
            )
        })?;
        if servers.contains(&server) {
            return Err(Error::config(
                BOOTSTRAP_SERVERS,
                format!("entry \"{entry}\" is listed twice"),
            ));
        }
        servers.push(server);
    }
    Ok(servers)
}

fn parse_host_port(entry: &str) -> Result<(String, u16), String> {
    // Java ignores a listener or scheme prefix such as `PLAINTEXT://`.
    let entry = match entry.split_once("://") {
        Some((scheme, rest))
            if !scheme.is_empty()
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') =>
        {
            rest
        }
        _ => entry,
    };
    let (host, port) = if let Some(rest) = entry.strip_prefix('[') {
        let (host, after) = rest
            .split_once(']')
            .ok_or("missing `]` after the IPv6 address")?;
        if host.parse::<std::net::Ipv6Addr>().is_err() {
            return Err(format!("\"{host}\" is not an IPv6 address"));
        }
        let port = after.strip_prefix(':').ok_or("missing port")?;
        (host, port)
    } else {
        let (host, port) = entry.rsplit_once(':').ok_or("missing port")?;
        if host.is_empty() {
            return Err("missing host".to_string());
        }
        if let Some(bad) = host
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | ':')))
        {
            return Err(format!("invalid character {bad:?} in host \"{host}\""));
        }
        if host.contains(':') {
            return Err("an IPv6 address must be in brackets, e.g. [::1]:9092".to_string());
        }
        (host, port)
    };
    if port.is_empty() {
        return Err("missing port".to_string());
    }
    if !port.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("port \"{port}\" is not a number"));
    }
    match port.parse::<u32>() {
        Ok(p @ 1..=65535) => Ok((host.to_string(), p as u16)),
        _ => Err(format!(
            "port {port} is out of range: must be between 1 and 65535"
        )),
    }
}

// ---------------------------------------------------------------------------------------------
// Java .properties format.

const PROPERTIES_WHITESPACE: [char; 3] = [' ', '\t', '\x0c'];

/// Parses the text of a Java `.properties` file into `(key, value)` pairs, in file order
/// (duplicates kept; [`ProducerConfig::from_properties`](super::ProducerConfig::from_properties) keeps the last).
///
/// Follows `java.util.Properties.load`: `key=value`, `key:value` or `key value`; `#` and `!`
/// comment lines; blank lines; `\` at the end of a line continues it on the next one (whose
/// leading whitespace is skipped); escapes `\t`, `\n`, `\r`, `\f`, `\uXXXX`, and `\` before any
/// other character for that character. As Java, values keep their trailing whitespace and
/// escaped whitespace (`key.separator=\\t` is a tab); the configuration then trims the values
/// of its own keys, as Java's `ConfigDef` does. The error is a message naming the line of a malformed `\u` escape.
///
/// ```
/// use kafka_producer::config::parse_properties;
/// let props = parse_properties("# comment\na = 1\nb: two \\\n    words\nc\n").unwrap();
/// assert_eq!(
///     props,
///     vec![
///         ("a".to_string(), "1".to_string()),
///         ("b".to_string(), "two words".to_string()),
///         ("c".to_string(), String::new()),
///     ]
/// );
/// ```
pub fn parse_properties(text: &str) -> Result<Vec<(String, String)>, String> {
    let text = text.replace("\r\n", "\n");
    let mut lines = text.split(['\n', '\r']).enumerate();
    let mut out = Vec::new();
    while let Some((index, line)) = lines.next() {
        let line = line.trim_start_matches(PROPERTIES_WHITESPACE);
        if line.is_empty() || line.starts_with('#') || line.starts_with('!') {
            continue;
        }
        let mut logical = line.to_string();
        while ends_with_odd_backslashes(&logical) {
            logical.pop();
            match lines.next() {
                Some((_, next)) => logical.push_str(next.trim_start_matches(PROPERTIES_WHITESPACE)),
                None => break,
            }
        }
        let (key, value) = split_key_value(&logical);
        let line_no = index + 1;
        let key = unescape(key).map_err(|e| format!("line {line_no}: {e}"))?;
        let value = unescape(value).map_err(|e| format!("line {line_no}: {e}"))?;
        out.push((key, value));
    }
    Ok(out)
}

fn ends_with_odd_backslashes(s: &str) -> bool {
    s.chars().rev().take_while(|&c| c == '\\').count() % 2 == 1
}

/// Splits a logical line at the first unescaped `=`, `:` or whitespace.
fn split_key_value(line: &str) -> (&str, &str) {
    let mut escaped = false;
    for (i, c) in line.char_indices() {
        if escaped {
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c == '=' || c == ':' {
            let value = line[i + 1..].trim_start_matches(PROPERTIES_WHITESPACE);
            return (&line[..i], value);
        } else if PROPERTIES_WHITESPACE.contains(&c) {
            let mut value = line[i..].trim_start_matches(PROPERTIES_WHITESPACE);
            if let Some(rest) = value.strip_prefix(['=', ':']) {
                value = rest.trim_start_matches(PROPERTIES_WHITESPACE);
            }
            return (&line[..i], value);
        }
    }
    (line, "")
}

fn unescape(s: &str) -> Result<String, String> {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('f') => out.push('\x0c'),
            Some('u') => {
                let unit = hex4(&mut chars)?;
                let code = if (0xD800..0xDC00).contains(&unit) {
                    // A UTF-16 high surrogate: a `\uXXXX` low surrogate must follow.
                    let low = match (chars.next(), chars.next()) {
                        (Some('\\'), Some('u')) => hex4(&mut chars)?,
                        _ => return Err("malformed \\uXXXX escape: lone surrogate".to_string()),
                    };
                    if !(0xDC00..0xE000).contains(&low) {
                        return Err("malformed \\uXXXX escape: lone surrogate".to_string());
                    }
                    0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
                } else {
                    unit
                };
                out.push(
                    char::from_u32(code)
                        .ok_or("malformed \\uXXXX escape: lone surrogate".to_string())?,
                );
            }
            Some(other) => out.push(other),
            None => {}
        }
    }
    Ok(out)
}

fn hex4(chars: &mut std::str::Chars<'_>) -> Result<u32, String> {
    let digits: String = chars.by_ref().take(4).collect();
    if digits.len() == 4 && digits.chars().all(|c| c.is_ascii_hexdigit()) {
        Ok(u32::from_str_radix(&digits, 16).expect("four hex digits"))
    } else {
        Err(format!("malformed \\uXXXX escape: \\u{digits}"))
    }
}

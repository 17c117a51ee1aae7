//! Share links: a whole scenario, compressed into the fragment of a URL.
//!
//! `https://host/path/#s1.<payload>` where the payload is the scenario's compact JSON,
//! deflate-compressed and URL-safe base64-encoded (no padding). `s1` is the version of this
//! *encoding*; the scenario inside carries its own format version, so both can evolve.
//! Opening a link replays the scenario up to its `until` time: the viewer sees exactly the
//! state the sender saw.
//!
//! Decoding never panics and never trusts sizes: the fragment is limited to [`MAX_FRAGMENT`]
//! bytes and the inflated JSON to [`crate::run::scenario::MAX_BYTES`].

use crate::kernel::config::ConfigError;
use crate::run::scenario::{Scenario, MAX_BYTES};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;

/// The encoding version this build writes (and the newest it reads).
pub const PREFIX: &str = "s1.";
/// Largest fragment accepted or produced, in bytes.
pub const MAX_FRAGMENT: usize = 8 * 1024;

/// Deflate level: links are written rarely and read often; take the smallest.
const LEVEL: u8 = 9;

/// The fragment (without `#`) that encodes `scenario`.
pub fn encode(scenario: &Scenario) -> Result<String, ConfigError> {
    let json = serde_json::to_string(scenario.as_written().as_ref())
        .map_err(|e| ConfigError::new("(scenario)", format!("cannot be encoded: {e}")))?;
    let packed = miniz_oxide::deflate::compress_to_vec(json.as_bytes(), LEVEL);
    let fragment = format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(packed));
    if fragment.len() > MAX_FRAGMENT {
        return Err(ConfigError::new(
            "(link)",
            format!(
                "would be {} bytes, more than the {MAX_FRAGMENT} a link may hold; export the scenario as a file instead",
                fragment.len()
            ),
        ));
    }
    Ok(fragment)
}

/// A full link: `base` (e.g. `http://127.0.0.1:8080/`) plus the fragment.
pub fn url(base: &str, scenario: &Scenario) -> Result<String, ConfigError> {
    let base = base.split('#').next().unwrap_or(base);
    Ok(format!("{base}#{}", encode(scenario)?))
}

/// Read a scenario back from a fragment (with or without the leading `#`).
pub fn decode(fragment: &str) -> Result<Scenario, ConfigError> {
    let fragment = fragment.strip_prefix('#').unwrap_or(fragment).trim();
    if fragment.len() > MAX_FRAGMENT {
        return Err(ConfigError::new(
            "(link)",
            format!(
                "is {} bytes; links are limited to {MAX_FRAGMENT}",
                fragment.len()
            ),
        ));
    }
    let Some(payload) = fragment.strip_prefix(PREFIX) else {
        let newer = fragment
            .strip_prefix('s')
            .and_then(|rest| rest.split('.').next())
            .and_then(|v| v.parse::<u32>().ok())
            .filter(|v| *v > 1);
        return Err(match newer {
            Some(v) => ConfigError::new(
                "(link)",
                format!(
                    "was made by a newer version of netsplit (link encoding s{v}); this build reads s1"
                ),
            ),
            None => ConfigError::new("(link)", "is not a netsplit scenario link"),
        });
    };
    let packed = URL_SAFE_NO_PAD.decode(payload).map_err(|_| {
        ConfigError::new(
            "(link)",
            "is damaged (not valid base64); copy the whole link",
        )
    })?;
    let json =
        miniz_oxide::inflate::decompress_to_vec_with_limit(&packed, MAX_BYTES).map_err(|_| {
            ConfigError::new(
                "(link)",
                "is damaged or too large (the compressed scenario does not unpack)",
            )
        })?;
    let text = std::str::from_utf8(&json)
        .map_err(|_| ConfigError::new("(link)", "is damaged (not UTF-8 text inside)"))?;
    Scenario::from_json(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::control::Control;
    use crate::kernel::types::{NodeId, Time};
    use crate::run::scenario::TimedAction;

    fn sample() -> Scenario {
        let mut s = Scenario::new("raft", 42);
        s.cluster.nodes = 3;
        s.actions.push(TimedAction {
            at: Time(500),
            control: Control::Partition {
                groups: vec![vec![NodeId(0)]],
            },
        });
        s.until = Some(Time(1234));
        s
    }

    #[test]
    fn round_trip() {
        let s = sample();
        let f = encode(&s).unwrap();
        assert!(f.starts_with("s1."));
        assert!(f.len() < 400, "compact: {} bytes", f.len());
        assert_eq!(decode(&f).unwrap(), s);
        assert_eq!(decode(&format!("#{f}")).unwrap(), s);
        let u = url("http://h/x/#old", &s).unwrap();
        assert!(u.starts_with("http://h/x/#s1."));
    }

    #[test]
    fn damaged_links_say_what_is_wrong() {
        let f = encode(&sample()).unwrap();
        assert!(decode("s1.!!!").unwrap_err().message.contains("base64"));
        assert!(decode("s1.AAAA").unwrap_err().message.contains("damaged"));
        assert!(decode(&f[..f.len() - 6]).is_err());
        assert!(decode("hello")
            .unwrap_err()
            .message
            .contains("not a netsplit"));
        assert!(decode("s7.abc")
            .unwrap_err()
            .message
            .contains("newer version"));
        let long = format!("s1.{}", "A".repeat(MAX_FRAGMENT));
        assert!(decode(&long).unwrap_err().message.contains("limited"));
    }

    #[test]
    fn too_big_for_a_link_is_refused() {
        let mut s = sample();
        for i in 0..20_000u64 {
            // Varied times and nodes so that compression cannot make it small.
            s.actions.push(TimedAction {
                at: Time(1000 + i * 7 + (i * i) % 13),
                control: Control::Crash {
                    node: NodeId((i % 3) as u8),
                },
            });
        }
        assert!(encode(&s).unwrap_err().message.contains("export"));
    }
}

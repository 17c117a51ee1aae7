//! The page's own forms, in the one form style: the seed box in the top bar and the network
//! settings (latency, loss, duplication, reordering) of the Settings tab, every protocol's.
//! Pure functions; errors name their field and are shown next to it.

use crate::model::form::{Form, Invalid};
use netsplit_core::kernel::net::{LatencyDist, NetConfig, MAX_LATENCY_MS};
use netsplit_core::run::scenario::TimedAction;
use netsplit_core::{Control, Time};

/// The seed form's id.
pub const SEED: &str = "page.seed";
/// The network form's id.
pub const NET: &str = "page.net";

/// Every page form, for a session with seed `seed` whose network is now `net`.
pub fn forms(seed: u64, net: &NetConfig) -> Vec<(&'static str, Form)> {
    vec![(SEED, seed_form(seed)), (NET, net_form(net))]
}

/// The seed box.
pub fn seed_form(seed: u64) -> Form {
    Form::with([("seed", seed.to_string())])
}

/// Parse the seed field: a whole number, or a clear error.
pub fn parse_seed(text: &str) -> Result<u64, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("type a seed: a whole number such as 7".into());
    }
    text.parse::<u64>().map_err(|_| {
        format!(
            "{text:?} is not a seed: use a whole number from 0 to {}",
            u64::MAX
        )
    })
}

/// The seed the form asks for, or the reason next to the field.
pub fn seed_of(form: &Form) -> Result<u64, Invalid> {
    parse_seed(form.get("seed")).map_err(|why| Invalid::field("cannot restart", "seed", why))
}

/// A probability as a percentage in the form (`0.25` → `25`).
fn percent(p: f64) -> String {
    let v = (p * 1000.0).round() / 10.0;
    if v.fract() == 0.0 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

/// The network form showing `net`.
pub fn net_form(net: &NetConfig) -> Form {
    Form::with([
        ("latency_min_ms", net.latency_min_ms.to_string()),
        ("latency_max_ms", net.latency_max_ms.to_string()),
        ("dist", dist_name(net.latency_dist).to_string()),
        ("loss", percent(net.loss)),
        ("duplicate", percent(net.duplicate)),
        ("reorder", percent(net.reorder)),
    ])
}

/// A latency distribution's name in the form (and in scenario files).
pub fn dist_name(d: LatencyDist) -> &'static str {
    match d {
        LatencyDist::Uniform => "uniform",
        LatencyDist::LongTail => "long_tail",
    }
}

/// The distributions the form offers: `(value, label)`.
pub const DISTS: [(&str, &str); 2] = [
    ("uniform", "uniform"),
    ("long_tail", "long tail (mostly fast)"),
];

/// The network parameters the form asks for, or every field that is wrong.
pub fn net_of(form: &Form) -> Result<NetConfig, Invalid> {
    let mut wrong: Vec<(String, String)> = Vec::new();
    let mut ms = |name: &str, what: &str| -> u64 {
        let text = form.get(name).trim();
        match text.parse::<u64>() {
            Ok(v) if v <= MAX_LATENCY_MS => v,
            Ok(_) => {
                wrong.push((
                    name.into(),
                    format!("{what} must be at most {MAX_LATENCY_MS} ms"),
                ));
                0
            }
            Err(_) => {
                wrong.push((
                    name.into(),
                    format!("{what} must be a whole number of ms, not {text:?}"),
                ));
                0
            }
        }
    };
    let min = ms("latency_min_ms", "the shortest delay");
    let max = ms("latency_max_ms", "the longest delay");
    let mut chance = |name: &str, what: &str| -> f64 {
        let text = form.get(name).trim().trim_end_matches('%').trim();
        match text.parse::<f64>() {
            Ok(v) if (0.0..=100.0).contains(&v) => v / 100.0,
            _ => {
                wrong.push((
                    name.into(),
                    format!("{what} must be a percentage from 0 to 100, not {text:?}"),
                ));
                0.0
            }
        }
    };
    let loss = chance("loss", "loss");
    let duplicate = chance("duplicate", "duplication");
    let reorder = chance("reorder", "reordering");
    let latency_dist = match form.get("dist") {
        "uniform" => LatencyDist::Uniform,
        "long_tail" => LatencyDist::LongTail,
        _ => {
            wrong.push(("dist".into(), "choose a distribution".into()));
            LatencyDist::Uniform
        }
    };
    if wrong.is_empty() && min > max {
        wrong.push((
            "latency_min_ms".into(),
            format!("the shortest delay ({min} ms) is longer than the longest ({max} ms)"),
        ));
    }
    if !wrong.is_empty() {
        return Err(Invalid::of("cannot change the network", wrong));
    }
    Ok(NetConfig {
        latency_min_ms: min,
        latency_max_ms: max,
        latency_dist,
        loss,
        duplicate,
        reorder,
    })
}

/// What the network form asks for: a user action, recorded like any other.
pub fn net_control(form: &Form) -> Result<Control, Invalid> {
    net_of(form).map(|net| Control::SetNet { net })
}

/// The network at time `now`: `initial`, changed by the last `set_net` of `marks` at or
/// before `now`.
pub fn current_net(initial: &NetConfig, marks: &[TimedAction], now: Time) -> NetConfig {
    marks
        .iter()
        .take_while(|a| a.at <= now)
        .filter_map(|a| match &a.control {
            Control::SetNet { net } => Some(net.clone()),
            _ => None,
        })
        .last()
        .unwrap_or_else(|| initial.clone())
}

/// The network in words: `20–60 ms (uniform) · no loss · no duplicates · FIFO links`.
pub fn describe_net(net: &NetConfig) -> String {
    let part = |p: f64, none: &str, some: &str| {
        if p == 0.0 {
            none.to_string()
        } else {
            format!("{}% {some}", percent(p))
        }
    };
    format!(
        "one-way delay {}–{} ms ({}) · {} · {} · {}",
        net.latency_min_ms,
        net.latency_max_ms,
        match net.latency_dist {
            LatencyDist::Uniform => "uniform",
            LatencyDist::LongTail => "long tail",
        },
        part(net.loss, "no loss", "lost"),
        part(net.duplicate, "no duplicates", "duplicated"),
        part(net.reorder, "links keep order", "reordered"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_are_whole_numbers_with_a_reason_otherwise() {
        assert_eq!(parse_seed(" 42 "), Ok(42));
        assert!(parse_seed("").unwrap_err().contains("type a seed"));
        let e = parse_seed("-1").unwrap_err();
        assert!(
            e.contains("\"-1\" is not a seed") && e.contains("whole number"),
            "{e}"
        );
        assert!(parse_seed("18446744073709551616").is_err());
        let mut f = seed_form(7);
        f.set("seed", "x7");
        let bad = seed_of(&f).unwrap_err();
        assert_eq!(bad.fields[0].0, "seed");
        assert!(!bad.notice.contains("(seed)"), "no internal prefixes");
    }

    #[test]
    fn the_network_form_round_trips_and_names_bad_fields() {
        let net = NetConfig {
            latency_min_ms: 5,
            latency_max_ms: 90,
            latency_dist: LatencyDist::LongTail,
            loss: 0.25,
            duplicate: 0.0,
            reorder: 0.125,
        };
        let f = net_form(&net);
        assert_eq!(f.get("loss"), "25");
        assert_eq!(f.get("reorder"), "12.5");
        assert_eq!(net_of(&f).unwrap(), net);
        assert!(matches!(net_control(&f), Ok(Control::SetNet { .. })));
        let mut bad = f.clone();
        bad.set("loss", "150");
        bad.set("latency_max_ms", "fast");
        let e = net_of(&bad).unwrap_err();
        let fields: Vec<&str> = e.fields.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(fields, ["latency_max_ms", "loss"]);
        let mut crossed = f.clone();
        crossed.set("latency_min_ms", "100");
        assert_eq!(net_of(&crossed).unwrap_err().fields[0].0, "latency_min_ms");
        let mut pct = f;
        pct.set("loss", "10%");
        assert!((net_of(&pct).unwrap().loss - 0.1).abs() < 1e-12);
    }

    #[test]
    fn the_current_network_follows_set_net_marks() {
        let initial = NetConfig::default();
        let later = NetConfig {
            loss: 0.5,
            ..NetConfig::default()
        };
        let marks = vec![
            TimedAction {
                at: Time(100),
                control: Control::HealAll,
            },
            TimedAction {
                at: Time(200),
                control: Control::SetNet { net: later.clone() },
            },
        ];
        assert_eq!(current_net(&initial, &marks, Time(150)), initial);
        assert_eq!(current_net(&initial, &marks, Time(200)), later);
        assert_eq!(
            describe_net(&initial),
            "one-way delay 20–60 ms (uniform) · no loss · no duplicates · links keep order"
        );
        assert!(describe_net(&later).contains("50% lost"));
    }
}

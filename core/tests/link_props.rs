//! Property tests of the scenario encodings: share links and scenario JSON round-trip, and their
//! decoders never panic on arbitrary input.
#![cfg(not(target_arch = "wasm32"))]

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use netsplit_core::run::link;
use netsplit_core::run::scenario::TimedAction;
use netsplit_core::{Control, NodeId, Scenario, Time};
use proptest::prelude::*;

fn control(nodes: usize) -> impl Strategy<Value = Control> {
    let n = 0..nodes as u8;
    prop_oneof![
        n.clone().prop_map(|i| Control::Crash { node: NodeId(i) }),
        n.clone().prop_map(|i| Control::Restart { node: NodeId(i) }),
        n.clone().prop_map(|i| Control::Pause { node: NodeId(i) }),
        n.clone().prop_map(|i| Control::Timeout { node: NodeId(i) }),
        Just(Control::HealAll),
        (n.clone(), 1..nodes.max(2) as u8).prop_map(move |(a, d)| {
            if nodes < 2 {
                return Control::HealAll;
            }
            Control::CutOneWay {
                from: NodeId(a),
                to: NodeId((a + d) % nodes as u8),
            }
        }),
        proptest::sample::subsequence((0..nodes as u8).collect::<Vec<_>>(), 0..=nodes).prop_map(
            |g| Control::Partition {
                groups: vec![g.into_iter().map(NodeId).collect()]
            }
        ),
    ]
}

fn scenario() -> impl Strategy<Value = Scenario> {
    (1usize..=9, any::<u64>(), 0u64..100_000).prop_flat_map(|(nodes, seed, until)| {
        proptest::collection::vec((0u64..500, control(nodes)), 0..40).prop_map(move |steps| {
            let mut s = Scenario::new("raft", seed);
            s.cluster.nodes = nodes;
            s.until = Some(Time(until));
            let mut at = 0;
            for (gap, c) in steps {
                at += gap;
                s.actions.push(TimedAction {
                    at: Time(at),
                    control: c,
                });
            }
            s
        })
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn links_round_trip(s in scenario()) {
        let fragment = link::encode(&s).expect("small scenarios fit in a link");
        prop_assert_eq!(link::decode(&fragment).expect("decodes"), s.clone());
        prop_assert_eq!(Scenario::from_json(&s.to_json()).expect("json decodes"), s);
    }

    #[test]
    fn link_decoder_never_panics_on_text(text in ".{0,200}") {
        let _ = link::decode(&text);
        let _ = link::decode(&format!("s1.{text}"));
    }

    #[test]
    fn link_decoder_never_panics_on_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        // Random bytes, base64-encoded: passes the first stage, then must fail cleanly.
        let _ = link::decode(&format!("s1.{}", URL_SAFE_NO_PAD.encode(&bytes)));
        // Random bytes deflated: unpacks, then the JSON stage must fail cleanly.
        let packed = miniz_oxide_deflate(&bytes);
        let _ = link::decode(&format!("s1.{}", URL_SAFE_NO_PAD.encode(packed)));
    }

    #[test]
    fn scenario_parser_never_panics(text in ".{0,300}") {
        let _ = Scenario::from_json(&text);
    }

    #[test]
    fn mutated_scenarios_are_refused_cleanly(s in scenario(), cut in 0usize..2000, junk in ".{0,5}") {
        let json = s.to_json();
        let cut = cut.min(json.len());
        if json.is_char_boundary(cut) {
            let mutated = format!("{}{}{}", &json[..cut], junk, &json[cut..]);
            let _ = Scenario::from_json(&mutated);
        }
    }
}

fn miniz_oxide_deflate(bytes: &[u8]) -> Vec<u8> {
    // The link module's own compression, reached through a round trip of arbitrary JSON text.
    let text = serde_json::to_string(&String::from_utf8_lossy(bytes)).unwrap_or_default();
    let mut s = Scenario::new("raft", 0);
    s.name = text;
    link::encode(&s)
        .ok()
        .and_then(|f| URL_SAFE_NO_PAD.decode(&f[3..]).ok())
        .unwrap_or_default()
}

//! PBFT's forms as pure functions: the client form (Raft's put/get/cas/delete, checked by the
//! same rules, so histories compare) and the faults form — a Byzantine behaviour per replica,
//! written into the scenario's `config.byzantine` and replayed from the start like any other
//! setting.

use crate::model::form::{Form, Invalid, WHOLE_FORM};
use crate::panels::raft::forms as raft_forms;
use netsplit_core::protocols::pbft::{max_faulty, Behaviour, PbftConfig};
use netsplit_core::{Control, NodeId};

/// The client form's id.
pub const CLIENT: &str = "pbft.client";
/// The faults form's id (a behaviour per replica).
pub const FAULTS: &str = "pbft.faults";
/// The faults form's value for a correct replica.
pub const CORRECT: &str = "correct";
/// The faults form's switch allowing more than f faulty replicas.
pub const MORE_THAN_F: &str = "allow_more_than_f";

/// The client form as a fresh page shows it: `c1` puts `x = 1` through `n1`.
pub fn client_form() -> Form {
    raft_forms::client_form()
}

/// What the client form asks for (`servers` replicas, `clients` clients), or every field that
/// is wrong — Raft's rules, the same command language.
pub fn client_control(form: &Form, servers: usize, clients: usize) -> Result<Control, Invalid> {
    raft_forms::client_control(form, servers, clients)
}

/// The faults form's field for replica `node`.
pub fn fault_field(node: NodeId) -> String {
    node.to_string()
}

/// The choices of a replica's fault picker: (value, label), "correct" first.
pub fn fault_choices() -> Vec<(String, String)> {
    std::iter::once((CORRECT.to_string(), "correct".to_string()))
        .chain(
            Behaviour::ALL
                .iter()
                .map(|b| (b.name().to_string(), format!("☠ {b}"))),
        )
        .collect()
}

/// The faults form showing `config` for `servers` replicas.
pub fn faults_form(config: &PbftConfig, servers: usize) -> Form {
    let mut values: Vec<(String, String)> = (0..servers)
        .map(NodeId::from_index)
        .map(|id| {
            let value = config
                .behaviour(id)
                .map_or_else(|| CORRECT.to_string(), |b| b.name().to_string());
            (fault_field(id), value)
        })
        .collect();
    values.push((
        MORE_THAN_F.to_string(),
        config.allow_more_than_f.to_string(),
    ));
    Form::with(values)
}

/// The scenario configuration the faults form asks for: `base` (the scenario's `config`
/// object) with `byzantine` and `allow_more_than_f` rewritten from the form, for `servers`
/// replicas. More than `f` faulty replicas are refused unless the form allows them.
pub fn faults_config(
    form: &Form,
    servers: usize,
    base: &serde_json::Value,
) -> Result<serde_json::Value, Invalid> {
    let mut byzantine = serde_json::Map::new();
    let mut wrong = Vec::new();
    for id in (0..servers).map(NodeId::from_index) {
        let field = fault_field(id);
        match form.get(&field) {
            "" | CORRECT => {}
            name => match Behaviour::parse(name) {
                Ok(b) => {
                    byzantine.insert(id.to_string(), b.name().into());
                }
                Err(why) => wrong.push((field, why)),
            },
        }
    }
    let allow = form.on(MORE_THAN_F);
    let f = max_faulty(servers);
    if wrong.is_empty() && byzantine.len() > f && !allow {
        wrong.push((
            WHOLE_FORM.to_string(),
            format!(
                "{} faulty replicas, but {servers} replicas tolerate at most f = {f}: tick \
                 \"more than f\" to watch safety break",
                byzantine.len()
            ),
        ));
    }
    if !wrong.is_empty() {
        return Err(Invalid::of("cannot apply the faults", wrong));
    }
    let mut next = base.as_object().cloned().unwrap_or_default();
    if byzantine.is_empty() {
        next.remove("byzantine");
    } else {
        next.insert("byzantine".into(), byzantine.into());
    }
    if allow {
        next.insert(MORE_THAN_F.into(), true.into());
    } else {
        next.remove(MORE_THAN_F);
    }
    Ok(serde_json::Value::Object(next))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_faults_form_shows_and_writes_the_configuration() {
        let mut config = PbftConfig::default();
        config.byzantine.insert(NodeId(0), Behaviour::Equivocate);
        let mut f = faults_form(&config, 4);
        assert_eq!(f.get("n1"), "equivocate");
        assert_eq!(f.get("n2"), CORRECT);
        assert_eq!(f.get(MORE_THAN_F), "false");
        let base =
            serde_json::json!({ "checkpoint_interval": 4, "byzantine": { "n1": "equivocate" } });
        // Unchanged: the same configuration.
        assert_eq!(faults_config(&f, 4, &base).unwrap(), base);
        f.set("n1", CORRECT);
        f.set("n3", "silent");
        let next = faults_config(&f, 4, &base).unwrap();
        assert_eq!(
            next,
            serde_json::json!({ "checkpoint_interval": 4, "byzantine": { "n3": "silent" } })
        );
        // It parses back into the configuration the form shows.
        let parsed: PbftConfig = serde_json::from_value(next).unwrap();
        assert_eq!(parsed.behaviour(NodeId(2)), Some(Behaviour::Silent));
        assert_eq!(faults_form(&parsed, 4).get("n3"), "silent");
        f.set("n3", CORRECT);
        assert_eq!(
            faults_config(&f, 4, &base).unwrap(),
            serde_json::json!({ "checkpoint_interval": 4 })
        );
    }

    #[test]
    fn more_than_f_needs_the_switch_and_bad_names_are_refused() {
        let mut f = faults_form(&PbftConfig::default(), 4);
        f.set("n1", "equivocate");
        f.set("n2", "equivocate");
        let e = faults_config(&f, 4, &serde_json::json!({})).unwrap_err();
        assert_eq!(e.fields[0].0, WHOLE_FORM);
        assert!(e.notice.contains("at most f = 1"), "{}", e.notice);
        f.set(MORE_THAN_F, "true");
        let ok = faults_config(&f, 4, &serde_json::json!({})).unwrap();
        assert_eq!(ok["allow_more_than_f"], true);
        // Seven replicas tolerate two.
        f.set(MORE_THAN_F, "false");
        assert!(faults_config(&f, 7, &serde_json::json!({})).is_ok());
        f.set("n4", "crash");
        let e = faults_config(&f, 4, &serde_json::json!({})).unwrap_err();
        assert_eq!(e.fields[0].0, "n4");
        assert!(e.notice.contains("crash action"), "{}", e.notice);
        assert_eq!(fault_choices().len(), Behaviour::ALL.len() + 1);
    }
}

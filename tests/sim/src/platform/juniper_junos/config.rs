//! The Junos configuration model: statements as word paths (`system host-name R1`), shown
//! as `set` lines, with Junos's `set` / `delete` rules (a leaf replaces a shorter path, a
//! single-valued leaf replaces its old value), and the configuration a device starts with.

use crate::parser::{Match, match_keyword, quoted_words};

/// Top-level configuration statements (the first word of a path).
pub(super) const TOP_STATEMENTS: &[&str] = &[
    "access",
    "applications",
    "apply-groups",
    "bridge-domains",
    "chassis",
    "class-of-service",
    "event-options",
    "firewall",
    "forwarding-options",
    "groups",
    "interfaces",
    "policy-options",
    "protocols",
    "routing-instances",
    "routing-options",
    "security",
    "services",
    "snmp",
    "system",
    "version",
    "vlans",
];

/// Keywords whose single value replaces the previous one (`... host-name X`).
const SINGLE_VALUED: &[&str] = &[
    "autonomous-system",
    "description",
    "domain-name",
    "encapsulation",
    "host-name",
    "local-as",
    "metric",
    "mtu",
    "peer-as",
    "preference",
    "router-id",
    "speed",
    "time-zone",
    "type",
    "vlan-id",
];

/// Keywords that name an object with the next word (`unit 0`): one hierarchy level together.
const NAMED: &[&str] =
    &["area", "family", "group", "interface", "neighbor", "policy-statement", "term", "unit", "vlan"];

/// Spells out an abbreviated top-level statement (`sys` → `system`).
pub(super) fn top_statement(typed: &str) -> Match<'static> {
    match_keyword(typed, TOP_STATEMENTS.iter().copied())
}

/// The number of words `up` leaves from the end of `path` (one level: `unit 0` counts once).
pub(super) fn level_len(path: &[String]) -> usize {
    match path {
        [] => 0,
        [.., named, _] if NAMED.contains(&named.as_str()) && path.len() > 2 => 2,
        _ => 1,
    }
}

/// A configuration: statements in the order they were set.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Statements {
    paths: Vec<Vec<String>>,
}

/// True when `path` starts with `prefix`.
fn starts_with(path: &[String], prefix: &[String]) -> bool {
    path.len() >= prefix.len() && path.iter().zip(prefix).all(|(a, b)| a == b)
}

impl Statements {
    /// `set PATH`: a path already covered is not repeated, shorter paths it extends are
    /// dropped, and a single-valued leaf replaces its old value.
    pub fn set(&mut self, path: Vec<String>) {
        if self.paths.iter().any(|p| starts_with(p, &path)) {
            return;
        }
        let single = path.len() >= 2 && SINGLE_VALUED.contains(&path[path.len() - 2].as_str());
        let parent = &path[..path.len() - 1];
        // drop the shorter paths this one extends, and the old value of a single-valued leaf
        let replaced = |p: &Vec<String>| single && p.len() == path.len() && starts_with(p, parent);
        self.paths.retain(|p| !(starts_with(&path, p) || replaced(p)));
        self.paths.push(path);
    }

    /// `delete PREFIX`: removes every statement under it; false if there was none.
    pub fn delete(&mut self, prefix: &[String]) -> bool {
        let before = self.paths.len();
        self.paths.retain(|p| !starts_with(p, prefix));
        self.paths.len() != before
    }

    /// The `set` lines of the statements under `prefix`.
    pub fn set_lines(&self, prefix: &[String]) -> String {
        let lines: Vec<String> = self
            .paths
            .iter()
            .filter(|p| starts_with(p, prefix))
            .map(|p| format!("set {}", p.join(" ")))
            .collect();
        lines.join("\n")
    }

    /// The configured `system host-name`.
    pub fn hostname(&self) -> Option<String> {
        self.paths.iter().find_map(|p| match p.as_slice() {
            [system, host_name, name] if system == "system" && host_name == "host-name" => {
                Some(name.trim_matches('"').to_string())
            }
            _ => None,
        })
    }
}

/// The configuration a device starts with.
pub(super) fn initial(hostname: &str, username: &str) -> Statements {
    let mut c = Statements::default();
    for line in [
        "version 20.4R3.8".to_string(),
        format!("system host-name {hostname}"),
        "system root-authentication encrypted-password \"$6$Vj3Q1$4xUq0mKeZ1a2bQm7Cw9rS0\"".into(),
        format!("system login user {username} uid 2000"),
        format!("system login user {username} class super-user"),
        format!(
            "system login user {username} authentication encrypted-password \"$6$k2Hp9$Wn7xQ0aLs3Fv8Bq1Zr4tY/\""
        ),
        "system services ssh".into(),
        "system services netconf ssh".into(),
        "system syslog file messages any notice".into(),
        "interfaces ge-0/0/0 unit 0 family inet address 192.168.1.15/24".into(),
        "interfaces fxp0 unit 0 family inet address 10.0.0.15/24".into(),
        "routing-options static route 0.0.0.0/0 next-hop 192.168.1.254".into(),
    ] {
        c.set(quoted_words(&line).iter().map(|w| w.text.to_string()).collect());
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(line: &str) -> Vec<String> {
        quoted_words(line).iter().map(|w| w.text.to_string()).collect()
    }

    #[test]
    fn set_and_delete_rules() {
        let mut c = initial("junos1", "admin");
        assert_eq!(c.hostname().as_deref(), Some("junos1"));
        c.set(path("system host-name core1"));
        assert_eq!(c.hostname().as_deref(), Some("core1"));
        assert_eq!(c.set_lines(&path("system host-name")), "set system host-name core1");
        // an existing longer path covers a shorter one; a longer one replaces it
        c.set(path("system services"));
        c.set(path("system services ssh root-login deny"));
        assert_eq!(
            c.set_lines(&path("system services")),
            "set system services netconf ssh\nset system services ssh root-login deny"
        );
        c.set(path("interfaces ge-0/0/1 description \"a b\""));
        c.set(path("interfaces ge-0/0/1 description uplink"));
        assert_eq!(c.set_lines(&path("interfaces ge-0/0/1")), "set interfaces ge-0/0/1 description uplink");
        assert!(c.delete(&path("interfaces ge-0/0/1")));
        assert!(!c.delete(&path("interfaces ge-0/0/1")));
        assert_eq!(c.set_lines(&path("interfaces ge-0/0/1")), "");
        assert!(c.set_lines(&[]).starts_with("set version 20.4R3.8\nset system root-authentication"));
    }

    #[test]
    fn levels() {
        assert_eq!(level_len(&path("interfaces ge-0/0/0 unit 0")), 2);
        assert_eq!(level_len(&path("interfaces ge-0/0/0")), 1);
        assert_eq!(level_len(&path("protocols ospf area 0")), 2);
        assert_eq!(level_len(&[]), 0);
    }
}

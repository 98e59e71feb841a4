//! The IOS XR configuration: keyword tables of the configuration modes, the configuration a
//! device starts with, and the rendering of the committed configuration
//! (`show running-config`) and of a session's uncommitted changes (`show configuration`).

use super::builtin::TIMESTAMP;
use crate::platform::blocks::{Blocks, Change, Dialect, Rules, SubMode};

pub(super) static RULES: Rules = Rules {
    hostname_keyword: "hostname",
    default_hostname: "ios",
    negation: "no",
    single_valued: &[
        "description",
        "exec-timeout",
        "ipv4 address",
        "mtu",
        "password",
        "router-id",
        "secret",
        "speed",
        "vrf",
    ],
};

pub(super) static DIALECT: Dialect = Dialect {
    global: &[
        "aaa",
        "banner",
        "cdp",
        "class-map",
        "clock",
        "control-plane",
        "domain",
        "grpc",
        "hostname",
        "interface",
        "ipv4",
        "ipv6",
        "l2vpn",
        "line",
        "lldp",
        "logging",
        "mpls",
        "multicast-routing",
        "netconf-yang",
        "ntp",
        "policy-map",
        "prefix-set",
        "router",
        "snmp-server",
        "ssh",
        "telnet",
        "username",
        "vrf",
    ],
    modes: &[
        SubMode { opener: &["interface"], args: 1, keywords: INTERFACE, tag: |_| "config-if".into() },
        SubMode { opener: &["router", "bgp"], args: 1, keywords: ROUTER, tag: |_| "config-bgp".into() },
        SubMode { opener: &["router", "ospf"], args: 1, keywords: ROUTER, tag: |_| "config-ospf".into() },
        SubMode { opener: &["router", "isis"], args: 1, keywords: ROUTER, tag: |_| "config-isis".into() },
        SubMode { opener: &["router", "static"], args: 0, keywords: ROUTER, tag: |_| "config-static".into() },
        SubMode { opener: &["vrf"], args: 1, keywords: VRF, tag: |_| "config-vrf".into() },
        SubMode { opener: &["line"], args: 1, keywords: LINE, tag: |_| "config-line".into() },
        SubMode { opener: &["username"], args: 1, keywords: USERNAME, tag: |_| "config-un".into() },
    ],
    bare: &["ipv4", "nsr", "shutdown"],
    negate: &["no"],
    control: &["abort", "commit", "do", "end", "exit", "root", "show"],
    end: "end",
    exit: "exit",
    canonical: |_| {},
};

const INTERFACE: &[&str] = &[
    "bfd",
    "bundle",
    "cdp",
    "dampening",
    "description",
    "encapsulation",
    "ipv4",
    "ipv6",
    "l2transport",
    "lldp",
    "load-interval",
    "mtu",
    "negotiation",
    "service-policy",
    "shutdown",
    "speed",
    "vrf",
];

const ROUTER: &[&str] = &[
    "address-family",
    "area",
    "bfd",
    "bgp",
    "default-information",
    "distance",
    "log",
    "maximum-paths",
    "neighbor",
    "net",
    "nsr",
    "redistribute",
    "router-id",
    "timers",
];

const VRF: &[&str] = &["address-family", "description", "export", "import", "rd"];

const LINE: &[&str] = &["access-class", "exec-timeout", "session-limit", "session-timeout", "transport"];

const USERNAME: &[&str] = &["group", "password", "secret"];

/// The configuration a device starts with.
pub(super) fn initial(hostname: &str, username: &str) -> Blocks {
    let mut c = Blocks::new(&RULES, hostname);
    let user = format!("username {username}");
    c.add_child(&user, "group root-lr".into());
    c.add_child(&user, "group cisco-support".into());
    c.add_child(
        &user,
        "secret 10 $6$Qb8F0/7e$Pv8rBR2U9R1dPOk2Fv7Jw0SWB3.zwO3Ntb5rPxZ6JQuU1n7qXDC3Ss8Xg2Q6Ai/y".into(),
    );
    for (name, address) in [
        ("Loopback0", Some("10.255.0.3 255.255.255.255")),
        ("MgmtEth0/RSP0/CPU0/0", Some("192.168.1.13 255.255.255.0")),
        ("GigabitEthernet0/0/0/0", Some("10.0.0.1 255.255.255.0")),
        ("GigabitEthernet0/0/0/1", None),
    ] {
        let parent = format!("interface {name}");
        match address {
            Some(a) => c.add_child(&parent, format!("ipv4 address {a}")),
            None => c.add_child(&parent, "shutdown".into()),
        }
    }
    c.add_global("ssh server v2".into());
    c
}

/// Renders entries XR-style: blocks with one-space indented lines and a `!` after each.
fn render(out: &mut Vec<String>, lines: impl IntoIterator<Item = (String, Vec<String>, bool)>) {
    for (line, children, block) in lines {
        out.push(line);
        out.extend(children.iter().map(|l| format!(" {l}")));
        if block {
            out.push("!".into());
        }
    }
}

/// What `show running-config` prints; with `filter`, only the entries starting with it.
pub(super) fn running_text(c: &Blocks, filter: &str) -> String {
    let mut out = vec![
        TIMESTAMP.to_string(),
        "Building configuration...".into(),
        "!! IOS XR Configuration 6.4.2".into(),
        "!! Last configuration change at Mon Mar  2 09:14:27 2020 by admin".into(),
        "!".into(),
    ];
    if filter.is_empty() {
        out.push(format!("hostname {}", c.hostname));
    }
    let entries = c.entries().iter().filter(|e| e.line.starts_with(filter));
    render(&mut out, entries.map(|e| (e.line.clone(), e.children.clone(), e.block)));
    out.push("end".into());
    out.join("\n")
}

/// What `show configuration` prints: the uncommitted changes, grouped by block, with
/// removals as `no ...` lines.
pub(super) fn changes_text(changes: &[Change]) -> String {
    let mut groups: Vec<(String, Vec<String>, bool)> = Vec::new();
    let mut push = |parent: Option<&String>, line: Option<String>| match parent {
        None => groups.extend(line.map(|l| (l, Vec::new(), false))),
        Some(p) => {
            let index = groups.iter().position(|(l, _, block)| *block && l == p).unwrap_or_else(|| {
                groups.push((p.clone(), Vec::new(), true));
                groups.len() - 1
            });
            groups[index].1.extend(line);
        }
    };
    for change in changes {
        match change {
            Change::Add { parent, line } => push(parent.as_ref(), Some(line.clone())),
            Change::Enter { line } => push(Some(line), None),
            Change::Remove { parent, prefix } => push(parent.as_ref(), Some(format!("no {prefix}"))),
        }
    }
    let mut out = vec![
        TIMESTAMP.to_string(),
        "Building configuration...".into(),
        "!! IOS XR Configuration 6.4.2".into(),
    ];
    render(&mut out, groups);
    out.push("end".into());
    out.join("\n")
}

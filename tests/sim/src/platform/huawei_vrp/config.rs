//! The VRP configuration: keyword tables of the system view and its sub-views, the
//! configuration a device starts with, and the `display current-configuration` rendering
//! (`#` separators, global lines indented by one space, `return` at the end).

use crate::platform::blocks::{Blocks, Dialect, Entry, Rules, Statement, SubMode};

pub(super) static RULES: Rules = Rules {
    hostname_keyword: "sysname",
    default_hostname: "HUAWEI",
    negation: "undo",
    single_valued: &[
        "authentication-mode",
        "description",
        "duplex",
        "idle-timeout",
        "ip address",
        "mtu",
        "port default vlan",
        "port link-type",
        "protocol inbound",
        "router-id",
        "speed",
        "user privilege level",
    ],
};

/// VRP stores `interface GigabitEthernet 0/0/1` as `interface GigabitEthernet0/0/1`, and
/// `vlan batch ...` opens no view.
fn canonical(statement: &mut Statement) {
    if statement.keyword == "interface" && !statement.negate {
        statement.text = format!("interface {}", statement.text["interface ".len()..].replace(' ', ""));
    }
    if statement.text.starts_with("vlan batch") {
        statement.opens = None;
    }
}

pub(super) static DIALECT: Dialect = Dialect {
    global: &[
        "aaa",
        "acl",
        "bgp",
        "clock",
        "dhcp",
        "dns",
        "header",
        "info-center",
        "interface",
        "ip",
        "ipv6",
        "isis",
        "lldp",
        "ntp-service",
        "ospf",
        "port-group",
        "rip",
        "route-policy",
        "snmp-agent",
        "ssh",
        "stelnet",
        "stp",
        "sysname",
        "user-interface",
        "vlan",
    ],
    modes: &[
        SubMode { opener: &["interface"], args: 1, keywords: INTERFACE, tag: |w| w[1..].concat() },
        SubMode {
            opener: &["ospf"],
            args: 0,
            keywords: OSPF,
            tag: |w| format!("ospf-{}", w.get(1).unwrap_or(&"1")),
        },
        SubMode { opener: &["bgp"], args: 1, keywords: BGP, tag: |_| "bgp".into() },
        SubMode { opener: &["vlan"], args: 1, keywords: VLAN, tag: |w| format!("vlan{}", w[1]) },
        SubMode { opener: &["aaa"], args: 0, keywords: AAA, tag: |_| "aaa".into() },
        SubMode {
            opener: &["user-interface"],
            args: 2,
            keywords: USER_INTERFACE,
            tag: |w| format!("ui-{}{}", w[1], w[2..].join("-")),
        },
        SubMode {
            opener: &["acl"],
            args: 1,
            keywords: ACL,
            tag: |w| {
                let number: u32 = w.last().and_then(|n| n.parse().ok()).unwrap_or(3000);
                format!("acl-{}-{number}", if number < 3000 { "basic" } else { "adv" })
            },
        },
        SubMode {
            opener: &["ip", "vpn-instance"],
            args: 1,
            keywords: VPN_INSTANCE,
            tag: |w| format!("vpn-instance-{}", w[2]),
        },
    ],
    bare: &["aaa", "ospf", "shutdown"],
    negate: &["undo"],
    control: &["display", "quit", "return", "save"],
    end: "return",
    exit: "quit",
    canonical,
};

const INTERFACE: &[&str] = &[
    "description",
    "dhcp",
    "duplex",
    "eth-trunk",
    "ip",
    "ipv6",
    "isis",
    "lldp",
    "loopback-detect",
    "mtu",
    "negotiation",
    "ospf",
    "port",
    "qos",
    "shutdown",
    "speed",
    "stp",
    "traffic-policy",
];

const OSPF: &[&str] = &[
    "area",
    "bandwidth-reference",
    "default-route-advertise",
    "import-route",
    "network",
    "silent-interface",
];

const BGP: &[&str] = &["group", "import-route", "ipv4-family", "network", "peer", "preference", "router-id"];

const VLAN: &[&str] = &["description", "name"];

const AAA: &[&str] =
    &["accounting-scheme", "authentication-scheme", "authorization-scheme", "domain", "local-user"];

const USER_INTERFACE: &[&str] = &[
    "authentication-mode",
    "history-command",
    "idle-timeout",
    "protocol",
    "screen-length",
    "set",
    "shell",
    "user",
];

const ACL: &[&str] = &["description", "rule", "step"];

const VPN_INSTANCE: &[&str] = &["description", "ipv4-family", "route-distinguisher", "vpn-target"];

/// The configuration a device starts with.
pub(super) fn initial(hostname: &str, username: &str) -> Blocks {
    let mut c = Blocks::new(&RULES, hostname);
    for line in [
        "authentication-scheme default",
        "authorization-scheme default",
        "accounting-scheme default",
        "domain default",
        "domain default_admin",
        &format!("local-user {username} password irreversible-cipher $1a$Tx=7E@Fh(0$L~QgB>#k9&U)A$"),
        &format!("local-user {username} privilege level 15"),
        &format!("local-user {username} service-type ssh"),
    ] {
        c.add_child("aaa", line.to_string());
    }
    c.add_child("interface GigabitEthernet0/0/0", "ip address 192.168.1.14 255.255.255.0".into());
    c.enter("interface GigabitEthernet0/0/1");
    c.add_child("interface GigabitEthernet0/0/2", "shutdown".into());
    c.enter("interface NULL0");
    c.add_global("stelnet server enable".into());
    c.add_global(format!("ssh user {username} authentication-type password"));
    c.add_global(format!("ssh user {username} service-type stelnet"));
    c.add_child("user-interface con 0", "authentication-mode password".into());
    c.add_child("user-interface vty 0 4", "authentication-mode aaa".into());
    c.add_child("user-interface vty 0 4", "protocol inbound ssh".into());
    c
}

/// Renders `entries` VRP-style after the `sysname` line.
fn render(out: &mut Vec<String>, entries: &[Entry]) {
    let mut previous_block = false;
    for entry in entries {
        if entry.block {
            out.push("#".into());
            out.push(entry.line.clone());
            out.extend(entry.children.iter().map(|l| format!(" {l}")));
        } else {
            if previous_block {
                out.push("#".into());
            }
            out.push(format!(" {}", entry.line));
        }
        previous_block = entry.block;
    }
}

/// What `display current-configuration` (and `display saved-configuration`) prints.
pub(super) fn current_text(c: &Blocks) -> String {
    let mut out = vec![
        "!Software Version V200R010C00SPC600".to_string(),
        "#".into(),
        format!(" sysname {}", c.hostname),
    ];
    render(&mut out, c.entries());
    out.push("#".into());
    out.push("return".into());
    out.join("\n")
}

/// What `display this` prints in the view opened by `block` (`None`: the system view).
pub(super) fn this_text(c: &Blocks, block: Option<&str>) -> String {
    let mut out = vec!["#".to_string()];
    match block.and_then(|b| c.block(b)) {
        Some(entry) => render(&mut out, std::slice::from_ref(entry)),
        None if block.is_none() => {
            out.push(format!(" sysname {}", c.hostname));
            let globals: Vec<Entry> = c.entries().iter().filter(|e| !e.block).cloned().collect();
            render(&mut out, &globals);
        }
        None => {}
    }
    if out.len() > 1 && out[1] == "#" {
        out.remove(0);
    }
    out.push("#".into());
    out.push("return".into());
    out.join("\n")
}

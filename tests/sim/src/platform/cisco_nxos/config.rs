//! The NX-OS configuration: keyword tables of the configuration modes, the configuration a
//! device starts with, and the `show running-config` / `show startup-config` rendering
//! (two-space indentation, a blank line before each block, no `end`).

use crate::platform::blocks::{Blocks, Dialect, Rules, SubMode};

pub(super) static RULES: Rules = Rules {
    hostname_keyword: "hostname",
    default_hostname: "switch",
    negation: "no",
    single_valued: &[
        "bandwidth",
        "description",
        "duplex",
        "exec-timeout",
        "ip address",
        "ip domain-name",
        "mtu",
        "name",
        "rd",
        "router-id",
        "session-limit",
        "spanning-tree mode",
        "speed",
        "state",
        "switchport access vlan",
        "switchport mode",
        "vrf member",
    ],
};

pub(super) static DIALECT: Dialect = Dialect {
    global: &[
        "aaa",
        "banner",
        "boot",
        "callhome",
        "cdp",
        "class-map",
        "clock",
        "copp",
        "errdisable",
        "evpn",
        "feature",
        "hardware",
        "hostname",
        "interface",
        "ip",
        "ipv6",
        "key",
        "license",
        "line",
        "logging",
        "mac",
        "ntp",
        "nv",
        "policy-map",
        "port-channel",
        "power",
        "radius-server",
        "role",
        "route-map",
        "router",
        "service",
        "snmp-server",
        "spanning-tree",
        "ssh",
        "system",
        "tacacs-server",
        "track",
        "username",
        "vlan",
        "vpc",
        "vrf",
    ],
    modes: &[
        SubMode { opener: &["interface"], args: 1, keywords: INTERFACE, tag: |_| "config-if".into() },
        SubMode { opener: &["router"], args: 2, keywords: ROUTER, tag: |_| "config-router".into() },
        SubMode { opener: &["vlan"], args: 1, keywords: VLAN, tag: |_| "config-vlan".into() },
        SubMode { opener: &["vrf", "context"], args: 1, keywords: VRF, tag: |_| "config-vrf".into() },
        SubMode {
            opener: &["line"],
            args: 1,
            keywords: LINE,
            tag: |w| {
                if w[1].eq_ignore_ascii_case("console") { "config-console" } else { "config-line" }.into()
            },
        },
    ],
    bare: &["log-adjacency-changes", "log-neighbor-changes", "shutdown", "switchport"],
    negate: &["default", "no"],
    control: &["copy", "do", "end", "exit", "show"],
    end: "end",
    exit: "exit",
    canonical: |_| {},
};

const INTERFACE: &[&str] = &[
    "bandwidth",
    "cdp",
    "channel-group",
    "delay",
    "description",
    "duplex",
    "fec",
    "hsrp",
    "ip",
    "ipv6",
    "link",
    "lldp",
    "load-interval",
    "mac",
    "mtu",
    "negotiate",
    "service-policy",
    "shutdown",
    "spanning-tree",
    "speed",
    "storm-control",
    "switchport",
    "udld",
    "vpc",
    "vrf",
];

const ROUTER: &[&str] = &[
    "address-family",
    "area",
    "bestpath",
    "default-information",
    "description",
    "distance",
    "log-adjacency-changes",
    "log-neighbor-changes",
    "maximum-paths",
    "neighbor",
    "network",
    "passive-interface",
    "redistribute",
    "remote-as",
    "router-id",
    "timers",
    "update-source",
    "vrf",
];

const VLAN: &[&str] = &["mode", "name", "shutdown", "state", "vn-segment"];

const VRF: &[&str] = &["address-family", "description", "ip", "ipv6", "rd", "vni"];

const LINE: &[&str] = &["absolute-timeout", "access-class", "exec-timeout", "session-limit", "speed"];

/// The configuration a device starts with.
pub(super) fn initial(hostname: &str, username: &str) -> Blocks {
    let mut c = Blocks::new(&RULES, hostname);
    c.add_global("feature lldp".into());
    c.add_global(format!(
        "username {username} password 5 $5$Kq8uGcVt$ZBqP1hXPZT0EFXGC4dMS4wnVKsUX2ZCCBlUf0mZjgX6 role network-admin"
    ));
    c.add_global("no ip domain-lookup".into());
    c.add_global("copp profile strict".into());
    c.enter("vlan 1");
    c.add_child("vrf context management", "ip route 0.0.0.0/0 192.168.1.254".into());
    for port in 1..=4 {
        c.enter(&format!("interface Ethernet1/{port}"));
    }
    c.add_child("interface mgmt0", "vrf member management".into());
    c.add_child("interface mgmt0", "ip address 192.168.1.11/24".into());
    c.enter("line console");
    c.enter("line vty");
    c.add_global("boot nxos bootflash:/nxos.9.3.8.bin".into());
    c
}

/// The configuration text after the header lines.
fn body(c: &Blocks) -> String {
    let mut out = vec!["version 9.3(8) Bios:version".to_string(), format!("hostname {}", c.hostname)];
    for entry in c.entries() {
        if entry.block {
            out.push(String::new());
        }
        out.push(entry.line.clone());
        out.extend(entry.children.iter().map(|l| format!("  {l}")));
    }
    out.join("\n")
}

/// What `show running-config` prints.
pub(super) fn running_text(c: &Blocks) -> String {
    format!(
        "\n!Command: show running-config\n!Running configuration last done at: Mon Mar  2 09:14:27 2020\n\
         !Time: Mon Mar  2 09:20:00 2020\n\n{}",
        body(c)
    )
}

/// What `show startup-config` prints.
pub(super) fn startup_text(c: &Blocks) -> String {
    format!(
        "\n!Command: show startup-config\n!Startup config saved at: Mon Mar  2 09:14:27 2020\n\n{}",
        body(c)
    )
}

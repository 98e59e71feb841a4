//! The EOS configuration: keyword tables of the configuration modes (EOS prompt tags name the
//! object, e.g. `config-if-Et1`), the configuration a device starts with, and the
//! `show running-config` rendering (three-space indentation, `!` separators, `end`).

use crate::platform::blocks::{Blocks, Dialect, Rules, SubMode};

pub(super) static RULES: Rules = Rules {
    hostname_keyword: "hostname",
    default_hostname: "localhost",
    negation: "no",
    single_valued: &[
        "description",
        "ip address",
        "mtu",
        "name",
        "router-id",
        "spanning-tree mode",
        "speed",
        "state",
        "switchport access vlan",
        "switchport mode",
        "vrf",
    ],
};

/// EOS's short interface name: `Ethernet1` → `Et1`, `Port-Channel10` → `Po10`.
fn short_interface(name: &str) -> String {
    let digits = name.find(|c: char| c.is_ascii_digit()).unwrap_or(name.len());
    let mut letters = name[..digits].chars().filter(char::is_ascii_alphabetic);
    let first: String = letters.next().map(|c| c.to_ascii_uppercase()).into_iter().collect();
    let second: String = letters.next().map(|c| c.to_ascii_lowercase()).into_iter().collect();
    format!("{first}{second}{}", &name[digits..])
}

pub(super) static DIALECT: Dialect = Dialect {
    global: &[
        "aaa",
        "banner",
        "boot",
        "class-map",
        "clock",
        "daemon",
        "dns",
        "enable",
        "errdisable",
        "event-handler",
        "hostname",
        "interface",
        "ip",
        "ipv6",
        "lldp",
        "logging",
        "mac",
        "management",
        "mlag",
        "monitor",
        "ntp",
        "platform",
        "policy-map",
        "radius-server",
        "route-map",
        "router",
        "service",
        "snmp-server",
        "spanning-tree",
        "tacacs-server",
        "transceiver",
        "username",
        "vlan",
        "vrf",
    ],
    modes: &[
        SubMode {
            opener: &["interface"],
            args: 1,
            keywords: INTERFACE,
            tag: |w| format!("config-if-{}", short_interface(w[1])),
        },
        SubMode {
            opener: &["router", "bgp"],
            args: 1,
            keywords: ROUTER,
            tag: |_| "config-router-bgp".into(),
        },
        SubMode {
            opener: &["router", "ospf"],
            args: 1,
            keywords: ROUTER,
            tag: |_| "config-router-ospf".into(),
        },
        SubMode { opener: &["vlan"], args: 1, keywords: VLAN, tag: |w| format!("config-vlan-{}", w[1]) },
        SubMode {
            opener: &["vrf", "instance"],
            args: 1,
            keywords: VRF,
            tag: |w| format!("config-vrf-{}", w[2]),
        },
        SubMode {
            opener: &["ip", "access-list"],
            args: 1,
            keywords: ACL,
            tag: |w| format!("config-acl-{}", w[2]),
        },
        SubMode {
            opener: &["management", "api", "http-commands"],
            args: 0,
            keywords: MANAGEMENT,
            tag: |_| "config-mgmt-api-http-cmds".into(),
        },
        SubMode {
            opener: &["management", "ssh"],
            args: 0,
            keywords: MANAGEMENT,
            tag: |_| "config-mgmt-ssh".into(),
        },
    ],
    bare: &["shutdown", "switchport"],
    negate: &["default", "no"],
    control: &["copy", "do", "end", "exit", "show", "write"],
    end: "end",
    exit: "exit",
    canonical: |_| {},
};

const INTERFACE: &[&str] = &[
    "channel-group",
    "description",
    "error-correction",
    "ip",
    "ipv6",
    "lldp",
    "load-interval",
    "logging",
    "mac",
    "mlag",
    "mtu",
    "shutdown",
    "spanning-tree",
    "speed",
    "storm-control",
    "switchport",
    "vrf",
];

const ROUTER: &[&str] = &[
    "address-family",
    "area",
    "bgp",
    "distance",
    "log-adjacency-changes",
    "max-lsa",
    "maximum-paths",
    "neighbor",
    "network",
    "passive-interface",
    "redistribute",
    "router-id",
    "timers",
    "vrf",
];

const VLAN: &[&str] = &["name", "state", "trunk"];

const VRF: &[&str] = &["description", "rd"];

const ACL: &[&str] = &["deny", "permit", "remark", "statistics"];

const MANAGEMENT: &[&str] = &["authentication", "cors", "idle-timeout", "protocol", "shutdown", "vrf"];

/// The configuration a device starts with.
pub(super) fn initial(hostname: &str, username: &str) -> Blocks {
    let mut c = Blocks::new(&RULES, hostname);
    c.add_global("no aaa root".into());
    c.add_global(format!(
        "username {username} privilege 15 role network-admin secret sha512 \
         $6$4Nf8kzSHc0MpzFTm$lnMAzMRdMhiBYdb5d6E/HBHbXVcIjw2rlVxwWg0j6AVTqYvrS1Vxk5RxYV8ms2zKPnzfuzhX1rQ2Ul7ZtyG6g."
    ));
    c.add_global("transceiver qsfp default-mode 4x10G".into());
    c.add_global("service routing protocols model multi-agent".into());
    c.add_global("spanning-tree mode mstp".into());
    for port in 1..=3 {
        c.enter(&format!("interface Ethernet{port}"));
    }
    c.add_child("interface Management1", "ip address 192.168.1.12/24".into());
    c.add_global("no ip routing".into());
    c.add_global("ip route 0.0.0.0/0 192.168.1.254".into());
    c.add_child("management api http-commands", "no shutdown".into());
    c
}

/// The configuration text after `! Command: ...`.
fn body(c: &Blocks) -> String {
    let mut out = vec![
        format!("! device: {} (vEOS-lab, EOS-4.28.3M)", c.hostname),
        "!".to_string(),
        "! boot system flash:/vEOS-lab.swi".to_string(),
        "!".to_string(),
        format!("hostname {}", c.hostname),
        "!".to_string(),
    ];
    for entry in c.entries() {
        out.push(entry.line.clone());
        out.extend(entry.children.iter().map(|l| format!("   {l}")));
        out.push("!".to_string());
    }
    out.push("end".to_string());
    out.join("\n")
}

/// What `show running-config` prints.
pub(super) fn running_text(c: &Blocks) -> String {
    format!("! Command: show running-config\n{}", body(c))
}

/// What `show startup-config` prints.
pub(super) fn startup_text(c: &Blocks) -> String {
    format!(
        "! Command: show startup-config\n! Startup-config last modified at Mon Mar  2 09:14:27 2020 by admin\n{}",
        body(c)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_interface_names() {
        assert_eq!(short_interface("Ethernet1"), "Et1");
        assert_eq!(short_interface("ethernet1/2"), "Et1/2");
        assert_eq!(short_interface("Port-Channel10"), "Po10");
        assert_eq!(short_interface("Management1"), "Ma1");
        assert_eq!(short_interface("Et3"), "Et3");
    }
}

//! The IOS configuration store: global lines and sub-mode blocks (`interface X` with its
//! indented lines), the `no` / replace rules, the keyword lists of each configuration mode,
//! and the `show running-config` rendering.

/// Configuration sub-modes entered by a global command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum SubMode {
    Interface,
    Router,
    Line,
    Vlan,
}

impl SubMode {
    /// The global keyword that enters this mode.
    pub fn for_keyword(keyword: &str) -> Option<SubMode> {
        match keyword {
            "interface" => Some(SubMode::Interface),
            "router" => Some(SubMode::Router),
            "line" => Some(SubMode::Line),
            "vlan" => Some(SubMode::Vlan),
            _ => None,
        }
    }

    /// The prompt tag, e.g. `config-if`.
    pub fn tag(self) -> &'static str {
        match self {
            SubMode::Interface => "config-if",
            SubMode::Router => "config-router",
            SubMode::Line => "config-line",
            SubMode::Vlan => "config-vlan",
        }
    }

    /// Keywords accepted inside this mode (besides the global ones, which leave it).
    pub fn keywords(self) -> &'static [&'static str] {
        match self {
            SubMode::Interface => INTERFACE_KEYWORDS,
            SubMode::Router => ROUTER_KEYWORDS,
            SubMode::Line => LINE_KEYWORDS,
            SubMode::Vlan => VLAN_KEYWORDS,
        }
    }
}

/// Keywords of global configuration mode.
pub(super) const GLOBAL_KEYWORDS: &[&str] = &[
    "aaa",
    "access-list",
    "alias",
    "archive",
    "banner",
    "boot",
    "bridge",
    "cdp",
    "class-map",
    "clock",
    "config-register",
    "control-plane",
    "crypto",
    "default",
    "dial-peer",
    "do",
    "enable",
    "end",
    "errdisable",
    "event",
    "exit",
    "hostname",
    "interface",
    "ip",
    "ipv6",
    "key",
    "license",
    "line",
    "lldp",
    "logging",
    "login",
    "mac",
    "monitor",
    "mpls",
    "no",
    "ntp",
    "object-group",
    "policy-map",
    "port-channel",
    "privilege",
    "radius",
    "radius-server",
    "redundancy",
    "route-map",
    "router",
    "service",
    "snmp-server",
    "spanning-tree",
    "system",
    "tacacs",
    "tacacs-server",
    "track",
    "username",
    "version",
    "vlan",
    "vrf",
    "vtp",
];

const INTERFACE_KEYWORDS: &[&str] = &[
    "arp",
    "authentication",
    "bandwidth",
    "carrier-delay",
    "cdp",
    "channel-group",
    "default",
    "delay",
    "description",
    "do",
    "dot1x",
    "duplex",
    "encapsulation",
    "end",
    "exit",
    "hold-queue",
    "ip",
    "ipv6",
    "keepalive",
    "lldp",
    "load-interval",
    "logging",
    "mab",
    "media-type",
    "mpls",
    "mtu",
    "negotiation",
    "no",
    "power",
    "service-policy",
    "shutdown",
    "speed",
    "spanning-tree",
    "standby",
    "storm-control",
    "switchport",
    "tunnel",
    "udld",
    "vrf",
    "vrrp",
];

const ROUTER_KEYWORDS: &[&str] = &[
    "address-family",
    "area",
    "auto-summary",
    "bgp",
    "default",
    "default-information",
    "default-metric",
    "distance",
    "distribute-list",
    "do",
    "eigrp",
    "end",
    "exit",
    "exit-address-family",
    "log-adjacency-changes",
    "maximum-paths",
    "metric",
    "neighbor",
    "network",
    "no",
    "passive-interface",
    "redistribute",
    "router-id",
    "summary-address",
    "timers",
    "version",
];

const LINE_KEYWORDS: &[&str] = &[
    "access-class",
    "autocommand",
    "default",
    "do",
    "end",
    "exec",
    "exec-timeout",
    "exit",
    "history",
    "length",
    "logging",
    "login",
    "motd-banner",
    "no",
    "password",
    "privilege",
    "session-timeout",
    "speed",
    "stopbits",
    "transport",
    "width",
];

const VLAN_KEYWORDS: &[&str] =
    &["default", "do", "end", "exit", "media", "mtu", "name", "no", "remote-span", "shutdown", "state"];

/// Keywords that are a complete command on their own; every other keyword needs arguments.
pub(super) const BARE_KEYWORDS: &[&str] = &[
    "auto-summary",
    "control-plane",
    "end",
    "exec",
    "exit",
    "exit-address-family",
    "log-adjacency-changes",
    "login",
    "motd-banner",
    "redundancy",
    "shutdown",
];

/// Line prefixes that hold one value: a new line with the prefix replaces the old one.
const SINGLE_VALUED: &[&str] = &[
    "bandwidth",
    "clock timezone",
    "description",
    "duplex",
    "enable secret",
    "enable password",
    "exec-timeout",
    "ip address",
    "ip domain name",
    "ip domain-name",
    "mtu",
    "name",
    "router-id",
    "speed",
    "switchport access vlan",
    "switchport mode",
];

/// A global line and, for sub-mode blocks, its indented lines.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Block {
    line: String,
    children: Vec<String>,
}

impl Block {
    fn is_mode(&self) -> bool {
        self.line.split_whitespace().next().and_then(SubMode::for_keyword).is_some()
    }
}

/// A device configuration (running or startup).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Config {
    pub hostname: String,
    blocks: Vec<Block>,
}

/// True when `line` starts with the words of `prefix` (whole words).
fn starts_with_words(line: &str, prefix: &str) -> bool {
    line == prefix || line.strip_prefix(prefix).is_some_and(|rest| rest.starts_with(' '))
}

/// True when adding `new` drops `old`: a single-valued setting replaces its old value, and a
/// line supersedes a `no <its prefix>` line.
fn supersedes(new: &str, old: &str) -> bool {
    let secondary = |l: &str| l.ends_with(" secondary");
    let replaced = !secondary(new)
        && !secondary(old)
        && SINGLE_VALUED.iter().any(|p| starts_with_words(new, p) && starts_with_words(old, p));
    let negated = old.strip_prefix("no ").is_some_and(|neg| starts_with_words(new, neg));
    replaced || negated
}

/// Adds `line` to `lines` with the replace rules; an identical line is not repeated.
fn add_line(lines: &mut Vec<String>, line: String) {
    if lines.contains(&line) {
        return;
    }
    lines.retain(|old| !supersedes(&line, old));
    lines.push(line);
}

/// Removes the lines that start with the words of `prefix`; true if any was removed.
fn remove_lines(lines: &mut Vec<String>, prefix: &str) -> bool {
    let before = lines.len();
    lines.retain(|l| !starts_with_words(l, prefix));
    lines.len() != before
}

impl Config {
    /// The configuration a device starts with.
    pub fn initial(hostname: &str, username: &str) -> Config {
        let mut config = Config { hostname: hostname.to_string(), blocks: Vec::new() };
        for line in [
            "service timestamps debug datetime msec",
            "service timestamps log datetime msec",
            "no service password-encryption",
            "no ip domain lookup",
            "ip cef",
            "no ipv6 cef",
            &format!("username {username} privilege 15 secret 5 $1$sImU$3zqvU1ejnDCLrE8ElmK/m1"),
        ] {
            config.add_global(line.to_string());
        }
        for name in ["GigabitEthernet0/0", "GigabitEthernet0/1", "GigabitEthernet0/2"] {
            let parent = format!("interface {name}");
            config.enter_block(&parent);
            config.add_child(&parent, "no ip address".into());
            if name != "GigabitEthernet0/0" {
                config.add_child(&parent, "shutdown".into());
            }
            config.add_child(&parent, "duplex auto".into());
            config.add_child(&parent, "speed auto".into());
        }
        config.add_global("ip ssh version 2".into());
        config.enter_block("line con 0");
        config.enter_block("line vty 0 4");
        config.add_child("line vty 0 4", "login local".into());
        config.add_child("line vty 0 4", "transport input ssh".into());
        config
    }

    /// Adds a global line (not a sub-mode block), with the replace rules.
    pub fn add_global(&mut self, line: String) {
        if self.blocks.iter().any(|b| !b.is_mode() && b.line == line) {
            return;
        }
        self.blocks.retain(|b| b.is_mode() || !supersedes(&line, &b.line));
        self.blocks.push(Block { line, children: Vec::new() });
    }

    /// Finds or creates the sub-mode block `line` (e.g. `interface Gi0/1`).
    pub fn enter_block(&mut self, line: &str) {
        if !self.blocks.iter().any(|b| b.line == line) {
            self.blocks.push(Block { line: line.to_string(), children: Vec::new() });
        }
    }

    /// Adds `line` under the block `parent` (created if missing).
    pub fn add_child(&mut self, parent: &str, line: String) {
        self.enter_block(parent);
        if let Some(block) = self.blocks.iter_mut().find(|b| b.line == parent) {
            add_line(&mut block.children, line);
        }
    }

    /// `no <prefix>` in global mode: removes matching global lines and blocks.
    pub fn remove_global(&mut self, prefix: &str) -> bool {
        let before = self.blocks.len();
        self.blocks.retain(|b| !starts_with_words(&b.line, prefix));
        self.blocks.len() != before
    }

    /// `no <prefix>` inside the block `parent`.
    pub fn remove_child(&mut self, parent: &str, prefix: &str) -> bool {
        self.blocks
            .iter_mut()
            .find(|b| b.line == parent)
            .is_some_and(|b| remove_lines(&mut b.children, prefix))
    }

    /// The configuration text from the first `!` to `end` (`\n` endings, no final newline).
    pub fn body(&self) -> String {
        let mut out: Vec<String> = vec!["!".into(), format!("hostname {}", self.hostname)];
        out.push("!".into());
        let mut previous: Option<&Block> = None;
        for block in &self.blocks {
            // consecutive childless blocks (`line con 0`, `line vty ...`) stay together
            let follows_bare_mode = previous.is_some_and(|p| p.is_mode() && p.children.is_empty());
            if block.is_mode() && !follows_bare_mode && out.last().is_some_and(|l| l != "!") {
                out.push("!".into());
            }
            previous = Some(block);
            out.push(block.line.clone());
            out.extend(block.children.iter().map(|c| format!(" {c}")));
            if !block.children.is_empty() {
                out.push("!".into());
            }
        }
        if out.last().is_some_and(|l| l != "!") {
            out.push("!".into());
        }
        out.push("end".into());
        out.join("\n")
    }

    /// What `show running-config` prints.
    pub fn running_text(&self) -> String {
        let body = self.body();
        format!("Building configuration...\n\nCurrent configuration : {} bytes\n{body}", body.len() + 1)
    }

    /// What `show startup-config` prints.
    pub fn startup_text(&self) -> String {
        let body = self.body();
        format!("Using {} out of 262144 bytes\n{body}", body.len() + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_blocks_with_indent_and_bangs() {
        let c = Config::initial("R1", "admin");
        let text = c.running_text();
        assert!(text.starts_with("Building configuration...\n\nCurrent configuration : "));
        assert!(text.contains("\n!\nhostname R1\n!\n"), "{text}");
        assert!(text.contains("\ninterface GigabitEthernet0/1\n no ip address\n shutdown\n"), "{text}");
        assert!(text.ends_with("\n!\nend"), "{text}");
        let n: usize = text
            .lines()
            .nth(2)
            .unwrap()
            .trim_start_matches("Current configuration : ")
            .trim_end_matches(" bytes")
            .parse()
            .unwrap();
        assert_eq!(n, c.body().len() + 1);
    }

    #[test]
    fn replace_and_no_rules() {
        let mut c = Config::initial("R1", "admin");
        let gi = "interface GigabitEthernet0/1";
        c.add_child(gi, "ip address 10.0.0.1 255.255.255.0".into());
        c.add_child(gi, "description one".into());
        c.add_child(gi, "description two".into());
        c.add_child(gi, "description two".into());
        let body = c.body();
        assert!(body.contains("interface GigabitEthernet0/1\n shutdown\n duplex auto"), "{body}");
        assert!(body.contains(" ip address 10.0.0.1 255.255.255.0"));
        assert!(!body.contains("description one"));
        assert_eq!(body.matches("description two").count(), 1);
        assert!(c.remove_child(gi, "shutdown"));
        assert!(!c.remove_child(gi, "shutdown"));
        assert!(c.remove_child(gi, "description"));
        assert!(!c.body().contains("description"));

        c.add_global("ntp server 10.1.1.1".into());
        c.add_global("ntp server 10.1.1.2".into());
        c.add_global("ip domain name a.example".into());
        c.add_global("ip domain name b.example".into());
        let body = c.body();
        assert!(body.contains("ntp server 10.1.1.1\nntp server 10.1.1.2"));
        assert!(!body.contains("a.example") && body.contains("b.example"));
        assert!(c.remove_global("ntp server 10.1.1.1"));
        assert!(c.remove_global(gi));
        assert!(!c.body().contains(gi));
        // "no ip domain lookup" is superseded by "ip domain lookup"
        c.add_global("ip domain lookup".into());
        assert!(!c.body().contains("no ip domain lookup"));
    }
}

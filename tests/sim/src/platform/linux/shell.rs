//! One bash session on the Linux host: quoting and `$?` / `$USER` / `$HOME` / `$HOSTNAME`
//! expansion, `>` / `>>` redirection, a few builtins and commands (`echo`, `true`, `false`,
//! `exit`, `cd`, `pwd`, `whoami`, `id`, `hostname`, `uname`, `cat`, `touch`, `ls`, `rm`), the
//! canned outputs (`ip addr` and friends), and `bash: X: command not found` (status 127).

use std::sync::Arc;

use super::LinuxDevice;
use crate::platform::{Reply, Shell};

const KERNEL: &str = "5.15.0-105-generic";
const KERNEL_VERSION: &str = "#115-Ubuntu SMP Mon Apr 15 09:52:04 UTC 2024";

/// Commands that change state or print nothing: never a canned output.
const NOT_OUTPUTS: &[&str] = &["cd", "exit", "false", "logout", "rm", "touch", "true"];

/// Short forms of the canned `ip` commands.
const ALIASES: &[(&str, &str)] = &[
    ("ip a", "ip address show"),
    ("ip addr", "ip address show"),
    ("ip addr show", "ip address show"),
    ("ip address", "ip address show"),
    ("ip a s", "ip address show"),
    ("ip l", "ip link show"),
    ("ip link", "ip link show"),
    ("ip r", "ip route show"),
    ("ip route", "ip route show"),
];

/// One word of a command line after quote removal and expansion.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Token {
    text: String,
    /// Some of it was quoted: never an operator.
    quoted: bool,
}

/// Splits `line` into words: `'...'` is literal, `"..."` expands `$X`, `\` escapes one
/// character outside single quotes.
fn tokens(line: &str, var: impl Fn(&str) -> String) -> Vec<Token> {
    let mut out = Vec::new();
    let mut current: Option<Token> = None;
    let mut chars = line.chars().peekable();
    let mut quote: Option<char> = None;
    while let Some(c) = chars.next() {
        match (quote, c) {
            (None, c) if c.is_whitespace() => out.extend(current.take()),
            (None, '\'' | '"') => {
                quote = Some(c);
                current.get_or_insert(Token { text: String::new(), quoted: true }).quoted = true;
            }
            (Some(q), c) if c == q => quote = None,
            (Some('\''), c) => {
                current.get_or_insert(Token { text: String::new(), quoted: true }).text.push(c)
            }
            (_, '\\') => {
                let t = current.get_or_insert(Token { text: String::new(), quoted: true });
                t.quoted = true;
                t.text.extend(chars.next());
            }
            (_, '$') => {
                let mut name = String::new();
                if chars.peek() == Some(&'?') {
                    chars.next();
                    name.push('?');
                } else {
                    while let Some(&n) = chars.peek().filter(|n| n.is_ascii_alphanumeric() || **n == '_') {
                        name.push(n);
                        chars.next();
                    }
                }
                let t = current.get_or_insert(Token { text: String::new(), quoted: quote.is_some() });
                if name.is_empty() { t.text.push('$') } else { t.text.push_str(&var(&name)) }
            }
            (_, c) => {
                current.get_or_insert(Token { text: String::new(), quoted: quote.is_some() }).text.push(c)
            }
        }
    }
    out.extend(current);
    out
}

/// The result of one command line.
struct Outcome {
    text: String,
    status: i32,
    close: bool,
}

impl Outcome {
    fn ok(text: impl Into<String>) -> Outcome {
        Outcome { text: text.into(), status: 0, close: false }
    }

    fn fail(text: impl Into<String>, status: i32) -> Outcome {
        Outcome { text: text.into(), status, close: false }
    }
}

/// Runs one command line on `device` as `user`; `status` is `$?` before the line.
fn run(device: &LinuxDevice, user: &str, status: i32, line: &str) -> Option<Outcome> {
    let home = if user == "root" { "/root".to_string() } else { format!("/home/{user}") };
    let hostname = device.hostname();
    let all = tokens(line, |name| match name {
        "?" => status.to_string(),
        "USER" | "LOGNAME" => user.to_string(),
        "HOME" => home.clone(),
        "HOSTNAME" => hostname.clone(),
        "SHELL" => "/bin/bash".into(),
        _ => String::new(),
    });
    let first = all.first()?;
    // output redirection: `cmd ... > FILE` / `>> FILE`
    let redirect = all.iter().position(|t| !t.quoted && (t.text == ">" || t.text == ">>"));
    let (words, target) = match redirect {
        Some(i) => match all.get(i + 1) {
            Some(file) => (&all[..i], Some((file.text.clone(), all[i].text == ">>"))),
            None => {
                return Some(Outcome::fail("bash: syntax error near unexpected token `newline'", 2));
            }
        },
        None => (&all[..], None),
    };
    let args: Vec<&str> = words.iter().skip(1).map(|t| t.text.as_str()).collect();
    let mut outcome = command(device, user, &home, &first.text, &args, words);
    if let Some((file, append)) = target {
        let mut state = device.state();
        let contents = state.files.entry(file).or_default();
        if !append {
            contents.clear();
        }
        if !outcome.text.is_empty() {
            contents.push_str(&outcome.text);
            contents.push('\n');
        }
        outcome.text.clear();
    }
    Some(outcome)
}

/// Runs one command (`name` and its arguments; `words` as typed, for canned lookups).
fn command(
    device: &LinuxDevice,
    user: &str,
    home: &str,
    name: &str,
    args: &[&str],
    words: &[Token],
) -> Outcome {
    match name {
        "exit" | "logout" => Outcome { text: "logout".into(), status: 0, close: true },
        "true" | "cd" => Outcome::ok(""),
        "false" => Outcome::fail("", 1),
        "echo" => Outcome::ok(args.join(" ")),
        "pwd" => Outcome::ok(home),
        "whoami" => Outcome::ok(user),
        "id" if user == "root" => Outcome::ok("uid=0(root) gid=0(root) groups=0(root)"),
        "id" => Outcome::ok(format!("uid=1000({user}) gid=1000({user}) groups=1000({user}),4(adm),27(sudo)")),
        "hostname" => match args {
            [] => Outcome::ok(device.hostname()),
            [new] if user == "root" => {
                device.state().hostname = new.to_string();
                Outcome::ok("")
            }
            _ => Outcome::fail("hostname: you must be root to change the host name", 1),
        },
        "uname" => uname(&device.hostname(), args),
        "touch" if args.is_empty() => {
            Outcome::fail("touch: missing file operand\nTry 'touch --help' for more information.", 1)
        }
        "touch" => {
            let mut state = device.state();
            for file in args {
                state.files.entry(file.to_string()).or_default();
            }
            Outcome::ok("")
        }
        "rm" => {
            let force = args.iter().any(|a| a.starts_with('-') && a.contains('f'));
            let files: Vec<&&str> = args.iter().filter(|a| !a.starts_with('-')).collect();
            if files.is_empty() {
                return Outcome::fail("rm: missing operand\nTry 'rm --help' for more information.", 1);
            }
            let mut state = device.state();
            let mut errors = Vec::new();
            for file in files {
                if state.files.remove(*file).is_none() && !force {
                    errors.push(format!("rm: cannot remove '{file}': No such file or directory"));
                }
            }
            if errors.is_empty() { Outcome::ok("") } else { Outcome::fail(errors.join("\n"), 1) }
        }
        "ls" => {
            let state = device.state();
            let one_per_line = args.contains(&"-1");
            let named: Vec<&&str> = args.iter().filter(|a| !a.starts_with('-')).collect();
            let mut errors = Vec::new();
            let mut shown: Vec<String> = Vec::new();
            if named.is_empty() {
                shown.extend(state.files.keys().cloned());
            }
            for file in named {
                if state.files.contains_key(*file) {
                    shown.push(file.to_string());
                } else {
                    errors.push(format!("ls: cannot access '{file}': No such file or directory"));
                }
            }
            let listing = shown.join(if one_per_line { "\n" } else { "  " });
            let text = errors.into_iter().chain(Some(listing).filter(|l| !l.is_empty())).collect::<Vec<_>>();
            Outcome {
                status: if text.iter().any(|l| l.starts_with("ls: ")) { 2 } else { 0 },
                ..Outcome::ok(text.join("\n"))
            }
        }
        "cat" => {
            let mut out = Vec::new();
            let mut status = 0;
            for file in args {
                let canned = device.catalog.outputs.get(&format!("cat {file}"), &device.hostname());
                match (canned, device.state().files.get(*file)) {
                    (_, Some(contents)) => out.push(contents.trim_end_matches('\n').to_string()),
                    (Some(text), None) => out.push(text),
                    _ if *file == "/etc/hostname" => out.push(device.hostname()),
                    _ => {
                        out.push(format!("cat: {file}: No such file or directory"));
                        status = 1;
                    }
                }
            }
            out.retain(|l| !l.is_empty());
            Outcome { status, ..Outcome::ok(out.join("\n")) }
        }
        _ => {
            let typed = words.iter().map(|t| t.text.as_str()).collect::<Vec<_>>().join(" ");
            let command =
                ALIASES.iter().find(|(short, _)| *short == typed).map_or(typed.as_str(), |(_, c)| c);
            match device.catalog.outputs.get(command, &device.hostname()) {
                Some(text) => Outcome::ok(text),
                None if device.catalog.outputs.commands().any(|c| c.split(' ').next() == Some(name)) => {
                    Outcome::fail(format!("{name}: invalid arguments: {}", args.join(" ")), 1)
                }
                None => Outcome::fail(format!("bash: {name}: command not found"), 127),
            }
        }
    }
}

/// `uname [-asnrmo]`.
fn uname(hostname: &str, args: &[&str]) -> Outcome {
    let mut flags = String::new();
    for arg in args {
        match arg.strip_prefix('-') {
            Some(f) if !f.is_empty() && f.chars().all(|c| "asnrvmo".contains(c)) => flags.push_str(f),
            _ => {
                let bad = arg.trim_start_matches('-').chars().next().unwrap_or('-');
                return Outcome::fail(
                    format!("uname: invalid option -- '{bad}'\nTry 'uname --help' for more information."),
                    1,
                );
            }
        }
    }
    if flags.contains('a') {
        return Outcome::ok(format!(
            "Linux {hostname} {KERNEL} {KERNEL_VERSION} x86_64 x86_64 x86_64 GNU/Linux"
        ));
    }
    if flags.is_empty() {
        flags.push('s');
    }
    let fields = [
        ('s', "Linux".to_string()),
        ('n', hostname.to_string()),
        ('r', KERNEL.to_string()),
        ('v', KERNEL_VERSION.to_string()),
        ('m', "x86_64".to_string()),
        ('o', "GNU/Linux".to_string()),
    ];
    let shown: Vec<&str> =
        fields.iter().filter(|(f, _)| flags.contains(*f)).map(|(_, v)| v.as_str()).collect();
    Outcome::ok(shown.join(" "))
}

/// The output of `command` if it only reads, succeeds and prints something.
pub(super) fn read_only_output(device: &LinuxDevice, command: &str) -> Option<String> {
    let all = tokens(command, |_| String::new());
    let first = all.first()?;
    if NOT_OUTPUTS.contains(&first.text.as_str())
        || all.iter().any(|t| !t.quoted && (t.text == ">" || t.text == ">>"))
        || (first.text == "hostname" && all.len() > 1)
    {
        return None;
    }
    let outcome = run(device, &device.catalog.username, 0, command)?;
    (outcome.status == 0 && !outcome.text.is_empty()).then_some(outcome.text)
}

pub(super) struct LinuxShell {
    device: Arc<LinuxDevice>,
    /// `$?`.
    status: i32,
}

impl LinuxShell {
    pub fn new(device: Arc<LinuxDevice>) -> LinuxShell {
        LinuxShell { device, status: 0 }
    }
}

impl Shell for LinuxShell {
    fn greeting(&self) -> String {
        format!(
            "Welcome to Ubuntu 22.04.4 LTS (GNU/Linux {KERNEL} x86_64)\n\n\
             Last login: Mon Mar  2 09:14:27 2020 from 127.0.0.1"
        )
    }

    fn prompt(&self) -> String {
        let user = &self.device.catalog.username;
        let host = self.device.hostname();
        if user == "root" { format!("root@{host}:~# ") } else { format!("{user}@{host}:~$ ") }
    }

    fn execute(&mut self, line: &str) -> Reply {
        let Some(outcome) = run(&self.device, &self.device.catalog.username, self.status, line) else {
            return Reply::empty();
        };
        self.status = outcome.status;
        if outcome.close { Reply::close(outcome.text) } else { Reply::text(outcome.text) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SimConfig;
    use crate::platform::testing::{run, shell_with};
    use crate::platform::{DeviceModel, Platform};

    fn shell_as(user: &str) -> (Arc<dyn DeviceModel>, Box<dyn Shell>) {
        shell_with(Platform::Linux, &SimConfig { username: user.into(), ..SimConfig::default() })
    }

    #[test]
    fn tokens_quotes_and_variables() {
        let t = tokens(r#"echo 'a  $?' "b $X" c\ d $?"#, |v| format!("<{v}>"));
        let texts: Vec<&str> = t.iter().map(|t| t.text.as_str()).collect();
        assert_eq!(texts, vec!["echo", "a  $?", "b <X>", "c d", "<?>"]);
        assert!(!t[0].quoted && t[1].quoted && !t[4].quoted);
    }

    #[test]
    fn prompts_status_and_builtins() {
        let (device, mut s) = shell_as("admin");
        assert_eq!(s.prompt(), "admin@linux1:~$ ");
        assert_eq!(s.page_length(), 0);
        assert_eq!(run(&mut s, "echo hello   world"), "hello world");
        assert_eq!(run(&mut s, "echo \"$USER at $HOSTNAME\""), "admin at linux1");
        assert_eq!(run(&mut s, "false"), "");
        assert_eq!(run(&mut s, "echo $?"), "1");
        assert_eq!(run(&mut s, "echo $?"), "0");
        assert_eq!(run(&mut s, "frobnicate --now"), "bash: frobnicate: command not found");
        assert_eq!(run(&mut s, "echo $?"), "127");
        assert_eq!(run(&mut s, "hostname"), "linux1");
        assert_eq!(
            run(&mut s, "uname -a"),
            "Linux linux1 5.15.0-105-generic #115-Ubuntu SMP Mon Apr 15 09:52:04 UTC 2024 x86_64 x86_64 x86_64 GNU/Linux"
        );
        assert_eq!(run(&mut s, "uname"), "Linux");
        assert_eq!(run(&mut s, "uname -sr"), "Linux 5.15.0-105-generic");
        assert!(run(&mut s, "cat /etc/os-release").starts_with("PRETTY_NAME=\"Ubuntu 22.04.4 LTS\"\n"));
        assert_eq!(run(&mut s, "ip addr"), device.canned_output("ip address show").unwrap());
        assert_eq!(run(&mut s, "pwd"), "/home/admin");
        assert_eq!(run(&mut s, ""), "");
        assert_eq!(run(&mut s, "true"), "");
        let bye = s.execute("exit");
        assert!(bye.close);
        assert_eq!(bye.text, "logout");
        let (_, root) = shell_as("root");
        assert_eq!(root.prompt(), "root@linux1:~# ");
    }

    #[test]
    fn files_are_the_running_config() {
        let (device, mut s) = shell_as("admin");
        assert_eq!(device.running_config(), "");
        assert_eq!(run(&mut s, "ls"), "");
        assert_eq!(run(&mut s, "touch b.txt a.txt"), "");
        assert_eq!(run(&mut s, "echo hi > c.txt"), "");
        assert_eq!(run(&mut s, "echo there >> c.txt"), "");
        assert_eq!(run(&mut s, "cat c.txt"), "hi\nthere");
        assert_eq!(run(&mut s, "ls"), "a.txt  b.txt  c.txt");
        assert_eq!(run(&mut s, "ls -1"), "a.txt\nb.txt\nc.txt");
        assert_eq!(device.running_config(), "a.txt\nb.txt\nc.txt");
        assert_eq!(device.canned_output("ls"), Some("a.txt  b.txt  c.txt".into()));
        assert_eq!(run(&mut s, "rm b.txt"), "");
        assert_eq!(run(&mut s, "rm b.txt"), "rm: cannot remove 'b.txt': No such file or directory");
        assert_eq!(run(&mut s, "echo $?"), "1");
        assert_eq!(run(&mut s, "rm -f b.txt"), "");
        assert_eq!(run(&mut s, "cat nope"), "cat: nope: No such file or directory");
        assert_eq!(run(&mut s, "ls nope"), "ls: cannot access 'nope': No such file or directory");
        assert_eq!(run(&mut s, "echo $?"), "2");
        assert_eq!(device.running_config(), "a.txt\nc.txt");
    }

    #[test]
    fn canned_output_only_reads() {
        let (device, _) = shell_as("admin");
        assert_eq!(device.canned_output("uname -a").unwrap().split(' ').nth(1), Some("linux1"));
        assert_eq!(device.canned_output("hostname").as_deref(), Some("linux1"));
        assert_eq!(device.canned_output("echo hi").as_deref(), Some("hi"));
        assert!(device.canned_output("ip a").unwrap().contains("inet 192.168.1.16/24"));
        assert_eq!(device.canned_output("touch x"), None);
        assert_eq!(device.canned_output("echo hi > x"), None);
        assert_eq!(device.canned_output("nosuch"), None);
        assert_eq!(device.canned_output("false"), None);
        assert_eq!(device.running_config(), "");
    }
}

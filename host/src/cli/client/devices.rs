//! The device list of `netpulse bulk`: a CSV file in NetPulse's CLI format
//! (`Selected,Name,Site,Location,Rack,Vendor,Model,IP,Port,Username,Password,Keepalive`;
//! columns other than those read here are ignored), read into devices, each
//! problem named by its file and line. Two optional columns of our own:
//! `Device Type` (any device type, over the Vendor's) and `Secret` (the enable secret).

use std::path::Path;

/// One selected row.
#[derive(Debug, Clone, PartialEq)]
pub struct Device {
    /// The row's line in the file (1 is the header).
    pub line: usize,
    pub name: String,
    pub vendor: String,
    pub host: String,
    pub port: u16,
    pub device_type: String,
    pub username: Option<String>,
    pub password: Option<String>,
    pub secret: Option<String>,
    pub keepalive: Option<u64>,
}

/// NetPulse's vendor names and the device types they stand for (plus Juniper).
const VENDORS: &[(&str, &str)] = &[
    ("cisco", "cisco_ios"),
    ("huawei", "huawei"),
    ("h3c", "hp_comware"),
    ("arista", "arista_eos"),
    ("fortinet", "fortinet"),
    ("juniper", "juniper_junos"),
];

/// How rows are chosen and typed.
#[derive(Debug, Default, Clone)]
pub struct Choice<'a> {
    /// Only rows of this vendor (case-insensitive).
    pub vendor: Option<&'a str>,
    /// The device type of rows with neither a Device Type nor a Vendor.
    pub default_type: Option<&'a str>,
}

/// Read the selected devices of a CSV file.
pub fn read(path: &Path, choice: &Choice) -> Result<Vec<Device>, String> {
    let bytes =
        std::fs::read(path).map_err(|e| format!("cannot read the device list {}: {e}", path.display()))?;
    let text = String::from_utf8(bytes)
        .map_err(|_| format!("{}: not UTF-8 text (save the sheet as CSV UTF-8)", path.display()))?;
    parse(&text, &path.display().to_string(), choice)
}

/// The selected devices of CSV text; `source` names it in messages.
pub fn parse(text: &str, source: &str, choice: &Choice) -> Result<Vec<Device>, String> {
    let records = records(text.strip_prefix('\u{feff}').unwrap_or(text))
        .map_err(|(line, msg)| format!("{source} line {line}: {msg}"))?;
    let mut rows = records.into_iter().filter(|(_, cells)| cells.iter().any(|c| !c.trim().is_empty()));
    let Some((_, header)) = rows.next() else {
        return Err(format!("{source} is empty: it needs a header line (Selected,Name,Vendor,IP,Port,...)"));
    };
    let col = |names: &[&str]| header.iter().position(|h| names.contains(&key(h).as_str()));
    let ip = col(&["ip", "host", "address"])
        .ok_or_else(|| format!("{source} has no IP column (its header: {})", header.join(",")))?;
    let cols = Columns {
        selected: col(&["selected"]),
        name: col(&["name"]),
        vendor: col(&["vendor"]),
        ip,
        port: col(&["port"]),
        username: col(&["username", "user"]),
        password: col(&["password"]),
        secret: col(&["secret", "enablesecret"]),
        keepalive: col(&["keepalive"]),
        device_type: col(&["devicetype"]),
    };
    let mut devices = Vec::new();
    for (line, cells) in rows {
        if cells.len() > header.len() {
            return Err(format!(
                "{source} line {line}: {} fields, but the header has {} (a comma inside a value needs quotes)",
                cells.len(),
                header.len()
            ));
        }
        let at = |line: usize| move |msg: String| format!("{source} line {line}: {msg}");
        if let Some(d) = row(line, &cells, &cols, choice).map_err(at(line))? {
            devices.push(d);
        }
    }
    if devices.is_empty() {
        let why = match (cols.selected, choice.vendor) {
            (_, Some(v)) => format!(" of vendor {v:?}"),
            (Some(_), None) => " (no row has Selected = True)".to_string(),
            (None, None) => String::new(),
        };
        return Err(format!("{source}: no device selected{why}"));
    }
    Ok(devices)
}

struct Columns {
    selected: Option<usize>,
    name: Option<usize>,
    vendor: Option<usize>,
    ip: usize,
    port: Option<usize>,
    username: Option<usize>,
    password: Option<usize>,
    secret: Option<usize>,
    keepalive: Option<usize>,
    device_type: Option<usize>,
}

/// A header name compared without case, spaces, `_` or `-`.
fn key(h: &str) -> String {
    h.chars().filter(|c| !matches!(c, ' ' | '_' | '-')).flat_map(char::to_lowercase).collect()
}

/// One data row: its device, or `None` when it is not selected.
fn row(line: usize, cells: &[String], c: &Columns, choice: &Choice) -> Result<Option<Device>, String> {
    let get = |i: Option<usize>| i.and_then(|i| cells.get(i)).map(|s| s.trim()).unwrap_or("");
    let some = |s: &str| (!s.is_empty()).then(|| s.to_string());
    if c.selected.is_some() {
        match get(c.selected).to_ascii_lowercase().as_str() {
            "true" | "yes" | "y" | "1" | "x" => {}
            "false" | "no" | "n" | "0" | "" => return Ok(None),
            other => return Err(format!("Selected is {other:?}: use True or False")),
        }
    }
    let vendor = get(c.vendor);
    if let Some(want) = choice.vendor
        && !vendor.eq_ignore_ascii_case(want)
    {
        return Ok(None);
    }
    let host = get(Some(c.ip));
    if host.is_empty() {
        return Err("the IP is empty".into());
    }
    let port = match get(c.port) {
        "" => 22,
        p => p
            .strip_suffix(".0") // a sheet may save whole numbers as 22.0
            .unwrap_or(p)
            .parse::<u16>()
            .ok()
            .filter(|p| *p > 0)
            .ok_or_else(|| format!("Port {p:?} is not a port number (1-65535)"))?,
    };
    let keepalive = match get(c.keepalive) {
        "" => None,
        k => Some(
            k.strip_suffix(".0")
                .unwrap_or(k)
                .parse::<u64>()
                .map_err(|_| format!("Keepalive {k:?} is not a whole number of seconds"))?,
        ),
    };
    let device_type = match (get(c.device_type), vendor) {
        (t, _) if !t.is_empty() => t.to_string(),
        ("", v) if !v.is_empty() => {
            let found = VENDORS.iter().find(|(name, _)| v.eq_ignore_ascii_case(name));
            match found {
                Some((_, t)) => t.to_string(),
                None => {
                    let known: Vec<&str> = VENDORS.iter().map(|(n, _)| *n).collect();
                    return Err(format!(
                        "unknown Vendor {v:?} (known: {}); or give the device type in a `Device Type` column",
                        known.join(", ")
                    ));
                }
            }
        }
        _ => match choice.default_type {
            Some(t) => t.to_string(),
            None => {
                return Err("no device type: give a Vendor, a `Device Type` column, or --device-type".into());
            }
        },
    };
    Ok(Some(Device {
        line,
        name: get(c.name).to_string(),
        vendor: vendor.to_string(),
        host: host.to_string(),
        port,
        device_type,
        username: some(get(c.username)),
        password: some(get(c.password)),
        secret: some(get(c.secret)),
        keepalive,
    }))
}

/// A CSV record and the line it starts on.
type Record = (usize, Vec<String>);

/// CSV records (RFC 4180: quoted fields with `""` and line breaks inside, CRLF or
/// LF), each with the line it starts on. An unclosed quote is an error at its line.
fn records(text: &str) -> Result<Vec<Record>, (usize, String)> {
    let mut out = Vec::new();
    let mut cells = Vec::new();
    let mut cell = String::new();
    let mut line = 1;
    let mut start = 1;
    let mut quoted = false;
    let mut quote_line = 0;
    let mut chars = text.chars().peekable();
    while let Some(ch) = chars.next() {
        if quoted {
            match ch {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    cell.push('"');
                }
                '"' => quoted = false,
                '\n' => {
                    line += 1;
                    cell.push('\n');
                }
                c => cell.push(c),
            }
            continue;
        }
        match ch {
            '"' if cell.trim().is_empty() => {
                cell.clear();
                quoted = true;
                quote_line = line;
            }
            ',' => cells.push(std::mem::take(&mut cell)),
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' => {
                cells.push(std::mem::take(&mut cell));
                out.push((start, std::mem::take(&mut cells)));
                line += 1;
                start = line;
            }
            c => cell.push(c),
        }
    }
    if quoted {
        return Err((quote_line, "a quoted value is not closed (a `\"` is missing)".into()));
    }
    if !cell.is_empty() || !cells.is_empty() {
        cells.push(cell);
        out.push((start, cells));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NETPULSE_SAMPLE: &str = "\
Selected,Name,Site,Location,Rack,Vendor,Model,IP,Port,Username,Password,Keepalive
True,Test-Router-1,DataCenter-A,Beijing,R01,Cisco,ISR4331,192.168.1.1,22,admin,admin123,180
True,Test-Firewall-1,DataCenter-B,Shanghai,R03,Fortinet,FortiGate-60E,192.168.1.3,22,admin,admin123,180
False,Test-Router-2,DataCenter-C,Guangzhou,R04,Huawei,NE40E,192.168.1.4,22,admin,admin123,180
True,Test-Switch-2,DataCenter-A,Beijing,R05,H3C,S5500,192.168.1.5,,admin,,
";

    #[test]
    fn reads_netpulse_cli_files() {
        let d = parse(NETPULSE_SAMPLE, "devices.csv", &Choice::default()).unwrap();
        let hosts: Vec<&str> = d.iter().map(|d| d.host.as_str()).collect();
        assert_eq!(hosts, ["192.168.1.1", "192.168.1.3", "192.168.1.5"]);
        assert_eq!(d[0].device_type, "cisco_ios");
        assert_eq!(d[0].name, "Test-Router-1");
        assert_eq!(d[0].line, 2);
        assert_eq!(d[0].password.as_deref(), Some("admin123"));
        assert_eq!(d[0].keepalive, Some(180));
        assert_eq!(d[1].device_type, "fortinet");
        assert_eq!(d[2].device_type, "hp_comware");
        assert_eq!((d[2].port, d[2].password.as_deref(), d[2].keepalive), (22, None, None));
    }

    #[test]
    fn vendor_filter_and_device_type_column() {
        let only = Choice { vendor: Some("CISCO"), default_type: None };
        let d = parse(NETPULSE_SAMPLE, "f", &only).unwrap();
        assert_eq!(d.len(), 1);
        let text = "IP,Port,Device Type,Vendor\n10.0.0.1,2222,cisco_xr,Cisco\n10.0.0.2,,,\n";
        let typed = Choice { vendor: None, default_type: Some("arista_eos") };
        let d = parse(text, "f", &typed).unwrap();
        assert_eq!((d[0].device_type.as_str(), d[0].port), ("cisco_xr", 2222));
        assert_eq!(d[1].device_type, "arista_eos");
        let err = parse(text, "f", &Choice::default()).unwrap_err();
        assert!(err.contains("f line 3") && err.contains("--device-type"), "{err}");
    }

    #[test]
    fn bad_rows_are_named_by_line() {
        let head = "Selected,Vendor,IP,Port\n";
        let cases = [
            ("True,Cisco,127.0.9.1,22\nTrue,Cisco,127.0.9.2,ssh\n", "line 3", "Port \"ssh\""),
            ("True,Cisco,127.0.9.1,22\n\nTrue,Acme,127.0.9.2,22\n", "line 4", "unknown Vendor \"Acme\""),
            ("Maybe,Cisco,127.0.9.1,22\n", "line 2", "Selected"),
            ("True,Cisco,,22\n", "line 2", "IP is empty"),
            ("True,Cisco,127.0.9.1,22,extra\n", "line 2", "5 fields"),
            ("True,\"Cisco,127.0.9.1,22\n", "line 2", "not closed"),
            ("True,Cisco,127.0.9.1,70000\n", "line 2", "Port \"70000\""),
        ];
        for (rows, line, what) in cases {
            let err = parse(&format!("{head}{rows}"), "d.csv", &Choice::default()).unwrap_err();
            assert!(err.contains(&format!("d.csv {line}")) && err.contains(what), "{rows:?}: {err}");
        }
        let err = parse("Name,Vendor\nx,Cisco\n", "d.csv", &Choice::default()).unwrap_err();
        assert!(err.contains("no IP column"), "{err}");
        let err = parse("", "d.csv", &Choice::default()).unwrap_err();
        assert!(err.contains("empty"), "{err}");
        let err =
            parse(&format!("{head}False,Cisco,127.0.9.1,22\n"), "d.csv", &Choice::default()).unwrap_err();
        assert!(err.contains("no device selected"), "{err}");
    }

    #[test]
    fn quoted_fields_crlf_and_bom() {
        let text = "\u{feff}Name,IP,Vendor\r\n\"core, \"\"A\"\"\",127.0.9.1,Cisco\r\n\"two\nlines\",127.0.9.2,Cisco\r\n";
        let d = parse(text, "f", &Choice::default()).unwrap();
        assert_eq!(d[0].name, "core, \"A\"");
        assert_eq!(d[1].name, "two\nlines");
        assert_eq!(d[1].line, 3);
        assert_eq!(d[0].port, 22);
    }

    #[test]
    fn a_missing_file_is_named() {
        let err = read(Path::new("/nonexistent/devices.csv"), &Choice::default()).unwrap_err();
        assert!(err.contains("/nonexistent/devices.csv"), "{err}");
    }
}

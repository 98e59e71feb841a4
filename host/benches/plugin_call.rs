//! Plugin call overhead: instantiate the built-in cisco_ios driver from its
//! pre-instantiated component and run one `send-command`, with the device session
//! stubbed in memory. Prints p50/p99 per call and calls per second.
//!
//! Run: `cargo bench -p netpulse --bench plugin_call`

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use netpulse::plugin::{
    CallContext, CommandOptions, Plugins, SandboxLimits, SessionState, Transport, TransportReadError,
};
use std::collections::HashMap;

use regex::bytes::{Regex, RegexBuilder};

/// Answers every line like an IOS device at `R1#` would, instantly.
struct MemoryDevice {
    pending: VecDeque<u8>,
    /// Compiled patterns, as the SSH transport caches them.
    patterns: HashMap<String, Regex>,
}

impl Transport for MemoryDevice {
    fn write(&mut self, data: &str) -> Result<(), String> {
        let cmd = data.trim_end();
        let out = format!("{cmd}\r\nCisco IOS Software, Version 15.2(4)M11\r\nR1 uptime is 5 weeks\r\nR1#");
        self.pending.extend(out.as_bytes());
        Ok(())
    }

    fn read_until(
        &mut self,
        pattern: &str,
        _timeout: Duration,
    ) -> Result<(String, String), TransportReadError> {
        if !self.patterns.contains_key(pattern) {
            let re = RegexBuilder::new(pattern)
                .multi_line(true)
                .build()
                .map_err(|e| TransportReadError::BadPattern(e.to_string()))?;
            self.patterns.insert(pattern.to_string(), re);
        }
        let re = &self.patterns[pattern];
        let buf: Vec<u8> = self.pending.iter().copied().collect();
        match re.find(&buf) {
            Some(m) => {
                let before = String::from_utf8_lossy(&buf[..m.start()]).into_owned();
                let matched = String::from_utf8_lossy(&buf[m.start()..m.end()]).into_owned();
                self.pending.drain(..m.end());
                Ok((before, matched))
            }
            None => Err(TransportReadError::Timeout(String::from_utf8_lossy(&buf).into_owned())),
        }
    }

    fn drain(&mut self) -> String {
        let s = String::from_utf8_lossy(&self.pending.iter().copied().collect::<Vec<_>>()).into_owned();
        self.pending.clear();
        s
    }
}

fn main() {
    let (plugins, _) =
        Plugins::load(netpulse::builtin::BUILTIN_PLUGINS, None, SandboxLimits::default(), None)
            .expect("built-in plugins load");
    let driver = plugins.driver_for("cisco_ios").expect("cisco_ios is built in");
    let state = SessionState { prompt: "R1".into(), data: String::new() };
    let options = CommandOptions {
        read_timeout_ms: 1000,
        expect_string: None,
        strip_prompt: true,
        strip_command: true,
        extra: Vec::new(),
    };
    let ctx = CallContext::default();
    let mut device = MemoryDevice { pending: VecDeque::new(), patterns: HashMap::new() };
    let n = 20_000;
    let mut samples = Vec::with_capacity(n);
    let all = Instant::now();
    for i in 0..n + 1000 {
        let t = Instant::now();
        let (d, r) = driver.send_command(device, &ctx, &state, "show version", &options);
        device = d;
        let out = r.expect("no sandbox failure").expect("no driver error");
        assert!(out.starts_with("Cisco IOS"));
        if i >= 1000 {
            samples.push(t.elapsed());
        }
    }
    let total = all.elapsed();
    samples.sort();
    let pct = |p: f64| samples[((samples.len() as f64 - 1.0) * p) as usize].as_secs_f64() * 1e6;
    println!("plugin call (fresh instance + send-command, in-memory device), {n} calls:");
    println!(
        "  p50 {:.1} us, p99 {:.1} us, {:.0} calls/s",
        pct(0.50),
        pct(0.99),
        (n + 1000) as f64 / total.as_secs_f64()
    );
}

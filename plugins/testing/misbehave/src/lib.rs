//! A test-only driver that misbehaves on purpose, on command: `loop` spins forever,
//! `bomb` allocates without bound, `trap` executes `unreachable`, `panic` panics.
//! Any other command is sent to the device like a plain driver would, and
//! `plugin-version` answers the plugin's version (tests patch that string in the
//! `.wasm` to make a "new version" for hot reload). Never installed.

use netpulse_driver_kit::{
    self as kit, CommandOptions, ConfigOptions, ConfigReply, DriverError, Guest, PluginMeta, SessionOptions,
    SessionState,
};

struct Misbehave;

/// Tests look for this exact text in the component to make a second version.
const VERSION: &str = "1.0.0-aaaa";
const PROMPT: &str = r"(?m)^[\w.\-/:()]+[>#][ \t]*$";

fn misbehave(command: &str) {
    match command {
        "loop" => {
            let mut n: u64 = 0;
            loop {
                n = std::hint::black_box(n.wrapping_add(1));
            }
        }
        "bomb" => {
            let mut hoard: Vec<Vec<u8>> = Vec::new();
            loop {
                hoard.push(vec![1u8; 1 << 20]);
                std::hint::black_box(&hoard);
            }
        }
        "trap" => core::arch::wasm32::unreachable(),
        "panic" => panic!("the misbehave driver panicked on purpose"),
        _ => {}
    }
}

impl Guest for Misbehave {
    fn metadata() -> PluginMeta {
        PluginMeta {
            name: "misbehave".into(),
            version: VERSION.into(),
            wit_version: kit::WIT_VERSION.into(),
            platforms: vec!["misbehave".into()],
        }
    }

    fn prepare_session(options: SessionOptions) -> Result<SessionState, DriverError> {
        kit::read_until(PROMPT, options.timeout_ms, "the prompt")?;
        Ok(SessionState { prompt: options.host, data: String::new() })
    }

    fn send_command(_state: SessionState, command: String, o: CommandOptions) -> Result<String, DriverError> {
        misbehave(&command);
        if command == "plugin-version" {
            return Ok(VERSION.into());
        }
        kit::send_line(&command)?;
        let m = kit::read_until(PROMPT, o.read_timeout_ms, "the prompt")?;
        Ok(kit::strip_echo(&kit::clean(&m.before), &command).trim_end().to_string())
    }

    fn send_config(
        state: SessionState,
        lines: Vec<String>,
        _o: ConfigOptions,
    ) -> Result<ConfigReply, DriverError> {
        lines.iter().for_each(|l| misbehave(l));
        Ok(ConfigReply { transcript: String::new(), state })
    }

    fn probe(_state: SessionState, _timeout_ms: u32) -> Result<(), DriverError> {
        Ok(())
    }

    fn close(_state: SessionState) {}
}

netpulse_driver_kit::export!(Misbehave);

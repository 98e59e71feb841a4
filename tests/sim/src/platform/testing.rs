//! What the platforms' unit tests share: a device of a platform with a session on it, the
//! answer to one line, and the error text of a caret-marked refusal.

use std::sync::Arc;

use crate::SimConfig;
use crate::platform::caret::marked;
use crate::platform::{DeviceModel, Platform, Shell};

/// The first device of `platform` (`R1`, `nxos1`, ...) with the default settings, and a
/// session on it.
pub(crate) fn shell(platform: Platform) -> (Arc<dyn DeviceModel>, Box<dyn Shell>) {
    shell_with(platform, &SimConfig::default())
}

/// Like [`shell`], with the settings `cfg` (user name, secret, corpus).
pub(crate) fn shell_with(platform: Platform, cfg: &SimConfig) -> (Arc<dyn DeviceModel>, Box<dyn Shell>) {
    let catalog = platform.catalog(cfg).expect("catalog loads");
    let device = catalog.new_device(0, &platform.hostname(0));
    let shell = device.clone().new_shell();
    (device, shell)
}

/// The text answered to `line`.
pub(crate) fn run(shell: &mut Box<dyn Shell>, line: &str) -> String {
    shell.execute(line).text
}

/// A caret line under `column`, then `message`.
pub(crate) fn err(column: usize, message: &str) -> String {
    marked(column, message).text
}

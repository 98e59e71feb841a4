//! A component built against `netpulse:plugin@0.3.0`: the host (0.1 and 0.2) must refuse
//! it with a message naming both versions. Test-only.

wit_bindgen::generate!({ path: "wit", world: "driver" });

struct Future;

impl exports::netpulse::plugin::driver_api::Guest for Future {
    fn metadata() -> String {
        "wrong-version 0.3.0".into()
    }
}

export!(Future);

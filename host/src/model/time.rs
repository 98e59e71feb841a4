//! Times. The model holds `DateTime<Utc>`; text exists only at the edges (Redis
//! fields, JSON answers), always in one form, the one job records have always been
//! stored in: RFC 3339 with microseconds and `+00:00`
//! (`2024-05-01T09:30:00.123456+00:00`).

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Deserializer, Serializer};

/// Now.
pub fn now() -> DateTime<Utc> {
    Utc::now()
}

/// The stored and served form of `t`.
pub fn to_rfc3339(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, false)
}

/// Now, in the stored form.
pub fn now_rfc3339() -> String {
    to_rfc3339(&now())
}

/// Now, in milliseconds since the epoch (index scores, expiry arithmetic).
pub fn now_ms() -> i64 {
    now().timestamp_millis()
}

/// A stored time (RFC 3339, any offset) in UTC; `None` when it is empty or not one.
pub fn parse_rfc3339(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text).ok().map(|t| t.with_timezone(&Utc))
}

/// Serde for an optional time: the stored form, or `null`. Reading accepts any
/// RFC 3339 offset; an empty string is `None`.
pub mod rfc3339_opt {
    use super::*;

    pub fn serialize<S: Serializer>(t: &Option<DateTime<Utc>>, s: S) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => s.serialize_str(&to_rfc3339(t)),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DateTime<Utc>>, D::Error> {
        let text: Option<String> = Option::deserialize(d)?;
        match text.as_deref() {
            None | Some("") => Ok(None),
            Some(t) => parse_rfc3339(t)
                .map(Some)
                .ok_or_else(|| serde::de::Error::custom(format!("{t:?} is not an RFC 3339 time"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_times_come_back_as_the_same_text() {
        let text = now_rfc3339();
        assert!(text.ends_with("+00:00") && text.len() == "2024-05-01T09:30:00.123456+00:00".len(), "{text}");
        assert_eq!(to_rfc3339(&parse_rfc3339(&text).unwrap()), text);
        let fixed = "2024-05-01T09:30:00.000001+00:00";
        assert_eq!(to_rfc3339(&parse_rfc3339(fixed).unwrap()), fixed);
        // Another offset is read as the same instant.
        let t = parse_rfc3339("2024-01-01T12:00:05.5+08:00").unwrap();
        assert_eq!(to_rfc3339(&t), "2024-01-01T04:00:05.500000+00:00");
        assert_eq!(parse_rfc3339(""), None);
        assert_eq!(parse_rfc3339("yesterday"), None);
    }
}

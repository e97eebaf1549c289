//! Pull limits a registry announces: Docker Hub's `ratelimit-limit` / `ratelimit-remaining`
//! (`100;w=21600`: a count and the window in seconds), the IETF draft's `ratelimit-reset`,
//! and `Retry-After` on a `429`. Shown with `-v`, and in a `429` error.

use std::collections::BTreeMap;
use std::sync::Mutex;

use reqwest::header::HeaderMap;

/// What a registry last said about its limit. Its values are numbers the client parsed,
/// never text the registry sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateLimit {
    /// The registry as references name it.
    pub registry: String,
    pub limit: Option<u64>,
    pub remaining: Option<u64>,
    /// The window the limit counts over, in seconds.
    pub window: Option<u64>,
    /// Seconds until the window resets (`ratelimit-reset`, else `Retry-After` seconds).
    pub reset: Option<u64>,
}

impl RateLimit {
    /// `0 of 100 pulls remain per 6 h window, which resets in 120 s`.
    pub fn describe(&self) -> String {
        let mut s = match (self.remaining, self.limit) {
            (Some(r), Some(l)) => format!("{r} of {l} pulls remain"),
            (Some(r), None) => format!("{r} pulls remain"),
            (None, Some(l)) => format!("the limit is {l} pulls"),
            (None, None) => "the registry limits pulls".to_string(),
        };
        if let Some(w) = self.window {
            s.push_str(&format!(" per {} window", duration(w)));
        }
        if let Some(r) = self.reset {
            s.push_str(&format!(", which resets in {}", duration(r)));
        }
        s
    }
}

/// `21600` → `6 h`, `90` → `90 s`.
fn duration(secs: u64) -> String {
    if secs >= 3600 && secs.is_multiple_of(3600) {
        format!("{} h", secs / 3600)
    } else if secs >= 60 && secs.is_multiple_of(60) {
        format!("{} min", secs / 60)
    } else {
        format!("{secs} s")
    }
}

/// The last limit seen per registry; shared by all tasks.
#[derive(Default)]
pub struct RateLimits(Mutex<BTreeMap<String, RateLimit>>);

impl RateLimits {
    /// Note what `headers` say; responses without rate-limit headers change nothing.
    pub fn observe(&self, registry: &str, headers: &HeaderMap) {
        let Some(limit) = parse(registry, headers) else {
            return;
        };
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        // Answers arrive out of order; the lowest count left is the latest.
        let keep_old = map
            .get(registry)
            .is_some_and(|old| old.remaining.is_some() && old.remaining < limit.remaining);
        if !keep_old {
            map.insert(registry.to_string(), limit);
        }
    }

    pub fn get(&self, registry: &str) -> Option<RateLimit> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(registry)
            .cloned()
    }

    pub fn all(&self) -> Vec<RateLimit> {
        let map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        map.values().cloned().collect()
    }
}

fn parse(registry: &str, headers: &HeaderMap) -> Option<RateLimit> {
    let get = |name: &str| headers.get(name)?.to_str().ok().map(str::trim);
    // `100;w=21600` (Docker Hub), or a bare count (the IETF draft).
    let count_and_window = |v: &str| {
        let mut parts = v.split(';');
        let count = parts.next()?.trim().parse::<u64>().ok()?;
        let window = parts
            .filter_map(|p| p.trim().strip_prefix("w="))
            .find_map(|w| w.trim().parse::<u64>().ok());
        Some((count, window))
    };
    let limit = get("ratelimit-limit").and_then(count_and_window);
    let remaining = get("ratelimit-remaining").and_then(count_and_window);
    if limit.is_none() && remaining.is_none() {
        return None;
    }
    let reset = get("ratelimit-reset")
        .or_else(|| get("retry-after"))
        .and_then(|v| v.parse::<u64>().ok());
    Some(RateLimit {
        registry: registry.to_string(),
        limit: limit.map(|l| l.0),
        remaining: remaining.map(|r| r.0),
        window: limit.and_then(|l| l.1).or(remaining.and_then(|r| r.1)),
        reset,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn docker_hub_headers() {
        let l = parse(
            "docker.io",
            &headers(&[
                ("ratelimit-limit", "100;w=21600"),
                ("ratelimit-remaining", "0;w=21600"),
                ("retry-after", "120"),
            ]),
        )
        .unwrap();
        assert_eq!(
            (l.limit, l.remaining, l.window, l.reset),
            (Some(100), Some(0), Some(21600), Some(120))
        );
        assert_eq!(
            l.describe(),
            "0 of 100 pulls remain per 6 h window, which resets in 2 min"
        );
        assert_eq!(parse("x", &headers(&[("retry-after", "3")])), None);
        assert_eq!(parse("x", &headers(&[("ratelimit-limit", "lots")])), None);
    }

    #[test]
    fn the_lowest_count_left_is_kept() {
        let limits = RateLimits::default();
        for n in ["7", "5", "6"] {
            limits.observe("r", &headers(&[("ratelimit-remaining", n)]));
        }
        assert_eq!(limits.get("r").unwrap().remaining, Some(5));
    }
}

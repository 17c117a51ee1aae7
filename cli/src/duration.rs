//! Parsing virtual durations such as `10s`, `500ms`, `2m` or a bare number of milliseconds.

/// Parse a duration into milliseconds.
pub fn parse_ms(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let (digits, factor) = if let Some(d) = t.strip_suffix("ms") {
        (d, 1)
    } else if let Some(d) = t.strip_suffix('s') {
        (d, 1000)
    } else if let Some(d) = t.strip_suffix('m') {
        (d, 60_000)
    } else if let Some(d) = t.strip_suffix('h') {
        (d, 3_600_000)
    } else {
        (t, 1)
    };
    let value: u64 = digits.trim().parse().map_err(|_| {
        format!("invalid duration {text:?}: use a whole number with ms, s, m or h (e.g. 10s)")
    })?;
    value
        .checked_mul(factor)
        .ok_or_else(|| format!("duration {text:?} is too large"))
}

#[cfg(test)]
mod tests {
    use super::parse_ms;

    #[test]
    fn units() {
        assert_eq!(parse_ms("10s"), Ok(10_000));
        assert_eq!(parse_ms("250ms"), Ok(250));
        assert_eq!(parse_ms("2m"), Ok(120_000));
        assert_eq!(parse_ms("1h"), Ok(3_600_000));
        assert_eq!(parse_ms("42"), Ok(42));
        assert!(parse_ms("ten").is_err());
        assert!(parse_ms("-1s").is_err());
        assert!(parse_ms("1.5s").is_err());
        assert!(parse_ms("99999999999999999999h").is_err());
    }
}

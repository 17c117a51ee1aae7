//! Small helpers for the sentences the page writes about a run.

/// `n` and the noun, plural unless `n` is one: `1 node`, `5 nodes`, `0 operations`.
pub fn counted(n: u64, noun: &str) -> String {
    format!("{n} {noun}{}", plural(n))
}

/// The plural ending of a regular noun for `n` things: `""` for one, `"s"` otherwise.
pub fn plural(n: u64) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_is_singular_everything_else_plural() {
        assert_eq!(counted(1, "node"), "1 node");
        assert_eq!(counted(0, "operation"), "0 operations");
        assert_eq!(counted(5, "node"), "5 nodes");
        assert_eq!(plural(1), "");
        assert_eq!(plural(2), "s");
    }
}

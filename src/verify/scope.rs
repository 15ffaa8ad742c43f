//! What a key's scopes grant (docs/FORMAT.md, "Verification"): pure, so that the policy and
//! `diff` judge scopes by the very rule servers verify by.

/// Does a permission list grant `needed`? `*`, the exact scope, or `resource:*`.
pub fn grants(permissions: &[String], needed: &str) -> bool {
    permissions.iter().any(|p| {
        p == "*"
            || p == needed
            || p.strip_suffix(":*")
                .is_some_and(|r| needed.split_once(':').is_some_and(|(nr, _)| nr == r))
    })
}

//! What every front end does to keys the same way: the command line (`create`, `update`,
//! `rename`, `delete`), the admin API (`tokenctl serve`) and `apply`. [`definition`] checks
//! what a key is to be, once for all of them; [`change`] takes the document as read under the
//! write lock and gives the edit to make, or the reason it may not be made, so that a key made
//! or changed over HTTP reads byte for byte as one made or changed by the CLI.

pub(crate) mod change;
pub(crate) mod definition;
pub(crate) mod effect;
pub(crate) mod policy;

pub(crate) use change::{
    change, check_catalog, check_expiry, check_new, check_unique, no_such_key, removal,
    uncatalogued,
};
pub(crate) use definition::{Definition, DefinitionInput, FieldError};

/// Removes repeated scopes, keeping the first of each.
pub(crate) fn dedup(list: &mut Vec<String>) {
    let mut seen = std::collections::HashSet::new();
    list.retain(|s| seen.insert(s.clone()));
}

//! One file per subcommand; each is a thin function over the store and the model.

pub(crate) mod apply;
pub(crate) mod check;
pub(crate) mod completions;
pub(crate) mod create;
pub(crate) mod delete;
pub(crate) mod diff;
pub(crate) mod export;
pub(crate) mod list;
pub(crate) mod policy;
pub(crate) mod rename;
pub(crate) mod rollout;
pub(crate) mod rotate;
pub(crate) mod scan;
pub(crate) mod schema;
#[cfg(feature = "serve")]
pub(crate) mod serve;
pub(crate) mod show;
pub(crate) mod update;
pub(crate) mod verify;

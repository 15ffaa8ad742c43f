//! One file per subcommand; each is a thin function over the store and the model.

pub mod apply;
pub mod check;
pub mod completions;
pub mod create;
pub mod delete;
pub mod list;
pub mod rename;
pub mod rotate;
pub mod scan;
pub mod schema;
#[cfg(feature = "serve")]
pub mod serve;
pub mod show;
pub mod update;
pub mod verify;

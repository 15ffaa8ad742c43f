//! `schema [--desired]`: print the JSON Schema of security.yml or of apply's desired state,
//! for editors and CI linters.

use crate::cli::SchemaArgs;
use crate::error::Result;
use crate::output::stdout_error;
use std::io::Write;

pub fn run(args: SchemaArgs) -> Result<()> {
    let text = if args.desired {
        crate::schema::desired_schema()
    } else {
        crate::schema::security_schema()
    };
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes()).map_err(stdout_error)?;
    out.flush().map_err(stdout_error)
}

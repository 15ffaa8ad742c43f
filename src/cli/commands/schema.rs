//! `schema [--desired|--openapi]`: print the JSON Schema of security.yml or of apply's
//! desired state, for editors and CI linters, or the admin API's OpenAPI document.

use crate::cli::args::SchemaArgs;
use crate::error::Result;
use crate::error::stdout_error;
use std::io::Write;

pub(crate) fn run(args: SchemaArgs) -> Result<()> {
    #[cfg(feature = "serve")]
    if args.openapi {
        let mut out = crate::cli::output::data_out();
        out.write_all(crate::serve::openapi::document().as_bytes())
            .map_err(stdout_error)?;
        return out.flush().map_err(stdout_error);
    }
    let text = if args.desired {
        crate::schema::desired_schema()
    } else {
        crate::schema::security_schema()
    };
    let mut out = crate::cli::output::data_out();
    out.write_all(text.as_bytes()).map_err(stdout_error)?;
    out.flush().map_err(stdout_error)
}

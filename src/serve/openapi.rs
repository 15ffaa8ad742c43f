//! The OpenAPI 3.1 document of the admin API, served at `/api/openapi.json` and committed as
//! `schemas/openapi.json` (a test fails when it is stale). The schemas are derived from the
//! very types the server serializes and parses ([`crate::view::KeyView`] and those of
//! [`super::dto`]), so they cannot drift from what it answers; the tests validate every
//! response they get against this document.

use super::auth::{READ, WRITE};
use super::dto::{Created, Updated, Whoami};
use super::fields::{KeyState, NewKey};
use super::reply::ErrorBody;
use crate::view::KeyView;
use schemars::generate::{Contract, SchemaSettings};
use serde_json::{Value, json};

/// The document, as pretty JSON ending in a line break (the same bytes every time).
pub(crate) fn document() -> String {
    let settings = |contract| {
        SchemaSettings::draft2020_12().with(|s| {
            s.definitions_path = "/components/schemas".into();
            s.meta_schema = None;
            s.contract = contract;
        })
    };
    // Answers are described as they are written, request bodies as they are read.
    let mut out = settings(Contract::Serialize).into_generator();
    let mut inp = settings(Contract::Deserialize).into_generator();
    let definition = out.subschema_for::<KeyView>();
    let created = out.subschema_for::<Created>();
    let updated = out.subschema_for::<Updated>();
    let whoami = out.subschema_for::<Whoami>();
    let error = out.subschema_for::<ErrorBody>();
    let new_key = inp.subschema_for::<NewKey>();
    inp.subschema_for::<KeyState>();
    let key_name = inp.subschema_for::<crate::schema::KeyName>();
    let mut schemas = out.take_definitions(true);
    for (name, schema) in inp.take_definitions(true) {
        schemas.entry(name).or_insert(schema);
    }
    // A field that may be left out (serde's default) is no null: say what it defaults to,
    // and which fields are required, as the parser does (fields::NewKey::check, api_keys::replace).
    for (name, required, defaults) in [
        (
            "NewKey",
            &["name"][..],
            &[("enabled", json!(true)), ("permissions", json!([]))][..],
        ),
        ("KeyState", &["enabled"][..], &[][..]),
    ] {
        let schema = schemas.get_mut(name).expect("a request schema");
        for (_, prop) in schema["properties"]
            .as_object_mut()
            .expect("properties")
            .iter_mut()
        {
            if prop.get("default") == Some(&Value::Null) {
                prop.as_object_mut().expect("a schema").remove("default");
            }
        }
        for (field, value) in defaults {
            schema["properties"][*field]["default"] = value.clone();
        }
        schema["required"] = json!(required);
    }
    // A PUT may send back a definition as it was read: its fields are listed (and ignored
    // when unchanged), any other is refused.
    let key_state = {
        let mut props = schemas["KeyDefinition"]["properties"].clone();
        let own = schemas["KeyState"]["properties"].clone();
        for (k, v) in own.as_object().expect("properties").clone() {
            props[k] = v;
        }
        let mut s = schemas["KeyState"].clone();
        s["properties"] = props;
        s["additionalProperties"] = Value::Bool(false);
        s["description"] = json!(
            "The body of PUT: enabled (required), permissions and owner (optional; owner null \
             removes it) are replaced. The other fields of a KeyDefinition may be sent back as \
             they were read: name, description, expiresAt, allowedIps, pathPrefix and \
             resources must then equal the key's (else 422), the rest are ignored. Any other \
             field is refused (422)."
        );
        s
    };
    schemas.insert("KeyState".into(), key_state);
    // Every 401 is this very body: a client without a working key learns nothing more.
    schemas.insert(
        "Unauthorized".into(),
        json!({
            "description": "The body of every 401, whatever the reason (the server's access log has it).",
            "type": "object",
            "properties": {
                "error": {"const": "unauthorized"},
                "message": {"const": super::reply::UNAUTHORIZED},
            },
            "required": ["error", "message"],
            "additionalProperties": false,
        }),
    );
    let unauthorized = json!({"$ref": "#/components/schemas/Unauthorized"});
    if let Some(s) = schemas.get_mut("NewKey") {
        s["additionalProperties"] = Value::Bool(false);
    }
    let key_state = json!({"$ref": "#/components/schemas/KeyState"});

    let json_body = |schema: &schemars::Schema| json!({"application/json": {"schema": schema}});
    let etag = json!({"$ref": "#/components/headers/ETag"});
    let err = |description: &str| json!({"description": description, "content": json_body(&error)});
    let err_with = |description: &str, headers: Value| json!({"description": description, "headers": headers, "content": json_body(&error)});
    let auth_errors = |scope: Option<&str>| {
        let forbidden = match scope {
            Some(s) if s.ends_with(":write") => format!(
                "The key lacks the scope {s} (\"*\" and \"tenant.apiKey:*\" grant it), or is not allowed from the client's address, on this path, or on this key (its resources); or, for a key limited by resources, the write would give more than it has (reason escalation, with the field). reason: permission, ip, path, resource, escalation. The message never names the key."
            ),
            Some(s) => format!(
                "The key lacks the scope {s} (\"*\" and \"tenant.apiKey:*\" grant it), or is not allowed from the client's address, on this path, or on this key (its resources). reason: permission, ip, path, resource. The message never names the key."
            ),
            None => "The key is not allowed from the client's address or on this path. reason: ip, path. The message never names the key.".into(),
        };
        json!({
            "401": {
                "description": "No working key of this tenant: no Authorization header, or a token that is malformed, unknown, ambiguous, disabled, expired or a rotated-out secret. The body is always the same and never says which (the server's access log does).",
                "headers": {"WWW-Authenticate": {"$ref": "#/components/headers/WWW-Authenticate"}},
                "content": {"application/json": {"schema": unauthorized}},
            },
            "403": err(&forbidden),
            "default": err("Any other error: 405 (another method), 408 (the request took longer than the request timeout)."),
        })
    };
    let merge = |mut a: Value, b: Value| {
        for (k, v) in b.as_object().expect("an object").clone() {
            a[k] = v;
        }
        a
    };
    let tenant_404 = err("No such tenant (or key).");
    let written = |what: &str| {
        json!({
            "404": err(&format!("No such tenant{what}.")),
            "412": err_with(
                "If-Match does not match the file's digest: it changed since it was read. Nothing was written. The ETag is the file's digest now.",
                json!({"ETag": etag}),
            ),
            "500": err("The tenant's security.yml cannot be read (the message is then \"tenant file does not load\"; the server's log says where), or the change could not be made safely. Nothing was written."),
            "503": err_with(
                "Another writer held the file's lock for longer than the lock timeout. Nothing was written.",
                json!({"Retry-After": {"$ref": "#/components/headers/Retry-After"}}),
            ),
        })
    };
    let body_errors = json!({
        "400": err("The body is not JSON, or is over 64 KiB."),
        "422": err("A field is unknown, given twice, of the wrong type or invalid (invalid-field); field names it. Or the write breaks the tenant's policy under enforcement: enforce (policy: the tenant file's policy: section, the server's <root>/policy.yml and --policy, merged to the tightest): field names the key's field and rule the rule of the first violation, the message each rule broken and what would satisfy it; the ETag is the digest of the file judged. Nothing was written."),
    });
    let if_match = json!({"$ref": "#/components/parameters/If-Match"});
    let tenant = json!({"$ref": "#/components/parameters/tenantId"});
    let key_param = json!({"$ref": "#/components/parameters/keyName"});

    let gate = gate_operation(&err, &unauthorized, &tenant_404);
    // `/authz` alone: the one tenant served with --file (404 under --root).
    let gate_paths = |with_tenant: bool, with_path: bool| {
        let mut item = json!({"parameters": if with_tenant { json!([tenant]) } else { json!([]) }});
        if with_path {
            item["parameters"].as_array_mut().expect("a list").push(json!({
                "name": "path",
                "in": "path",
                "required": true,
                "description": "The client's path, any number of segments (Envoy's ext_authz appends it): checked against pathPrefix when X-Forwarded-Uri is absent.",
                "schema": {"type": "string"},
            }));
        }
        for method in ["get", "head", "post", "put", "patch", "delete", "options"] {
            let mut op = gate.clone();
            op["operationId"] = json!(format!(
                "authz{}{}",
                method[..1].to_uppercase() + &method[1..],
                match (with_tenant, with_path) {
                    (false, _) => "OneFile",
                    (true, false) => "",
                    (true, true) => "Path",
                }
            ));
            item[method] = op;
        }
        item
    };

    let doc = json!({
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "info": {
            "title": "tokenctl admin API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "The tenant admin REST API of `tokenctl serve`, over the same security.yml files as the tokenctl command line, and its gate (/authz, docs/GATE.md): forward authentication for reverse proxies. Keys live in their tenant's file; an admin key is a key of the tenant it manages with the scopes tenant.apiKey:read and tenant.apiKey:write. Every write is locked, atomic and proven, as the CLI's. Every answer to an authenticated request carries the file's digest as ETag (\"sha256:<hex>\", the file's SHA-256 as sha256sum prints it); give it back as If-Match to write only if the file has not changed since. The ETag names the file's version, not the representation (which also holds usage and status): answers are never cached (Cache-Control: no-store).",
            "license": {"name": "MIT OR Apache-2.0", "identifier": "MIT OR Apache-2.0"},
        },
        "servers": [{"url": "http://127.0.0.1:8080"}],
        "security": [{"bearer": []}, {"basic": []}],
        "paths": {
            "/api/{tenantId}/admin/apiKeys": {
                "parameters": [tenant],
                "get": {
                    "operationId": "listKeys",
                    "summary": "Every key of the tenant, in file order",
                    "description": format!("Needs {READ}. A key restricted to resources sees only the keys they name."),
                    "responses": merge(json!({
                        "200": {
                            "description": "The keys' definitions (never a hash or a secret).",
                            "headers": {"ETag": etag},
                            "content": {"application/json": {"schema": {"type": "array", "items": definition}}},
                        },
                        "404": tenant_404,
                        "500": err("The tenant's security.yml cannot be read: the message is \"tenant file does not load\" (the server's log says where)."),
                    }), auth_errors(Some(READ))),
                },
                "post": {
                    "operationId": "createKey",
                    "summary": "Create a key; the answer holds its secret, this once",
                    "description": format!("Needs {WRITE}. The new key must keep the tenant's policy (else 422 policy). The secret is generated by the server and only its hash is stored. The answer's last bytes are sent only once the file holds the key: a response cut off means no key was created, or none that the client can use (look it up by name)."),
                    "parameters": [if_match],
                    "requestBody": {"required": true, "content": json_body(&new_key)},
                    "responses": merge(merge(merge(json!({
                        "201": {
                            "description": "Created. Location names the new key. warnings: the rules of a policy under enforcement: warn that the key breaks.",
                            "headers": {
                                "ETag": etag,
                                "Location": {"$ref": "#/components/headers/Location"},
                            },
                            "content": json_body(&created),
                        },
                        "409": err("A key of that name exists."),
                    }), written("")), body_errors.clone()), auth_errors(Some(WRITE))),
                },
            },
            "/api/{tenantId}/admin/apiKeys/{keyName}": {
                "parameters": [tenant, key_param],
                "get": {
                    "operationId": "getKey",
                    "summary": "One key's definition",
                    "description": format!("Needs {READ}."),
                    "responses": merge(json!({
                        "200": {
                            "description": "The key's definition.",
                            "headers": {"ETag": etag},
                            "content": json_body(&definition),
                        },
                        "404": tenant_404,
                        "500": err("The tenant's security.yml cannot be read: the message is \"tenant file does not load\" (the server's log says where)."),
                    }), auth_errors(Some(READ))),
                },
                "put": {
                    "operationId": "replaceKeyState",
                    "summary": "Replace a key's enabled, permissions and owner",
                    "description": format!("Needs {WRITE}. The name and the stored hash never change; neither do the other fields but these three (use tokenctl update or apply). A change that widens the key (enabling it, adding scopes) must leave it within the tenant's policy (else 422 policy); one that narrows it is never refused."),
                    "parameters": [if_match],
                    "requestBody": {"required": true, "content": json_body(&serde_json::from_value(key_state).expect("a schema"))},
                    "responses": merge(merge(merge(json!({
                        "200": {
                            "description": "The key's definition after the change (the file is not rewritten when nothing changes), with warnings when a policy under enforcement: warn finds a rule the change breaks.",
                            "headers": {"ETag": etag},
                            "content": json_body(&updated),
                        },
                    }), written(" or key")), body_errors), auth_errors(Some(WRITE))),
                },
                "delete": {
                    "operationId": "deleteKey",
                    "summary": "Delete a key; it stops working at once",
                    "description": format!("Needs {WRITE}."),
                    "parameters": [if_match],
                    "responses": merge(merge(json!({
                        "204": {
                            "description": "Deleted.",
                            "headers": {"ETag": etag},
                        },
                    }), written(" or key")), auth_errors(Some(WRITE))),
                },
            },
            "/api/{tenantId}/whoami": {
                "parameters": [tenant],
                "get": {
                    "operationId": "whoami",
                    "summary": "The calling key: check a token with curl",
                    "description": "Any valid token of the tenant, whatever its scopes.",
                    "responses": merge(json!({
                        "200": {
                            "description": "The calling key.",
                            "headers": {"ETag": etag},
                            "content": json_body(&whoami),
                        },
                        "404": tenant_404,
                        "500": err("The tenant's security.yml cannot be read: the message is \"tenant file does not load\" (the server's log says where)."),
                    }), auth_errors(None)),
                },
            },
            "/authz": gate_paths(false, false),
            "/authz/{tenantId}": gate_paths(true, false),
            "/authz/{tenantId}/{path}": gate_paths(true, true),
            "/api/openapi.json": {
                "get": {
                    "operationId": "openapi",
                    "summary": "This document",
                    "security": [],
                    "responses": {"200": {
                        "description": "The OpenAPI 3.1 document.",
                        "content": {"application/json": {"schema": {"type": "object"}}},
                    }},
                },
            },
            "/healthz": {
                "get": {
                    "operationId": "health",
                    "summary": "Liveness",
                    "security": [],
                    "responses": {
                        "200": {
                            "description": "The server is up.",
                            "content": {"text/plain": {"schema": {"const": "ok"}}},
                        },
                        "503": {
                            "description": "No tenant can be served: the one file served is gone or does not load, or the root of the tenants is gone.",
                            "content": {"text/plain": {"schema": {"type": "string"}}},
                        },
                    },
                },
            },
        },
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "Authorization: Bearer <token>, a key of the tenant in the path.",
                },
                "basic": {
                    "type": "http",
                    "scheme": "basic",
                    "description": "Basic credentials whose password is the token (any user name).",
                },
            },
            "parameters": {
                "tenantId": {
                    "name": "tenantId", "in": "path", "required": true,
                    "description": "The tenant: the folder under the server's root holding its security.yml.",
                    "schema": key_name,
                },
                "keyName": {
                    "name": "keyName", "in": "path", "required": true,
                    "description": "The key's name.",
                    "schema": key_name,
                },
                "If-Match": {
                    "name": "If-Match", "in": "header", "required": false,
                    "description": "Write only if the file's digest is still this ETag (\"sha256:<hex>\"; the quotes may be left out; * matches any).",
                    "schema": {"type": "string"},
                },
            },
            "headers": {
                "ETag": {
                    "description": "The file's digest after the request: \"sha256:<64 hex>\".",
                    "required": true,
                    "schema": {"type": "string", "pattern": "^\"sha256:[0-9a-f]{64}\"$"},
                },
                "Location": {
                    "description": "The new key's path: /api/{tenantId}/admin/apiKeys/{name}.",
                    "required": true,
                    "schema": {"type": "string", "pattern": "^/api/[^/]+/admin/apiKeys/[^/]+$"},
                },
                "WWW-Authenticate": {
                    "description": "Bearer.",
                    "required": true,
                    "schema": {"const": "Bearer"},
                },
                "Retry-After": {
                    "description": "Seconds to wait before retrying.",
                    "required": true,
                    "schema": {"type": "string", "pattern": "^[0-9]+$"},
                },
            },
        },
    });
    serde_json::to_string_pretty(&doc).expect("the document serializes") + "\n"
}

/// The gate's one operation (docs/GATE.md), under every method: whether the request a proxy
/// is about to pass on carries a working key of the tenant.
fn gate_operation(err: &dyn Fn(&str) -> Value, unauthorized: &Value, tenant_404: &Value) -> Value {
    let query = |name: &str, description: &str, many: bool| {
        let schema = if many {
            json!({"type": "array", "items": {"type": "string", "minLength": 1}})
        } else {
            json!({"type": "string", "minLength": 1})
        };
        json!({"name": name, "in": "query", "required": false, "description": description, "schema": schema, "explode": true})
    };
    let header = |name: &str, description: &str| json!({"name": name, "in": "header", "required": false, "description": description, "schema": {"type": "string"}});
    json!({
        "summary": "The gate: forward authentication for nginx, Traefik, Caddy and Envoy",
        "description": "Judges the request a reverse proxy is about to pass on by docs/FORMAT.md's rule: the token from Authorization, the method from X-Forwarded-Method (read= and write= need it: without, 500), the path from X-Forwarded-Uri without its query (else the {path} part of this URL, else /), the client's address from the connection (with --trust-proxy, the last X-Forwarded-For entry). What is required comes from the query or the X-Tokenctl-* headers, never both; any other query parameter is answered 500. Any method; the body is ignored. Every answer carries Cache-Control: no-store.",
        "parameters": [
            query("permission", "A scope the key must hold; repeat for more (all are required).", true),
            query("resource", "The resource the key must be allowed on.", false),
            query("read", "The scope required of GET, HEAD and OPTIONS; goes with write.", false),
            query("write", "The scope required of every other method; goes with read.", false),
            header("X-Tokenctl-Permission", "permission= as a header (repeatable, or comma-separated)."),
            header("X-Tokenctl-Resource", "resource= as a header."),
            header("X-Tokenctl-Read", "read= as a header."),
            header("X-Tokenctl-Write", "write= as a header."),
            header("X-Forwarded-Method", "The client's method (the proxy sets it, overwriting the client's)."),
            header("X-Forwarded-Uri", "The client's path and query (the proxy sets it, overwriting the client's)."),
        ],
        "responses": {
            "200": {
                "description": "A working key of the tenant with everything required. No body.",
                "headers": {
                    "X-Tokenctl-Key": {"required": true, "description": "The key's name.", "schema": {"type": "string"}},
                    "X-Tokenctl-Tenant": {"required": true, "description": "The tenant.", "schema": {"type": "string"}},
                    "X-Tokenctl-Permissions": {"required": true, "description": "The key's scopes, comma-separated (at most 50).", "schema": {"type": "string"}},
                    "X-Tokenctl-Permissions-Truncated": {"required": false, "description": "1 when the key has more than 50 scopes.", "schema": {"const": "1"}},
                },
            },
            "400": err("Two X-Forwarded-Method or X-Forwarded-Uri headers, or an X-Forwarded-For (with --trust-proxy) whose last entry is no address."),
            "401": {
                "description": "No working key of this tenant (missing, empty, whitespace, bad-header, bad-input, malformed, unknown, ambiguous, disabled, expired, rotated): the body is always the same; the access log and the metrics have the reason.",
                "headers": {"WWW-Authenticate": {"$ref": "#/components/headers/WWW-Authenticate"}},
                "content": {"application/json": {"schema": unauthorized}},
            },
            "403": err("A working key that lacks a permission, the resource, the client's address or the path: reason permission, resource, ip or path. The message never names the key."),
            "404": tenant_404,
            "500": err("The proxy's configuration is wrong (an unknown query parameter, a requirement given twice or empty, read without write), or, with --fail-closed, the tenant's file does not load."),
        },
    })
}

//! Every fenced block of every user document is run by a test, checked by one, or listed
//! here as not runnable with the reason. [`BLOCKS`] is the inventory, in
//! page order: a block added to a page without an entry fails
//! `every_docs_block_is_run_checked_or_excused`, as "a docs block nobody runs".
//!
//! Shell blocks run with `bash --noprofile --norc -eo pipefail` in a temp folder, the test
//! build of tokenctl first on PATH and HOME in the temp folder; the state a block needs (a
//! tenant, a key, a file to scan) is prepared first. Tests that need a tool from outside the
//! Rust toolchain (ansible-playbook, curl, fish) are `#[ignore]`d; `scripts/test` runs them
//! with `--include-ignored` (as root), and they fail, never skip, when the tool is missing.

use crate::support::env::{NOW, Output, TestEnv};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// What happens to a block.
#[derive(Debug)]
enum Fate {
    /// Run as written (or with the substitutions the test names) by these tests.
    Run(&'static [&'static str]),
    /// Not a command: compared with what tokenctl writes, accepts or prints, or validated
    /// by the real tool, in these tests.
    Checked(&'static [&'static str]),
    /// Neither, for this reason.
    NotRun(&'static str),
}
use crate::support::need;
use Fate::*;

/// One block of a page: its language and a line of it that identifies it.
struct Known {
    page: &'static str,
    lang: &'static str,
    has: &'static str,
    fate: Fate,
}

const fn known(page: &'static str, lang: &'static str, has: &'static str, fate: Fate) -> Known {
    Known {
        page,
        lang,
        has,
        fate,
    }
}

/// The user documents whose blocks are inventoried. docs/REFERENCE.md is generated from
/// `--help` and checked fresh by generated.rs.
const PAGES: &[&str] = &[
    "README.md",
    "docs/GUIDE.md",
    "docs/SCRIPTING.md",
    "docs/CONFIG-MANAGEMENT.md",
    "docs/API.md",
    "docs/GATE.md",
    "docs/SCANNING.md",
    "docs/FLEET.md",
    "docs/KUBERNETES.md",
    "docs/REVIEW.md",
    "docs/FORMAT.md",
    "ARCHITECTURE.md",
    "CONTRIBUTING.md",
    "SECURITY.md",
    "examples/ansible/README.md",
];

/// Every fenced block of [`PAGES`], in order, and its fate.
const BLOCKS: &[Known] = &[
    // README.md
    known(
        "README.md",
        "sh",
        "cargo run --locked --release --",
        Run(&["the_first_set_up_command_makes_a_working_key"]),
    ),
    known(
        "README.md",
        "sh",
        "TOKEN=$(tokenctl create ci-deploy",
        Run(&["the_quick_start_runs_as_written"]),
    ),
    known(
        "README.md",
        "yaml",
        "hash: sha256:<64 hex>",
        Checked(&["the_readme_s_file_in_short_is_a_valid_file"]),
    ),
    // docs/GUIDE.md
    known(
        "docs/GUIDE.md",
        "text",
        "valid: key 'ci-deploy', permissions: dns:write",
        Checked(&["the_guide_s_verify_answers_are_tokenctl_s"]),
    ),
    known(
        "docs/GUIDE.md",
        "yaml",
        "validate: \"tokenctl check %s\"",
        Run(&["the_validate_task_runs_in_ansible"]),
    ),
    known(
        "docs/GUIDE.md",
        "text",
        "$ tokenctl update ci-deploy --allow-ip",
        Run(&["the_guide_s_transcripts_run"]),
    ),
    known(
        "docs/GUIDE.md",
        "text",
        "$ tokenctl update ci-deploy --clear-allow-ips",
        Run(&["the_guide_s_transcripts_run"]),
    ),
    known(
        "docs/GUIDE.md",
        "text",
        "$ tokenctl rename ci-deploy ci-deploy-old",
        Run(&["the_guide_s_transcripts_run"]),
    ),
    known(
        "docs/GUIDE.md",
        "sh",
        "tokenctl completions bash >",
        Run(&["the_guide_s_completion_and_man_install_runs"]),
    ),
    known(
        "docs/GUIDE.md",
        "sh",
        "source <(COMPLETE=bash tokenctl)",
        Run(&[
            "the_guide_s_dynamic_completion_loads_in_bash",
            "the_guide_s_dynamic_completion_loads_in_fish",
        ]),
    ),
    known(
        "docs/GUIDE.md",
        "sh",
        "tokenctl list --all-tenants --expiring-within 7d",
        Run(&["the_guide_s_audit_of_every_tenant_runs"]),
    ),
    // docs/SCRIPTING.md
    known(
        "docs/SCRIPTING.md",
        "yaml",
        "name: deploy key",
        Run(&["the_github_actions_job_runs_and_never_feeds_gh_an_empty_secret"]),
    ),
    known(
        "docs/SCRIPTING.md",
        "gitignore",
        "*.yml.lock",
        Checked(&["the_docs_name_the_lock_file_and_link_the_format"]),
    ),
    // docs/CONFIG-MANAGEMENT.md
    known(
        "docs/CONFIG-MANAGEMENT.md",
        "yaml",
        "validate: \"tokenctl check %s\"",
        Run(&["the_validate_task_runs_in_ansible"]),
    ),
    known(
        "docs/CONFIG-MANAGEMENT.md",
        "yaml",
        "grafana:                     # no hash",
        Run(&["the_desired_state_applies"]),
    ),
    known(
        "docs/CONFIG-MANAGEMENT.md",
        "json",
        "\"dryRun\": false",
        Checked(&["the_apply_json_sample_is_apply_s_output"]),
    ),
    known(
        "docs/CONFIG-MANAGEMENT.md",
        "yaml",
        "- tokenctl_apply:",
        Run(&["the_tokenctl_apply_task_runs_in_ansible"]),
    ),
    // docs/API.md
    known(
        "docs/API.md",
        "sh",
        "serve",
        Run(&["the_api_tour_runs_against_serve"]),
    ),
    known(
        "docs/API.md",
        "text",
        "POST /api/acme/admin/apiKeys 201 key=console",
        Checked(&["the_api_tour_runs_against_serve"]),
    ),
    known(
        "docs/API.md",
        "nginx",
        "proxy_set_header X-Forwarded-For $remote_addr;",
        Run(&["the_readme_s_nginx_terminates_tls_in_front_and_sets_the_client_address"]),
    ),
    known(
        "docs/API.md",
        "rust",
        "Watched::load(",
        Checked(&["the_rust_server_snippet_compiles_and_verifies"]),
    ),
    known(
        "docs/API.md",
        "sh",
        "cargo run --example server",
        Run(&["the_example_server_runs_as_the_api_page_says"]),
    ),
    // docs/GATE.md
    known(
        "docs/GATE.md",
        "nginx",
        "auth_request_set $tokenctl_key $upstream_http_x_tokenctl_key;",
        Run(&[
            "the_nginx_recipe_lets_the_gate_decide_and_the_client_change_nothing",
            "behind_nginx_a_revocation_is_seen_on_the_next_request",
            "the_gate_s_recipes_are_the_configs_its_tests_run",
        ]),
    ),
    known(
        "docs/GATE.md",
        "caddyfile",
        "copy_headers X-Tokenctl-Key",
        Run(&[
            "the_caddy_recipe_lets_the_gate_decide_and_passes_the_key_s_name",
            "the_gate_s_recipes_are_the_configs_its_tests_run",
        ]),
    ),
    known(
        "docs/GATE.md",
        "yaml",
        "forwardAuth:",
        NotRun("Traefik is not in Debian: checked against its documentation"),
    ),
    known(
        "docs/GATE.md",
        "yaml",
        "envoy.filters.http.ext_authz",
        NotRun("Envoy is not in Debian: checked against its documentation"),
    ),
    // docs/SCANNING.md
    known(
        "docs/SCANNING.md",
        "sh",
        "git diff --cached | tokenctl -t acme scan -",
        Run(&["the_scan_commands_run"]),
    ),
    known(
        "docs/SCANNING.md",
        "text",
        "live secret of key 'ci-deploy'",
        Checked(&["the_scan_output_sample_is_scan_s"]),
    ),
    known(
        "docs/SCANNING.md",
        "yaml",
        "# .pre-commit-config.yaml",
        Checked(&[
            "the_pre_commit_config_names_real_hooks",
            "pre_commit_refuses_a_commit_holding_a_live_secret",
        ]),
    ),
    known(
        "docs/SCANNING.md",
        "yaml",
        "No live tokenctl secrets in the repository",
        Run(&["the_scan_ci_step_runs"]),
    ),
    // docs/FORMAT.md
    known(
        "docs/FORMAT.md",
        "gitignore",
        "*.yml.lock",
        Checked(&[
            "the_format_s_gitignore_is_scripting_s",
            "the_docs_name_the_lock_file_and_link_the_format",
        ]),
    ),
    known(
        "docs/FORMAT.md",
        "yaml",
        "# comments anywhere are kept by tokenctl",
        Checked(&["the_format_document_s_examples_hold"]),
    ),
    known(
        "docs/FORMAT.md",
        "yaml",
        "enforcement: enforce        # or warn; default enforce",
        Checked(&["the_format_s_policy_loads_and_refuses_as_shown"]),
    ),
    known(
        "docs/FORMAT.md",
        "text",
        "error: refused by policy: key 'ci'",
        Checked(&["the_format_s_policy_loads_and_refuses_as_shown"]),
    ),
    known(
        "docs/FORMAT.md",
        "yaml",
        "lastUsedFrom: 203.0.113.7",
        Checked(&["the_usage_file_sample_is_what_verify_record_writes"]),
    ),
    known(
        "docs/FORMAT.md",
        "text",
        "prefix           body: 64 hex digits",
        Checked(&["the_format_document_s_examples_hold"]),
    ),
    known(
        "docs/FORMAT.md",
        "sh",
        "printf 'Bearer %s' \"$TOKEN\"",
        Run(&["the_format_s_verify_command_runs"]),
    ),
    // ARCHITECTURE.md
    known(
        "ARCHITECTURE.md",
        "",
        "front ends   src/cli/",
        NotRun("a diagram of the source layers, not a command"),
    ),
    // CONTRIBUTING.md
    known(
        "CONTRIBUTING.md",
        "sh",
        "cargo clippy --all-targets -- -D warnings",
        Checked(&["the_commit_checks_are_what_ci_runs"]),
    ),
    known(
        "CONTRIBUTING.md",
        "sh",
        "TOKENCTL_REGENERATE=1 cargo test --test e2e generated",
        Checked(&["the_regenerate_command_names_the_generated_tests"]),
    ),
    // examples/ansible/README.md
    known(
        "examples/ansible/README.md",
        "sh",
        "ansible-doc tokenctl_apply",
        Run(&["the_ansible_readme_s_commands_and_output_run"]),
    ),
    known(
        "examples/ansible/README.md",
        "yaml",
        "- name: The API keys of tenant acme",
        Run(&["the_ansible_readme_s_commands_and_output_run"]),
    ),
    known(
        "examples/ansible/README.md",
        "yaml",
        "register: monitoring_key",
        Run(&["the_ansible_readme_s_secrets_recipe_runs"]),
    ),
    known(
        "examples/ansible/README.md",
        "sh",
        "export ANSIBLE_LIBRARY=",
        Run(&["the_ansible_readme_s_commands_and_output_run"]),
    ),
    known(
        "examples/ansible/README.md",
        "sh",
        "-e security_file=/srv/tenants/acme/security.yml",
        Run(&["the_ansible_readme_s_commands_and_output_run"]),
    ),
    known(
        "examples/ansible/README.md",
        "text",
        "$ ansible-playbook -i localhost,",
        Run(&["the_ansible_readme_s_commands_and_output_run"]),
    ),
    known(
        "examples/ansible/README.md",
        "text",
        "@@ -0,0 +1,12 @@",
        Checked(&["the_ansible_readme_s_commands_and_output_run"]),
    ),
    known(
        "examples/ansible/README.md",
        "text",
        "fatal: [localhost]: FAILED!",
        Checked(&["the_ansible_readme_s_commands_and_output_run"]),
    ),
    // docs/FLEET.md
    known(
        "docs/FLEET.md",
        "sh",
        "rollout status --prometheus http://prometheus:9090 --selector",
        Run(&[
            "rollout_status_through_prometheus_waits_for_the_lagging_gate_names_a_down_one_and_never_succeeds_on_nothing",
        ]),
    ),
    known(
        "docs/FLEET.md",
        "text",
        "not complete after 5m",
        Checked(&[
            "rollout_status_with_endpoints_waits_for_the_lagging_gate_then_succeeds_once_it_has_the_file",
            "rollout_status_through_prometheus_waits_for_the_lagging_gate_names_a_down_one_and_never_succeeds_on_nothing",
        ]),
    ),
    known(
        "docs/FLEET.md",
        "json",
        "\"servers\"",
        Checked(&[
            "rollout_status_with_endpoints_waits_for_the_lagging_gate_then_succeeds_once_it_has_the_file",
        ]),
    ),
    known(
        "docs/FLEET.md",
        "sh",
        "update leaked-key --disable",
        NotRun(
            "the runbook: a git push to a fleet; tests/e2e/fleet.rs makes the same change (update --disable), copies the file to each gate and runs rollout status",
        ),
    ),
    known(
        "docs/FLEET.md",
        "sh",
        "list --usage-from http://prometheus:9090",
        Run(&["list_usage_from_shows_a_key_used_only_through_the_second_gate"]),
    ),
    // docs/KUBERNETES.md
    known(
        "docs/KUBERNETES.md",
        "sh",
        "export secret acme-keys --namespace gate | kubectl apply --server-side -f -",
        NotRun("kubectl needs a cluster; export's manifest is checked by tests/e2e/export.rs"),
    ),
    known(
        "docs/KUBERNETES.md",
        "yaml",
        "fsGroup: 10001",
        NotRun(
            "a pod spec needs a cluster; the volume layout it mounts, and the kubelet's swap, are run by tests/e2e/serve/kubernetes.rs",
        ),
    ),
    known(
        "docs/KUBERNETES.md",
        "sh",
        "check --k8s && tokenctl -t acme export secret",
        Run(&[
            "a_kubernetes_mounted_file_is_checked_as_one",
            "a_secret_holds_the_file_byte_for_byte_and_is_deterministic",
        ]),
    ),
    // docs/REVIEW.md
    known(
        "docs/REVIEW.md",
        "text",
        "tenant acme: 3 keys changed, access widens",
        NotRun(
            "an illustration of diff's text form, whose lines diff_over_git_history_classifies_every_kind_of_change checks",
        ),
    ),
    known(
        "docs/REVIEW.md",
        "sh",
        "--all-tenants --format markdown > tokenctl-diff.md",
        Run(&["the_review_jobs_commands_run"]),
    ),
    known(
        "docs/REVIEW.md",
        "yaml",
        "# .github/workflows/keys.yml",
        NotRun(
            "GitHub Actions: checked against GitHub's documentation; the commands it runs are run by the_review_jobs_commands_run",
        ),
    ),
    known(
        "docs/REVIEW.md",
        "yaml",
        "# .gitlab-ci.yml",
        NotRun(
            "GitLab CI: checked against GitLab's documentation; the commands it runs are run by the_review_jobs_commands_run",
        ),
    ),
];

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `text` with every run of whitespace made one space, for prose that wraps.
fn flat(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn read(page: &str) -> String {
    std::fs::read_to_string(repo().join(page)).unwrap_or_else(|e| panic!("{page}: {e}"))
}

/// A fenced block: the line of its opening fence, its language, its text (the fence's
/// indentation removed, ending in a line break).
#[derive(Debug)]
struct Block {
    line: usize,
    lang: String,
    text: String,
}

fn fenced(text: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut open: Option<(usize, usize, String, String)> = None;
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        match &mut open {
            None => {
                if let Some(lang) = trimmed.strip_prefix("```") {
                    open = Some((i + 1, indent, lang.trim().to_string(), String::new()));
                }
            }
            Some((start, fence_indent, lang, body)) => {
                if trimmed == "```" {
                    blocks.push(Block {
                        line: *start,
                        lang: std::mem::take(lang),
                        text: std::mem::take(body),
                    });
                    open = None;
                } else {
                    let cut = line.len().min(*fence_indent);
                    body.push_str(&line[cut..]);
                    body.push('\n');
                }
            }
        }
    }
    assert!(open.is_none(), "an unclosed code fence");
    blocks
}

/// The one block of `page` that contains `has`.
fn block(page: &str, has: &str) -> String {
    let found: Vec<Block> = fenced(&read(page))
        .into_iter()
        .filter(|b| b.text.contains(has))
        .collect();
    assert_eq!(found.len(), 1, "{page}: one block holding {has:?}");
    found.into_iter().next().unwrap().text
}

/// Every `fn NAME(` of the end-to-end tests' sources.
fn test_functions() -> String {
    fn walk(dir: &Path, all: &mut String) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, all);
            } else if path.extension().is_some_and(|e| e == "rs") {
                all.push_str(&std::fs::read_to_string(&path).unwrap());
            }
        }
    }
    let mut all = String::new();
    walk(&repo().join("tests"), &mut all);
    all
}

#[test]
fn every_docs_block_is_run_checked_or_excused() {
    let sources = test_functions();
    for page in PAGES {
        let blocks = fenced(&read(page));
        let expected: Vec<&Known> = BLOCKS.iter().filter(|k| k.page == *page).collect();
        for (i, b) in blocks.iter().enumerate() {
            let Some(k) = expected.get(i) else {
                panic!(
                    "{page}:{}: a docs block nobody runs (```{}):\n{}\nadd it to BLOCKS in \
                     tests/e2e/docs.rs with the test that runs or checks it",
                    b.line, b.lang, b.text
                );
            };
            assert!(
                b.lang == k.lang && b.text.contains(k.has),
                "{page}:{}: a docs block nobody runs (```{}):\n{}\nBLOCKS expects here a \
                 ```{} block holding {:?}",
                b.line,
                b.lang,
                b.text,
                k.lang,
                k.has
            );
        }
        assert_eq!(
            blocks.len(),
            expected.len(),
            "{page}: BLOCKS lists a block the page no longer has: {:?}",
            expected.get(blocks.len()).map(|k| k.has)
        );
    }
    for k in BLOCKS {
        assert!(PAGES.contains(&k.page), "{}: not in PAGES", k.page);
        match k.fate {
            Run(tests) | Checked(tests) => {
                for t in tests {
                    assert!(
                        sources.contains(&format!("fn {t}(")),
                        "{}: block {:?}: no test named {t}",
                        k.page,
                        k.has
                    );
                }
            }
            NotRun(reason) => {
                // A recipe for a tool the tests cannot run must say so on the page.
                if reason.contains("not in Debian") {
                    assert!(
                        flat(&read(k.page)).contains("Checked against"),
                        "{}: block {:?} is not run: the page must say what it was checked \
                         against",
                        k.page,
                        k.has
                    );
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Running blocks

fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_tokenctl"))
}

/// PATH with the test build of tokenctl first, then the test run's own PATH.
fn path() -> String {
    format!(
        "{}:{}",
        bin().parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_else(|_| "/usr/local/bin:/usr/bin:/bin".into())
    )
}

/// A bash that runs a block as a CI runner would: `-eo pipefail`, in `dir`, a clean
/// environment with tokenctl first on PATH and the tests' clock.
fn bash(dir: &Path, script: &str) -> Command {
    let mut c = Command::new("bash");
    c.args(["--noprofile", "--norc", "-eo", "pipefail", "-c", script])
        .current_dir(dir)
        .env_clear()
        .env("PATH", path())
        .env("HOME", dir)
        .env("LC_ALL", "C.UTF-8")
        .env("TOKENCTL_NOW", NOW)
        .env("CI", "true")
        .stdin(Stdio::null());
    c
}

fn output(mut c: Command) -> Output {
    let out = c.output().expect("runs");
    Output {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// A token of `prefix` with this body, its check digits computed.
fn token(prefix: &str, body: &str) -> String {
    let head = format!("{prefix}_{body}");
    let check = hex::encode(&Sha256::digest(head.as_bytes())[..4]);
    format!("{head}{check}")
}

fn hash(token: &str) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(token.as_bytes())))
}

// ---------------------------------------------------------------------------------------
// README.md

#[test]
fn the_readme_s_file_in_short_is_a_valid_file() {
    let sample = block("README.md", "hash: sha256:<64 hex>");
    let token = token("acme", &"5a".repeat(32));
    let env = TestEnv::new();
    env.write(sample.replace("sha256:<64 hex>", &hash(&token)));
    env.run(&["check"]).success().stderr_has("ok (1 key)");
    env.run_with(&["verify", "--permission", "dns:write"], &token)
        .success()
        .stdout_has("valid: key 'ci-deploy', permissions: dns:write");
    // The catalog is enforced, as the comment says.
    env.run(&["update", "ci-deploy", "--add-permission", "dns:admin"])
        .code(2);
}

// ---------------------------------------------------------------------------------------
// docs/GUIDE.md

#[test]
fn the_guide_s_verify_answers_are_tokenctl_s() {
    let sample = block(
        "docs/GUIDE.md",
        "valid: key 'ci-deploy', permissions: dns:write",
    );
    let env = TestEnv::new();
    let t = env.create(
        "ci-deploy",
        &[
            "--new-tenant",
            "--permission",
            "dns:write",
            "--expires",
            "90d",
            "--allow-ip",
            "10.0.0.0/8",
            "--path-prefix",
            "/api/dns",
            "--resource",
            "example.com",
        ],
    );
    let mut real: Vec<(String, i32)> = Vec::new();
    let mut verify = |env: &TestEnv, now: &str, token: &str, args: &[&str]| {
        let mut all = vec!["verify"];
        all.extend_from_slice(args);
        let out = env
            .cmd()
            .env("TOKENCTL_NOW", now)
            .args(&all)
            .write_stdin(token)
            .output()
            .unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let line = text.lines().next().unwrap_or_default().to_string();
        real.push((line, out.status.code().unwrap()));
    };
    let mut typo = t.clone();
    let last = if t.ends_with('0') { "1" } else { "0" };
    typo.replace_range(t.len() - 1.., last);
    let mut upper = t.clone();
    upper.replace_range(16..17, "A");
    let unknown = token("tk", &"7".repeat(64));
    verify(&env, NOW, &t, &["--permission", "dns:write"]);
    verify(&env, NOW, &typo, &[]);
    verify(&env, NOW, &t[..t.len() - 1], &[]);
    verify(&env, NOW, &upper, &[]);
    verify(&env, NOW, &unknown, &[]);
    verify(&env, NOW, &t, &["--permission", "dns:read"]);
    verify(&env, NOW, &t, &["--ip", "198.51.100.1"]);
    verify(&env, NOW, &t, &["--path", "/x"]);
    verify(&env, NOW, &t, &["--resource", "a.com"]);
    verify(&env, NOW, &t, &["--path", "/x/../y"]);
    verify(&env, "2027-03-01T00:00:00Z", &t, &[]);
    env.run(&["update", "ci-deploy", "--disable"]).success();
    verify(&env, NOW, &t, &[]);
    env.run(&["update", "ci-deploy", "--enable"]).success();
    env.run(&["rotate", "ci-deploy", "--grace", "1h", "-q"])
        .success();
    verify(&env, "2026-11-22T12:00:00Z", &t, &[]);
    // Two keys with one secret.
    let shared = TestEnv::new();
    shared.write(format!(
        "apiKeys:\n  a:\n    hash: {h}\n  ci:\n    hash: {h}\n",
        h = hash(&unknown)
    ));
    verify(&shared, NOW, &unknown, &[]);

    let exit_column = regex::Regex::new(r"\s{2,}exit (\d)$").unwrap();
    for line in sample.lines() {
        let (text, shown) = match exit_column.captures(line) {
            Some(c) => (
                &line[..c.get(0).unwrap().start()],
                Some(c[1].parse::<i32>().unwrap()),
            ),
            None => (line, None),
        };
        let code = match text.split(':').next().unwrap() {
            "valid" => 0,
            "rejected" => 4,
            "forbidden" => 5,
            other => panic!("docs/GUIDE.md: an answer starting {other:?}: {line}"),
        };
        if let Some(shown) = shown {
            assert_eq!(shown, code, "docs/GUIDE.md: {line}");
        }
        let matches = |real: &str| match text.strip_suffix("...") {
            Some(head) => real.starts_with(head),
            None => real == text,
        };
        assert!(
            real.iter().any(|(r, c)| matches(r) && *c == code),
            "docs/GUIDE.md shows an answer tokenctl does not give:\n  {text}\nexit {code}; \
             tokenctl's answers:\n{real:#?}"
        );
    }
}

/// The `$ command` lines of the guide's transcripts, run in order on one file, print what
/// follows them.
#[test]
fn the_guide_s_transcripts_run() {
    let env = TestEnv::new();
    env.create("ci-deploy", &["--new-tenant", "--permission", "dns:write"]);
    for has in [
        "$ tokenctl update ci-deploy --allow-ip",
        "$ tokenctl update ci-deploy --clear-allow-ips",
        "$ tokenctl rename ci-deploy ci-deploy-old",
    ] {
        let transcript = block("docs/GUIDE.md", has);
        let mut lines = transcript.lines().peekable();
        while let Some(line) = lines.next() {
            let command = line
                .strip_prefix("$ ")
                .unwrap_or_else(|| panic!("a transcript starts with `$ `: {line}"));
            let mut expected = String::new();
            while let Some(l) = lines.next_if(|l| !l.starts_with("$ ")) {
                expected.push_str(l);
                expected.push('\n');
            }
            let mut c = bash(env.dir.path(), &format!("{command} 2>&1"));
            c.env("TOKENCTL_ROOT", env.root())
                .env("TOKENCTL_TENANT", "acme");
            let out = output(c);
            out.success();
            assert_eq!(out.stdout, expected, "docs/GUIDE.md: $ {command}");
        }
    }
}

#[test]
fn the_guide_s_completion_and_man_install_runs() {
    let script = block("docs/GUIDE.md", "tokenctl completions bash >");
    let dir = tempfile::tempdir().unwrap();
    // The system's folders, inside the temp folder; bash-completion makes the first.
    let script = script
        .replace("/etc/", "./etc/")
        .replace("/usr/local/", "./usr/local/");
    std::fs::create_dir_all(dir.path().join("etc/bash_completion.d")).unwrap();
    output(bash(dir.path(), &script)).success();
    let completion =
        std::fs::read_to_string(dir.path().join("etc/bash_completion.d/tokenctl")).unwrap();
    assert!(completion.contains("complete -F"), "{completion}");
    for page in ["tokenctl.1", "tokenctl-create.1", "tokenctl-verify.1"] {
        assert!(
            dir.path()
                .join("usr/local/share/man/man1")
                .join(page)
                .is_file(),
            "{page}"
        );
    }
}

/// The dynamic completion's line for bash, loaded as `~/.bashrc` would, completes a command.
#[test]
fn the_guide_s_dynamic_completion_loads_in_bash() {
    let script = block("docs/GUIDE.md", "source <(COMPLETE=bash tokenctl)");
    let line = script
        .lines()
        .find(|l| l.starts_with("source <(COMPLETE=bash"))
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = output(bash(
        dir.path(),
        &format!(
            "{line}\nf=$(complete -p tokenctl | sed -E 's/.* -F ([^ ]+) .*/\\1/')\n\
             COMP_WORDS=(tokenctl sh); COMP_CWORD=1; COMP_LINE='tokenctl sh'; COMP_POINT=11\n\
             \"$f\" tokenctl sh tokenctl\nprintf '%s\\n' \"${{COMPREPLY[@]}}\"\n"
        ),
    ));
    out.success();
    assert_eq!(out.stdout, "show\n", "{}", out.stderr);
}

#[test]
#[ignore = "needs fish; scripts/test runs it"]
fn the_guide_s_dynamic_completion_loads_in_fish() {
    need("fish");
    let script = block("docs/GUIDE.md", "source <(COMPLETE=bash tokenctl)");
    let line = script
        .lines()
        .find(|l| l.starts_with("COMPLETE=fish"))
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut c = Command::new("fish");
    c.args([
        "--no-config",
        "-c",
        &format!("{line}\ncomplete -C'tokenctl sh'"),
    ])
    .current_dir(dir.path())
    .env_clear()
    .env("PATH", path())
    .env("HOME", dir.path());
    let out = output(c);
    out.success();
    assert!(out.stdout.starts_with("show\t"), "{out:?}");
}

#[test]
fn the_guide_s_audit_of_every_tenant_runs() {
    let script = block(
        "docs/GUIDE.md",
        "tokenctl list --all-tenants --expiring-within 7d",
    );
    let env = TestEnv::new();
    let mk = |tenant: &str, name: &str, extra: &[&str]| {
        let mut c = env.std_cmd();
        c.env("TOKENCTL_TENANT", tenant)
            .args(["create", name, "--new-tenant", "-q"])
            .args(extra);
        let out = output(c);
        out.success();
    };
    mk(
        "acme",
        "soon",
        &["--permission", "dns:read", "--expires", "5d"],
    );
    mk("acme", "admin", &["--permission", "*"]);
    mk("beta", "ci", &["--permission", "dns:write"]);
    mk(
        "beta",
        "office",
        &["--permission", "dns:write", "--allow-ip", "10.0.0.0/8"],
    );
    let out = output(bash(env.dir.path(), &script));
    out.success();
    let lines: Vec<&str> = out.stdout.lines().collect();
    // The expiring key, every key (none used), the admin key, then the unrestricted writer.
    assert!(out.stdout.contains("soon"), "{}", out.stdout);
    assert!(lines.iter().any(|l| l.contains("admin")), "{}", out.stdout);
    let json_start = out.stdout.find('[').unwrap();
    let json_end = out.stdout.rfind(']').unwrap();
    let v: serde_json::Value = serde_json::from_str(&out.stdout[json_start..=json_end]).unwrap();
    let names: Vec<(&str, &str)> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|k| (k["tenant"].as_str().unwrap(), k["name"].as_str().unwrap()))
        .collect();
    assert_eq!(names, [("acme", "admin"), ("beta", "ci")]);
    assert!(
        out.stderr.contains("warning"),
        "check warns of the key expiring in 5 days: {}",
        out.stderr
    );
}

/// The Ansible `template` task of the guide and of CONFIG-MANAGEMENT.md, with its source and
/// destination in a temp folder: a valid file is put in place, an invalid one is refused by
/// `tokenctl check` and never reaches the destination.
#[test]
#[ignore = "needs ansible-playbook; scripts/test runs it"]
fn the_validate_task_runs_in_ansible() {
    need("ansible-playbook");
    let guide = block("docs/GUIDE.md", "validate: \"tokenctl check %s\"");
    let config = block(
        "docs/CONFIG-MANAGEMENT.md",
        "validate: \"tokenctl check %s\"",
    );
    assert_eq!(guide, config, "the same task on both pages");
    let mut tasks: serde_yaml::Value = serde_yaml::from_str(&guide).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("security.yml.j2");
    let dest = dir.path().join("etc/app/security.yml");
    std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
    {
        let t = &mut tasks[0]["template"];
        assert_eq!(t["validate"].as_str(), Some("tokenctl check %s"));
        t["src"] = src.display().to_string().into();
        t["dest"] = dest.display().to_string().into();
    }
    let good = format!(
        "apiKeys:\n  {{{{ key_name }}}}:\n    hash: {}\n",
        hash(&token("tk", &"1".repeat(64)))
    );
    std::fs::write(&src, &good).unwrap();
    let play = ansible_play(dir.path(), &serde_yaml::to_string(&tasks).unwrap());
    let run = ansible_playbook(dir.path(), &play, &["-e", "key_name=ci-deploy"]);
    assert_eq!(run.code, 0, "{run:?}");
    let written = std::fs::read_to_string(&dest).unwrap();
    assert!(written.contains("  ci-deploy:\n"), "{written}");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&dest).unwrap().permissions().mode() & 0o777,
        0o600
    );
    // A name tokenctl refuses: the task fails on check's message, the old file stays.
    let run = ansible_playbook(dir.path(), &play, &["-e", "key_name='bad name'"]);
    assert_ne!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("failed to validate"), "{run:?}");
    assert!(run.stdout.contains("invalid key name"), "{run:?}");
    assert_eq!(std::fs::read_to_string(&dest).unwrap(), written);
}

/// A play on localhost with these tasks (a YAML list).
fn ansible_play(dir: &Path, tasks: &str) -> PathBuf {
    let mut play = String::from(
        "- hosts: localhost\n  connection: local\n  gather_facts: false\n  vars:\n    \
         ansible_python_interpreter: \"{{ ansible_playbook_python }}\"\n  tasks:\n",
    );
    for line in tasks.lines() {
        play.push_str("    ");
        play.push_str(line);
        play.push('\n');
    }
    let path = dir.join("play.yml");
    std::fs::write(&path, play).unwrap();
    path
}

fn ansible_playbook(dir: &Path, play: &Path, args: &[&str]) -> Output {
    let mut c = Command::new("ansible-playbook");
    c.arg("-i")
        .arg("localhost,")
        .arg(play)
        .args(args)
        .current_dir(dir)
        .env_clear()
        .env("PATH", path())
        .env("HOME", dir)
        .env("LC_ALL", "C.UTF-8")
        .env("LANG", "C.UTF-8")
        .env("ANSIBLE_NOCOLOR", "1")
        .env("ANSIBLE_LOCAL_TEMP", dir.join("local-tmp"))
        .env("ANSIBLE_REMOTE_TEMP", dir.join("remote-tmp"))
        .env("ANSIBLE_RETRY_FILES_ENABLED", "0")
        .env("ANSIBLE_LIBRARY", repo().join("examples/ansible/library"))
        .env("TOKENCTL_NOW", NOW);
    output(c)
}

// ---------------------------------------------------------------------------------------
// docs/SCRIPTING.md

/// The job's steps run (readme.rs); the workflow around them (`on:`, `runs-on:`,
/// `permissions:`) is GitHub's, and the page says it was checked against GitHub's
/// documentation.
#[test]
fn the_actions_job_says_what_is_run_and_what_is_checked() {
    let page = read("docs/SCRIPTING.md");
    assert!(
        flat(&page).contains("checked against GitHub's documentation, not run by the tests"),
        "docs/SCRIPTING.md says how the workflow keys were checked"
    );
}

// ---------------------------------------------------------------------------------------
// docs/CONFIG-MANAGEMENT.md

#[test]
fn the_desired_state_applies() {
    let desired = block(
        "docs/CONFIG-MANAGEMENT.md",
        "grafana:                     # no hash",
    );
    let env = TestEnv::new();
    std::fs::write(env.dir.path().join("desired.yml"), &desired).unwrap();
    let out = env.run(&["apply", "-f", "desired.yml", "--new-tenant"]);
    out.success();
    let line = out.stdout.trim_end();
    let secret = line
        .strip_prefix("grafana ")
        .unwrap_or_else(|| panic!("the generated secret, `NAME SECRET`: {line}"));
    env.run_with(
        &["verify", "--permission", "dns:read", "--ip", "10.1.2.3"],
        secret,
    )
    .success();
    let v = env
        .run(&["show", "ci-deploy", "-o", "json"])
        .success()
        .json();
    assert_eq!(v["expiresAt"], "2027-06-30T00:00:00Z");
    assert_eq!(v["description"], "GitHub Actions deploy job");
    let file = env.read();
    assert!(
        file.contains(
            "hash: sha256:d55a36f51b11c4e4be83efcda7fad05d4e2e1452cd23bbba725d8829ba92ad3e"
        ),
        "{file}"
    );
    // Applied again: nothing changes, the same bytes.
    env.run(&["apply", "-f", "desired.yml", "--dry-run"])
        .success();
    env.run(&["apply", "-f", "desired.yml"]).success();
    assert_eq!(env.read(), file);
}

/// Whether the real value `real` is what the sample `sample` shows: the same fields in the
/// same order, the same values, except placeholders (`<...>`, `tk_...`, `[...]`) and the
/// values that differ on every run (a fingerprint, a token, a digest).
fn shows(sample: &serde_json::Value, real: &serde_json::Value, at: &str) {
    use serde_json::Value;
    match (sample, real) {
        (Value::String(s), _) if s == "..." || s.starts_with('<') || s.ends_with("...") => {}
        (Value::Object(s), Value::Object(r)) => {
            let sk: Vec<&String> = s.keys().collect();
            let rk: Vec<&String> = r.keys().collect();
            assert_eq!(sk, rk, "{at}: the fields");
            for (k, v) in s {
                if k == "fingerprint" || k == "sha256" || k == "token" {
                    assert!(r[k].is_string(), "{at}.{k}");
                    continue;
                }
                shows(v, &r[k], &format!("{at}.{k}"));
            }
        }
        (Value::Array(s), Value::Array(r)) => {
            assert_eq!(s.len(), r.len(), "{at}: the length");
            for (i, (s, r)) in s.iter().zip(r).enumerate() {
                shows(s, r, &format!("{at}[{i}]"));
            }
        }
        _ => assert_eq!(sample, real, "{at}"),
    }
}

#[test]
fn the_apply_json_sample_is_apply_s_output() {
    let sample = block("docs/CONFIG-MANAGEMENT.md", "\"dryRun\": false");
    // `[...]` stands for the list of changes of a new key.
    let sample: serde_json::Value = serde_json::from_str(&sample.replace("[...]", "\"...\""))
        .unwrap_or_else(|e| panic!("docs/CONFIG-MANAGEMENT.md: the JSON sample: {e}"));
    let env = TestEnv::new();
    for name in ["a", "b", "c", "ci-deploy"] {
        env.create(name, &["--new-tenant"]);
    }
    // The state the sample shows: ci-deploy disabled, grafana new, a, b and c as they are.
    let desired = "apiKeys:\n  ci-deploy: {enabled: false}\n  grafana: {permissions: [dns:read]}\n  a: {}\n  b: {}\n  c: {}\n";
    let mut c = env.std_cmd();
    c.env_remove("TOKENCTL_ROOT")
        .args(["apply", "-f", "-", "--format", "json"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = c.spawn().unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(desired.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let real: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    shows(&sample, &real, "apply");
}

#[test]
#[ignore = "needs ansible-playbook; scripts/test runs it"]
fn the_tokenctl_apply_task_runs_in_ansible() {
    need("ansible-playbook");
    let task = block("docs/CONFIG-MANAGEMENT.md", "- tokenctl_apply:");
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("srv/tenants");
    let task = task.replace("/srv/tenants", &root.display().to_string());
    let play = ansible_play(dir.path(), &task);
    let run = ansible_playbook(dir.path(), &play, &[]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("changed=1"), "{run:?}");
    let file = std::fs::read_to_string(root.join("acme/security.yml")).unwrap();
    assert!(
        file.contains(
            "hash: sha256:d55a36f51b11c4e4be83efcda7fad05d4e2e1452cd23bbba725d8829ba92ad3e"
        ),
        "{file}"
    );
    // Run again: nothing to do.
    let run = ansible_playbook(dir.path(), &play, &[]);
    assert!(run.stdout.contains("changed=0"), "{run:?}");
}

// ---------------------------------------------------------------------------------------
// docs/API.md

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The tour runs in an empty folder, with the server on a free port instead of 8080
/// (`--listen`); the
/// test waits for it to answer before the first curl, and stops it at the end.
#[test]
#[ignore = "needs curl; scripts/test runs it"]
fn the_api_tour_runs_against_serve() {
    need("curl");
    let tour = block("docs/API.md", "serve ");
    let port = free_port().to_string();
    let mut script = String::new();
    for line in tour.replace("8080", &port).lines() {
        if line.starts_with("tokenctl") && line.contains(" serve") {
            let command = line.split('#').next().unwrap().trim_end();
            let command = command
                .strip_suffix(" &")
                .unwrap_or_else(|| panic!("the server runs in the background: {line}"));
            script.push_str(&format!(
                "{command} --listen 127.0.0.1:{port} &\nserver=$!\n\
                 trap 'kill $server; wait $server' EXIT\n\
                 for i in $(seq 300); do curl -sf {health} >/dev/null && break; sleep 0.1; done\n\
                 curl -sSf {health} >/dev/null\necho ---\n",
                health = format_args!("http://127.0.0.1:{port}/healthz")
            ));
        } else if line.starts_with("curl") {
            script.push_str(&format!("echo ---\n{line}\n"));
        } else {
            script.push_str(line);
            script.push('\n');
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let out = output(bash(dir.path(), &script));
    out.success();
    let answers: Vec<&str> = out.stdout.split("---\n").skip(1).collect();
    assert_eq!(answers.len(), 3, "{out:?}");
    let list: serde_json::Value = serde_json::from_str(answers[1]).unwrap();
    assert_eq!(list[0]["name"], "console", "{}", answers[1]);
    let created: serde_json::Value = serde_json::from_str(answers[2]).unwrap();
    assert_eq!(created["name"], "ci");
    assert!(created["token"].as_str().unwrap().starts_with("tk_"));
    // The access log line, as the page shows it (the port and the time differ).
    let sample = block(
        "docs/API.md",
        "POST /api/acme/admin/apiKeys 201 key=console",
    );
    let pattern = regex::escape(sample.trim_end())
        .replace("50312", r"\d+")
        .replace(r"4\.1ms", r"[0-9.]+ms");
    // (Not anchored at the line's start: curl's progress meter shares stderr, unended.)
    let re = regex::Regex::new(&format!("(?m){pattern}$")).unwrap();
    assert!(re.is_match(&out.stderr), "{}", out.stderr);
}

/// The snippet of "In a Rust server", verbatim but for the file's path (the test cannot
/// change its folder): `in_a_rust_server` below is compared with the page.
#[test]
fn the_rust_server_snippet_compiles_and_verifies() {
    let snippet = block("docs/API.md", "Watched::load(");
    let source = std::fs::read_to_string(repo().join("tests/e2e/docs.rs")).unwrap();
    let copy = source
        .split_once("    // docs/API.md, \"In a Rust server\":\n")
        .unwrap()
        .1
        .split_once("    // end of the snippet\n")
        .unwrap()
        .0;
    let copy: String = copy
        .lines()
        .map(|l| l.strip_prefix("    ").unwrap_or(l).to_string() + "\n")
        .collect();
    assert_eq!(
        snippet.replace("\"tenants/acme/security.yml\"", "file"),
        copy,
        "docs/API.md's Rust snippet and its compiled copy in tests/e2e/docs.rs"
    );
    let env = TestEnv::new();
    let secret = env.create(
        "dns",
        &[
            "--new-tenant",
            "--permission",
            "dns:read",
            "--allow-ip",
            "10.0.0.0/8",
        ],
    );
    // Now is the real clock's, so the key must not expire: it does not.
    let ok = in_a_rust_server(
        &env.file(),
        &format!("Bearer {secret}"),
        "10.1.2.3".parse().unwrap(),
        "/dns",
    )
    .unwrap();
    assert_eq!(ok, (200, "valid: key 'dns', permissions: dns:read".into()));
    let (status, _) = in_a_rust_server(
        &env.file(),
        &format!("Bearer {secret}"),
        "192.0.2.1".parse().unwrap(),
        "/dns",
    )
    .unwrap();
    assert_eq!(status, 403);
}

#[rustfmt::skip]
fn in_a_rust_server(
    file: &Path,
    authorization: &str,
    peer: std::net::IpAddr,
    path: &str,
) -> Result<(u16, String), Box<dyn std::error::Error>> {
    // docs/API.md, "In a Rust server":
    use tokenctl::verify::{Needs, Watched};
    let keys = Watched::load(file)?;   // once; loaded again when it changes
    // per request:
    let needs = Needs { permission: Some("dns:read"), ip: Some(peer), path: Some(path), ..Needs::default() };
    let outcome = keys.current()?.verify_header_now(authorization, &needs);
    // outcome.http_status(): 200, 401 or 403; outcome.to_string(): the reason, as `verify` says it
    // end of the snippet
    Ok((outcome.http_status(), outcome.to_string()))
}

/// The example server, as the page runs it, on a free port: `cargo run --example server --`
/// is the example binary `cargo test` built beside the tests.
#[test]
#[ignore = "needs curl; scripts/test runs it"]
fn the_example_server_runs_as_the_api_page_says() {
    need("curl");
    let script = block("docs/API.md", "cargo run --example server");
    let exe = std::env::current_exe().unwrap();
    let server = exe
        .parent()
        .unwrap()
        .parent()
        .unwrap()
        .join("examples/server");
    if !server.exists() {
        let status = Command::new(env!("CARGO"))
            .args(["build", "--example", "server"])
            .current_dir(repo())
            .status()
            .unwrap();
        assert!(status.success(), "cargo build --example server");
    }
    let port = free_port().to_string();
    let env = TestEnv::new();
    // The key of $TOKEN, at the real time: the example server has no test clock.
    let mut c = env.std_cmd();
    c.env_remove("TOKENCTL_NOW").args([
        "create",
        "dns",
        "--new-tenant",
        "--permission",
        "dns:read",
        "-q",
    ]);
    let out = output(c);
    out.success();
    let token = out.stdout.trim_end().to_string();
    let mut lines = script.lines();
    let serve = lines
        .next()
        .unwrap()
        .replace(
            "cargo run --example server --",
            &server.display().to_string(),
        )
        .replace("8080", &port);
    let curl = lines.next().unwrap().replace("8080", &port);
    let script = format!(
        "{serve} &\nserver=$!\ntrap 'kill $server' EXIT\n\
         for i in $(seq 100); do curl -s http://127.0.0.1:{port}/ >/dev/null && break; sleep 0.1; done\n\
         {curl}\n"
    );
    let mut c = bash(env.dir.path(), &script);
    c.env("TOKEN", &token);
    let out = output(c);
    out.success();
    assert!(out.stdout.contains("dns"), "{out:?}");
}

// ---------------------------------------------------------------------------------------
// docs/GATE.md

/// The nginx and Caddy recipes of docs/GATE.md are the very text tests/e2e/serve/gate.rs
/// serves (there, only addresses and ports are put in), so the page cannot drift from what is
/// tested; each block follows its marker comment.
#[test]
fn the_gate_s_recipes_are_the_configs_its_tests_run() {
    let page = read("docs/GATE.md");
    for (marker, lang, tested) in [
        (
            "<!-- nginx: used by tests/e2e/serve/gate.rs -->",
            "nginx",
            crate::serve::gate::NGINX_RECIPE,
        ),
        (
            "<!-- caddy: used by tests/e2e/serve/gate.rs -->",
            "caddyfile",
            crate::serve::gate::CADDY_RECIPE,
        ),
    ] {
        let after = page
            .split_once(&format!("{marker}\n```{lang}\n"))
            .unwrap_or_else(|| panic!("docs/GATE.md: {marker} then a ```{lang} block"))
            .1;
        let shown = &after[..after.find("```").unwrap()];
        assert_eq!(
            shown, tested,
            "docs/GATE.md's {lang} recipe differs from the one tests/e2e/serve/gate.rs runs"
        );
        assert_eq!(
            block("docs/GATE.md", tested.lines().nth(1).unwrap()),
            tested
        );
    }
}

// ---------------------------------------------------------------------------------------
// docs/SCANNING.md

/// Writes `text` to `path` under `dir`, making its folders.
fn put(dir: &Path, path: &str, text: impl AsRef<[u8]>) {
    let p = dir.join(path);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

/// The scan commands, in a git repository holding secrets that do not work (so every
/// command exits 0 under `-e`): a disabled key's, an expired key's and an unknown one.
#[test]
fn the_scan_commands_run() {
    let script = block(
        "docs/SCANNING.md",
        "git diff --cached | tokenctl -t acme scan -",
    );
    let env = TestEnv::new();
    let disabled = env.create("old-ci", &["--new-tenant", "--disabled"]);
    let expired = env.create_at(
        "2026-01-01T00:00:00Z",
        "temp",
        &["--new-tenant", "--expires", "1d"],
    );
    let unknown = token("tk", &"3".repeat(64));
    let dir = env.dir.path();
    put(dir, "src/main.rs", format!("// {unknown}\n"));
    put(dir, "deploy.env", format!("TOKEN={disabled}\n"));
    put(dir, "config/tenants/acme/security.yml", env.read());
    let git = |args: &[&str]| {
        let out = Command::new("git")
            .args(args)
            .current_dir(dir)
            .env("HOME", dir)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .output()
            .unwrap();
        assert!(out.status.success(), "git {args:?}");
    };
    git(&["init", "-q"]);
    put(dir, "notes.md", format!("old: {expired}\n"));
    git(&["add", "notes.md"]);
    let mut c = bash(dir, &script);
    c.env("GIT_CONFIG_NOSYSTEM", "1");
    let out = output(c);
    out.success();
    let lines: Vec<&str> = out.stdout.lines().collect();
    for (path, what) in [
        ("src/main.rs:1:4: unknown secret", "the current folder"),
        ("deploy.env:1:7: disabled secret of key 'old-ci'", "a file"),
        (
            "<stdin>:7:7: expired secret of key 'temp'",
            "the staged diff",
        ),
    ] {
        assert!(
            lines.iter().any(|l| l.contains(path)),
            "{what}: {path}\n{}",
            out.stdout
        );
    }
    assert!(
        out.stdout.contains("(tenant acme, fingerprint"),
        "{}",
        out.stdout
    );
}

/// The sample findings, made for real: the same files, lines and columns, states and
/// times; only the fingerprints (of random secrets) differ.
#[test]
fn the_scan_output_sample_is_scan_s() {
    let sample = block("docs/SCANNING.md", "live secret of key 'ci-deploy'");
    let env = TestEnv::new();
    let live = env.create("ci-deploy", &["--new-tenant"]);
    let grafana = env.create("grafana", &[]);
    env.run(&["rotate", "grafana", "--grace", "24h", "-q"])
        .success();
    let disabled = env.create("old-ci", &["--disabled"]);
    let temp = env.create("temp", &["--expires", "1h"]);
    let unknown = token("tk", &"9".repeat(64));
    let dir = env.dir.path();
    put(
        dir,
        "config/app.env",
        format!("A=1\nB=2\nAPI_TOKEN={live}\n"),
    );
    put(
        dir,
        "deploy/values.yml",
        format!("env:\n  token: \"{grafana}\"\n"),
    );
    let mut latin1 = b"caf\xe9 = \"".to_vec();
    latin1.extend_from_slice(disabled.as_bytes());
    latin1.extend_from_slice(b"\"\n");
    put(dir, "notes/latin1.txt", latin1);
    put(
        dir,
        "notes/old.md",
        format!("- temp:  {temp}\n- gone:  {unknown}\n"),
    );
    // Two hours later: temp has expired, grafana's old secret is in its grace period.
    let out = env.run_at("2026-11-22T12:00:00Z", &["scan"]);
    out.code(10);
    let fingerprint = regex::Regex::new("fingerprint [0-9a-f]{8}").unwrap();
    let mask = |s: &str| {
        fingerprint
            .replace_all(s, "fingerprint ########")
            .into_owned()
    };
    assert_eq!(mask(&out.stdout), mask(&sample), "stderr: {}", out.stderr);
}

#[test]
fn the_pre_commit_config_names_real_hooks() {
    let config = block("docs/SCANNING.md", "# .pre-commit-config.yaml");
    let v: serde_yaml::Value = serde_yaml::from_str(&config).unwrap();
    let hooks: serde_yaml::Value = serde_yaml::from_str(&read(".pre-commit-hooks.yaml")).unwrap();
    let ids: Vec<&str> = hooks
        .as_sequence()
        .unwrap()
        .iter()
        .map(|h| h["id"].as_str().unwrap())
        .collect();
    let hook = &v["repos"][0]["hooks"][0];
    assert!(ids.contains(&hook["id"].as_str().unwrap()), "{ids:?}");
    assert!(config.contains("# or tokenctl-scan-system") && ids.contains(&"tokenctl-scan-system"));
    let args: Vec<&str> = hook["args"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    assert_eq!(args, ["--all-tenants", "--"]);
    // precommit.rs runs a real pre-commit with these very arguments (this file aside).
    let this = read("tests/e2e/docs.rs");
    let others = test_functions().replace(&this, "");
    assert!(others.contains(&format!("args: [{}, {}]", args[0], args[1])));
}

#[test]
fn the_scan_ci_step_runs() {
    let step = block(
        "docs/SCANNING.md",
        "No live tokenctl secrets in the repository",
    );
    let steps: serde_yaml::Value = serde_yaml::from_str(&step).unwrap();
    let run = steps[0]["run"].as_str().unwrap();
    let env = TestEnv::new();
    let dir = env.dir.path();
    let mut c = env.std_cmd();
    c.env("TOKENCTL_ROOT", dir.join("config/tenants")).args([
        "create",
        "deploy",
        "--new-tenant",
        "-q",
    ]);
    let out = output(c);
    out.success();
    let secret = out.stdout.trim_end().to_string();
    put(dir, "README.md", "no secrets here\n");
    output(bash(dir, run)).success();
    put(dir, "deploy/env", format!("TOKEN={secret}\n"));
    output(bash(dir, run))
        .code(10)
        .stdout_has("deploy/env:1:7: live secret of key 'deploy'");
}

// ---------------------------------------------------------------------------------------
// docs/FORMAT.md

#[test]
fn the_format_s_gitignore_is_scripting_s() {
    assert_eq!(
        block("docs/FORMAT.md", "*.yml.lock"),
        block("docs/SCRIPTING.md", "*.yml.lock")
    );
}

/// The usage file's sample is what `verify --record --ip` writes at that instant for the
/// file's example key.
#[test]
fn the_usage_file_sample_is_what_verify_record_writes() {
    let sample = block("docs/FORMAT.md", "lastUsedFrom: 203.0.113.7");
    let env = TestEnv::new();
    env.write(block(
        "docs/FORMAT.md",
        "# comments anywhere are kept by tokenctl",
    ));
    let token = format!(
        "acme_{}",
        "9116c0f3cac29598e20e491195a0302726eff84d50c55ca58023cd2bcd70adee246ed110"
    );
    let out = env
        .cmd()
        .env("TOKENCTL_NOW", "2026-11-23T08:15:00Z")
        .args(["verify", "--record", "--ip", "203.0.113.7"])
        .write_stdin(token)
        .output()
        .unwrap();
    assert!(out.status.success());
    let written = std::fs::read_to_string(env.file().with_file_name("security.usage.yml")).unwrap();
    let a: serde_yaml::Value = serde_yaml::from_str(&sample).unwrap();
    let b: serde_yaml::Value = serde_yaml::from_str(&written).unwrap();
    assert_eq!(a, b, "written:\n{written}");
    // And list reads it in.
    let v = env.run(&["list", "-o", "json"]).success().json();
    assert_eq!(v[0]["lastUsedAt"], "2026-11-23T08:15:00Z");
    assert_eq!(v[0]["lastUsedFrom"], "203.0.113.7");
}

/// The policy section of "Policy" loads with every rule, as `policy show` says; the refusal
/// shown is what `create` prints under the operator's policy.yml, byte for byte.
#[test]
fn the_format_s_policy_loads_and_refuses_as_shown() {
    let env = TestEnv::new();
    env.write(block(
        "docs/FORMAT.md",
        "enforcement: enforce        # or warn; default enforce",
    ));
    let shown = env.run(&["policy", "show", "-o", "json"]).success().json();
    let rules: Vec<&str> = shown["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["rule"].as_str().unwrap())
        .collect();
    assert_eq!(
        rules,
        [
            "enforcement",
            "maxLifetime",
            "maxGrace",
            "forbiddenPermissions",
            "requireAllowedIpsFor",
            "requireDescription",
            "requireOwner"
        ]
    );
    env.run(&["check"]).success();

    let refusal = block("docs/FORMAT.md", "error: refused by policy: key 'ci'");
    env.write("apiKeys: {}\n");
    std::fs::write(
        env.root().join("policy.yml"),
        "policy:\n  maxLifetime: 90d\n",
    )
    .unwrap();
    let before = env.bytes();
    let out = env
        .cmd()
        .env("TOKENCTL_NOW", "2026-12-07T10:00:00Z")
        .args([
            "--root",
            "tenants",
            "create",
            "ci",
            "--permission",
            "dns:read",
            "--expires",
            "1y",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(13));
    assert_eq!(String::from_utf8_lossy(&out.stderr), refusal);
    assert!(out.stdout.is_empty());
    assert_eq!(env.bytes(), before, "nothing was written");
}

/// The verify command of "Checking another implementation", on the page's example file and
/// token, answers as its comment says.
#[test]
fn the_format_s_verify_command_runs() {
    let script = block("docs/FORMAT.md", "printf 'Bearer %s' \"$TOKEN\"");
    let env = TestEnv::new();
    let dir = env.dir.path();
    put(
        dir,
        "security.yml",
        block("docs/FORMAT.md", "# comments anywhere are kept by tokenctl"),
    );
    let example = block("docs/FORMAT.md", "prefix           body: 64 hex digits");
    let mut c = bash(dir, &script);
    c.env("TOKEN", example.lines().next().unwrap());
    let out = output(c);
    out.success();
    let real: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let comment = script
        .lines()
        .find_map(|l| l.strip_prefix("# "))
        .unwrap()
        .replace(", ...}", "}");
    let shown: serde_json::Value = serde_json::from_str(&comment).unwrap();
    for (k, v) in shown.as_object().unwrap() {
        assert_eq!(&real[k], v, "{k}: {}", out.stdout);
    }
}

// ---------------------------------------------------------------------------------------
// CONTRIBUTING.md

#[test]
fn the_commit_checks_are_what_ci_runs() {
    let checks = block(
        "CONTRIBUTING.md",
        "cargo clippy --all-targets -- -D warnings",
    );
    let ci = read(".ci/run");
    for line in checks.lines() {
        // CI adds --check and --locked.
        let words: Vec<&str> = line.split_whitespace().collect();
        assert!(
            ci.lines().any(|l| words.iter().all(|w| l.contains(w))),
            ".ci/run runs `{line}`"
        );
    }
}

#[test]
fn the_regenerate_command_names_the_generated_tests() {
    let command = block(
        "CONTRIBUTING.md",
        "TOKENCTL_REGENERATE=1 cargo test --test e2e generated",
    );
    assert_eq!(
        command,
        "TOKENCTL_REGENERATE=1 cargo test --test e2e generated\n"
    );
    let sources = test_functions();
    assert!(sources.contains("\"TOKENCTL_REGENERATE\""));
    assert!(read("tests/e2e/main.rs").contains("mod generated;"));
}

// ---------------------------------------------------------------------------------------
// examples/ansible/README.md

/// Lines with their trailing blanks cut, without leading or trailing empty lines: Ansible
/// pads its recap line.
fn trimmed(text: &str) -> String {
    let lines: Vec<&str> = text.lines().map(str::trim_end).collect();
    lines.join("\n").trim_matches('\n').to_string()
}

/// The README's commands, as written but for the paths (/srv and /tmp/srv are in a temp
/// folder), and its three output samples, made again and compared.
#[test]
#[ignore = "needs ansible-playbook; scripts/test runs it"]
fn the_ansible_readme_s_commands_and_output_run() {
    need("ansible-playbook");
    const PAGE: &str = "examples/ansible/README.md";
    let dir = tempfile::tempdir().unwrap();
    let srv = dir.path().join("srv");
    let srv_path = regex::Regex::new("(/tmp)?/srv/").unwrap();
    let in_temp = |text: &str| {
        srv_path
            .replace_all(text, format!("{}/", srv.display()).as_str())
            .into_owned()
    };
    let run = |script: &str, cwd: &Path, now: &str| {
        let mut c = bash(cwd, script);
        c.env("HOME", dir.path())
            .env("TOKENCTL_NOW", now)
            .env("ANSIBLE_NOCOLOR", "1")
            .env("ANSIBLE_LOCAL_TEMP", dir.path().join("local-tmp"))
            .env("ANSIBLE_RETRY_FILES_ENABLED", "0")
            .env("LANG", "C.UTF-8");
        let out = output(c);
        out.success();
        out
    };
    // ansible-doc, from the repository's root; then from elsewhere with the export.
    let doc = block(PAGE, "ansible-doc tokenctl_apply");
    run(&doc, &repo(), NOW).stdout_has("tokenctl_apply");
    let export = block(PAGE, "export ANSIBLE_LIBRARY=");
    let export = export.replace("/path/to/tokenctl", &repo().display().to_string());
    run(
        &format!("{export}ansible-doc tokenctl_apply\n"),
        dir.path(),
        NOW,
    )
    .stdout_has("tokenctl_apply");
    // The example playbook installs the keys.
    let install = in_temp(&block(
        PAGE,
        "-e security_file=/srv/tenants/acme/security.yml",
    ));
    run(&install, &repo(), NOW).stdout_has("changed=4");
    let file = srv.join("tenants/acme/security.yml");
    // Someone edits a description by hand; --check --diff shows it, as the transcript does.
    let mut c = Command::new(bin());
    c.arg("--file")
        .arg(&file)
        .args([
            "update",
            "grafana",
            "--description",
            "Dashboards (edited by hand)",
        ])
        .env("TOKENCTL_NOW", NOW);
    output(c).success();
    let transcript = block(PAGE, "$ ansible-playbook -i localhost,");
    let (command, shown) = transcript.split_once("\n\n").unwrap();
    let command = in_temp(command.strip_prefix("$ ").unwrap());
    let out = run(&command, &repo(), NOW);
    assert_eq!(
        trimmed(&out.stdout).replace(&srv.display().to_string(), "/tmp/srv"),
        trimmed(shown),
        "{PAGE}: the --check --diff transcript"
    );
    // On a new host: every key as created (at the instant the sample was made).
    let fresh = block(PAGE, "@@ -0,0 +1,12 @@");
    let created = fresh
        .lines()
        .find_map(|l| l.strip_prefix("+ci-deploy: createdAt: "))
        .unwrap();
    std::fs::remove_dir_all(&srv).unwrap();
    let out = run(&command, &repo(), created);
    let real = trimmed(&out.stdout).replace(&srv.display().to_string(), "/tmp/srv");
    assert!(
        real.contains(&trimmed(&fresh)),
        "{PAGE}: on a new host:\n{real}"
    );
    assert!(!srv.exists(), "check mode created nothing");
    // The module task, with its root in the temp folder.
    let task = in_temp(&block(PAGE, "- name: The API keys of tenant acme"));
    let play = ansible_play(dir.path(), &task);
    let out = ansible_playbook(dir.path(), &play, &[]);
    assert_eq!(out.code, 0, "{out:?}");
    let written = std::fs::read_to_string(srv.join("tenants/acme/security.yml")).unwrap();
    assert!(
        written.contains("description: GitHub Actions deploy job"),
        "{written}"
    );
    // A bad desired state: tokenctl's message at its line and column, and its exit code.
    let fatal = block(PAGE, "fatal: [localhost]: FAILED!");
    let shown_msg = fatal
        .split("\"msg\": \"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    let bad = task.replace(
        "sha256:d55a36f51b11c4e4be83efcda7fad05d4e2e1452cd23bbba725d8829ba92ad3e",
        "sha256:d55a36f5",
    );
    let play = ansible_play(dir.path(), &bad);
    let out = ansible_playbook(dir.path(), &play, &[]);
    assert_ne!(out.code, 0);
    assert!(
        out.stdout.contains(&format!("\"msg\": \"{shown_msg}\""))
            && out.stdout.contains("\"rc\": 1"),
        "{PAGE}: the failure shows {shown_msg:?}:\n{}",
        out.stdout
    );
}

/// The secrets recipe: a generated secret kept out of the output, into a vault-encrypted
/// file and into HashiCorp Vault (a stub `vault` on PATH that records what it is given:
/// HashiCorp's CLI is not in Debian).
#[test]
#[ignore = "needs ansible-playbook; scripts/test runs it"]
fn the_ansible_readme_s_secrets_recipe_runs() {
    need("ansible-playbook");
    assert!(
        flat(&read("examples/ansible/README.md"))
            .contains("checked against HashiCorp Vault's documentation, not run by the tests"),
        "the page says how the vault command line was checked"
    );
    let dir = tempfile::tempdir().unwrap();
    let srv = dir.path().join("srv");
    let tasks = block("examples/ansible/README.md", "register: monitoring_key")
        .replace("/srv/", &format!("{}/", srv.display()));
    std::fs::create_dir_all(dir.path().join("vault")).unwrap();
    std::fs::create_dir_all(dir.path().join("bin")).unwrap();
    let password = dir.path().join("vault-password");
    std::fs::write(&password, "correct horse\n").unwrap();
    let stub = dir.path().join("bin/vault");
    std::fs::write(
        &stub,
        format!(
            "#!/bin/sh\nprintf '%s\\n' \"$*\" > {d}/vault-argv\ncat > {d}/vault-stdin\n",
            d = dir.path().display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&stub, std::fs::Permissions::from_mode(0o755)).unwrap();
    let play = ansible_play(dir.path(), &tasks);
    let mut c = Command::new("ansible-playbook");
    c.arg("-i")
        .arg("localhost,")
        .arg(&play)
        .arg("-e")
        .arg(format!("vault_password_file={}", password.display()))
        .current_dir(dir.path())
        .env_clear()
        .env(
            "PATH",
            format!("{}:{}", dir.path().join("bin").display(), path()),
        )
        .env("HOME", dir.path())
        .env("LC_ALL", "C.UTF-8")
        .env("LANG", "C.UTF-8")
        .env("ANSIBLE_NOCOLOR", "1")
        .env("ANSIBLE_LOCAL_TEMP", dir.path().join("local-tmp"))
        .env("ANSIBLE_LIBRARY", repo().join("examples/ansible/library"))
        .env("TOKENCTL_NOW", NOW);
    let out = output(c);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        !out.stdout.contains("tk_"),
        "no_log keeps the secret out: {}",
        out.stdout
    );
    // Exactly the secret: no line break after it, which a server would refuse.
    let secret = std::fs::read_to_string(dir.path().join("vault-stdin")).unwrap();
    assert!(
        secret.starts_with("tk_") && secret.len() == 75,
        "{secret:?}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("vault-argv")).unwrap(),
        "kv put secret/acme/monitoring token=-\n"
    );
    let mut c = Command::new("ansible-vault");
    c.args(["view", "--vault-password-file"])
        .arg(&password)
        .arg(dir.path().join("vault/acme-keys.yml"))
        .env("HOME", dir.path())
        .env("LC_ALL", "C.UTF-8");
    let view = output(c);
    view.success();
    assert_eq!(view.stdout, format!("monitoring: {secret}\n"));
    let mut c = Command::new(bin());
    c.arg("--file")
        .arg(srv.join("tenants/acme/security.yml"))
        .args(["verify", "--permission", "dns:read"])
        .env("TOKENCTL_NOW", NOW)
        .stdin(Stdio::piped());
    let mut child = c.stdout(Stdio::piped()).spawn().unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(secret.as_bytes())
        .unwrap();
    assert!(child.wait_with_output().unwrap().status.success());
}

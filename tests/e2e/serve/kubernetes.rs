//! The gate over a Kubernetes volume (Secret or ConfigMap) as the kubelet lays it out: the
//! file is a link through `..data`, itself a link to a timestamped folder, and an update
//! makes a new folder, swaps `..data` to it with one rename, then deletes the old folder.
//! The new version is reported at the next scrape and judged on at the next request, and no
//! request fails meanwhile.

use crate::support::env::TestEnv;
use crate::support::server::{Api, etag_of};
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

fn agent() -> ureq::Agent {
    ureq::Agent::new_with_config(
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(30)))
            .build(),
    )
}

fn status(agent: &ureq::Agent, url: &str, token: &str) -> u16 {
    agent
        .get(url)
        .header("Authorization", format!("Bearer {token}"))
        .call()
        .map(|r| r.status().as_u16())
        .unwrap_or(0)
}

/// Writes `bytes` as the volume's next version, as the kubelet does (atomic_writer.go): a
/// new timestamped folder, `..data_tmp` linked to it, renamed over `..data`, the old
/// folder removed.
fn kubelet_update(vol: &Path, version: &str, bytes: &[u8], old: Option<&str>) {
    let dir = vol.join(version);
    std::fs::create_dir(&dir).unwrap();
    let file = dir.join("security.yml");
    std::fs::write(&file, bytes).unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
    symlink(version, vol.join("..data_tmp")).unwrap();
    std::fs::rename(vol.join("..data_tmp"), vol.join("..data")).unwrap();
    if let Some(old) = old {
        std::fs::remove_dir_all(vol.join(old)).unwrap();
    }
}

#[test]
fn the_gate_follows_the_kubelets_link_swap_without_a_failed_request() {
    let env = TestEnv::new();
    let ci = env.create("ci", &["-p", "dns:read"]);
    let web = env.create("web", &["-p", "dns:read"]);
    let vol = env.dir.path().join("volume");
    std::fs::create_dir(&vol).unwrap();
    kubelet_update(
        &vol,
        "..2026_12_07_00_00_00.1",
        &std::fs::read(env.file()).unwrap(),
        None,
    );
    symlink("..data/security.yml", vol.join("security.yml")).unwrap();
    let mounted = vol.join("security.yml");
    let api = Api::start(
        &env,
        &[
            "--file",
            mounted.to_str().unwrap(),
            "--tenant",
            "acme",
            "--no-admin",
            "--metrics-listen",
            "127.0.0.1:0",
        ],
    );
    api.remember_token(&ci);
    api.remember_token(&web);
    let gate = format!("{}/authz?permission=dns:read", api.url);
    let a = agent();
    assert_eq!(status(&a, &gate, &ci), 200);

    // Requests with a key the update leaves alone, all along the update.
    let stop = Arc::new(AtomicBool::new(false));
    let failed = Arc::new(AtomicUsize::new(0));
    let sent = Arc::new(AtomicUsize::new(0));
    let hammer = {
        let (stop, failed, sent, gate, web) = (
            stop.clone(),
            failed.clone(),
            sent.clone(),
            gate.clone(),
            web.clone(),
        );
        std::thread::spawn(move || {
            let a = agent();
            while !stop.load(Ordering::SeqCst) {
                if status(&a, &gate, &web) != 200 {
                    failed.fetch_add(1, Ordering::SeqCst);
                }
                sent.fetch_add(1, Ordering::SeqCst);
            }
        })
    };
    std::thread::sleep(Duration::from_millis(200));

    // The operator disables ci; the manifest is applied; the kubelet swaps the volume.
    env.run(&["update", "ci", "--disable"]).success();
    let new = std::fs::read(env.file()).unwrap();
    // The old folder is still there (the kubelet removes it a moment after the swap): the
    // gate must follow the link, not hold on to the folder it led to.
    kubelet_update(&vol, "..2026_12_07_00_01_00.2", &new, None);
    // The next request is judged on the new version, and the next scrape reports it.
    assert_eq!(status(&a, &gate, &ci), 401);
    std::fs::remove_dir_all(vol.join("..2026_12_07_00_00_00.1")).unwrap();
    let digest = etag_of(&new).trim_matches('"').to_string();
    let metrics = api.metrics_url.clone().unwrap();
    let health: serde_json::Value = serde_json::from_str(
        &a.get(format!("{metrics}/healthz"))
            .call()
            .unwrap()
            .body_mut()
            .read_to_string()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        health["tenants"]["acme"]["digest"],
        digest.as_str(),
        "{health}"
    );
    assert_eq!(health["tenants"]["acme"]["state"], "ok");

    // Swapped again while requests run, with the old folder removed at once.
    env.run(&["update", "ci", "--enable"]).success();
    kubelet_update(
        &vol,
        "..2026_12_07_00_02_00.3",
        &std::fs::read(env.file()).unwrap(),
        Some("..2026_12_07_00_01_00.2"),
    );
    assert_eq!(status(&a, &gate, &ci), 200);
    std::thread::sleep(Duration::from_millis(200));
    stop.store(true, Ordering::SeqCst);
    hammer.join().unwrap();
    assert!(sent.load(Ordering::SeqCst) > 10);
    assert_eq!(
        failed.load(Ordering::SeqCst),
        0,
        "requests failed during the swaps"
    );
}

//! Paths (docs/FORMAT.md, "Where the file is"): a tenant folder that is a link
//! leading outside the root is refused; a security.yml that is a link has its target
//! replaced and the link kept, including Kubernetes' ConfigMap layout of `..data` links.

use crate::support::env::*;
use std::fs;
use std::os::unix::fs::{PermissionsExt, symlink};

#[test]
fn a_tenant_folder_linking_outside_the_root_is_refused() {
    let env = TestEnv::new();
    let outside = env.dir.path().join("elsewhere");
    fs::create_dir_all(&outside).unwrap();
    fs::write(outside.join("security.yml"), "apiKeys:\n").unwrap();
    fs::create_dir_all(env.root()).unwrap();
    symlink(&outside, env.root().join("acme")).unwrap();
    for args in [&["list"][..], &["create", "k"], &["check"]] {
        let out = env.run(args);
        out.code(1)
            .stderr_has("leads outside --root")
            .stderr_has("refusing to follow it")
            .stdout_empty();
    }
    assert_eq!(
        fs::read_to_string(outside.join("security.yml")).unwrap(),
        "apiKeys:\n"
    );
    assert_eq!(
        fs::read_dir(&outside).unwrap().count(),
        1,
        "nothing was created outside"
    );

    // `..` in a link is resolved before the comparison.
    fs::remove_file(env.root().join("acme")).unwrap();
    symlink("../elsewhere", env.root().join("acme")).unwrap();
    env.run(&["create", "k"])
        .code(1)
        .stderr_has("leads outside --root");
}

#[test]
fn a_tenant_folder_linking_inside_the_root_is_followed() {
    let env = TestEnv::new();
    fs::create_dir_all(env.root().join("real-acme")).unwrap();
    symlink("real-acme", env.root().join("acme")).unwrap();
    env.create("k", &[]);
    assert!(env.root().join("real-acme/security.yml").is_file());
    assert!(
        fs::symlink_metadata(env.root().join("acme"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
}

#[test]
fn a_linked_security_yml_has_its_target_replaced_and_the_link_kept() {
    let env = TestEnv::new();
    let dir = env.root().join("acme");
    fs::create_dir_all(&dir).unwrap();
    fs::create_dir_all(env.dir.path().join("repo")).unwrap();
    let target = env.dir.path().join("repo/acme.yml");
    fs::write(&target, "# in git\napiKeys:\n").unwrap();
    fs::set_permissions(&target, fs::Permissions::from_mode(0o640)).unwrap();
    symlink("../../repo/acme.yml", dir.join("security.yml")).unwrap();
    let link = dir.join("security.yml");
    // Outside the root, the tenant may not follow it; `--file` names it explicitly.
    env.run(&["create", "k"])
        .code(1)
        .stderr_has("leads outside its tenant folder");
    let file = link.to_str().unwrap();
    let secret = env.run(&["--file", file, "create", "k"]).success().secret();
    assert!(
        fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink(),
        "the link was replaced"
    );
    assert_eq!(
        fs::read_link(&link).unwrap().to_str(),
        Some("../../repo/acme.yml")
    );
    let text = fs::read_to_string(&target).unwrap();
    assert!(text.starts_with("# in git\napiKeys:\n  k:\n"), "{text}");
    assert_eq!(
        fs::metadata(&target).unwrap().permissions().mode() & 0o777,
        0o640,
        "mode kept"
    );
    env.run_with(&["--file", file, "verify"], &secret).success();
    // The temporary file was made beside the target, not beside the link.
    assert_eq!(
        crate::support::harness::temp_files(&dir),
        Vec::<String>::new()
    );
    assert_eq!(
        crate::support::harness::temp_files(&env.dir.path().join("repo")),
        Vec::<String>::new()
    );
}

#[test]
fn the_kubernetes_configmap_layout_of_links_works() {
    // What the kubelet makes for a ConfigMap volume:
    //   security.yml -> ..data/security.yml
    //   ..data -> ..2026_11_22_10_00_00.123456789
    //   ..2026_11_22_10_00_00.123456789/security.yml   (the real file)
    let env = TestEnv::new();
    let dir = env.root().join("acme");
    let stamp = "..2026_11_22_10_00_00.123456789";
    fs::create_dir_all(dir.join(stamp)).unwrap();
    fs::write(dir.join(stamp).join("security.yml"), "apiKeys:\n").unwrap();
    symlink(stamp, dir.join("..data")).unwrap();
    symlink("..data/security.yml", dir.join("security.yml")).unwrap();

    let secret = env.create("k", &["--permission", "dns:read"]);
    env.run(&["update", "k", "--description", "from the pod"])
        .success();
    env.create("k2", &[]);
    env.run(&["delete", "k2", "--yes"]).success();

    let is_link = |p: &str| {
        fs::symlink_metadata(dir.join(p))
            .unwrap()
            .file_type()
            .is_symlink()
    };
    assert!(
        is_link("security.yml") && is_link("..data"),
        "a link was replaced"
    );
    assert_eq!(
        fs::read_link(dir.join("security.yml")).unwrap().to_str(),
        Some("..data/security.yml")
    );
    assert_eq!(
        fs::read_link(dir.join("..data")).unwrap().to_str(),
        Some(stamp)
    );
    let text = fs::read_to_string(dir.join(stamp).join("security.yml")).unwrap();
    assert!(
        text.starts_with("apiKeys:\n  k:\n") && text.contains("    description: from the pod\n"),
        "{text}"
    );
    assert!(!text.contains("k2"));
    env.run_with(&["verify", "--permission", "dns:read"], &secret)
        .success();
    assert_eq!(
        crate::support::harness::temp_files(&dir.join(stamp)),
        Vec::<String>::new()
    );
}

#[test]
fn new_files_are_0600_in_0700_folders_and_modes_are_kept() {
    let env = TestEnv::new();
    env.create("k", &[]);
    let mode = |p: &std::path::Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&env.file()), 0o600);
    assert_eq!(mode(env.file().parent().unwrap()), 0o700);
    assert_eq!(mode(&env.root()), 0o700);
    let lock = env.file().with_file_name("security.yml.lock");
    assert_eq!(mode(&lock), 0o600);

    // An existing file keeps its mode; check flags it when others may read it.
    fs::set_permissions(env.file(), fs::Permissions::from_mode(0o644)).unwrap();
    env.run(&["update", "k", "--disable"]).success();
    assert_eq!(mode(&env.file()), 0o644);
    let out = env.run(&["check"]);
    out.code(7)
        .stdout_has("readable or writable by others (mode 0644)")
        .stdout_has("chmod 600");
    fs::set_permissions(env.file(), fs::Permissions::from_mode(0o640)).unwrap();
    env.run(&["check"]).code(7).stdout_has("(mode 0640)");
    fs::set_permissions(env.file(), fs::Permissions::from_mode(0o600)).unwrap();
    env.run(&["check"]).success();

    // The usage file written by verify --record is private too.
    let secret = env.create("k2", &[]);
    env.run_with(&["verify", "--record"], &secret).success();
    assert_eq!(
        mode(&env.file().with_file_name("security.usage.yml")),
        0o600
    );
}

/// A tenant folder that is a link into another tenant's folder would make two tenants share
/// one file: `-t beta create console -p '*'` would print a working key of acme, and offboarding
/// beta would wipe acme. Refused, naming the other tenant; acme's file is untouched. Found by
/// the independent attack review (a GitOps commit adding `tenants/beta -> acme`).
#[test]
fn a_tenant_folder_linking_to_another_tenant_is_refused() {
    let env = TestEnv::new();
    env.create("k", &[]);
    let before = fs::read(env.root().join("acme/security.yml")).unwrap();
    for target in ["acme", "./acme", "acme/"] {
        let _ = fs::remove_file(env.root().join("beta"));
        symlink(target, env.root().join("beta")).unwrap();
        for args in [
            &["--tenant", "beta", "create", "console", "--new-tenant"][..],
            &["--tenant", "beta", "delete", "--all", "--yes"],
            &["--tenant", "beta", "list"],
        ] {
            env.run(args)
                .code(1)
                .stderr_has("into the folder of tenant 'acme'");
        }
    }
    assert_eq!(
        fs::read(env.root().join("acme/security.yml")).unwrap(),
        before
    );
}

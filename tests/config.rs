//! `wkg config` through the native host and the real component.

mod support;

use support::Wkg;

const EMPTY: &str = "[namespace_registries]\n\n[package_registry_overrides]\n\n[registry]\n";

fn global(wkg: &Wkg) -> std::path::PathBuf {
    wkg.path("home/.config/wasm-pkg/config.toml")
}

#[test]
fn shows_sets_and_validates_the_default_registry() {
    let wkg = Wkg::new();
    let show = wkg.run(&["config"]);
    assert_eq!(show.code, 0, "{show:?}");
    assert!(
        show.stderr.contains("warning: Default registry is not set"),
        "{show:?}"
    );
    assert!(!global(&wkg).exists(), "showing must create no file");

    let set = wkg.run(&["config", "--default-registry", "example.com"]);
    assert_eq!(set.code, 0, "{set:?}");
    let path = global(&wkg);
    assert!(
        set.stderr
            .contains(&format!("Updated config file: {}", path.display())),
        "{set:?}"
    );
    assert!(
        set.stderr.contains("Default registry: example.com"),
        "{set:?}"
    );
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        format!("default_registry = \"example.com\"\n\n{EMPTY}")
    );

    let show = wkg.run(&["config"]);
    assert!(
        show.stderr.contains("Default registry: example.com"),
        "{show:?}"
    );

    let bad = wkg.run(&["config", "--default-registry", "https://example.com"]);
    assert_eq!(bad.code, 2, "{bad:?}");
    assert!(bad.stderr.contains("without scheme"), "{bad:?}");
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        format!("default_registry = \"example.com\"\n\n{EMPTY}")
    );
}

#[test]
fn config_file_from_flag_env_and_xdg() {
    let wkg = Wkg::new();
    let set = wkg.run(&[
        "config",
        "--config",
        "sub/dir/c.toml",
        "--default-registry",
        "a.b:5000",
    ]);
    assert_eq!(set.code, 0, "{set:?}");
    assert!(
        std::fs::read_to_string(wkg.path("sub/dir/c.toml"))
            .unwrap()
            .starts_with("default_registry = \"a.b:5000\"")
    );

    let env = Wkg::new().env("WKG_CONFIG_FILE", "from-env.toml");
    assert_eq!(env.run(&["config", "--default-registry", "c.d"]).code, 0);
    assert!(env.path("from-env.toml").exists());

    let xdg = Wkg::new();
    let dir = xdg.path("xdg");
    let xdg = xdg.env("XDG_CONFIG_HOME", dir.to_str().unwrap());
    assert_eq!(xdg.run(&["config", "--default-registry", "e.f"]).code, 0);
    assert!(dir.join("wasm-pkg/config.toml").exists());
}

#[test]
fn broken_config_is_reported_with_its_position_and_left_alone() {
    let wkg = Wkg::new();
    let path = global(&wkg);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let text = "default_registry = \"a.b\"\n\nnamespaces = 1\n";
    std::fs::write(&path, text).unwrap();
    for args in [
        &["config"][..],
        &["config", "--default-registry", "x.y"][..],
    ] {
        let run = wkg.run(args);
        assert_eq!(run.code, 1, "{run:?}");
        assert!(
            run.stderr.contains(&format!("{}:3:1:", path.display())),
            "{run:?}"
        );
        assert!(run.stderr.contains("unknown field `namespaces`"), "{run:?}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
    }

    std::fs::write(&path, "default_registry = \n").unwrap();
    let run = wkg.run(&["config"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains(":1:"), "{run:?}");
}

#[test]
fn edit_seeds_the_file_and_the_host_starts_the_editor() {
    let wkg = Wkg::new();
    let run = wkg.run(&["config", "--edit"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr
            .contains("failed to read `$EDITOR` environment variable"),
        "{run:?}"
    );
    assert!(!global(&wkg).exists());

    let editor = wkg.path("editor.sh");
    std::fs::write(&editor, "#!/bin/sh\necho '# edited' >> \"$1\"\n").unwrap();
    std::process::Command::new("chmod")
        .arg("+x")
        .arg(&editor)
        .status()
        .unwrap();
    let wkg = wkg.env("EDITOR", editor.to_str().unwrap());
    let run = wkg.run(&["config", "-e"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(
        std::fs::read_to_string(global(&wkg)).unwrap(),
        format!("{EMPTY}# edited\n")
    );
}

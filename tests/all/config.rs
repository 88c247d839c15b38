//! `wkg config` through the native host and the real component.

use crate::support;

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

/// Paths as users type them, from a sub-directory: `..` for every path flag,
/// a symlinked WIT directory that leaves the project, absolute paths.
#[test]
fn paths_with_dotdot_symlinks_and_absolute_ones_work() {
    let wkg = Wkg::new();
    let sub = wkg.path("project/sub");
    std::fs::create_dir_all(&sub).unwrap();
    let root = wkg.path("registry");
    std::fs::write(
        wkg.path("project/c.toml"),
        format!(
            "default_registry = \"local\"\n\n[registry.\"local\".local]\nroot = '{}'\n",
            root.display()
        ),
    )
    .unwrap();
    std::fs::create_dir_all(wkg.path("project/wit")).unwrap();
    std::fs::write(
        wkg.path("project/wit/package.wit"),
        "package test:dep@0.1.0;\n\ninterface api {\n  f: func();\n}\n",
    )
    .unwrap();
    let run = |args: &[&str]| {
        let run = wkg.run_in(&sub, args);
        assert_eq!(run.code, 0, "{args:?}: {run:?}");
        run
    };

    run(&[
        "config",
        "--config",
        "../x.toml",
        "--default-registry",
        "ghcr.io",
    ]);
    assert!(wkg.path("project/x.toml").is_file());
    let with = |args: &[&str]| -> Vec<String> {
        let common = ["--config", "../c.toml", "--cache", "../cache"];
        args.iter().chain(&common).map(|s| s.to_string()).collect()
    };
    let run = |args: Vec<String>| {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        run(&args)
    };
    run(with(&["build", "-d", "../wit", "-o", "../out/dep.wasm"]));
    assert!(wkg.path("project/out/dep.wasm").is_file());
    run(with(&["publish", "../out/dep.wasm"]));
    assert!(root.join("test/dep/0.1.0.wasm").is_file());
    run(with(&["get", "test:dep@0.1.0", "-o", "../got/"]));
    assert!(wkg.path("project/got/test_dep@0.1.0.wit").is_file());
    let absolute = wkg.path("abs/dep.wit");
    std::fs::create_dir_all(absolute.parent().unwrap()).unwrap();
    run(with(&[
        "get",
        "test:dep@0.1.0",
        "-o",
        absolute.to_str().unwrap(),
    ]));
    assert!(absolute.is_file());

    // A WIT directory that is a symbolic link out of the project.
    #[cfg(unix)]
    {
        let app = wkg.path("app");
        std::fs::create_dir_all(&app).unwrap();
        std::fs::create_dir_all(wkg.path("shared/wit")).unwrap();
        std::fs::write(
            wkg.path("shared/wit/app.wit"),
            "package test:app@0.1.0;\n\nworld w {\n  import test:dep/api@0.1.0;\n}\n",
        )
        .unwrap();
        std::os::unix::fs::symlink(wkg.path("shared/wit"), app.join("wit")).unwrap();
        std::fs::copy(wkg.path("project/c.toml"), app.join("c.toml")).unwrap();
        let run = wkg.run_in(&app, &["fetch", "--config", "c.toml", "--cache", "cache"]);
        assert_eq!(run.code, 0, "{run:?}");
        assert!(
            wkg.path("shared/wit/deps/test-dep-0.1.0/package.wit")
                .is_file()
        );
        assert!(app.join("wkg.lock").is_file());
    }
}

/// A rewritten config keeps its mode (a `0600` file with a password stays
/// `0600`), and a config file the tool creates is `0600`.
#[cfg(unix)]
#[test]
fn config_files_keep_their_mode() {
    use std::os::unix::fs::PermissionsExt;
    let wkg = Wkg::new();
    let path = wkg.path("c.toml");
    std::fs::write(
        &path,
        "[registry.\"r.example\".oci]\nauth = { username = \"u\", password = \"secret\" }\n",
    )
    .unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let run = wkg.run(&[
        "config",
        "--config",
        "c.toml",
        "--default-registry",
        "r.example",
    ]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(std::fs::read_to_string(&path).unwrap().contains("secret"));
    assert_eq!(mode(&path), 0o600);
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
    let run = wkg.run(&[
        "config",
        "--config",
        "c.toml",
        "--default-registry",
        "s.example",
    ]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(mode(&path), 0o640);

    let run = wkg.run(&["config", "--default-registry", "r.example"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(mode(&global(&wkg)), 0o600);
}

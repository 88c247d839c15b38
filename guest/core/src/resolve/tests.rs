use super::*;

const DIGEST_A: &str = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const DIGEST_B: &str = "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

fn package(name: &str) -> PackageRef {
    name.parse().unwrap()
}

fn req(text: &str) -> VersionReq {
    text.parse().unwrap()
}

fn version(text: &str) -> Version {
    text.parse().unwrap()
}

fn digest(text: &str) -> Digest {
    text.parse().unwrap()
}

fn registry(name: &str) -> Registry {
    name.parse().unwrap()
}

fn versions(list: &[&str]) -> Vec<Version> {
    list.iter().map(|v| version(v)).collect()
}

fn path_override(path: &str) -> Override {
    Override {
        path: Some(path.to_owned()),
        version: None,
    }
}

fn version_override(requirement: &str) -> Override {
    Override {
        path: None,
        version: Some(req(requirement)),
    }
}

fn overrides(list: &[(&str, Override)]) -> BTreeMap<PackageRef, Override> {
    list.iter()
        .map(|(name, o)| (package(name), o.clone()))
        .collect()
}

fn members(list: &[(&str, &str)]) -> BTreeMap<PackageRef, PathBuf> {
    list.iter()
        .map(|(name, dir)| (package(name), PathBuf::from(dir)))
        .collect()
}

fn uses(list: &[(&str, &str)]) -> Vec<(PackageRef, VersionReq)> {
    list.iter()
        .map(|(name, requirement)| (package(name), req(requirement)))
        .collect()
}

fn local(name: &str, path: &str) -> LocalDependency {
    LocalDependency {
        package: package(name),
        path: PathBuf::from(path),
    }
}

/// Drives [`Requirements`] as the caller does: `root` is what the root WIT
/// uses, `wit` what each local path's WIT uses (a path missing from it is a
/// `.wasm` file, which uses nothing).
fn drive(
    mut requirements: Requirements,
    root: &[(&str, &str)],
    wit: &[(&str, &[(&str, &str)])],
) -> Wanted {
    requirements.require(uses(root));
    while let Some(local) = requirements.next_local() {
        let read = wit
            .iter()
            .find(|(path, _)| Path::new(path) == local.path)
            .map(|(_, used)| uses(used))
            .unwrap_or_default();
        requirements.require(read);
    }
    requirements.finish()
}

fn registry_wanted(list: &[(&str, &str)]) -> Vec<(PackageRef, VersionReq)> {
    uses(list)
}

#[test]
fn overrides_make_local_and_registry_requirements() {
    let o = overrides(&[
        ("a:path", path_override("../lib/wit")),
        ("a:abs", path_override("/elsewhere/./x.wasm")),
        ("a:version", version_override("^0.2")),
        (
            "a:both",
            Override {
                path: Some("both".to_owned()),
                version: Some(req("=1.0.0")),
            },
        ),
        ("a:neither", Override::default()),
    ]);
    let requirements = Requirements::new(&o, Path::new("/work/app"), &BTreeMap::new(), None);
    assert_eq!(
        requirements.warnings(),
        [
            Warning::OverrideVersionIgnored {
                package: package("a:both")
            },
            Warning::EmptyOverride {
                package: package("a:neither")
            },
        ]
    );
    let rendered: Vec<String> = requirements
        .warnings()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        rendered,
        [
            "override for `a:both` has a path; its version is ignored",
            "override for `a:neither` has neither `path` nor `version`; ignored",
        ]
    );

    let wanted = drive(
        requirements,
        &[
            ("a:path", "=0.1.0"),
            ("a:abs", "*"),
            ("a:version", "=0.2.0"),
            ("a:both", "*"),
            ("a:neither", "=3.0.0"),
        ],
        &[],
    );
    assert_eq!(
        wanted.local,
        [
            local("a:both", "/work/app/both"),
            local("a:abs", "/elsewhere/x.wasm"),
            local("a:path", "/work/lib/wit"),
        ]
    );
    // The version override replaces the WIT's requirement; the empty
    // override leaves the WIT's.
    assert_eq!(
        wanted.registry,
        registry_wanted(&[("a:neither", "=3.0.0"), ("a:version", "^0.2")])
    );
}

#[test]
fn members_are_local_unless_overridden_or_own() {
    let o = overrides(&[
        ("w:over-path", path_override("vendor/p")),
        ("w:over-version", version_override("=2.0.0")),
    ]);
    let m = members(&[
        ("w:app", "/ws/app"),
        ("w:lib", "/ws/lib"),
        ("w:over-path", "/ws/p"),
        ("w:over-version", "/ws/v"),
        ("w:unused", "/ws/unused"),
    ]);
    let own = package("w:app");
    let requirements = Requirements::new(&o, Path::new("/ws"), &m, Some(&own));
    assert!(requirements.warnings().is_empty());
    let wanted = drive(
        requirements,
        &[
            ("w:app", "*"),
            ("w:lib", "*"),
            ("w:over-path", "*"),
            ("w:over-version", "*"),
        ],
        &[],
    );
    assert_eq!(
        wanted.local,
        [
            local("w:over-path", "/ws/vendor/p"),
            local("w:lib", "/ws/lib"),
        ]
    );
    // The own package is not a member; required, it is a registry one.
    assert_eq!(
        wanted.registry,
        registry_wanted(&[("w:app", "*"), ("w:over-version", "=2.0.0")])
    );
}

#[test]
fn the_first_requirement_considered_wins() {
    // The queue is a stack: the last requirement queued is considered first.
    let cases: &[(&[(&str, &str)], &str)] = &[
        (&[("x:y", "=1.0.0"), ("x:y", "*")], "*"),
        (&[("x:y", "*"), ("x:y", "=1.0.0")], "=1.0.0"),
        (&[("x:y", "=1.0.0")], "=1.0.0"),
    ];
    for (root, want) in cases {
        let requirements =
            Requirements::new(&BTreeMap::new(), Path::new("/p"), &BTreeMap::new(), None);
        let wanted = drive(requirements, root, &[]);
        assert_eq!(
            wanted.registry,
            registry_wanted(&[("x:y", want)]),
            "{root:?}"
        );
        assert!(wanted.local.is_empty());
    }

    // A local dependency's requirements are considered before the rest of
    // its dependent's.
    let o = overrides(&[("x:lib", path_override("lib"))]);
    let requirements = Requirements::new(&o, Path::new("/p"), &BTreeMap::new(), None);
    let wanted = drive(
        requirements,
        &[("x:c", "*"), ("x:lib", "*")],
        &[("/p/lib", &[("x:c", "=1.0.0")])],
    );
    assert_eq!(wanted.registry, registry_wanted(&[("x:c", "=1.0.0")]));
    assert_eq!(wanted.local, [local("x:lib", "/p/lib")]);
}

#[test]
fn unused_overrides_and_members_are_dropped() {
    let o = overrides(&[
        ("u:path", path_override("p")),
        ("u:version", version_override("^1")),
    ]);
    let m = members(&[("u:member", "/m")]);
    let requirements = Requirements::new(&o, Path::new("/p"), &m, None);
    let wanted = drive(requirements, &[("u:other", "*")], &[]);
    assert_eq!(
        wanted,
        Wanted {
            local: Vec::new(),
            registry: registry_wanted(&[("u:other", "*")]),
        }
    );

    // Nothing required at all.
    let requirements = Requirements::new(&o, Path::new("/p"), &m, None);
    assert_eq!(drive(requirements, &[], &[]), Wanted::default());
}

#[test]
fn registry_requirements_are_sorted_by_package() {
    let requirements = Requirements::new(&BTreeMap::new(), Path::new("/p"), &BTreeMap::new(), None);
    let wanted = drive(
        requirements,
        &[
            ("b:a", "*"),
            ("a:z", "*"),
            ("a:b", "=0.1.0"),
            ("a-b:a", "*"),
        ],
        &[],
    );
    assert_eq!(
        wanted.registry,
        registry_wanted(&[
            ("a:b", "=0.1.0"),
            ("a:z", "*"),
            ("a-b:a", "*"),
            ("b:a", "*")
        ])
    );
}

#[test]
fn local_dependencies_are_yielded_once_and_cycles_end() {
    let o = overrides(&[
        ("c:a", path_override("a")),
        ("c:b", path_override("b")),
        ("c:self", path_override("self")),
    ]);
    let mut requirements = Requirements::new(&o, Path::new("/p"), &BTreeMap::new(), None);
    requirements.require(uses(&[("c:a", "*"), ("c:a", "=1.0.0")]));
    assert_eq!(requirements.next_local(), Some(local("c:a", "/p/a")));
    // a uses b and itself; b uses a, itself, and a registry package.
    requirements.require(uses(&[("c:b", "*"), ("c:a", "*")]));
    assert_eq!(requirements.next_local(), Some(local("c:b", "/p/b")));
    requirements.require(uses(&[("c:a", "*"), ("c:b", "*"), ("c:r", "^1")]));
    assert_eq!(requirements.next_local(), None);
    // A package using itself.
    requirements.require(uses(&[("c:self", "*")]));
    assert_eq!(requirements.next_local(), Some(local("c:self", "/p/self")));
    requirements.require(uses(&[("c:self", "*")]));
    assert_eq!(requirements.next_local(), None);
    assert_eq!(requirements.next_local(), None);

    let wanted = requirements.finish();
    assert_eq!(
        wanted.local,
        [
            local("c:a", "/p/a"),
            local("c:b", "/p/b"),
            local("c:self", "/p/self")
        ]
    );
    assert_eq!(wanted.registry, registry_wanted(&[("c:r", "^1")]));
}

#[test]
#[should_panic(expected = "Requirements::finish before next_local returned None")]
fn finish_with_requirements_queued_panics() {
    let mut requirements =
        Requirements::new(&BTreeMap::new(), Path::new("/p"), &BTreeMap::new(), None);
    requirements.require(uses(&[("x:y", "*")]));
    requirements.finish();
}

#[test]
fn missing_path_names_the_manifest() {
    let requirements = Requirements::new(&BTreeMap::new(), Path::new("/p"), &BTreeMap::new(), None);
    let err = requirements.missing_path(&local("x:lib", "/p/lib/wit"));
    assert_eq!(err.kind(), DependencyErrorKind::MissingPath);
    assert!(!err.is_not_found());
    assert_eq!(err.package(), &package("x:lib"));
    assert_eq!(
        err.to_string(),
        "the override path `/p/lib/wit` of `x:lib` does not exist (paths are relative to `/p/wkg.toml`)"
    );
}

fn locked(requirement: &str, v: &str, digest_text: &str) -> LockedVersion {
    LockedVersion {
        requirement: req(requirement),
        version: version(v),
        digest: digest(digest_text),
        signature: None,
    }
}

/// A lock with `t:dep` from `reg.example` locked for `=0.1.0` and `^0.1`,
/// and `t:other` for `*`.
fn sample_lock() -> LockFile {
    let mut lock = LockFile::default();
    let reg = Some("reg.example".to_owned());
    lock.insert(
        package("t:dep"),
        reg.clone(),
        locked("=0.1.0", "0.1.0", DIGEST_A),
    );
    lock.insert(
        package("t:dep"),
        reg.clone(),
        locked("^0.1", "0.1.2", DIGEST_B),
    );
    lock.insert(package("t:other"), reg, locked("*", "1.0.0", DIGEST_A));
    lock
}

fn policy<'a>(lock: &'a LockFile, update: &'a Update, offline: bool) -> LockPolicy<'a> {
    LockPolicy {
        lock,
        lock_path: Path::new("/p/wkg.lock"),
        update,
        offline,
    }
}

#[test]
fn update_covers() {
    let only = Update::Only([package("t:dep")].into_iter().collect());
    let cases = [
        (Update::Nothing, "t:dep", false),
        (Update::All, "t:dep", true),
        (only.clone(), "t:dep", true),
        (only, "t:other", false),
        (Update::Only(BTreeSet::new()), "t:dep", false),
    ];
    for (update, name, covers) in cases {
        assert_eq!(update.covers(&package(name)), covers, "{update:?} {name}");
    }
    assert_eq!(Update::default(), Update::Nothing);
}

#[test]
fn lock_reuse_by_update() {
    let lock = sample_lock();
    let reg = registry("reg.example");
    let exact = locked("=0.1.0", "0.1.0", DIGEST_A);
    let only_dep = Update::Only([package("t:dep")].into_iter().collect());
    let only_other = Update::Only([package("t:other")].into_iter().collect());
    let cases = [
        (Update::Nothing, Some(&exact)),
        (Update::All, None),
        (only_dep, None),
        (only_other, Some(&exact)),
    ];
    for (update, want) in cases {
        let policy = policy(&lock, &update, false);
        assert_eq!(
            policy.locked(&package("t:dep"), &reg, &req("=0.1.0")),
            want,
            "{update:?}"
        );
        let pending = policy.dependency(package("t:dep"), reg.clone(), req("=0.1.0"));
        assert_eq!(pending.locked(), want, "{update:?}");
        assert_eq!(pending.package(), &package("t:dep"));
        assert_eq!(pending.registry(), &reg);
        assert_eq!(pending.requirement(), &req("=0.1.0"));
    }
}

#[test]
fn lock_reuse_needs_the_same_registry_and_requirement() {
    let lock = sample_lock();
    let update = Update::Nothing;
    let policy = policy(&lock, &update, false);
    let cases = [
        ("t:dep", "reg.example", "^0.1", Some("0.1.2")),
        ("t:dep", "reg.example", "=0.1.0", Some("0.1.0")),
        // Compared structurally: `0.1.0` is `^0.1.0`, not `=0.1.0`.
        ("t:dep", "reg.example", "0.1.0", None),
        ("t:dep", "other.example", "=0.1.0", None),
        ("t:new", "reg.example", "*", None),
        ("t:other", "reg.example", "*", Some("1.0.0")),
    ];
    for (name, reg, requirement, want) in cases {
        let got = policy
            .locked(&package(name), &registry(reg), &req(requirement))
            .map(|l| l.version.to_string());
        assert_eq!(got.as_deref(), want, "{name} {reg} {requirement}");
    }
}

#[test]
fn step_for_every_locked_cached_offline_combination() {
    let lock = sample_lock();
    let nothing = Update::Nothing;
    let all = Update::All;
    let cache = PathBuf::from("/cache/sha256/aaaa");
    let resolved = ResolvedDependency {
        package: package("t:dep"),
        registry: registry("reg.example"),
        requirement: req("=0.1.0"),
        version: version("0.1.0"),
        digest: digest(DIGEST_A),
        path: cache.clone(),
        signature: None,
    };
    // (locked, cached, offline) → step or error text.
    let not_cached = "offline: `t:dep@0.1.0` (sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa) \
                      is not in the cache; run once without `--offline` to fetch it";
    let not_locked = "offline: `t:dep` (=0.1.0) is not in `/p/wkg.lock`; \
                      run once without `--offline` to resolve it";
    let cases: [(bool, bool, bool, Result<Step, &str>); 8] = [
        (
            true,
            true,
            false,
            Ok(Step::Cached(Box::new(resolved.clone()))),
        ),
        (true, true, true, Ok(Step::Cached(Box::new(resolved)))),
        (true, false, false, Ok(Step::FetchLocked(version("0.1.0")))),
        (true, false, true, Err(not_cached)),
        // Nothing locked: a cache path (the caller has none to look up) is
        // ignored.
        (false, true, false, Ok(Step::ListVersions)),
        (false, true, true, Err(not_locked)),
        (false, false, false, Ok(Step::ListVersions)),
        (false, false, true, Err(not_locked)),
    ];
    for (is_locked, cached, offline, want) in cases {
        let update = if is_locked { &nothing } else { &all };
        let pending = policy(&lock, update, offline).dependency(
            package("t:dep"),
            registry("reg.example"),
            req("=0.1.0"),
        );
        assert_eq!(pending.locked().is_some(), is_locked);
        let got = pending.step(cached.then(|| cache.clone()));
        let label = format!("locked={is_locked} cached={cached} offline={offline}");
        match (got, want) {
            (Ok(got), Ok(want)) => assert_eq!(got, want, "{label}"),
            (Err(err), Err(message)) => {
                assert_eq!(err.to_string(), message, "{label}");
                assert_eq!(err.kind(), DependencyErrorKind::Offline, "{label}");
                assert!(!err.is_not_found());
                assert_eq!(err.package(), &package("t:dep"));
            }
            (got, want) => panic!("{label}: got {got:?}, want {want:?}"),
        }
    }
}

fn pending(requirement: &str) -> Pending {
    let lock = LockFile::default();
    let update = Update::Nothing;
    policy(&lock, &update, false).dependency(
        package("t:dep"),
        registry("reg.example"),
        req(requirement),
    )
}

#[test]
fn good_version_choices() {
    let cases: &[(&str, &[&str], &str)] = &[
        ("*", &["0.1.0", "1.2.0", "0.9.9"], "1.2.0"),
        ("^0.1", &["0.1.0", "0.1.9", "0.2.0", "0.1.10"], "0.1.10"),
        ("=0.1.0", &["0.1.0", "0.1.1"], "0.1.0"),
        ("^1", &["1.0.0", "2.0.0", "1.5.3"], "1.5.3"),
        (">=1.0.0, <1.5.0", &["1.4.9", "1.5.0", "0.9.0"], "1.4.9"),
        // Pre-releases: `*` and `^1` skip them, a requirement naming a
        // pre-release of the same version matches later pre-releases and
        // releases, but not pre-releases of other versions.
        ("*", &["1.0.0", "2.0.0-rc.1"], "1.0.0"),
        ("^1", &["1.0.0", "1.1.0-rc.1"], "1.0.0"),
        (
            "=2.0.0-rc.1",
            &["1.0.0", "2.0.0-rc.1", "2.0.0"],
            "2.0.0-rc.1",
        ),
        (">=2.0.0-rc.1", &["2.0.0-rc.1", "2.0.0-rc.2"], "2.0.0-rc.2"),
        (
            ">=2.0.0-rc.1",
            &["2.0.0-rc.2", "2.1.0-rc.1", "2.0.5"],
            "2.0.5",
        ),
        ("^2.0.0-rc.1", &["2.0.0-rc.1", "2.0.0"], "2.0.0"),
        // The same version listed twice.
        ("*", &["1.0.0", "1.0.0"], "1.0.0"),
    ];
    for (requirement, list, want) in cases {
        let list = versions(list);
        let pending = pending(requirement);
        assert_eq!(
            pending.choose(&list).unwrap(),
            version(want),
            "{requirement} {list:?}"
        );
        assert_eq!(
            highest_match(&req(requirement), &list),
            Some(&version(want))
        );
    }
}

#[test]
fn bad_version_choices() {
    let cases: &[(&str, &[&str], DependencyErrorKind, &str)] = &[
        (
            "*",
            &[],
            DependencyErrorKind::NotFound,
            "package `t:dep` was not found in registry `reg.example`",
        ),
        (
            "=9.0.0",
            &["0.2.0", "0.10.0", "0.1.0"],
            DependencyErrorKind::NoMatch,
            "no release of `t:dep` in registry `reg.example` matches `=9.0.0` (it has 0.1.0, 0.2.0, 0.10.0)",
        ),
        (
            "*",
            &["1.0.0-rc.2", "1.0.0-rc.1"],
            DependencyErrorKind::NoMatch,
            "no release of `t:dep` in registry `reg.example` matches `*` (it has 1.0.0-rc.1, 1.0.0-rc.2)",
        ),
        (
            "^1.1",
            &["1.0.0", "1.1.0-rc.1", "2.0.0"],
            DependencyErrorKind::NoMatch,
            "no release of `t:dep` in registry `reg.example` matches `^1.1` (it has 1.0.0, 1.1.0-rc.1, 2.0.0)",
        ),
    ];
    for (requirement, list, kind, message) in cases {
        let err = pending(requirement).choose(&versions(list)).unwrap_err();
        assert_eq!(err.kind(), *kind, "{requirement} {list:?}");
        assert_eq!(err.is_not_found(), *kind == DependencyErrorKind::NotFound);
        assert_eq!(err.to_string(), *message);
        assert_eq!(err.package(), &package("t:dep"));
    }
    // The versions are kept, sorted.
    let err = pending("=9.0.0")
        .choose(&versions(&["0.2.0", "0.1.0"]))
        .unwrap_err();
    assert!(matches!(
        err,
        DependencyError::NoMatch { ref versions, .. } if versions == &[version("0.1.0"), version("0.2.0")]
    ));
}

#[test]
fn digest_check() {
    let lock = sample_lock();
    let update = Update::Nothing;
    let policy = policy(&lock, &update, false);
    let locked = policy.dependency(package("t:dep"), registry("reg.example"), req("=0.1.0"));
    assert_eq!(locked.check_digest(&digest(DIGEST_A)), Ok(()));
    let err = locked.check_digest(&digest(DIGEST_B)).unwrap_err();
    assert_eq!(err.kind(), DependencyErrorKind::DigestMismatch);
    assert!(!err.is_not_found());
    assert_eq!(
        err.to_string(),
        format!(
            "`t:dep@0.1.0` in registry `reg.example` has digest {DIGEST_B}, but `/p/wkg.lock` \
             locks digest {DIGEST_A}; the tag was re-pushed with other content. If that is \
             expected, run `wkg update t:dep`"
        )
    );

    // Nothing locked: nothing to check against.
    let fresh = policy.dependency(package("t:new"), registry("reg.example"), req("*"));
    assert_eq!(fresh.check_digest(&digest(DIGEST_B)), Ok(()));
}

#[test]
fn release_context() {
    let lock = sample_lock();
    let update = Update::Nothing;
    let policy = policy(&lock, &update, false);
    let locked = policy.dependency(package("t:dep"), registry("reg.example"), req("^0.1"));
    assert_eq!(
        locked.release_context(&version("0.1.2")),
        "the locked release `t:dep@0.1.2` is gone from registry `reg.example`; \
         run `wkg update t:dep` to choose another"
    );
    let fresh = policy.dependency(package("t:dep"), registry("reg.example"), req("^0.2"));
    assert_eq!(
        fresh.release_context(&version("0.2.0")),
        "resolving `t:dep@0.2.0`"
    );
}

fn resolved(name: &str, reg: &str, requirement: &str, v: &str, d: &str) -> ResolvedDependency {
    pending_for(name, reg, requirement).resolved(
        version(v),
        digest(d),
        PathBuf::from(format!("/cache/{v}")),
    )
}

fn pending_for(name: &str, reg: &str, requirement: &str) -> Pending {
    let lock = LockFile::default();
    let update = Update::Nothing;
    policy(&lock, &update, false).dependency(package(name), registry(reg), req(requirement))
}

#[test]
fn lock_from_resolved_dependencies() {
    assert_eq!(lock(&[]), LockFile::default());

    let deps = [
        resolved("t:dep", "reg.example", "^0.1", "0.1.2", DIGEST_B),
        resolved("t:dep", "reg.example", "=0.1.0", "0.1.0", DIGEST_A),
        resolved("t:other", "reg.example", "*", "1.0.0", DIGEST_A),
    ];
    let built = lock(&deps);
    assert_eq!(built, sample_lock());
    assert_eq!(built.to_toml(), sample_lock().to_toml());

    // The same package from two registries: two entries.
    let two = lock(&[
        resolved("t:dep", "b.example", "*", "1.0.0", DIGEST_A),
        resolved("t:dep", "a.example", "*", "2.0.0", DIGEST_B),
    ]);
    let registries: Vec<Option<&str>> =
        two.packages.iter().map(|p| p.registry.as_deref()).collect();
    assert_eq!(registries, [Some("a.example"), Some("b.example")]);

    // What the lock records, the next run reuses from the cache.
    let update = Update::Nothing;
    let next = policy(&built, &update, true).dependency(
        package("t:dep"),
        registry("reg.example"),
        req("^0.1"),
    );
    let Ok(Step::Cached(dep)) = next.step(Some(PathBuf::from("/cache/0.1.2"))) else {
        panic!("the locked release should come from the cache");
    };
    assert_eq!(*dep, deps[0]);
}

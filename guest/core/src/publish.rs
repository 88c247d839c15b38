//! The pure parts of `wkg publish`: which published versions a new one is
//! checked against, the manifest annotations it gets (wkg-behaviour §4.6,
//! §4.7), and the waves several packages are published in (§1.5).

use std::collections::BTreeMap;

use semver::Version;

use crate::package::PackageRef;

use crate::manifest::{
    AUTHORS_ANNOTATION, DESCRIPTION_ANNOTATION, LICENSES_ANNOTATION, SOURCE_ANNOTATION,
    URL_ANNOTATION, VERSION_ANNOTATION,
};

/// Whether `a` and `b` are in one compatibility series, cargo's `^`:
/// `X.*` for `X ≥ 1`, `0.Y.*` for `Y ≥ 1`, and `0.0.Z` alone.
/// Build metadata and pre-release tags play no part.
pub fn same_series(a: &Version, b: &Version) -> bool {
    match (a.major, a.minor) {
        (0, 0) => b.major == 0 && b.minor == 0 && b.patch == a.patch,
        (0, minor) => b.major == 0 && b.minor == minor,
        (major, _) => b.major == major,
    }
}

/// The published releases `new` must stay compatible with: the nearest
/// lower and the nearest higher release of its series, pre-releases
/// excluded (as semver ranges exclude them). Equal versions are neither.
pub fn neighbours<'a>(
    published: &'a [Version],
    new: &Version,
) -> (Option<&'a Version>, Option<&'a Version>) {
    let series = || {
        published
            .iter()
            .filter(|v| v.pre.is_empty() && same_series(new, v))
    };
    let lower = series()
        .filter(|v| cmp(v, new).is_lt())
        .max_by(|a, b| cmp(a, b));
    let higher = series()
        .filter(|v| cmp(v, new).is_gt())
        .min_by(|a, b| cmp(a, b));
    (lower, higher)
}

/// Semver precedence (build metadata ignored).
fn cmp(a: &Version, b: &Version) -> std::cmp::Ordering {
    a.cmp_precedence(b)
}

/// The metadata a package carries in its wasm-metadata custom sections,
/// each as its text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PackageMetadata {
    pub description: Option<String>,
    pub licenses: Option<String>,
    pub source: Option<String>,
    pub homepage: Option<String>,
    pub authors: Option<String>,
}

/// The manifest annotations `wkg publish` sets: the version always, then
/// description, licenses, source, url (the homepage) and authors when the
/// package has them.
pub fn annotations(version: &Version, metadata: &PackageMetadata) -> BTreeMap<String, String> {
    let mut out = BTreeMap::from([(VERSION_ANNOTATION.to_owned(), version.to_string())]);
    let fields = [
        (DESCRIPTION_ANNOTATION, &metadata.description),
        (LICENSES_ANNOTATION, &metadata.licenses),
        (SOURCE_ANNOTATION, &metadata.source),
        (URL_ANNOTATION, &metadata.homepage),
        (AUTHORS_ANNOTATION, &metadata.authors),
    ];
    for (key, value) in fields {
        if let Some(value) = value {
            out.insert(key.to_owned(), value.clone());
        }
    }
    out
}

/// Why a set of packages cannot be published together.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PlanError {
    /// Two of the packages have one name.
    #[error("package `{0}` is given twice")]
    Duplicate(PackageRef),
    /// The packages use each other in a circle.
    #[error("packages {} depend on each other in a cycle", list(.0))]
    Cycle(Vec<PackageRef>),
}

fn list(packages: &[PackageRef]) -> String {
    let names: Vec<String> = packages.iter().map(|p| format!("`{p}`")).collect();
    names.join(", ")
}

/// The order to publish `packages` (each with the packages it uses) in:
/// waves of indexes into `packages`, each wave using only packages of
/// earlier waves (or packages not in the set). Within a wave, the input
/// order is kept.
///
/// # Errors
/// [`PlanError::Duplicate`] for a name given twice, [`PlanError::Cycle`]
/// naming the packages that cannot be ordered.
pub fn waves(packages: &[(PackageRef, Vec<PackageRef>)]) -> Result<Vec<Vec<usize>>, PlanError> {
    let mut seen = std::collections::BTreeSet::new();
    for (name, _) in packages {
        if !seen.insert(name) {
            return Err(PlanError::Duplicate(name.clone()));
        }
    }
    let mut done = vec![false; packages.len()];
    let mut waves = Vec::new();
    while done.iter().any(|d| !d) {
        let ready: Vec<usize> = (0..packages.len())
            .filter(|&i| !done[i])
            .filter(|&i| {
                packages[i].1.iter().all(|dep| {
                    dep == &packages[i].0
                        || packages
                            .iter()
                            .position(|(n, _)| n == dep)
                            .is_none_or(|j| done[j])
                })
            })
            .collect();
        if ready.is_empty() {
            let left = (0..packages.len())
                .filter(|&i| !done[i])
                .map(|i| packages[i].0.clone())
                .collect();
            return Err(PlanError::Cycle(left));
        }
        for &i in &ready {
            done[i] = true;
        }
        waves.push(ready);
    }
    Ok(waves)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Version {
        s.parse().unwrap()
    }

    #[test]
    fn series_follow_caret() {
        assert!(same_series(&v("1.2.3"), &v("1.9.0")));
        assert!(!same_series(&v("1.2.3"), &v("2.0.0")));
        assert!(same_series(&v("0.2.3"), &v("0.2.0")));
        assert!(!same_series(&v("0.2.3"), &v("0.3.0")));
        assert!(same_series(&v("0.0.3"), &v("0.0.3")));
        assert!(!same_series(&v("0.0.3"), &v("0.0.4")));
    }

    #[test]
    fn neighbours_are_nearest_in_series_without_prereleases() {
        let published: Vec<Version> = [
            "0.1.0",
            "0.2.0",
            "0.2.1",
            "0.2.5-rc.1",
            "0.2.7",
            "0.2.9",
            "0.3.0",
        ]
        .iter()
        .map(|s| v(s))
        .collect();
        let (lower, higher) = neighbours(&published, &v("0.2.5"));
        assert_eq!(lower, Some(&v("0.2.1")));
        assert_eq!(higher, Some(&v("0.2.7")));
        let (lower, higher) = neighbours(&published, &v("0.2.10"));
        assert_eq!(lower, Some(&v("0.2.9")));
        assert_eq!(higher, None);
        assert_eq!(neighbours(&published, &v("0.4.0")), (None, None));
        // An equal version is not a neighbour (it is a duplicate).
        assert_eq!(
            neighbours(&published, &v("0.2.7")),
            (Some(&v("0.2.1")), Some(&v("0.2.9")))
        );
    }

    #[test]
    fn annotations_always_carry_the_version() {
        let metadata = PackageMetadata {
            description: Some("HTTP types".into()),
            homepage: Some("https://example.com".into()),
            ..PackageMetadata::default()
        };
        let a = annotations(&v("0.2.3"), &metadata);
        assert_eq!(a["org.opencontainers.image.version"], "0.2.3");
        assert_eq!(a["org.opencontainers.image.description"], "HTTP types");
        assert_eq!(a["org.opencontainers.image.url"], "https://example.com");
        assert_eq!(a.len(), 3);
    }

    fn p(s: &str) -> PackageRef {
        s.parse().unwrap()
    }

    #[test]
    fn waves_follow_dependencies() {
        // wkg's transitive-local fixture: a uses b, b uses c and d-less
        // nested, c:baz uses c:nested.
        let packages = vec![
            (p("example-a:foo"), vec![p("example-b:bar")]),
            (p("example-b:bar"), vec![p("example-c:baz"), p("wasi:io")]),
            (p("example-c:baz"), vec![p("example-c:nested")]),
            (p("example-c:nested"), vec![]),
            (p("example-d:foo"), vec![]),
        ];
        assert_eq!(
            waves(&packages).unwrap(),
            [vec![3, 4], vec![2], vec![1], vec![0]]
        );
    }

    #[test]
    fn waves_refuse_duplicates_and_cycles() {
        let dup = vec![(p("a:x"), vec![]), (p("a:x"), vec![])];
        assert_eq!(waves(&dup), Err(PlanError::Duplicate(p("a:x"))));
        let cycle = vec![
            (p("a:x"), vec![p("a:y")]),
            (p("a:y"), vec![p("a:x")]),
            (p("a:z"), vec![]),
        ];
        let err = waves(&cycle).unwrap_err();
        assert_eq!(err, PlanError::Cycle(vec![p("a:x"), p("a:y")]));
        assert_eq!(
            err.to_string(),
            "packages `a:x`, `a:y` depend on each other in a cycle"
        );
    }
}

//! The library's modules form layers: each top-level module imports only from the layers
//! before it, and no two modules of one folder import each other, directly or through
//! others. Read from the source, so that a new `use` that reaches back up fails here.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The top-level modules in their order: each may import from those before it only.
/// Configuration is read into a policy, the decision engine judges candidate paths against a
/// policy, reports describe decisions, verifiers feed paths to the engine and hand its outcome
/// to the reporters, and the dynamic store combines loaded policies with a verifier.
const LAYERS: &[&str] = &[
    "date", "der", "policy", "config", "decision", "report", "verifier", "dynamic",
];

/// Public facades that only re-export or wrap the layers; nothing imports from them.
const FACADES: &[&str] = &["danger", "unstable_bench"];

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(path: &Path, out: &mut Vec<PathBuf>) {
    if path.is_dir() {
        let mut entries: Vec<_> = std::fs::read_dir(path)
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .collect();
        entries.sort();
        for entry in entries {
            rust_files(&entry, out);
        }
    } else if path.extension().is_some_and(|extension| extension == "rs") {
        out.push(path.to_path_buf());
    }
}

/// The source without comments (doc links name modules without importing them).
fn code_of(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    text.lines()
        .map(|line| match line.find("//") {
            Some(at) => &line[..at],
            None => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn identifier_at(text: &str) -> &str {
    let end = text
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(text.len());
    &text[..end]
}

/// The paths written after `prefix` (`crate::`, also as a macro's `$crate::`, or `super::`):
/// `a::b::C` gives `["a", "b", "C"]`, a group `a::{b::C, d}` gives `["a", "b", "C"]` and
/// `["a", "d"]`.
fn paths_after(code: &str, prefix: &str) -> Vec<Vec<String>> {
    let mut paths = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find(prefix) {
        let preceded_by_identifier = rest[..at]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
        rest = &rest[at + prefix.len()..];
        if preceded_by_identifier {
            continue;
        }
        collect_paths(rest, Vec::new(), &mut paths);
    }
    paths
}

fn collect_paths(text: &str, mut path: Vec<String>, out: &mut Vec<Vec<String>>) {
    let mut text = text;
    loop {
        if let Some(group) = text.strip_prefix('{') {
            let mut depth = 1;
            let mut start = 0;
            for (index, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' | ',' if depth == 1 => {
                        collect_paths(group[start..index].trim_start(), path.clone(), out);
                        start = index + 1;
                        if c == '}' {
                            return;
                        }
                    }
                    '}' => depth -= 1,
                    _ => {}
                }
            }
            return;
        }
        let identifier = identifier_at(text);
        if identifier.is_empty() {
            break;
        }
        path.push(identifier.to_owned());
        text = &text[identifier.len()..];
        match text.strip_prefix("::") {
            Some(after) => text = after,
            None => break,
        }
    }
    if !path.is_empty() {
        out.push(path);
    }
}

/// The modules of one folder (files and subfolders, without `mod.rs`/`lib.rs`), each with
/// its source files.
fn modules_of(folder: &Path) -> BTreeMap<String, Vec<PathBuf>> {
    let mut modules = BTreeMap::new();
    for entry in std::fs::read_dir(folder).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        let mut files = Vec::new();
        rust_files(&path, &mut files);
        if files.is_empty() || name == "mod.rs" || name == "lib.rs" {
            continue;
        }
        modules.insert(name.trim_end_matches(".rs").to_owned(), files);
    }
    modules
}

/// Which modules of `folder` (at `prefix` in the crate) each module of it imports.
fn imports_within(folder: &Path, prefix: &[&str]) -> BTreeMap<String, BTreeSet<String>> {
    let modules = modules_of(folder);
    let mut imports = BTreeMap::new();
    for (module, files) in &modules {
        let mut targets = BTreeSet::new();
        for file in files {
            let code = code_of(file);
            let mut paths = paths_after(&code, "crate::");
            if !prefix.is_empty() && file.parent() == Some(folder) {
                paths.extend(paths_after(&code, "super::").into_iter().map(|path| {
                    prefix
                        .iter()
                        .map(|part| part.to_string())
                        .chain(path)
                        .collect()
                }));
            }
            for path in paths {
                if path.len() > prefix.len() && path.iter().zip(prefix).all(|(a, b)| a == b) {
                    let target = &path[prefix.len()];
                    if target != module && modules.contains_key(target) {
                        targets.insert(target.clone());
                    }
                }
            }
        }
        imports.insert(module.clone(), targets);
    }
    imports
}

/// A cycle among `imports`, if there is one.
fn find_cycle(imports: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        module: &str,
        imports: &BTreeMap<String, BTreeSet<String>>,
        stack: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = stack.iter().position(|on_stack| on_stack == module) {
            let mut cycle = stack[at..].to_vec();
            cycle.push(module.to_owned());
            return Some(cycle);
        }
        if done.contains(module) {
            return None;
        }
        stack.push(module.to_owned());
        for target in imports.get(module).into_iter().flatten() {
            if let Some(cycle) = visit(target, imports, stack, done) {
                return Some(cycle);
            }
        }
        stack.pop();
        done.insert(module.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    imports
        .keys()
        .find_map(|module| visit(module, imports, &mut Vec::new(), &mut done))
}

#[test]
fn every_top_level_module_is_a_known_layer_or_facade() {
    let modules: BTreeSet<String> = modules_of(&src()).into_keys().collect();
    let known: BTreeSet<String> = LAYERS
        .iter()
        .chain(FACADES)
        .map(|name| name.to_string())
        .collect();
    assert_eq!(modules, known);
}

#[test]
fn each_layer_imports_only_from_the_layers_before_it() {
    let imports = imports_within(&src(), &[]);
    let mut reaching_back = Vec::new();
    for (module, targets) in &imports {
        for target in targets {
            let allowed = match LAYERS.iter().position(|layer| layer == module) {
                Some(rank) => LAYERS[..rank].contains(&target.as_str()),
                // A facade may use any layer, but not another facade.
                None => !FACADES.contains(&target.as_str()),
            };
            if !allowed {
                reaching_back.push(format!("{module} -> {target}"));
            }
        }
    }
    assert_eq!(reaching_back, Vec::<String>::new(), "imports: {imports:?}");
}

#[test]
fn no_two_modules_of_one_folder_import_each_other() {
    let mut folders = vec![(src(), Vec::<String>::new())];
    while let Some((folder, prefix)) = folders.pop() {
        let prefix_parts: Vec<&str> = prefix.iter().map(String::as_str).collect();
        let imports = imports_within(&folder, &prefix_parts);
        assert_eq!(find_cycle(&imports), None, "in {}", folder.display());
        for entry in std::fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                let mut inner = prefix.clone();
                inner.push(path.file_name().unwrap().to_str().unwrap().to_owned());
                folders.push((path, inner));
            }
        }
    }
}

#[test]
fn the_import_reader_sees_single_grouped_and_nested_paths() {
    let code = "use crate::policy::pin::Pin;\nuse crate::{date::Date, decision::{judge, search::Search}};\nlet x = $crate::report::Outcome;";
    assert_eq!(
        paths_after(code, "crate::"),
        vec![
            vec!["policy", "pin", "Pin"],
            vec!["date", "Date"],
            vec!["decision", "judge"],
            vec!["decision", "search", "Search"],
            vec!["report", "Outcome"],
        ]
    );
    let mut imports = BTreeMap::new();
    imports.insert("a".to_owned(), BTreeSet::from(["b".to_owned()]));
    imports.insert("b".to_owned(), BTreeSet::from(["c".to_owned()]));
    imports.insert("c".to_owned(), BTreeSet::from(["a".to_owned()]));
    assert_eq!(
        find_cycle(&imports),
        Some(vec!["a".into(), "b".into(), "c".into(), "a".into()])
    );
    imports.get_mut("c").unwrap().clear();
    assert_eq!(find_cycle(&imports), None);
}

//! The shape of `src/`, checked: no two files depend on each other, even
//! through others, and each layer uses only the layers below it.
//!
//! A file depends on another when it names it by path: `use crate::…`,
//! `crate::…::f()` inline, `super::…`, `self::…`. A `mod child;` declaration
//! is not a dependency (the parent owns the child, it does not use it), nor
//! is anything inside `#[cfg(test)]` modules.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The layers, top first: a file may use its own layer and those after it.
const LAYERS: &[(&str, &[&str])] = &[
    ("entry", &["main", "bin", "cli"]),
    ("startup", &["startup", "shutdown", "config"]),
    ("web and API", &["web", "api", "monitoring", "error", "state"]),
    ("services", &["services", "mail"]),
    ("authentication and storage", &["auth", "db"]),
    ("foundations", &["domain", "telemetry", "percent", "clock", "random"]),
];

/// A file of `src/` by its module path (`["db", "api_keys"]`; `lib.rs` is `[]`).
type Module = Vec<String>;

struct Source {
    files: BTreeMap<Module, PathBuf>,
}

impl Source {
    fn read(root: &Path) -> Source {
        let mut files = BTreeMap::new();
        collect(root, root, &mut files);
        Source { files }
    }

    /// The file that holds the item at `path` (the longest prefix that is a file).
    fn file_of(&self, path: &[String]) -> Option<Module> {
        (0..=path.len()).rev().map(|n| path[..n].to_vec()).find(|prefix| self.files.contains_key(prefix))
    }

    /// Every file each file depends on, with the path it names it by.
    fn dependencies(&self) -> BTreeMap<Module, BTreeMap<Module, String>> {
        let mut graph = BTreeMap::new();
        for (module, file) in &self.files {
            let code = without_tests(&without_comments(&std::fs::read_to_string(file).unwrap()));
            let mut edges = BTreeMap::new();
            for path in named_paths(&code) {
                let absolute = match path.first().map(String::as_str) {
                    Some("crate") => path[1..].to_vec(),
                    Some("self") => [module.clone(), path[1..].to_vec()].concat(),
                    Some("super") => {
                        let ups = path.iter().take_while(|s| *s == "super").count();
                        let base = &module[..module.len().saturating_sub(ups)];
                        [base, &path[ups..]].concat()
                    }
                    _ => continue,
                };
                if let Some(target) = self.file_of(&absolute)
                    && &target != module
                {
                    edges.entry(target).or_insert_with(|| path.join("::"));
                }
            }
            graph.insert(module.clone(), edges);
        }
        graph
    }
}

fn collect(root: &Path, dir: &Path, files: &mut BTreeMap<Module, PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect(root, &path, files);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let relative = path.strip_prefix(root).unwrap().with_extension("");
            let mut module: Module = relative.iter().map(|s| s.to_string_lossy().into_owned()).collect();
            if matches!(module.last().map(String::as_str), Some("mod" | "lib")) {
                module.pop();
            }
            files.insert(module, path);
        }
    }
}

fn without_comments(code: &str) -> String {
    code.lines().map(|line| line.split("//").next().unwrap_or("")).collect::<Vec<_>>().join("\n")
}

/// The code without `#[cfg(test)]` items (test modules are not part of the shape).
fn without_tests(code: &str) -> String {
    let mut out = String::new();
    let mut rest = code;
    while let Some(at) = rest.find("#[cfg(test)]") {
        out.push_str(&rest[..at]);
        let after = &rest[at..];
        let Some(open) = after.find('{') else { break };
        let semicolon = after.find(';').unwrap_or(usize::MAX);
        if semicolon < open {
            rest = &after[semicolon + 1..];
            continue;
        }
        let mut depth = 0;
        let mut end = after.len();
        for (i, c) in after[open..].char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = open + i + 1;
                        break;
                    }
                }
                _ => {}
            }
        }
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

/// Every path starting with `crate`, `self` or `super`, with `use` groups
/// (`crate::a::{b, c::d}`) expanded.
fn named_paths(code: &str) -> Vec<Vec<String>> {
    let chars: Vec<char> = code.chars().collect();
    let mut paths = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let starts_word =
            i == 0 || !(chars[i - 1].is_alphanumeric() || chars[i - 1] == '_' || chars[i - 1] == ':');
        if starts_word {
            for root in ["crate::", "super::", "self::"] {
                if chars[i..].starts_with(&root.chars().collect::<Vec<_>>()) {
                    let (tree, _) = parse_tree(&chars, i);
                    paths.extend(tree);
                    break;
                }
            }
        }
        i += 1;
    }
    paths
}

/// Parses a path or use tree at `i`: its expanded paths and where it ends.
fn parse_tree(chars: &[char], mut i: usize) -> (Vec<Vec<String>>, usize) {
    let mut prefix = Vec::new();
    loop {
        while i < chars.len() && chars[i].is_whitespace() {
            i += 1;
        }
        if i < chars.len() && chars[i] == '{' {
            i += 1;
            let mut all = Vec::new();
            loop {
                while i < chars.len() && (chars[i].is_whitespace() || chars[i] == ',') {
                    i += 1;
                }
                if i >= chars.len() || chars[i] == '}' {
                    i += 1;
                    break;
                }
                let (inner, end) = parse_tree(chars, i);
                all.extend(inner.into_iter().map(|p| [prefix.clone(), p].concat()));
                i = end;
            }
            return (all, i);
        }
        let start = i;
        while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_' || chars[i] == '*') {
            i += 1;
        }
        if start == i {
            return (vec![prefix], i);
        }
        let segment: String = chars[start..i].iter().collect();
        if segment != "*" {
            prefix.push(segment);
        }
        if chars[i..].starts_with(&[':', ':']) {
            i += 2;
        } else {
            return (vec![prefix], i);
        }
    }
}

/// Groups of files that depend on each other (Tarjan's strongly connected components).
fn cycles(graph: &BTreeMap<Module, BTreeMap<Module, String>>) -> Vec<Vec<Module>> {
    struct Walk<'a> {
        graph: &'a BTreeMap<Module, BTreeMap<Module, String>>,
        index: BTreeMap<&'a Module, usize>,
        low: BTreeMap<&'a Module, usize>,
        stack: Vec<&'a Module>,
        on_stack: BTreeSet<&'a Module>,
        found: Vec<Vec<Module>>,
    }
    impl<'a> Walk<'a> {
        fn visit(&mut self, node: &'a Module) {
            let n = self.index.len();
            self.index.insert(node, n);
            self.low.insert(node, n);
            self.stack.push(node);
            self.on_stack.insert(node);
            for next in self.graph[node].keys() {
                if !self.index.contains_key(next) {
                    self.visit(next);
                    let low = self.low[next].min(self.low[node]);
                    self.low.insert(node, low);
                } else if self.on_stack.contains(next) {
                    let low = self.index[next].min(self.low[node]);
                    self.low.insert(node, low);
                }
            }
            if self.low[node] == self.index[node] {
                let mut group = Vec::new();
                while let Some(top) = self.stack.pop() {
                    self.on_stack.remove(top);
                    group.push(top.clone());
                    if top == node {
                        break;
                    }
                }
                if group.len() > 1 {
                    group.sort();
                    self.found.push(group);
                }
            }
        }
    }
    let mut walk = Walk {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        found: Vec::new(),
    };
    for node in graph.keys() {
        if !walk.index.contains_key(node) {
            walk.visit(node);
        }
    }
    walk.found
}

fn name(module: &Module) -> String {
    if module.is_empty() { "lib".to_string() } else { module.join("/") }
}

fn layer_of(module: &Module) -> Option<usize> {
    let top = module.first()?;
    LAYERS.iter().position(|(_, tops)| tops.contains(&top.as_str()))
}

fn source() -> Source {
    Source::read(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"))
}

#[test]
fn no_file_of_src_depends_on_itself_through_others() {
    let graph = source().dependencies();
    let found = cycles(&graph);
    let described: Vec<String> = found
        .iter()
        .map(|group| {
            let members: BTreeSet<&Module> = group.iter().collect();
            let edges: Vec<String> = group
                .iter()
                .flat_map(|from| {
                    graph[from]
                        .iter()
                        .filter(|(to, _)| members.contains(to))
                        .map(move |(to, by)| format!("  {} -> {} ({by})", name(from), name(to)))
                })
                .collect();
            format!("{}:\n{}", group.iter().map(name).collect::<Vec<_>>().join(", "), edges.join("\n"))
        })
        .collect();
    assert!(found.is_empty(), "files that depend on each other:\n{}", described.join("\n"));
}

#[test]
fn each_layer_uses_only_the_layers_below_it() {
    let graph = source().dependencies();
    let mut upward = Vec::new();
    for (from, edges) in &graph {
        let Some(from_layer) = layer_of(from) else { continue };
        for (to, by) in edges {
            if let Some(to_layer) = layer_of(to)
                && to_layer < from_layer
            {
                upward.push(format!(
                    "  {} ({}) uses {} ({}) by {by}",
                    name(from),
                    LAYERS[from_layer].0,
                    name(to),
                    LAYERS[to_layer].0
                ));
            }
        }
    }
    assert!(upward.is_empty(), "dependencies that point up:\n{}", upward.join("\n"));
}

#[test]
fn every_top_level_module_has_a_layer() {
    let unplaced: BTreeSet<String> = source()
        .files
        .keys()
        .filter(|m| !m.is_empty() && layer_of(m).is_none())
        .map(|m| m[0].clone())
        .collect();
    assert!(unplaced.is_empty(), "add these to LAYERS: {unplaced:?}");
}

#[test]
fn the_checker_reads_use_groups_and_inline_paths() {
    let code = "use crate::{a::b, c::{d, e::f}};\nfn x() { crate::g::h(1); super::i::j(); }";
    let paths: Vec<String> = named_paths(code).iter().map(|p| p.join("::")).collect();
    assert_eq!(paths, ["crate::a::b", "crate::c::d", "crate::c::e::f", "crate::g::h", "super::i::j"]);
}

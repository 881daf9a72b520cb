//! One-way imports: no two modules of xtask or the kernel may reach each other, directly or
//! around a circle. A shared concern gets a module of its own that the others call down into.
//!
//! The module tree is read from the sources with `syn`, from each crate root through its `mod`
//! declarations. A module reaches another when its `use` declarations or the paths in its code
//! (`crate::…`, `super::…`, `self::…`, also inside `format!`-like macros) name an item of that
//! module; a path through a re-export (`pub use`) counts for the module that defines the item.
//! Modules are compared with their siblings: a reference from `threads::switch` to `interrupts`
//! makes `threads` reach `interrupts`, one from `threads::switch` to `threads::stack` makes
//! `switch` reach `stack`. A module and the modules it contains (its `tests`, its `super`) do
//! not count as reaching each other, and the crate root, which declares the modules and
//! re-exports their items, is no module's sibling.
//!
//! Not seen: paths written inside `macro_rules!` bodies and macros whose arguments are not
//! expressions, and items reached through a glob re-export (counted for the re-exporting module).
//! `cargo-modules` (which has an `--acyclic` mode) was measured and not used: see CONTRIBUTING.md.

use anyhow::{Context, Result, bail};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::path::{Path, PathBuf};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::visit::{self, Visit};

/// A module's place in its crate: `["threads", "switch"]`; the root is `[]`.
type ModPath = Vec<String>;

/// The crate roots whose module trees are checked: xtask's, and each of the kernel's.
fn crate_roots(root: &Path) -> Result<Vec<PathBuf>> {
    let mut roots = vec![
        root.join("xtask/src/main.rs"),
        root.join("kernel/src/lib.rs"),
        root.join("kernel/src/main.rs"),
    ];
    let bins = root.join("kernel/src/bin");
    let mut more: Vec<PathBuf> = std::fs::read_dir(&bins)
        .with_context(|| format!("could not list {}", bins.display()))?
        .map(|entry| entry.map(|e| e.path()))
        .collect::<std::io::Result<_>>()?;
    more.retain(|path| path.extension().is_some_and(|e| e == "rs"));
    more.sort();
    roots.extend(more);
    Ok(roots)
}

/// Fails naming each import circle in xtask's and the kernel's modules.
pub fn check(root: &Path) -> Result<()> {
    let mut found = Vec::new();
    let (mut modules, mut imports) = (0, 0);
    for crate_root in crate_roots(root)? {
        let read = |path: &Path| std::fs::read_to_string(path).ok();
        let krate = Crate::load(&crate_root, root, &read)?;
        modules += krate.modules.len();
        imports += krate.edges().values().map(Vec::len).sum::<usize>();
        let shown = crate_root.strip_prefix(root).unwrap_or(&crate_root);
        found.extend(
            krate
                .circles()
                .into_iter()
                .map(|circle| format!("in the crate of {}: {circle}", shown.display())),
        );
    }
    if !found.is_empty() {
        bail!(
            "import circles (each shared concern belongs in a module of its own that the others \
             call down into; see CONTRIBUTING.md, \"One-way imports\"):\n{}",
            found.join("\n")
        );
    }
    eprintln!(
        "imports: no circles among the {modules} modules of xtask and the kernel \
         ({imports} imports between sibling modules)"
    );
    Ok(())
}

/// One module: where it is written, what it contains and what it names.
#[derive(Default)]
struct Module {
    /// The file it is written in (an inline module's is its parent's).
    file: PathBuf,
    children: BTreeSet<String>,
    /// Names its `use` declarations bring in, with the path each stands for.
    imports: BTreeMap<String, Vec<String>>,
    /// The paths it names, each with the line it is on.
    references: Vec<(Vec<String>, usize)>,
}

struct Crate {
    modules: BTreeMap<ModPath, Module>,
    /// Taken off the front of file names in messages (the repository, followed by `/`).
    base: String,
}

/// That `from` reaches `to`, and where first.
struct Edge {
    from: String,
    to: String,
    /// `file:line` and the path written there.
    at: String,
}

impl Crate {
    /// Reads the module tree from `root_file` through its `mod` declarations, with `read`
    /// (the file system, or a test's files).
    fn load(
        root_file: &Path,
        base: &Path,
        read: &dyn Fn(&Path) -> Option<String>,
    ) -> Result<Crate> {
        let mut krate = Crate {
            modules: BTreeMap::new(),
            base: match base.to_str() {
                Some("") | None => String::new(),
                Some(base) => format!("{}/", base.trim_end_matches('/')),
            },
        };
        let dir = root_file.parent().unwrap_or(Path::new("")).to_path_buf();
        krate.load_file(root_file, Vec::new(), &dir, read)?;
        Ok(krate)
    }

    fn load_file(
        &mut self,
        file: &Path,
        path: ModPath,
        dir: &Path,
        read: &dyn Fn(&Path) -> Option<String>,
    ) -> Result<()> {
        let text = read(file).with_context(|| format!("{}: could not read it", file.display()))?;
        let parsed = syn::parse_file(&text)
            .map_err(|e| anyhow::anyhow!("{}:{}: {e}", file.display(), e.span().start().line))?;
        self.load_items(&parsed.items, path, file, dir, read)
    }

    /// Adds the module at `path`, written in `file`, with `items`; its file modules are in `dir`.
    fn load_items(
        &mut self,
        items: &[syn::Item],
        path: ModPath,
        file: &Path,
        dir: &Path,
        read: &dyn Fn(&Path) -> Option<String>,
    ) -> Result<()> {
        let mut module = Module {
            file: file.to_path_buf(),
            ..Module::default()
        };
        let mut collector = References::default();
        let mut submodules = Vec::new();
        for item in items {
            match item {
                syn::Item::Mod(declared) => {
                    let name = declared.ident.to_string();
                    if declared.attrs.iter().any(|a| a.path().is_ident("path")) {
                        bail!(
                            "{}:{}: `#[path]` on `mod {name}` is not followed by the import \
                             check (xtask/src/imports.rs)",
                            file.display(),
                            declared.span().start().line
                        );
                    }
                    module.children.insert(name.clone());
                    submodules.push(declared);
                }
                syn::Item::Use(used) => {
                    let mut leaves = Vec::new();
                    use_leaves(&used.tree, &mut Vec::new(), &mut leaves);
                    for (full, name) in leaves {
                        if let Some(name) = name {
                            module.imports.insert(name, full.clone());
                        }
                        collector.found.push((full, used.span().start().line));
                    }
                }
                other => collector.visit_item(other),
            }
        }
        module.references = collector.found;
        self.modules.insert(path.clone(), module);
        for declared in submodules {
            let name = declared.ident.to_string();
            let mut child = path.clone();
            child.push(name.clone());
            let child_dir = dir.join(&name);
            match &declared.content {
                Some((_, items)) => self.load_items(items, child, file, &child_dir, read)?,
                None => {
                    let flat = dir.join(format!("{name}.rs"));
                    let nested = child_dir.join("mod.rs");
                    let found = [&flat, &nested].into_iter().find(|f| read(f).is_some());
                    let Some(found) = found else {
                        bail!(
                            "{}:{}: `mod {name};` has neither {} nor {}",
                            file.display(),
                            declared.span().start().line,
                            flat.display(),
                            nested.display()
                        );
                    };
                    self.load_file(found, child, &child_dir, read)?;
                }
            }
        }
        Ok(())
    }

    /// The module that defines what `path` names when written in module `at`, or None for
    /// anything outside the crate.
    fn resolve(&self, at: &[String], path: &[String], depth: usize) -> Option<ModPath> {
        if depth > 16 {
            return None;
        }
        let (first, rest) = path.split_first()?;
        let mut current: ModPath = match first.as_str() {
            "crate" => Vec::new(),
            "self" => at.to_vec(),
            "super" => at[..at.len().checked_sub(1)?].to_vec(),
            name => {
                let here = self.modules.get(at)?;
                if here.children.contains(name) {
                    let mut child = at.to_vec();
                    child.push(name.to_string());
                    child
                } else if let Some(target) = here.imports.get(name) {
                    // A name brought in by `use`: resolve what it stands for, then the rest.
                    let mut through = target.clone();
                    through.extend_from_slice(rest);
                    return self.resolve(at, &through, depth + 1);
                } else {
                    return None;
                }
            }
        };
        for (index, segment) in rest.iter().enumerate() {
            if segment == "super" {
                current.pop()?;
                continue;
            }
            let module = self.modules.get(&current)?;
            if module.children.contains(segment) {
                current.push(segment.clone());
            } else if let Some(target) = module.imports.get(segment) {
                // A re-export: the item belongs to the module it comes from.
                let mut through = target.clone();
                through.extend_from_slice(&rest[index + 1..]);
                return self.resolve(&current, &through, depth + 1);
            } else {
                // An item defined here.
                break;
            }
        }
        Some(current)
    }

    /// Each module's references as edges between siblings, grouped by their parent.
    fn edges(&self) -> BTreeMap<ModPath, Vec<Edge>> {
        let mut edges: BTreeMap<ModPath, Vec<Edge>> = BTreeMap::new();
        for (from, module) in &self.modules {
            for (path, line) in &module.references {
                let Some(to) = self.resolve(from, path, 0) else {
                    continue;
                };
                let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
                // One contains the other (or they are one module): not an import between two.
                if common == from.len() || common == to.len() {
                    continue;
                }
                let parent = from[..common].to_vec();
                let (a, b) = (from[common].clone(), to[common].clone());
                let siblings = edges.entry(parent).or_default();
                if !siblings.iter().any(|e| e.from == a && e.to == b) {
                    siblings.push(Edge {
                        from: a,
                        to: b,
                        at: format!("{}:{line} `{}`", module.file.display(), path.join("::")),
                    });
                }
            }
        }
        edges
    }

    /// Each circle as `a → b → a`, with where each step is written; one (a shortest) for each
    /// set of modules that all reach one another.
    fn circles(&self) -> Vec<String> {
        let mut circles = Vec::new();
        for (parent, edges) in self.edges() {
            let name = |module: &str| {
                let mut full = parent.clone();
                full.push(module.to_string());
                full.join("::")
            };
            let mut reported: BTreeSet<&str> = BTreeSet::new();
            let nodes: BTreeSet<&str> = edges.iter().map(|e| e.from.as_str()).collect();
            for start in nodes {
                if reported.contains(start) {
                    continue;
                }
                // The modules that reach `start` and are reached from it all reach one another:
                // one set, reported once, by its shortest circle.
                let set: BTreeSet<&str> = reachable(start, &edges)
                    .into_iter()
                    .filter(|module| reachable(module, &edges).contains(start))
                    .collect();
                let Some(circle) = set
                    .iter()
                    .filter_map(|module| shortest_circle(module, &edges))
                    .min_by_key(Vec::len)
                else {
                    continue;
                };
                reported.extend(&set);
                let names: Vec<String> = circle.iter().map(|e| name(&e.from)).collect();
                let mut text = format!("{} → {}", names.join(" → "), names[0]);
                if set.len() > circle.len() {
                    let all: Vec<String> = set.iter().map(|module| name(module)).collect();
                    text += &format!(
                        " (one of the circles among {}, which all reach one another)",
                        all.join(", ")
                    );
                }
                for e in &circle {
                    let at = e.at.strip_prefix(&self.base).unwrap_or(&e.at);
                    text += &format!("\n    {} → {}: {at}", name(&e.from), name(&e.to));
                }
                circles.push(text);
            }
        }
        circles
    }
}

/// The modules reachable from `start` along `edges`.
fn reachable<'a>(start: &str, edges: &'a [Edge]) -> BTreeSet<&'a str> {
    let mut seen = BTreeSet::new();
    let mut queue = VecDeque::from([start.to_string()]);
    while let Some(module) = queue.pop_front() {
        for edge in edges.iter().filter(|e| e.from == module) {
            if seen.insert(edge.to.as_str()) {
                queue.push_back(edge.to.clone());
            }
        }
    }
    seen
}

/// The shortest way from `start` back to itself, as its edges, found breadth first.
fn shortest_circle<'a>(start: &str, edges: &'a [Edge]) -> Option<Vec<&'a Edge>> {
    let mut came_by: BTreeMap<&str, &Edge> = BTreeMap::new();
    let mut queue = VecDeque::from([start]);
    while let Some(module) = queue.pop_front() {
        for edge in edges.iter().filter(|e| e.from == module) {
            if edge.to == start {
                let mut circle = vec![edge];
                let mut at = module;
                while at != start {
                    let step = came_by[at];
                    circle.push(step);
                    at = &step.from;
                }
                circle.reverse();
                return Some(circle);
            }
            if !came_by.contains_key(edge.to.as_str()) {
                came_by.insert(&edge.to, edge);
                queue.push_back(&edge.to);
            }
        }
    }
    None
}

/// Every path a `use` tree names, with the name it brings in (None for a glob or `_`).
fn use_leaves(
    tree: &syn::UseTree,
    prefix: &mut Vec<String>,
    leaves: &mut Vec<(Vec<String>, Option<String>)>,
) {
    match tree {
        syn::UseTree::Path(path) => {
            prefix.push(path.ident.to_string());
            use_leaves(&path.tree, prefix, leaves);
            prefix.pop();
        }
        syn::UseTree::Name(name) => {
            let ident = name.ident.to_string();
            // `use a::{self}` brings in `a` itself.
            let (full, bound) = if ident == "self" {
                (prefix.clone(), prefix.last().cloned())
            } else {
                let mut full = prefix.clone();
                full.push(ident.clone());
                (full, Some(ident))
            };
            leaves.push((full, bound));
        }
        syn::UseTree::Rename(rename) => {
            let mut full = prefix.clone();
            if rename.ident != "self" {
                full.push(rename.ident.to_string());
            }
            let bound = rename.rename.to_string();
            leaves.push((full, (bound != "_").then_some(bound)));
        }
        syn::UseTree::Glob(_) => leaves.push((prefix.clone(), None)),
        syn::UseTree::Group(group) => {
            for tree in &group.items {
                use_leaves(tree, prefix, leaves);
            }
        }
    }
}

/// The paths in items' code that start at the crate, the module or its parent (the others
/// are outside the crate, or reach it through a `use`, which is counted itself).
#[derive(Default)]
struct References {
    found: Vec<(Vec<String>, usize)>,
}

impl<'ast> Visit<'ast> for References {
    fn visit_path(&mut self, path: &'ast syn::Path) {
        let segments: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
        if path.leading_colon.is_none()
            && segments
                .first()
                .is_some_and(|s| s == "crate" || s == "self" || s == "super")
        {
            self.found.push((segments, path.span().start().line));
        }
        visit::visit_path(self, path);
    }

    fn visit_item_use(&mut self, used: &'ast syn::ItemUse) {
        // A `use` inside a function.
        let mut leaves = Vec::new();
        use_leaves(&used.tree, &mut Vec::new(), &mut leaves);
        let line = used.span().start().line;
        self.found
            .extend(leaves.into_iter().map(|(path, _)| (path, line)));
    }

    fn visit_item_mod(&mut self, _: &'ast syn::ItemMod) {
        // A module inside a function body is not followed.
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        // `format!`, `assert!`, `vec!` and the like take expressions separated by commas.
        let parser = Punctuated::<syn::Expr, syn::Token![,]>::parse_terminated;
        if let Ok(arguments) = mac.parse_body_with(parser) {
            for argument in &arguments {
                self.visit_expr(argument);
            }
        }
        visit::visit_macro(self, mac);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The circles among `files` (path, text), read from `src/main.rs`.
    fn circles_in(files: &[(&str, &str)]) -> Result<Vec<String>> {
        let files: BTreeMap<PathBuf, String> = files
            .iter()
            .map(|(path, text)| (PathBuf::from(path), text.to_string()))
            .collect();
        let read = |path: &Path| files.get(path).cloned();
        Ok(Crate::load(Path::new("src/main.rs"), Path::new(""), &read)?.circles())
    }

    /// The first line of each circle: `a → b → a`.
    fn named(circles: Vec<String>) -> Vec<String> {
        circles
            .iter()
            .map(|c| c.lines().next().unwrap().to_string())
            .collect()
    }

    #[test]
    fn a_circle_of_two_is_named_with_where_each_step_is() {
        let circles = circles_in(&[
            (
                "src/main.rs",
                "mod book;\nmod runner;\nfn main() { book::build(); }",
            ),
            (
                "src/book.rs",
                "use crate::runner::deps;\npub fn build() { deps(); }\npub fn root() {}",
            ),
            (
                "src/runner.rs",
                "pub fn deps() {\n    let _ = crate::book::root();\n}",
            ),
        ])
        .unwrap();
        assert_eq!(
            circles,
            ["book → runner → book\n    \
              book → runner: src/book.rs:1 `crate::runner::deps`\n    \
              runner → book: src/runner.rs:2 `crate::book::root`"]
        );
    }

    #[test]
    fn imports_one_way_are_no_circle() {
        let circles = circles_in(&[
            ("src/main.rs", "mod a;\nmod b;\nmod c;\nuse a::f;\nfn main() { f() }"),
            ("src/a.rs", "use crate::b;\npub fn f() { b::g() }"),
            ("src/b.rs", "pub fn g() { super::c::h() }"),
            // The root's items and a module's own tests are not a second module.
            (
                "src/c.rs",
                "pub fn h() { crate::main() }\n#[cfg(test)]\nmod tests {\n    use super::*;\n    #[test]\n    fn t() { h(); self::super::h(); }\n}",
            ),
        ])
        .unwrap();
        assert_eq!(circles, Vec::<String>::new());
    }

    #[test]
    fn a_longer_circle_is_named_in_full() {
        let circles = circles_in(&[
            ("src/main.rs", "mod a;\nmod b;\nmod c;\nfn main() {}"),
            ("src/a.rs", "pub fn f() { crate::b::g() }"),
            (
                "src/b.rs",
                "use crate::c::h as other;\npub fn g() { other() }",
            ),
            (
                "src/c.rs",
                "pub fn h() { let _ = format!(\"{}\", crate::a::f()); }",
            ),
        ])
        .unwrap();
        assert_eq!(named(circles), ["a → b → c → a"]);
    }

    #[test]
    fn submodules_count_for_their_parent_and_among_themselves() {
        let circles = circles_in(&[
            ("src/main.rs", "mod interrupts;\nmod threads;\nfn main() {}"),
            ("src/interrupts.rs", "pub fn vector() { crate::threads::timer_entry() }"),
            (
                "src/threads/mod.rs",
                "mod stack;\nmod switch;\npub fn timer_entry() {}\npub fn spawn() { switch::go(); stack::Stack::new(); }",
            ),
            // Down from threads/, across to interrupts: threads reaches interrupts.
            (
                "src/threads/switch.rs",
                "use super::stack::Stack;\nuse crate::interrupts;\npub fn go() { interrupts::vector(); Stack::new(); }",
            ),
            (
                "src/threads/stack.rs",
                "pub struct Stack;\nimpl Stack { pub fn new() { super::switch::go() } }",
            ),
        ])
        .unwrap();
        assert_eq!(
            named(circles),
            [
                "interrupts → threads → interrupts",
                "threads::stack → threads::switch → threads::stack"
            ]
        );
    }

    #[test]
    fn a_re_export_counts_for_the_module_that_defines_the_item() {
        let files = [
            (
                "src/main.rs",
                "mod pic;\nmod timer;\npub use pic::Pic;\nfn main() {}",
            ),
            ("src/pic.rs", "pub struct Pic;"),
            (
                "src/timer.rs",
                "use crate::Pic;\npub fn tick() -> Pic { Pic }",
            ),
        ];
        let read_pic = |extra: &str| {
            let mut files = files.to_vec();
            let pic = format!("pub struct Pic;\n{extra}");
            files[1].1 = &pic;
            named(circles_in(&files).unwrap())
        };
        assert_eq!(read_pic(""), Vec::<String>::new());
        // pic uses timer, timer uses pic through the root's re-export.
        assert_eq!(
            read_pic("fn f() { crate::timer::tick(); }"),
            ["pic → timer → pic"]
        );
        // The same through a re-export inside a module, and a renamed import.
        let circles = circles_in(&[
            ("src/main.rs", "mod a;\nmod b;\nfn main() {}"),
            (
                "src/a.rs",
                "mod inner;\npub use self::inner::Thing as Shown;\npub fn f() {}",
            ),
            (
                "src/a/inner.rs",
                "pub struct Thing;\nfn g() { crate::b::h() }",
            ),
            ("src/b.rs", "pub fn h() { let _ = crate::a::Shown; }"),
        ])
        .unwrap();
        assert_eq!(named(circles), ["a → b → a"]);
    }

    #[test]
    fn a_missing_module_file_or_bad_rust_is_named() {
        let error = circles_in(&[("src/main.rs", "mod gone;\nfn main() {}")]).unwrap_err();
        assert_eq!(
            error.to_string(),
            "src/main.rs:1: `mod gone;` has neither src/gone.rs nor src/gone/mod.rs"
        );
        let error = circles_in(&[("src/main.rs", "mod a;"), ("src/a.rs", "fn f( {}")])
            .unwrap_err()
            .to_string();
        assert!(error.starts_with("src/a.rs:1: "), "{error}");
    }
}

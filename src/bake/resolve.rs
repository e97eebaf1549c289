//! A target's attributes with its `inherits` applied (buildx `Target.Merge`: parents first,
//! maps merged key by key, other fields replaced). Each target's parents are read once and
//! each target is resolved once, without recursion, so the work is linear in the targets
//! and their `inherits` edges however they are shaped; a cycle is an error.

use std::collections::{HashMap, HashSet};
use std::ops::Range;
use std::rc::Rc;

use hcl_edit::expr::{Expression, ObjectKey};
use hcl_edit::Span;

use super::eval::Val;
use super::model::{Attr, Expr};
use super::short;
use super::Evaluator;
use crate::builds::{excerpt, Error};

/// The evaluated attributes of a target, before defaults.
#[derive(Clone, Default)]
pub(super) struct Resolved {
    pub context: Option<String>,
    pub dockerfile: Option<String>,
    pub inline: Option<String>,
    pub target: Option<String>,
    pub platforms: Option<Vec<String>>,
    pub args: std::collections::BTreeMap<String, String>,
    pub contexts: Vec<ContextAt>,
}

/// A named context: (name, value, file index, line, bytes of the literal value).
pub(super) type ContextAt = (String, String, usize, usize, Option<Range<usize>>);

/// A target's parents, each with the `inherits` attribute that names it.
pub(super) type Parents<'a> = Rc<Vec<(String, Attr<'a>)>>;

impl Resolved {
    /// Bytes of text it holds, what a copy of it costs.
    fn size(&self) -> usize {
        let opt = |o: &Option<String>| o.as_ref().map_or(0, String::len);
        opt(&self.context)
            + opt(&self.dockerfile)
            + opt(&self.inline)
            + opt(&self.target)
            + self
                .platforms
                .iter()
                .flatten()
                .map(String::len)
                .sum::<usize>()
            + self
                .args
                .iter()
                .map(|(k, v)| k.len() + v.len())
                .sum::<usize>()
            + self
                .contexts
                .iter()
                .map(|c| c.0.len() + c.1.len())
                .sum::<usize>()
    }
}

impl<'a> Evaluator<'_, 'a> {
    /// The targets `name` inherits from, in order, as its last `inherits` says; read once.
    pub(super) fn inherits(&self, name: &str) -> Result<Parents<'a>, Error> {
        if let Some(p) = self.parents.borrow().get(name) {
            return Ok(p.clone());
        }
        let mut parents = Vec::new();
        for def in self.model.target(name) {
            if let Some((_, a)) = def.attrs.iter().find(|(k, _)| k == "inherits") {
                parents = self
                    .strings(name, "inherits", *a)?
                    .into_iter()
                    .map(|p| (p, *a))
                    .collect();
            }
        }
        let parents = Rc::new(parents);
        self.parents
            .borrow_mut()
            .insert(name.to_string(), parents.clone());
        Ok(parents)
    }

    /// `name` with its parents applied. Every target reached is resolved once and kept;
    /// a depth-first walk with its own stack, as a chain of inherits may be long.
    pub(super) fn resolve(&self, name: &str) -> Result<Resolved, Error> {
        let mut stack: Vec<(String, usize)> = vec![(name.to_string(), 0)];
        let mut open: HashSet<String> = HashSet::from([name.to_string()]);
        while let Some((current, next)) = stack.last_mut() {
            if self.resolved.borrow().contains_key(current.as_str()) {
                open.remove(current.as_str());
                stack.pop();
                continue;
            }
            let parents = self.inherits(current)?;
            if let Some((parent, attr)) = parents.get(*next) {
                *next += 1;
                if open.contains(parent) {
                    return Err(Error::new(
                        self.model.paths[attr.file],
                        attr.line,
                        format!(
                            "target {} inherits from itself through {}",
                            excerpt(current),
                            excerpt(parent)
                        ),
                    ));
                }
                if self.model.target(parent).is_empty() {
                    return Err(Error::new(
                        self.model.paths[attr.file],
                        attr.line,
                        format!(
                            "target {} inherits from {}, which is not a target",
                            excerpt(current),
                            excerpt(parent)
                        ),
                    ));
                }
                if !self.resolved.borrow().contains_key(parent.as_str()) {
                    open.insert(parent.clone());
                    stack.push((parent.clone(), 0));
                }
                continue;
            }
            let mut out = Resolved::default();
            for (parent, attr) in parents.iter() {
                let p = self.resolved.borrow()[parent.as_str()].clone();
                // Copies of resolved parents count against the budget: a long chain whose
                // targets each add to what they inherit must not grow quadratically.
                self.spend(p.size())
                    .map_err(|e| self.error(self.located(*attr, e), false))?;
                merge(&mut out, p);
            }
            merge(&mut out, self.own(current)?);
            let current = current.clone();
            open.remove(&current);
            stack.pop();
            self.resolved.borrow_mut().insert(current, out);
        }
        let out = self.resolved.borrow()[name].clone();
        Ok(out)
    }

    /// The attributes a target sets itself, over all its blocks in order.
    fn own(&self, name: &str) -> Result<Resolved, Error> {
        let mut own = Resolved::default();
        for def in self.model.target(name) {
            for (key, attr) in &def.attrs {
                let attr = *attr;
                match key.as_str() {
                    "context" => own.context = self.text(name, key, attr)?.or(own.context),
                    "dockerfile" => own.dockerfile = self.text(name, key, attr)?.or(own.dockerfile),
                    "dockerfile-inline" => own.inline = self.text(name, key, attr)?.or(own.inline),
                    "target" => own.target = self.text(name, key, attr)?.or(own.target),
                    "platforms" => own.platforms = Some(self.strings(name, key, attr)?),
                    "args" | "contexts" => self.map_attr(name, key, attr, &mut own)?,
                    _ => {}
                }
            }
        }
        dedupe_contexts(&mut own.contexts);
        Ok(own)
    }

    /// `args` or `contexts`: an object whose null values are skipped.
    fn map_attr(
        &self,
        name: &str,
        key: &str,
        attr: Attr<'a>,
        own: &mut Resolved,
    ) -> Result<(), Error> {
        let map = match self.value(attr).map_err(|l| self.error(l, true))? {
            Val::Map(m) => m,
            Val::Null => Vec::new(),
            _ => {
                return Err(Error::new(
                    self.model.paths[attr.file],
                    attr.line,
                    format!("target {}: {key} must be an object", excerpt(name)),
                ))
            }
        };
        let places = if key == "contexts" {
            self.entry_places(attr)
        } else {
            HashMap::new()
        };
        for (k, v) in map {
            if v == Val::Null {
                continue;
            }
            let Some(text) = v.text() else {
                return Err(Error::new(
                    self.model.paths[attr.file],
                    attr.line,
                    format!(
                        "target {}: {key}.{} must be a string",
                        excerpt(name),
                        short(&k)
                    ),
                ));
            };
            if key == "args" {
                own.args.insert(k, text);
            } else {
                let (line, span) = places.get(&k).cloned().unwrap_or((attr.line, None));
                own.contexts.push((k, text, attr.file, line, span));
            }
        }
        Ok(())
    }

    /// For an object attribute: each key's line and the bytes of its value when it is a
    /// literal string written without escapes (the first entry of a key written twice).
    fn entry_places(&self, attr: Attr<'a>) -> HashMap<String, (usize, Option<Range<usize>>)> {
        let source = self.model.sources[attr.file];
        let mut out = HashMap::new();
        match attr.expr {
            Expr::Hcl(Expression::Object(o)) => {
                for (k, v) in o.iter() {
                    let key = match k {
                        ObjectKey::Ident(i) => i.value().as_str().to_string(),
                        ObjectKey::Expression(Expression::String(s)) => s.value().to_string(),
                        _ => String::new(),
                    };
                    let span = v.expr().span();
                    let line = span
                        .as_ref()
                        .map_or(attr.line, |s| self.model.line(attr.file, Some(s.start)));
                    let literal = match v.expr() {
                        Expression::String(s) => {
                            span.and_then(|r| quoted_inner(source, r, s.value()))
                        }
                        _ => None,
                    };
                    out.entry(key).or_insert((line, literal));
                }
            }
            Expr::Json(n) => {
                for (k, v) in n.entries() {
                    let text = v.as_str().unwrap_or_default();
                    let literal = v
                        .text_span(source)
                        .filter(|_| !text.contains("${") && !text.contains("%{"));
                    let key = k.as_str().unwrap_or_default().to_string();
                    out.entry(key).or_insert((v.line, literal));
                }
            }
            _ => {}
        }
        out
    }
}

/// Apply `from` over `into`.
fn merge(into: &mut Resolved, from: Resolved) {
    for (k, v) in [
        (&mut into.context, from.context),
        (&mut into.dockerfile, from.dockerfile),
        (&mut into.inline, from.inline),
        (&mut into.target, from.target),
    ] {
        if v.is_some() {
            *k = v;
        }
    }
    if from.platforms.is_some() {
        into.platforms = from.platforms;
    }
    into.args.extend(from.args);
    into.contexts.extend(from.contexts);
    dedupe_contexts(&mut into.contexts);
}

/// Keep the last context of each name, in the order of those last ones: what replacing an
/// earlier one in place of appending gives, in one pass rather than one per context.
fn dedupe_contexts(contexts: &mut Vec<ContextAt>) {
    let mut last: HashMap<&str, usize> = HashMap::new();
    for (i, c) in contexts.iter().enumerate() {
        last.insert(c.0.as_str(), i);
    }
    if last.len() == contexts.len() {
        return;
    }
    let keep: Vec<bool> = contexts
        .iter()
        .enumerate()
        .map(|(i, c)| last[c.0.as_str()] == i)
        .collect();
    let mut i = 0;
    contexts.retain(|_| {
        i += 1;
        keep[i - 1]
    });
}

/// The bytes inside the quotes of a string literal, when they are exactly `value`.
fn quoted_inner(source: &str, span: Range<usize>, value: &str) -> Option<Range<usize>> {
    let written = source.get(span.clone())?;
    let inner = written.strip_prefix('"')?.strip_suffix('"')?;
    (inner == value && !inner.contains('\\')).then(|| span.start + 1..span.end - 1)
}

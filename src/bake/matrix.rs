//! A target's `matrix`, as `buildx bake` expands it: one target per combination of the
//! matrix's values, each named by its `name` attribute and evaluated with the matrix's
//! variables in scope. The combinations are capped, one matrix's and all of a file's
//! together, so a small file cannot make many thousands of builds.

use super::eval::Val;
use super::model::Attr;
use super::{short, Evaluator};
use crate::builds::{excerpt, Error};

/// The most targets one matrix may expand to.
pub const MAX_COMBINATIONS: usize = 256;
/// The most targets all the matrices of a file may expand to together.
pub const MAX_GENERATED: usize = 1024;

/// One combination: each matrix variable with its value.
pub(super) type Combination = Vec<(String, Val)>;

impl<'a> Evaluator<'_, 'a> {
    /// The combinations of target `name`'s matrix, in the order buildx makes them (the
    /// variables sorted by name, the last varying fastest); none when it has no matrix.
    pub(super) fn combinations(&self, name: &str) -> Result<Option<Vec<Combination>>, Error> {
        let Some(attr) = self.last_attr(name, "matrix") else {
            return Ok(None);
        };
        let bad = |message: String| Error::new(self.model.paths[attr.file], attr.line, message);
        let mut axes = match self.value(attr).map_err(|l| self.error(l, true))? {
            Val::Map(entries) => entries,
            _ => {
                return Err(bad(format!(
                    "target {}: matrix must be an object of lists",
                    excerpt(name)
                )))
            }
        };
        axes.sort_by(|a, b| a.0.cmp(&b.0));
        let mut all: Vec<Combination> = vec![Vec::new()];
        for (var, values) in axes {
            let Val::List(values) = values else {
                return Err(bad(format!(
                    "target {}: matrix value {} must be a list",
                    excerpt(name),
                    short(&var)
                )));
            };
            if all.len().saturating_mul(values.len()) > MAX_COMBINATIONS {
                return Err(bad(format!(
                    "target {}: matrix makes more than {MAX_COMBINATIONS} targets",
                    excerpt(name)
                )));
            }
            let mut next = Vec::with_capacity(all.len() * values.len());
            for c in &all {
                for v in &values {
                    let mut c = c.clone();
                    c.push((var.clone(), v.clone()));
                    next.push(c);
                }
            }
            all = next;
        }
        let generated = self.generated.get() + all.len();
        self.generated.set(generated);
        if generated > MAX_GENERATED {
            return Err(bad(format!(
                "the matrices of the bake file make more than {MAX_GENERATED} targets together"
            )));
        }
        if self.last_attr(name, "name").is_none() {
            return Err(bad(format!(
                "target {}: a target with a matrix needs a `name` for each combination",
                excerpt(name)
            ))
            .with_help("name each one from the matrix, e.g. name = \"app-${tgt}\""));
        }
        Ok(Some(all))
    }

    /// Target `name` evaluated under `combination`: its generated name, and what it builds.
    pub(super) fn with_combination<T>(
        &self,
        name: &str,
        combination: &Combination,
        f: impl FnOnce(&str) -> Result<T, Error>,
    ) -> Result<(String, T), Error> {
        *self.matrix.borrow_mut() = combination.clone();
        // The target is resolved afresh for each combination.
        self.resolved.borrow_mut().remove(name);
        let out = (|| {
            let attr = self
                .last_attr(name, "name")
                .expect("checked by combinations");
            let generated = self.text(name, "name", attr)?.unwrap_or_default();
            let valid = !generated.is_empty()
                && generated
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
            if !valid {
                return Err(Error::new(
                    self.model.paths[attr.file],
                    attr.line,
                    format!(
                        "target {}: the matrix names a target {}, not [a-zA-Z0-9_.-]+",
                        excerpt(name),
                        excerpt(&generated)
                    ),
                ));
            }
            let built = f(&generated)?;
            Ok((generated, built))
        })();
        self.matrix.borrow_mut().clear();
        self.resolved.borrow_mut().remove(name);
        out
    }

    /// The last `key` attribute target `name` sets in its own blocks.
    fn last_attr(&self, name: &str, key: &str) -> Option<Attr<'a>> {
        self.model.target(name).iter().rev().find_map(|d| {
            d.attrs
                .iter()
                .rev()
                .find(|(k, _)| k == key)
                .map(|(_, a)| *a)
        })
    }
}

//! Variables: the environment's value when the variable may be overridden, else its
//! default, evaluated once. What a default refers to is evaluated before it, deepest
//! first, with a stack of its own: a chain of any length is linear and never recursive,
//! a value doubled at each step stops at the value cap, and a cycle is an error where a
//! use of it is evaluated.

use std::collections::HashSet;

use hcl_edit::expr::{Expression, ObjectKey};
use hcl_edit::template::{Element, Template};

use super::eval::{EvalError, Val};
use super::model::Expr;
use super::{short, Evaluator};
use crate::builds::yaml::{Node, Style, Value};

/// How an error in a variable's default names that default.
pub(super) const IN_DEFAULT: &str = " (in the default of ";

impl Evaluator<'_, '_> {
    /// The value of variable `name`.
    pub(super) fn variable(&self, name: &str) -> Result<Val, EvalError> {
        if let Some(r) = self.cache.borrow().get(name) {
            return r.clone();
        }
        if let Some(v) = self.overridden(name)? {
            return Ok(v);
        }
        if self.stack.borrow().iter().any(|n| n == name) {
            return Err(refers_to_itself(name));
        }
        self.prepare(name);
        let cached = self.cache.borrow().get(name).cloned();
        cached.unwrap_or_else(|| Err(refers_to_itself(name)))
    }

    /// The environment's value of `name` when it may be overridden and is; an error when
    /// there is no such variable.
    fn overridden(&self, name: &str) -> Result<Option<Val>, EvalError> {
        let Some((_, overridable)) = self.model.variables.get(name) else {
            return Err(EvalError::new(
                None,
                format!("unknown variable {}", short(name)),
            ));
        };
        Ok(overridable
            .then(|| self.env.get(name))
            .flatten()
            .map(|v| Val::Str(v.to_string())))
    }

    /// Evaluate `name` and the variables its default refers to, each after those it refers
    /// to, and keep every result. A variable met again while it is being prepared is, for
    /// the moment, an error "refers to itself": it stays one only for a use that
    /// evaluation actually reaches (not, say, the branch of a condition not taken).
    fn prepare(&self, name: &str) {
        let mut open: HashSet<String> = HashSet::from([name.to_string()]);
        let mut stack: Vec<(String, Vec<String>, usize)> =
            vec![(name.to_string(), self.refs(name), 0)];
        while let Some((var, refs, next)) = stack.last_mut() {
            if let Some(dep) = refs.get(*next) {
                *next += 1;
                let dep = dep.clone();
                if open.contains(&dep) {
                    self.cache
                        .borrow_mut()
                        .entry(dep.clone())
                        .or_insert_with(|| Err(refers_to_itself(&dep)));
                } else if !self.cache.borrow().contains_key(&dep)
                    && matches!(self.overridden(&dep), Ok(None))
                {
                    let refs = self.refs(&dep);
                    open.insert(dep.clone());
                    stack.push((dep, refs, 0));
                }
                continue;
            }
            let var = var.clone();
            stack.pop();
            let result = self.evaluate_default(&var);
            open.remove(&var);
            self.cache.borrow_mut().insert(var, result);
        }
    }

    /// `name`'s default, evaluated; an error in it names the default.
    fn evaluate_default(&self, name: &str) -> Result<Val, EvalError> {
        if let Some(v) = self.overridden(name)? {
            return Ok(v);
        }
        let Some((Some(attr), _)) = self.model.variables.get(name) else {
            return Ok(Val::Str(String::new()));
        };
        self.stack.borrow_mut().push(name.to_string());
        let v = self.value(*attr);
        self.stack.borrow_mut().pop();
        v.map_err(|e| EvalError {
            offset: None,
            // Through a chain of variables, the innermost default is the place.
            message: if e.message.contains(IN_DEFAULT) {
                e.message
            } else {
                format!(
                    "{}{IN_DEFAULT}{}, {}:{})",
                    e.message,
                    short(name),
                    self.model.paths[e.path_index].display(),
                    e.line
                )
            },
            limit: e.limit,
        })
    }

    /// The variables `name`'s default refers to (none when the environment overrides it).
    fn refs(&self, name: &str) -> Vec<String> {
        let mut out = Vec::new();
        if let Ok(None) = self.overridden(name) {
            if let Some((Some(attr), _)) = self.model.variables.get(name) {
                match attr.expr {
                    Expr::Hcl(e) => hcl_refs(e, &mut out),
                    Expr::Json(n) => json_refs(n, &mut out),
                }
            }
        }
        out
    }
}

fn refers_to_itself(name: &str) -> EvalError {
    EvalError::new(None, format!("variable {} refers to itself", short(name)))
}

/// The variables an expression refers to where evaluation can reach them (a function's
/// arguments and the like are never evaluated). Parsing bounds the nesting walked.
fn hcl_refs(e: &Expression, out: &mut Vec<String>) {
    match e {
        Expression::Variable(v) => out.push(v.value().as_str().to_string()),
        Expression::Array(a) => a.iter().for_each(|x| hcl_refs(x, out)),
        Expression::Object(o) => {
            for (k, v) in o.iter() {
                if let ObjectKey::Expression(x) = k {
                    hcl_refs(x, out);
                }
                hcl_refs(v.expr(), out);
            }
        }
        Expression::StringTemplate(t) => template_refs(t, out),
        Expression::HeredocTemplate(h) => template_refs(&h.template, out),
        Expression::Parenthesis(p) => hcl_refs(p.inner(), out),
        Expression::Conditional(c) => {
            hcl_refs(&c.cond_expr, out);
            hcl_refs(&c.true_expr, out);
            hcl_refs(&c.false_expr, out);
        }
        Expression::UnaryOp(u) => hcl_refs(&u.expr, out),
        Expression::BinaryOp(b) => {
            hcl_refs(&b.lhs_expr, out);
            hcl_refs(&b.rhs_expr, out);
        }
        _ => {}
    }
}

fn template_refs(t: &Template, out: &mut Vec<String>) {
    for el in t.iter() {
        if let Element::Interpolation(i) = el {
            hcl_refs(&i.expr, out);
        }
    }
}

/// The variables the templates of a JSON value refer to.
fn json_refs(n: &Node, out: &mut Vec<String>) {
    match &n.value {
        Value::Scalar(s) if n.style != Style::Plain && s.contains("${") => {
            if let Ok(t) = hcl_edit::parser::parse_template(s) {
                template_refs(&t, out);
            }
        }
        Value::Scalar(_) => {}
        Value::Seq(items) => items.iter().for_each(|x| json_refs(x, out)),
        Value::Map(entries) => entries.iter().for_each(|(_, v)| json_refs(v, out)),
    }
}

//! Evaluating the part of HCL that bake files use for what is built: literals, lists,
//! objects, string and heredoc templates with `${…}` interpolation, variable references,
//! parentheses, `!`, `==`, `!=`, `&&`, `||` and `? :`. Anything else (function calls,
//! attribute access, `for`, template directives, arithmetic) is an error naming its file
//! and line rather than a guess.

use hcl_edit::expr::{BinaryOperator, Expression, ObjectKey, UnaryOperator};
use hcl_edit::template::{Element, Template};
use hcl_edit::Span;

use crate::builds::yaml::{Node, Style, Value};

/// An evaluated value.
#[derive(Debug, Clone, PartialEq)]
pub enum Val {
    Null,
    Bool(bool),
    /// Numbers are kept as written: bake hands them to the build as text.
    Num(String),
    Str(String),
    List(Vec<Val>),
    Map(Vec<(String, Val)>),
}

impl Val {
    /// The text a build arg or path takes from this value.
    pub fn text(&self) -> Option<String> {
        match self {
            Val::Str(s) | Val::Num(s) => Some(s.clone()),
            Val::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }

    fn kind(&self) -> &'static str {
        match self {
            Val::Null => "null",
            Val::Bool(_) => "a bool",
            Val::Num(_) => "a number",
            Val::Str(_) => "a string",
            Val::List(_) => "a list",
            Val::Map(_) => "an object",
        }
    }

    fn truth(&self) -> Option<bool> {
        match self {
            Val::Bool(b) => Some(*b),
            Val::Str(s) if s == "true" => Some(true),
            Val::Str(s) if s == "false" => Some(false),
            _ => None,
        }
    }
}

/// Where an expression is written and what could not be done with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvalError {
    /// Byte offset in the file, when known.
    pub offset: Option<usize>,
    pub message: String,
}

fn err(offset: Option<usize>, message: impl Into<String>) -> EvalError {
    EvalError {
        offset,
        message: message.into(),
    }
}

/// What a reference to a variable resolves to.
pub trait Scope {
    fn variable(&self, name: &str, offset: Option<usize>) -> Result<Val, EvalError>;
}

/// Deeper nesting than this is refused rather than recursed into.
const MAX_DEPTH: usize = 64;

pub fn hcl(e: &Expression, scope: &dyn Scope) -> Result<Val, EvalError> {
    expr(e, scope, 0)
}

fn at(e: &Expression) -> Option<usize> {
    e.span().map(|s| s.start)
}

fn expr(e: &Expression, scope: &dyn Scope, depth: usize) -> Result<Val, EvalError> {
    if depth > MAX_DEPTH {
        return Err(err(
            at(e),
            format!("expression nested more than {MAX_DEPTH} deep"),
        ));
    }
    let d = depth + 1;
    Ok(match e {
        Expression::Null(_) => Val::Null,
        Expression::Bool(b) => Val::Bool(*b.value()),
        Expression::Number(n) => Val::Num(n.value().to_string()),
        Expression::String(s) => Val::Str(s.value().to_string()),
        Expression::Array(a) => Val::List(
            a.iter()
                .map(|x| expr(x, scope, d))
                .collect::<Result<_, _>>()?,
        ),
        Expression::Object(o) => {
            let mut out = Vec::new();
            for (k, v) in o.iter() {
                let key = match k {
                    ObjectKey::Ident(i) => i.value().as_str().to_string(),
                    ObjectKey::Expression(x) => match expr(x, scope, d)?.text() {
                        Some(t) => t,
                        None => return Err(err(at(x), "an object key must be a string")),
                    },
                };
                out.push((key, expr(v.expr(), scope, d)?));
            }
            Val::Map(out)
        }
        Expression::StringTemplate(t) => Val::Str(template(t, scope, d)?),
        Expression::HeredocTemplate(h) => Val::Str(template(&h.template, scope, d)?),
        Expression::Parenthesis(p) => expr(p.inner(), scope, d)?,
        Expression::Variable(v) => scope.variable(v.value().as_str(), v.span().map(|s| s.start))?,
        Expression::Conditional(c) => {
            let cond = expr(&c.cond_expr, scope, d)?;
            match cond.truth() {
                Some(true) => expr(&c.true_expr, scope, d)?,
                Some(false) => expr(&c.false_expr, scope, d)?,
                None => {
                    return Err(err(
                        at(&c.cond_expr),
                        format!("a condition must be a bool, not {}", cond.kind()),
                    ))
                }
            }
        }
        Expression::UnaryOp(u) => match u.operator.value() {
            UnaryOperator::Not => {
                let v = expr(&u.expr, scope, d)?;
                match v.truth() {
                    Some(b) => Val::Bool(!b),
                    None => {
                        return Err(err(
                            at(&u.expr),
                            format!("`!` needs a bool, not {}", v.kind()),
                        ))
                    }
                }
            }
            UnaryOperator::Neg => match expr(&u.expr, scope, d)? {
                Val::Num(n) if !n.starts_with('-') => Val::Num(format!("-{n}")),
                _ => return Err(err(at(e), "arithmetic is not evaluated")),
            },
        },
        Expression::BinaryOp(b) => {
            let op = *b.operator.value();
            let l = expr(&b.lhs_expr, scope, d)?;
            match op {
                BinaryOperator::Eq | BinaryOperator::NotEq => {
                    let r = expr(&b.rhs_expr, scope, d)?;
                    let same = match (&l, &r) {
                        (Val::Num(a), Val::Num(b)) => {
                            a.parse::<f64>().ok() == b.parse::<f64>().ok()
                        }
                        _ => l == r,
                    };
                    Val::Bool(same == (op == BinaryOperator::Eq))
                }
                BinaryOperator::And | BinaryOperator::Or => {
                    let r = expr(&b.rhs_expr, scope, d)?;
                    match (l.truth(), r.truth()) {
                        (Some(a), Some(c)) => Val::Bool(if op == BinaryOperator::And {
                            a && c
                        } else {
                            a || c
                        }),
                        _ => return Err(err(at(e), "`&&` and `||` need bools")),
                    }
                }
                _ => {
                    return Err(err(
                        at(e),
                        format!("the operator `{}` is not evaluated", op.as_str()),
                    ))
                }
            }
        }
        Expression::FuncCall(f) => {
            return Err(err(
                at(e),
                format!(
                    "the function `{}` is not evaluated",
                    f.name.name.value().as_str()
                ),
            ))
        }
        Expression::Traversal(_) => {
            return Err(err(
                at(e),
                "attribute and index access (`a.b`, `a[0]`) is not evaluated",
            ))
        }
        Expression::ForExpr(_) => return Err(err(at(e), "`for` expressions are not evaluated")),
    })
}

fn template(t: &Template, scope: &dyn Scope, depth: usize) -> Result<String, EvalError> {
    let mut out = String::new();
    for el in t.iter() {
        match el {
            Element::Literal(s) => out.push_str(s.value()),
            Element::Interpolation(i) => {
                let v = expr(&i.expr, scope, depth)?;
                match v.text() {
                    Some(t) => out.push_str(&t),
                    None => {
                        return Err(err(
                            at(&i.expr),
                            format!("cannot put {} into a string", v.kind()),
                        ))
                    }
                }
            }
            Element::Directive(_) => {
                return Err(err(
                    t.span().map(|s| s.start),
                    "template directives (`%{if}`, `%{for}`) are not evaluated",
                ))
            }
        }
    }
    Ok(out)
}

/// A value of a `docker-bake.json` file: strings are templates, as bake's JSON reading has
/// them. Errors carry the node's line in `offset`'s place via [`JsonError`].
pub fn json(n: &Node, scope: &dyn Scope, depth: usize) -> Result<Val, JsonError> {
    if depth > MAX_DEPTH {
        return Err(JsonError::at(
            n.line,
            format!("nested more than {MAX_DEPTH} deep"),
        ));
    }
    Ok(match &n.value {
        Value::Scalar(s) if n.style == Style::Plain => match s.as_str() {
            "null" | "" => Val::Null,
            "true" => Val::Bool(true),
            "false" => Val::Bool(false),
            other => Val::Num(other.to_string()),
        },
        Value::Scalar(s) => {
            let t = hcl_edit::parser::parse_template(s)
                .map_err(|e| JsonError::at(n.line, format!("invalid template: {}", e.message())))?;
            Val::Str(template(&t, scope, 0).map_err(|e| JsonError::at(n.line, e.message))?)
        }
        Value::Seq(items) => Val::List(
            items
                .iter()
                .map(|x| json(x, scope, depth + 1))
                .collect::<Result<_, _>>()?,
        ),
        Value::Map(entries) => Val::Map(
            entries
                .iter()
                .map(|(k, v)| {
                    Ok((
                        k.as_str().unwrap_or_default().to_string(),
                        json(v, scope, depth + 1)?,
                    ))
                })
                .collect::<Result<_, JsonError>>()?,
        ),
    })
}

/// A JSON evaluation error: the line of the value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonError {
    pub line: usize,
    pub message: String,
}

impl JsonError {
    fn at(line: usize, message: impl Into<String>) -> JsonError {
        JsonError {
            line,
            message: message.into(),
        }
    }
}

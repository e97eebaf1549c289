//! Evaluating the part of HCL that bake files use for what is built: literals, lists,
//! objects, string and heredoc templates with `${…}` interpolation, variable references,
//! parentheses, attribute and index access, `!`, `==`, `!=`, `&&`, `||` and `? :`.
//! Anything else (function calls, splats, `for`, template directives, arithmetic) is an
//! error naming its file and line rather than a guess. No value may be longer than [`MAX_VALUE`], and what is
//! built counts against the file's budget through [`Scope::spend`].

use hcl_edit::expr::{BinaryOperator, Expression, ObjectKey, TraversalOperator, UnaryOperator};
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

    /// Bytes of text it holds, and one per item, key and scalar: what a copy of it costs.
    pub fn size(&self) -> usize {
        match self {
            Val::Null | Val::Bool(_) => 1,
            Val::Num(s) | Val::Str(s) => s.len().max(1),
            Val::List(items) => items.iter().map(Val::size).sum::<usize>() + 1,
            Val::Map(entries) => {
                entries
                    .iter()
                    .map(|(k, v)| k.len() + v.size())
                    .sum::<usize>()
                    + 1
            }
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
    /// A limit was hit, rather than something not evaluated.
    pub limit: bool,
}

impl EvalError {
    pub fn new(offset: Option<usize>, message: impl Into<String>) -> EvalError {
        EvalError {
            offset,
            message: message.into(),
            limit: false,
        }
    }

    pub fn limit(offset: Option<usize>, message: String) -> EvalError {
        EvalError {
            offset,
            message,
            limit: true,
        }
    }
}

fn err(offset: Option<usize>, message: impl Into<String>) -> EvalError {
    EvalError::new(offset, message)
}

/// The longest value (string, or list or object by [`Val::size`]) evaluation produces.
pub const MAX_VALUE: usize = 1 << 20;

fn too_long(offset: Option<usize>) -> EvalError {
    EvalError::limit(
        offset,
        format!("a value is longer than {} MiB", MAX_VALUE >> 20),
    )
}

/// Refuse `v` when it is longer than [`MAX_VALUE`], and count it against the budget.
fn checked(v: Val, offset: Option<usize>, scope: &dyn Scope) -> Result<Val, EvalError> {
    let size = v.size();
    if size > MAX_VALUE {
        return Err(too_long(offset));
    }
    scope.spend(size, offset)?;
    Ok(v)
}

/// What a reference to a variable resolves to, and the budget of what is built.
pub trait Scope {
    fn variable(&self, name: &str, offset: Option<usize>) -> Result<Val, EvalError>;
    /// Count `bytes` of values built or copied; an error once the file's budget is spent.
    fn spend(&self, bytes: usize, offset: Option<usize>) -> Result<(), EvalError>;
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
        Expression::Array(a) => checked(
            Val::List(
                a.iter()
                    .map(|x| expr(x, scope, d))
                    .collect::<Result<_, _>>()?,
            ),
            at(e),
            scope,
        )?,
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
            checked(Val::Map(out), at(e), scope)?
        }
        Expression::StringTemplate(t) => checked(Val::Str(template(t, scope, d)?), at(e), scope)?,
        Expression::HeredocTemplate(h) => {
            checked(Val::Str(template(&h.template, scope, d)?), at(e), scope)?
        }
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
        Expression::Traversal(t) => {
            if matches!(&t.expr, Expression::Variable(v) if v.value().as_str() == "target") {
                return Err(err(
                    at(e),
                    "access to another target's attributes (`target.NAME.ATTR`) is not evaluated",
                ));
            }
            let mut v = expr(&t.expr, scope, d)?;
            for op in &t.operators {
                v = step(v, op.value(), scope, d).map_err(|m| err(at(e), m))?;
            }
            checked(v, at(e), scope)?
        }
        Expression::ForExpr(_) => return Err(err(at(e), "`for` expressions are not evaluated")),
    })
}

/// One attribute (`a.b`) or index (`a[0]`, `a["k"]`, `a.0`) step into a value, as a
/// matrix's object values are used; splats are not evaluated.
fn step(v: Val, op: &TraversalOperator, scope: &dyn Scope, depth: usize) -> Result<Val, String> {
    let key = match op {
        TraversalOperator::GetAttr(name) => name.value().as_str().to_string(),
        TraversalOperator::LegacyIndex(i) => i.value().to_string(),
        TraversalOperator::Index(e) => expr(e, scope, depth)
            .map_err(|e| e.message)?
            .text()
            .ok_or("an index must be a number or a string")?,
        TraversalOperator::AttrSplat(_) | TraversalOperator::FullSplat(_) => {
            return Err("splat expressions (`a.*`, `a[*]`) are not evaluated".into())
        }
    };
    let found = match &v {
        Val::Map(entries) => entries
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.clone()),
        Val::List(items) => key
            .parse::<usize>()
            .ok()
            .and_then(|i| items.get(i).cloned()),
        _ => None,
    };
    found.ok_or_else(|| {
        format!(
            "{} has no element {:?}",
            v.kind(),
            key.chars().take(40).collect::<String>()
        )
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
                    // Checked before it is appended: a string never grows past the cap.
                    Some(t) if out.len() + t.len() > MAX_VALUE => {
                        return Err(too_long(at(&i.expr)))
                    }
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
            let text = template(&t, scope, 0).map_err(|e| JsonError::from_eval(n.line, e))?;
            checked(Val::Str(text), None, scope).map_err(|e| JsonError::from_eval(n.line, e))?
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
    .and_then(|v| match &v {
        Val::List(_) | Val::Map(_) => {
            checked(v, None, scope).map_err(|e| JsonError::from_eval(n.line, e))
        }
        _ => Ok(v),
    })
}

/// A JSON evaluation error: the line of the value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonError {
    pub line: usize,
    pub message: String,
    pub limit: bool,
}

impl JsonError {
    fn at(line: usize, message: impl Into<String>) -> JsonError {
        JsonError {
            line,
            message: message.into(),
            limit: false,
        }
    }

    fn from_eval(line: usize, e: EvalError) -> JsonError {
        JsonError {
            line,
            message: e.message,
            limit: e.limit,
        }
    }
}

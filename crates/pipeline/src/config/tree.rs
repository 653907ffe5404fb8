//! A section compiled into plugins of any type `T` under its `if` / `else` tree.

use log_model::LogEvent;

use super::ast::{Node, Plugin};
use super::condition::Condition;
use crate::Result;

/// A section (`filters` or `outputs`) with each plugin built into a `T`, keeping its
/// conditionals.
/// Where in a [`Tree`] a plugin is: (node index, arm index) from the root down.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Position(Vec<(usize, usize)>);

#[derive(Debug)]
pub struct Tree<T> {
    nodes: Vec<TreeNode<T>>,
}

#[derive(Debug)]
enum TreeNode<T> {
    Leaf(T),
    Branch {
        arms: Vec<(Condition, Tree<T>)>,
        otherwise: Option<Tree<T>>,
    },
}

impl<T> Tree<T> {
    /// Builds every plugin of `nodes` with `build`, in config order.
    ///
    /// # Errors
    /// The first error `build` returns.
    pub fn build(nodes: &[Node], build: &mut impl FnMut(&Plugin) -> Result<T>) -> Result<Self> {
        let mut out = Vec::with_capacity(nodes.len());
        for node in nodes {
            out.push(match node {
                Node::Plugin(p) => TreeNode::Leaf(build(p)?),
                Node::Branch(b) => {
                    let mut arms = Vec::with_capacity(b.arms.len());
                    for arm in &b.arms {
                        let condition = super::env::substitute_condition(
                            &arm.condition,
                            &super::env::Environment,
                        )
                        .map_err(|message| crate::Error::ConfigAt {
                            span: arm.span.clone(),
                            message,
                        })?;
                        arms.push((condition, Tree::build(&arm.body, build)?));
                    }
                    let otherwise = match &b.otherwise {
                        Some(body) => Some(Tree::build(body, build)?),
                        None => None,
                    };
                    TreeNode::Branch { arms, otherwise }
                }
            });
        }
        Ok(Self { nodes: out })
    }

    /// Calls `f` for every plugin whose conditions hold for `event`, in config order (what an
    /// output section does with an event).
    pub fn for_each_match(&self, event: &LogEvent, f: &mut impl FnMut(&T)) {
        for node in &self.nodes {
            match node {
                TreeNode::Leaf(t) => f(t),
                TreeNode::Branch { arms, otherwise } => {
                    if let Some(tree) = select(arms, otherwise.as_ref(), event) {
                        tree.for_each_match(event, f);
                    }
                }
            }
        }
    }

    /// Runs `f` on the plugins whose conditions hold, in order, evaluating each condition on the
    /// event as the previous plugins left it (what a filter section does). `f` returns `false`
    /// to stop (the event was dropped); the result is `false` when it did.
    pub fn run(&self, event: &mut LogEvent, f: &mut impl FnMut(&T, &mut LogEvent) -> bool) -> bool {
        for node in &self.nodes {
            match node {
                TreeNode::Leaf(t) => {
                    if !f(t, event) {
                        return false;
                    }
                }
                TreeNode::Branch { arms, otherwise } => {
                    if let Some(tree) = select(arms, otherwise.as_ref(), event)
                        && !tree.run(event, f)
                    {
                        return false;
                    }
                }
            }
        }
        true
    }

    /// [`Tree::run`] for filters that make new events (`clone`, `split`): `f` gets a vector to
    /// put them in, and each new event is returned in `spawned` with the position of the plugin
    /// that made it, so that [`Tree::resume`] runs it through the plugins after that one (as
    /// Logstash runs a clone through the rest of the filter section).
    pub fn run_spawning(
        &self,
        event: &mut LogEvent,
        f: &mut impl FnMut(&T, &mut LogEvent, &mut Vec<LogEvent>) -> bool,
        spawned: &mut Vec<(LogEvent, Position)>,
    ) -> bool {
        self.run_from(&[], event, f, spawned, &mut Vec::new())
    }

    /// Runs `event` through the plugins after `at` (a position from [`Tree::run_spawning`]).
    pub fn resume(
        &self,
        at: &Position,
        event: &mut LogEvent,
        f: &mut impl FnMut(&T, &mut LogEvent, &mut Vec<LogEvent>) -> bool,
        spawned: &mut Vec<(LogEvent, Position)>,
    ) -> bool {
        self.run_from(&at.0, event, f, spawned, &mut Vec::new())
    }

    fn run_from(
        &self,
        start: &[(usize, usize)],
        event: &mut LogEvent,
        f: &mut impl FnMut(&T, &mut LogEvent, &mut Vec<LogEvent>) -> bool,
        spawned: &mut Vec<(LogEvent, Position)>,
        path: &mut Vec<(usize, usize)>,
    ) -> bool {
        let mut next = 0;
        if let Some(&(at, arm)) = start.first() {
            if let Some(TreeNode::Branch { arms, otherwise }) = self.nodes.get(at) {
                let tree = arms.get(arm).map(|(_, t)| t).or(otherwise.as_ref());
                if let Some(tree) = tree {
                    path.push((at, arm));
                    let kept = tree.run_from(&start[1..], event, f, spawned, path);
                    path.pop();
                    if !kept {
                        return false;
                    }
                }
            }
            next = at + 1;
        }
        for (idx, node) in self.nodes.iter().enumerate().skip(next) {
            match node {
                TreeNode::Leaf(t) => {
                    let mut new = Vec::new();
                    let kept = f(t, event, &mut new);
                    if !new.is_empty() {
                        path.push((idx, 0));
                        spawned.extend(new.into_iter().map(|e| (e, Position(path.clone()))));
                        path.pop();
                    }
                    if !kept {
                        return false;
                    }
                }
                TreeNode::Branch { arms, otherwise } => {
                    let chosen = arms
                        .iter()
                        .position(|(c, _)| c.eval(event))
                        .map(|k| (k, &arms[k].1))
                        .or(otherwise.as_ref().map(|o| (usize::MAX, o)));
                    if let Some((arm, tree)) = chosen {
                        path.push((idx, arm));
                        let kept = tree.run_from(&[], event, f, spawned, path);
                        path.pop();
                        if !kept {
                            return false;
                        }
                    }
                }
            }
        }
        true
    }

    /// Every plugin, in config order, whatever the conditions.
    #[must_use]
    pub fn leaves(&self) -> Vec<&T> {
        let mut out = Vec::new();
        self.collect(&mut out);
        out
    }

    fn collect<'a>(&'a self, out: &mut Vec<&'a T>) {
        for node in &self.nodes {
            match node {
                TreeNode::Leaf(t) => out.push(t),
                TreeNode::Branch { arms, otherwise } => {
                    for (_, tree) in arms {
                        tree.collect(out);
                    }
                    if let Some(tree) = otherwise {
                        tree.collect(out);
                    }
                }
            }
        }
    }

    /// True when the tree has no plugins.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.leaves().is_empty()
    }
}

fn select<'a, T>(
    arms: &'a [(Condition, Tree<T>)],
    otherwise: Option<&'a Tree<T>>,
    event: &LogEvent,
) -> Option<&'a Tree<T>> {
    arms.iter()
        .find(|(c, _)| c.eval(event))
        .map(|(_, t)| t)
        .or(otherwise)
}

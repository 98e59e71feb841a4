//! A backtracking matcher for ASCII lines, compiled from a pattern's syntax tree.
//!
//! TextFSM rules are short, anchored at the line start, and almost all of one shape:
//! runs of a byte class (`\s+`, `\S+`, `\d+`, `.*`), literals and groups. Tried in
//! priority order, like Python's `re` (and `regex-automata`'s leftmost-first
//! engines, so the groups are the same), such a pattern matches with little or no
//! backtracking. This matcher runs it directly: a class repetition is one tight
//! loop, a literal one comparison, and nothing is allocated per line (the
//! backtracking stack lives in the caller's reused [`Stack`]).
//!
//! It has no memo of visited states, so a pathological pattern could backtrack
//! without end: every search has a step budget, and past it the caller falls back
//! to an engine with linear-time guarantees.

use regex_automata::util::primitives::NonMaxUsize;

use crate::pysyntax::{Assert, Node, first_bytes, min_len, one_byte, width};

/// A set of bytes.
#[derive(Clone, Copy, Debug, Default, Eq)]
pub(crate) struct ByteSet(pub(crate) [u64; 4]);

/// Word by word: the derived comparison of the array may become a `memcmp` call
/// in the component.
impl PartialEq for ByteSet {
    fn eq(&self, o: &ByteSet) -> bool {
        (0..4).all(|i| self.0[i] == o.0[i])
    }
}

impl ByteSet {
    pub(crate) fn add(&mut self, b: u8) {
        self.0[(b >> 6) as usize] |= 1 << (b & 63);
    }
    pub(crate) fn add_range(&mut self, lo: u8, hi: u8) {
        for b in lo..=hi {
            self.add(b);
        }
    }
    pub(crate) fn remove(&mut self, b: u8) {
        self.0[(b >> 6) as usize] &= !(1 << (b & 63));
    }
    /// The set as a table of 256 flags: one load per byte when matching.
    pub(crate) fn table(&self) -> [bool; 256] {
        std::array::from_fn(|b| self.contains(b as u8))
    }
    pub(crate) fn disjoint(&self, o: &ByteSet) -> bool {
        (0..4).all(|i| self.0[i] & o.0[i] == 0)
    }
    pub(crate) fn negated(self) -> ByteSet {
        ByteSet(self.0.map(|w| !w))
    }
    pub(crate) fn union(&mut self, o: ByteSet) {
        for i in 0..4 {
            self.0[i] |= o.0[i];
        }
    }
    #[inline]
    pub(crate) fn contains(&self, b: u8) -> bool {
        self.0[(b >> 6) as usize] & (1 << (b & 63)) != 0
    }
}

#[derive(Clone, Debug)]
enum Inst {
    /// These bytes next.
    Lit(Box<[u8]>),
    /// One byte of the set (index into `sets`).
    Class(u32),
    /// `min..=max` bytes of the set, then the next instruction. `possessive`: no
    /// byte given back can help (what follows cannot start with a byte of the set),
    /// so a greedy run leaves no backtracking frame.
    Rep {
        set: u32,
        min: u32,
        max: u32,
        greedy: bool,
        possessive: bool,
    },
    /// Group `slot / 2` around a possessive greedy run: the run, both slots, and
    /// on to the instruction after the group (three on).
    CapRep {
        slot: u32,
        set: u32,
        min: u32,
        max: u32,
    },
    /// Try the first branch; on failure the second.
    Split(u32, u32),
    Jmp(u32),
    /// Record the position in a slot.
    Save(u32),
    Assert(Assert),
    /// A lookaround (index into `looks`).
    Look(u32),
    /// Branches that start with different bytes (index into `switches`): go to
    /// the one the next byte starts, with nothing to come back to.
    Switch(u32),
    Match,
}

/// A lookaround: its own program, run at the position (ahead) or `width` bytes
/// before it (behind), and the slots of the groups inside it.
#[derive(Debug)]
struct Lookaround {
    prog: Program,
    ahead: bool,
    negate: bool,
    width: usize,
    slots: Vec<u32>,
}

/// Where to resume when the current path fails.
#[derive(Clone, Copy, Debug)]
enum Frame {
    /// Resume at `pc`, `pos`.
    Alt { pc: u32, pos: usize },
    /// Put a slot back as it was.
    Restore { slot: u32, old: Option<NonMaxUsize> },
    /// A greedy repetition that ran to `pos` gives back one byte (not below `lo`).
    Greedy { pc: u32, lo: usize, pos: usize },
    /// A lazy repetition at `pos` (instruction `rep`) takes one more byte, `left`
    /// more allowed.
    Lazy { rep: u32, pos: usize, left: u32 },
}

/// The backtracking stack, kept by the caller and reused from line to line.
#[derive(Debug, Default)]
pub struct Stack(Vec<Frame>);

/// A compiled pattern.
#[derive(Debug)]
pub(crate) struct Program {
    insts: Vec<Inst>,
    /// The byte sets instructions name, as tables of 256 flags.
    tables: Vec<[bool; 256]>,
    switches: Vec<Switch>,
    looks: Vec<Lookaround>,
    /// Number of slots (two per group, group 0 the whole match).
    slots: usize,
}

/// How a search ended.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    Match,
    NoMatch,
    /// The step budget ran out: the answer is unknown.
    GaveUp,
}

/// Largest program compiled (bounded repetitions of groups are unrolled).
const MAX_INSTS: usize = 4096;

struct Compiler {
    insts: Vec<Inst>,
    sets: Vec<ByteSet>,
    looks: Vec<Lookaround>,
    switches: Vec<Switch>,
    slots: usize,
}

/// Where a [`Inst::Switch`] goes for each byte (`NONE`: no branch starts with it).
type Switch = Box<[u32; 256]>;
const NONE: u32 = u32::MAX;

impl Compiler {
    fn set(&mut self, s: ByteSet) -> u32 {
        match self.sets.iter().position(|x| *x == s) {
            Some(i) => i as u32,
            None => {
                self.sets.push(s);
                (self.sets.len() - 1) as u32
            }
        }
    }

    fn pc(&self) -> u32 {
        self.insts.len() as u32
    }

    fn push(&mut self, i: Inst) -> Option<u32> {
        if self.insts.len() >= MAX_INSTS {
            return None;
        }
        self.insts.push(i);
        Some(self.pc() - 1)
    }

    /// Rewrites once the program is whole: greedy runs that can never give a byte
    /// back become possessive, and a group of one such run (`(?P<X>\S+)` before
    /// `\s`, the commonest shape of a Value) one instruction instead of three (the
    /// two it stands for stay in place, unreached: no jump or frame leads into a
    /// group).
    fn optimize(&mut self) {
        for k in 0..self.insts.len() {
            if let Inst::Rep { set, greedy: true, .. } = self.insts[k]
                && self.follow(k + 1).is_some_and(|f| f.disjoint(&self.sets[set as usize]))
            {
                let Inst::Rep { possessive, .. } = &mut self.insts[k] else { unreachable!() };
                *possessive = true;
            }
        }
        for k in 0..self.insts.len().saturating_sub(2) {
            if let [Inst::Save(a), Inst::Rep { set, min, max, greedy: true, possessive: true }, Inst::Save(b)] =
                self.insts[k..k + 3]
                && a % 2 == 0
                && b == a + 1
            {
                self.insts[k] = Inst::CapRep { slot: a, set, min, max };
            }
        }
    }

    /// The bytes what runs from `pc` must start with (empty: it cannot consume a
    /// byte and succeed short of the end), when the instructions say plainly.
    fn follow(&self, pc: usize) -> Option<ByteSet> {
        self.follow_within(pc, 8)
    }

    /// [`Compiler::follow`] through at most `depth` optional items and branches.
    fn follow_within(&self, mut pc: usize, depth: u32) -> Option<ByteSet> {
        loop {
            match &self.insts[pc] {
                Inst::Save(_) => pc += 1,
                &Inst::Jmp(to) => pc = to as usize,
                Inst::Lit(l) => {
                    let mut s = ByteSet::default();
                    s.add(*l.first()?);
                    return Some(s);
                }
                &Inst::Class(s) => return Some(self.sets[s as usize]),
                &Inst::Rep { set, min, .. } if min >= 1 => return Some(self.sets[set as usize]),
                // Optional: its bytes, or what follows it.
                &Inst::Rep { set, .. } if depth > 0 => {
                    let mut s = self.follow_within(pc + 1, depth - 1)?;
                    s.union(self.sets[set as usize]);
                    return Some(s);
                }
                &Inst::Split(a, b) if depth > 0 => {
                    let mut s = self.follow_within(a as usize, depth - 1)?;
                    s.union(self.follow_within(b as usize, depth - 1)?);
                    return Some(s);
                }
                Inst::Assert(Assert::End) | Inst::Match => return Some(ByteSet::default()),
                &Inst::Switch(i) => {
                    let mut s = ByteSet::default();
                    (0..=255u8)
                        .filter(|&b| self.switches[i as usize][b as usize] != NONE)
                        .for_each(|b| s.add(b));
                    return Some(s);
                }
                _ => return None,
            }
        }
    }

    /// Compile `n`; `None` for what this matcher does not handle.
    fn c(&mut self, n: &Node) -> Option<()> {
        match n {
            Node::Empty => {}
            Node::Lit(l) => {
                self.push(Inst::Lit(l.clone().into_boxed_slice()))?;
            }
            Node::Set(set) => {
                let s = self.set(*set);
                self.push(Inst::Class(s))?;
            }
            Node::Assert(a) => {
                self.push(Inst::Assert(*a))?;
            }
            Node::Look { sub, ahead, negate } => {
                let mut slots = Vec::new();
                group_slots(sub, &mut slots);
                let prog = Program::compile(sub, self.slots, false)?;
                let width = if *ahead { 0 } else { width(sub)? };
                self.looks.push(Lookaround { prog, ahead: *ahead, negate: *negate, width, slots });
                self.push(Inst::Look(self.looks.len() as u32 - 1))?;
            }
            Node::Group { index, sub } => {
                self.push(Inst::Save(2 * index))?;
                self.c(sub)?;
                self.push(Inst::Save(2 * index + 1))?;
            }
            Node::Concat(parts) => {
                for p in parts {
                    self.c(p)?;
                }
            }
            Node::Alt(alts) => {
                let mut ends = Vec::new();
                // When no branch can match the empty string and no two can start
                // with the same byte, the next byte picks the only branch that can
                // match: no choice point, no failed tries of the others.
                let firsts: Vec<_> = alts.iter().map(first_bytes).collect();
                let apart = firsts.iter().all(|(_, empty)| !empty)
                    && firsts
                        .iter()
                        .enumerate()
                        .all(|(i, (a, _))| firsts[i + 1..].iter().all(|(b, _)| a.disjoint(b)));
                if apart {
                    let switch = self.switches.len() as u32;
                    self.switches.push(Box::new([NONE; 256]));
                    self.push(Inst::Switch(switch))?;
                    for (a, (set, _)) in alts.iter().zip(&firsts) {
                        let start = self.pc();
                        for b in 0..=255u8 {
                            if set.contains(b) {
                                self.switches[switch as usize][b as usize] = start;
                            }
                        }
                        self.c(a)?;
                        ends.push(self.push(Inst::Jmp(0))?);
                    }
                    let end = self.pc();
                    for j in ends {
                        self.insts[j as usize] = Inst::Jmp(end);
                    }
                    return Some(());
                }
                for (i, a) in alts.iter().enumerate() {
                    if i + 1 < alts.len() {
                        let split = self.push(Inst::Split(0, 0))?;
                        self.c(a)?;
                        ends.push(self.push(Inst::Jmp(0))?);
                        let next = self.pc();
                        self.insts[split as usize] = Inst::Split(split + 1, next);
                    } else {
                        self.c(a)?;
                    }
                }
                let end = self.pc();
                for j in ends {
                    self.insts[j as usize] = Inst::Jmp(end);
                }
            }
            &Node::Repeat { ref sub, min, max, greedy } => {
                if let Some(s) = one_byte(sub) {
                    let set = self.set(s);
                    self.push(Inst::Rep {
                        set,
                        min,
                        max: max.unwrap_or(u32::MAX),
                        greedy,
                        possessive: false,
                    })?;
                    return Some(());
                }
                // A repeated sub-pattern that can match nothing could loop without
                // moving: left to the full engine.
                if min_len(sub) == 0 {
                    return None;
                }
                for _ in 0..min {
                    self.c(sub)?;
                }
                let branch =
                    |s: u32, out: u32| if greedy { Inst::Split(s + 1, out) } else { Inst::Split(out, s + 1) };
                match max {
                    None => {
                        let split = self.push(Inst::Split(0, 0))?;
                        self.c(sub)?;
                        self.push(Inst::Jmp(split))?;
                        let out = self.pc();
                        self.insts[split as usize] = branch(split, out);
                    }
                    Some(max) => {
                        let mut splits = Vec::new();
                        for _ in min..max {
                            splits.push(self.push(Inst::Split(0, 0))?);
                            self.c(sub)?;
                        }
                        let out = self.pc();
                        for s in splits {
                            self.insts[s as usize] = branch(s, out);
                        }
                    }
                }
            }
        }
        Some(())
    }
}

/// The slots of the groups inside `n`.
fn group_slots(n: &Node, out: &mut Vec<u32>) {
    match n {
        Node::Group { index, sub } => {
            out.extend([2 * index, 2 * index + 1]);
            group_slots(sub, out);
        }
        Node::Concat(v) | Node::Alt(v) => v.iter().for_each(|p| group_slots(p, out)),
        Node::Repeat { sub, .. } | Node::Look { sub, .. } => group_slots(sub, out),
        _ => {}
    }
}

impl Program {
    /// Compile a pattern with `groups` groups; `None` when it has what this matcher
    /// does not run (a repetition of something that can be empty) or is too large.
    pub(crate) fn new(n: &Node, groups: usize) -> Option<Program> {
        Program::compile(n, 2 * (groups + 1), true)
    }

    fn compile(n: &Node, slots: usize, whole: bool) -> Option<Program> {
        let mut c =
            Compiler { insts: Vec::new(), sets: Vec::new(), looks: Vec::new(), switches: Vec::new(), slots };
        if whole {
            c.push(Inst::Save(0))?;
        }
        c.c(n)?;
        if whole {
            c.push(Inst::Save(1))?;
        }
        c.push(Inst::Match)?;
        c.optimize();
        let tables = c.sets.iter().map(ByteSet::table).collect();
        Some(Program { insts: c.insts, tables, looks: c.looks, switches: c.switches, slots })
    }

    /// Match at the start of `line`, leaving the groups in `slots` (resized to
    /// this program's); gives up after a budget of steps proportional to the
    /// program and line sizes.
    pub(crate) fn run(
        &self,
        line: &[u8],
        slots: &mut Vec<Option<NonMaxUsize>>,
        stack: &mut Stack,
    ) -> Outcome {
        slots.clear();
        slots.resize(self.slots, None);
        let mut budget = 8 * (line.len() + 1) * self.insts.len() + 256;
        self.exec(line, 0, slots, &mut stack.0, &mut budget)
    }

    /// Run from `start` (anchored there), spending `budget`.
    fn exec(
        &self,
        line: &[u8],
        start: usize,
        slots: &mut [Option<NonMaxUsize>],
        stack: &mut Vec<Frame>,
        budget: &mut usize,
    ) -> Outcome {
        stack.clear();
        let (mut pc, mut pos) = (0u32, start);
        // Frames on the stack that resume a path: with none, a failure is final and
        // the slots need no undoing.
        let mut choices = 0usize;
        // Counted in a local (a register), written back when another run shares it.
        let mut left = *budget;
        loop {
            if left == 0 {
                return Outcome::GaveUp;
            }
            left -= 1;
            let ok = match &self.insts[pc as usize] {
                Inst::Lit(l) => {
                    // Literals are short: compared in line, without a call.
                    let hit = line.len() - pos >= l.len() && l.iter().zip(&line[pos..]).all(|(a, b)| a == b);
                    pos += l.len();
                    hit
                }
                Inst::Class(s) => {
                    let hit = line.get(pos).is_some_and(|&b| self.tables[*s as usize][b as usize]);
                    pos += 1;
                    hit
                }
                &Inst::Rep { set, min, max, greedy, possessive } => {
                    let set = &self.tables[set as usize];
                    let rest = &line[pos..];
                    if greedy {
                        let n = run_len(set, rest, max);
                        if n < min as usize {
                            false
                        } else {
                            if n > min as usize && !possessive {
                                choices += 1;
                                stack.push(Frame::Greedy {
                                    pc: pc + 1,
                                    lo: pos + min as usize,
                                    pos: pos + n,
                                });
                            }
                            pos += n;
                            true
                        }
                    } else {
                        let min = min as usize;
                        if rest.len() < min || !rest[..min].iter().all(|&b| set[b as usize]) {
                            false
                        } else {
                            pos += min;
                            if max as usize > min {
                                choices += 1;
                                stack.push(Frame::Lazy { rep: pc, pos, left: max - min as u32 });
                            }
                            true
                        }
                    }
                }
                &Inst::CapRep { slot, set, min, max } => {
                    let n = run_len(&self.tables[set as usize], &line[pos..], max);
                    if n < min as usize {
                        false
                    } else {
                        let s = slot as usize;
                        if choices > 0 {
                            stack.push(Frame::Restore { slot, old: slots[s] });
                            stack.push(Frame::Restore { slot: slot + 1, old: slots[s + 1] });
                        }
                        slots[s] = NonMaxUsize::new(pos);
                        pos += n;
                        slots[s + 1] = NonMaxUsize::new(pos);
                        pc += 3;
                        continue;
                    }
                }
                &Inst::Split(a, b) => {
                    choices += 1;
                    stack.push(Frame::Alt { pc: b, pos });
                    pc = a;
                    continue;
                }
                &Inst::Jmp(a) => {
                    pc = a;
                    continue;
                }
                &Inst::Save(s) => {
                    if choices > 0 {
                        stack.push(Frame::Restore { slot: s, old: slots[s as usize] });
                    }
                    slots[s as usize] = NonMaxUsize::new(pos);
                    true
                }
                Inst::Assert(a) => check(*a, line, pos),
                &Inst::Switch(i) => match line.get(pos).map(|&b| self.switches[i as usize][b as usize]) {
                    Some(to) if to != NONE => {
                        pc = to;
                        continue;
                    }
                    _ => false,
                },
                &Inst::Look(i) => {
                    let look = &self.looks[i as usize];
                    match if look.ahead { Some(pos) } else { pos.checked_sub(look.width) } {
                        // No room behind: only a negative lookbehind holds.
                        None => look.negate,
                        Some(at) => {
                            let olds: Vec<_> = look.slots.iter().map(|&s| (s, slots[s as usize])).collect();
                            *budget = left;
                            let r = look.prog.exec(line, at, slots, &mut Vec::new(), budget);
                            left = *budget;
                            match r {
                                Outcome::GaveUp => return Outcome::GaveUp,
                                // Groups set inside are undone if the path backtracks.
                                Outcome::Match if !look.negate => {
                                    if choices > 0 {
                                        stack.extend(
                                            olds.iter().map(|&(slot, old)| Frame::Restore { slot, old }),
                                        );
                                    }
                                    true
                                }
                                // Groups inside a negative lookaround never take part
                                // (and a failed run may leave them written).
                                r => {
                                    olds.iter().for_each(|&(s, old)| slots[s as usize] = old);
                                    look.negate == (r == Outcome::NoMatch)
                                }
                            }
                        }
                    }
                }
                Inst::Match => {
                    *budget = left;
                    return Outcome::Match;
                }
            };
            if ok {
                pc += 1;
                continue;
            }
            // Back to the most recent choice.
            loop {
                match stack.pop() {
                    None => {
                        *budget = left;
                        return Outcome::NoMatch;
                    }
                    Some(Frame::Restore { slot, old }) => slots[slot as usize] = old,
                    Some(Frame::Alt { pc: p, pos: q }) => {
                        choices -= 1;
                        (pc, pos) = (p, q);
                        break;
                    }
                    Some(Frame::Greedy { pc: p, lo, pos: q }) => {
                        choices -= 1;
                        let mut q = q - 1;
                        // When a literal follows, only a position where it starts
                        // can succeed.
                        if let Inst::Lit(l) = &self.insts[p as usize] {
                            while q > lo && line.get(q) != l.first() {
                                q -= 1;
                            }
                        }
                        if q > lo {
                            choices += 1;
                            stack.push(Frame::Greedy { pc: p, lo, pos: q });
                        }
                        (pc, pos) = (p, q);
                        break;
                    }
                    Some(Frame::Lazy { rep, pos: q, left }) => {
                        choices -= 1;
                        let Inst::Rep { set, .. } = self.insts[rep as usize] else { unreachable!() };
                        if line.get(q).is_some_and(|&b| self.tables[set as usize][b as usize]) {
                            if left > 1 {
                                choices += 1;
                                stack.push(Frame::Lazy { rep, pos: q + 1, left: left - 1 });
                            }
                            (pc, pos) = (rep + 1, q + 1);
                            break;
                        }
                    }
                }
            }
        }
    }
}

/// How many bytes at the start of `rest` are in the set, up to `max`.
fn run_len(set: &[bool; 256], rest: &[u8], max: u32) -> usize {
    let limit = rest.len().min(max as usize);
    rest[..limit].iter().position(|&b| !set[b as usize]).unwrap_or(limit)
}

fn is_word(b: Option<&u8>) -> bool {
    b.is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_')
}

fn check(a: Assert, line: &[u8], pos: usize) -> bool {
    match a {
        Assert::Start => pos == 0,
        Assert::End => pos == line.len(),
        Assert::StartLine => pos == 0 || line[pos - 1] == b'\n',
        Assert::EndLine => pos == line.len() || line[pos] == b'\n',
        // Python (to 3.13) finds neither `\b` nor `\B` in an empty string.
        Assert::Word | Assert::NotWord if line.is_empty() => false,
        Assert::Word | Assert::NotWord => {
            let before = pos > 0 && is_word(line.get(pos - 1));
            let boundary = before != is_word(line.get(pos));
            boundary == matches!(a, Assert::Word)
        }
    }
}

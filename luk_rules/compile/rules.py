"""Compile a checked ruleset (IR) into a rule program and a fact builder.

The decision semantics of DESIGN.md §3 are written here once as rules; the
law regimes' ``permit``/``allow`` clauses and the ruleset's own ``rule``s
become rules of the same program. ``docs/semantics.md`` lists them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import attrs

from luk_rules import ir
from luk_rules.compile.program import (
    Args,
    Atom,
    Cite,
    CountAtLeast,
    Fact,
    FactSet,
    Literal_,
    Neg,
    Program,
    Rule,
    Test,
    Var,
)
from luk_rules.submission import Submission

# Input predicates, asserted per submission:
#   sub(form, assessment, date, n_units, n_items, n_activities)
#   claimed(unit)               item(id, type, date, activity, verified)
#   claim(item, unit, outcome)  followed(activity)
#   accept(unit, type, oldest_date, needs_verification)
#   completed(unit)             (a result still valid on the date: passed, or exempted
#                                on an allowed ground with a decision reference)
# Static predicates, from the declarations:
#   unit(unit, kind)  unitmin(unit, n)  outcome(unit, outcome)  recommended(unit, activity)
#   assess(assessment, unit)  assessment(assessment, method, path_independent)
#   max-units(assessment, n)
#   regime(name, start, end)  entry(unit, unit that must be completed first)
INPUTS = frozenset({"sub", "claimed", "item", "claim", "followed", "accept", "completed"})
NO_END = 99_999_999  # "until" of a regime without an end, as an ordinal date
NO_ACTIVITY = ""
BUILT_IN = "built-in"


def _v(name: str) -> Var:
    return Var(name)


_ = Var("_")
# Rule variables, named as in docs/semantics.md: item, unit, outcome, type, date, ...
I, U, O, T, D, SD, A, K, R, S, E, X, F, N = (  # noqa: E741
    _v(n) for n in ("I", "U", "O", "T", "D", "SD", "A", "K", "R", "S", "E", "X", "F", "N"))


def _sub(form: Var | str = _, assessment: Var | str = _, date: Var = _, units: Var = _,
         items: Var = _, activities: Var = _) -> Atom:
    return Atom("sub", (form, assessment, date, units, items, activities))


def _item(i: Var | str = _, t: Var = _, d: Var = _, act: Var | str = _,
          verified: Var | bool = _) -> Atom:
    return Atom("item", (i, t, d, act, verified))


def _finding(code: str, severity: str, a: Var | str = "", b: Var | str = "") -> Atom:
    return Atom("finding", (code, severity, a, b))


@attrs.frozen
class Compiled:
    """A compiled ruleset: the program, and how to turn a submission into facts."""

    ruleset: ir.Ruleset
    program: Program
    condition_count: int
    accepted: Mapping[str, tuple[tuple[str, ir.MaxAge | None, bool], ...]]

    def facts(self, submission: Submission) -> FactSet:
        """The input facts of a (validated) submission, by predicate.

        Facts are sets: their order does not matter to any result (proofs are chosen
        by a total order too), so they are not sorted here.
        """
        rs = self.ruleset
        units = list(dict.fromkeys(submission.units))
        activities = dict.fromkeys(submission.activities)
        activities.update(dict.fromkeys(e.activity for e in submission.evidence if e.activity))
        items: list[Args] = []
        claims: list[Args] = []
        for e in submission.evidence:
            items.append((e.id, e.type, e.date.toordinal(), e.activity or NO_ACTIVITY,
                          e.verified))
            claims.extend((e.id, ref.rpartition(".")[0], ref) for ref in e.outcomes)
        validity = rs.exam.validity if rs.exam else None
        oldest_result = validity.cutoff(submission.date) if validity else None
        grounds = rs.exam.grounds if rs.exam else ()
        # A result counts as completed when it is still valid on the date and, for an
        # exemption, granted on an allowed ground with a decision reference (as in an audit).
        completed = list({
            r.unit for r in submission.results
            if r.date <= submission.date and (oldest_result is None or r.date >= oldest_result)
            and (r.how == "passed" or (r.grounds in grounds and bool(r.decision)))})
        accept: list[Args] = []
        cutoffs: dict[ir.MaxAge | None, int] = {None: 0}
        for code in units:
            for type_name, age, needs in self.accepted.get(code, ()):
                oldest = cutoffs.get(age)
                if oldest is None and age is not None:
                    oldest = cutoffs[age] = age.cutoff(submission.date).toordinal()
                accept.append((code, type_name, oldest or 0, needs))
        return {
            "sub": [(submission.form, submission.assessment, submission.date.toordinal(),
                     len(units), len(submission.evidence), len(submission.activities))],
            "claimed": [(u,) for u in units],
            "item": items,
            "claim": claims,
            "followed": [(a,) for a in activities],
            "completed": [(u,) for u in completed],
            "accept": accept,
        }


def effective_max_age(rs: ir.Ruleset, unit: ir.Unit, etype: ir.EvidenceType | None
                      ) -> ir.MaxAge | None:
    """The strictest of the type's, the unit's and the programme's maximum age."""
    ages = [a for a in (etype.max_age if etype else None, unit.max_age, rs.programme.max_age)
            if a is not None]
    return min(ages, key=lambda a: a.in_months) if ages else None


class _Builder:
    def __init__(self, rs: ir.Ruleset) -> None:
        self.rs = rs
        self.rules: list[Rule] = []
        self.conditions = 0
        self.oer = f"OER {rs.programme.title} ({rs.programme.code})"

    def cite(self, rule: str, basis: str | None = None, source: str | None = None,
             from_regime: bool = False) -> Cite:
        """Built-in rules have the source ``built-in`` (see docs/semantics.md)."""
        return Cite(rule, basis if basis is not None else self.oer,
                    source if source is not None else BUILT_IN, from_regime)

    def add(self, name: str, head: Atom, body: list[Literal_], cite: Cite) -> None:
        self.rules.append(Rule(name, head, tuple(body), cite))

    # ------------------------------------------------------------ conditions

    def condition(self, c: ir.Cond, cite: Cite) -> str:
        """Compile a condition to a nullary predicate that holds when it does."""
        self.conditions += 1
        pred = f"cond{self.conditions}"
        head = Atom(pred, ())
        name = f"{cite.rule} (condition)"
        if c.span.line:  # each part of a condition cites its own place
            cite = Cite(cite.rule, cite.basis, str(c.span), cite.from_regime)
        match c:
            case ir.Const(True):
                self.add(name, head, [], cite)
            case ir.Const(False):
                pass
            case ir.AllOf(items):
                self.add(name, head, [Atom(self.condition(i, cite), ()) for i in items], cite)
            case ir.AnyOf(items):
                for i in items:
                    self.add(name, head, [Atom(self.condition(i, cite), ())], cite)
            case ir.Negation(item):
                self.add(name, head, [_sub(), Neg(Atom(self.condition(item, cite), ()))], cite)
            case ir.Claimed(unit):
                self.add(name, head, [Atom("claimed", (unit,))], cite)
            case ir.RequestedAssessment(names):
                self.add(name, head, [_sub(assessment=A), Test(A, "in", tuple(sorted(names)))],
                         cite)
            case ir.EvidenceTypes("some", types):
                self.add(name, head, [_item(t=T), Test(T, "in", tuple(sorted(types)))], cite)
            case ir.EvidenceTypes("every", types):
                other = f"{pred}_other"
                self.add(name, Atom(other, ()), [_item(t=T), Test(T, "not in",
                                                                  tuple(sorted(types)))], cite)
                self.add(name, head, [_sub(items=N), Test(N, ">", 0), Neg(Atom(other, ()))],
                         cite)
            case ir.EvidenceTypes(_, types):  # "no"
                some = f"{pred}_some"
                self.add(name, Atom(some, ()), [_item(t=T), Test(T, "in",
                                                                 tuple(sorted(types)))], cite)
                self.add(name, head, [_sub(), Neg(Atom(some, ()))], cite)
            case ir.Count("units", _, op, value):
                self.add(name, head, [_sub(units=N), Test(N, op, value)], cite)
            case ir.Count(_, (), op, value):
                self.add(name, head, [_sub(items=N), Test(N, op, value)], cite)
            case ir.Count(_, types, op, value):
                of_type = f"{pred}_item"
                self.add(name, Atom(of_type, (I,)),
                         [_item(i=I, t=T), Test(T, "in", tuple(sorted(types)))], cite)
                self.add(name, head, [_sub(), *self._count(Atom(of_type, (_,)), op, value)],
                         cite)
            case ir.CombinationIn(combos):
                self.add(name, head, [Atom("combination", (X,)),
                                      Test(X, "in", tuple(sorted(combos)))], cite)
            case ir.FormIn(forms):
                self.add(name, head, [_sub(form=F), Test(F, "in", tuple(sorted(forms)))], cite)
            case ir.Followed(activity):
                self.add(name, head, [Atom("followed", (activity,))], cite)
            case ir.DateFrom(date):
                self.add(name, head, [_sub(date=SD), Test(SD, ">=", date.toordinal())], cite)
        return pred

    @staticmethod
    def _count(atom: Atom, op: str, value: int) -> list[Literal_]:
        if op == ">=":
            return [CountAtLeast(atom, value)]
        if op == ">":
            return [CountAtLeast(atom, value + 1)]
        if op == "<":
            return [CountAtLeast(atom, value, at_least=False)]
        if op == "<=":
            return [CountAtLeast(atom, value + 1, at_least=False)]
        return [CountAtLeast(atom, value), CountAtLeast(atom, value + 1, at_least=False)]

    # ------------------------------------------------------------ semantics

    def evidence(self) -> None:
        """Valid evidence (DESIGN §3.1): which items count for which outcomes, and why not."""
        v = Var("V")
        cite = self.cite("valid-evidence", f"{self.oer}: accepted evidence, maximum age")
        # An item's claim on an outcome of a claimed unit, joined once for the rules below.
        self.add("valid-evidence", Atom("claimed-item", (I, U, O, T, D, v)),
                 [Atom("claim", (I, U, O)), Atom("claimed", (U,)), _item(I, T, D, _, v)], cite)
        claimed_item = Atom("claimed-item", (I, U, O, T, D, v))
        self.add("valid-evidence", Atom("counts", (I, U, O)),
                 [claimed_item, Atom("accept", (U, T, E, False)), _sub(date=SD),
                  Test(D, "<=", SD), Test(D, ">=", E)], cite)
        self.add("valid-evidence", Atom("counts", (I, U, O)),
                 [Atom("claimed-item", (I, U, O, T, D, True)), Atom("accept", (U, T, E, True)),
                  _sub(date=SD), Test(D, "<=", SD), Test(D, ">=", E)], cite)
        self.add("evidence-type-not-accepted",
                 _finding("evidence-type-not-accepted", "warning", I, O),
                 [claimed_item, Neg(Atom("accept", (U, T, _, _)))],
                 self.cite("evidence-type-not-accepted"))
        self.add("evidence-too-old", _finding("evidence-too-old", "warning", I, O),
                 [claimed_item, Atom("accept", (U, T, E, _)), Test(D, "<", E)],
                 self.cite("evidence-too-old"))
        self.add("evidence-after-submission",
                 _finding("evidence-after-submission", "warning", I, O),
                 [_sub(date=SD), claimed_item, Test(D, ">", SD)],
                 self.cite("evidence-after-submission"))
        self.add("evidence-not-verified", _finding("evidence-not-verified", "warning", I, O),
                 [Atom("claimed-item", (I, U, O, T, _, False)), Atom("accept", (U, T, _, True))],
                 self.cite("evidence-not-verified"))
        self.add("outcome-not-claimed", _finding("outcome-not-claimed", "warning", I, O),
                 [Atom("claim", (I, U, O)), Neg(Atom("claimed", (U,)))],
                 self.cite("outcome-not-claimed"))

    def coverage(self) -> None:
        """Coverage (§3.2): a portfolio needs enough counting items for every outcome."""
        cite = self.cite("coverage", f"{self.oer}: evidence per outcome")
        self.add("coverage", Atom("needs-evidence", ()),
                 [_sub(assessment=A), Atom("assessment", (A, "portfolio", _))], cite)
        for n in sorted({u.min_items for u in self.rs.units}):
            self.add("coverage", Atom("covered", (U, O)),
                     [Atom("claimed", (U,)), Atom("unitmin", (U, n)), Atom("outcome", (U, O)),
                      CountAtLeast(Atom("counts", (_, U, O)), n)], cite)
        self.add("coverage", Atom("missing", (U, O)),
                 [Atom("needs-evidence", ()), Atom("claimed", (U,)), Atom("outcome", (U, O)),
                  Neg(Atom("covered", (U, O)))], cite)

    def combination(self) -> None:
        """Combination (§3.3): D, else C, else B, else A."""
        c = self.cite("combination", "routes A-D through a unit (Kamerstuk 36 136)")
        u2 = Var("U2")
        self.add("combination", Atom("item-unit", (I, U)),
                 [Atom("claimed-item", (I, U, _, _, _, _))], c)
        self.add("combination", Atom("multi-unit-item", (I,)),
                 [Atom("item-unit", (I, U)), Atom("item-unit", (I, u2)), Test(U, "<", u2)], c)
        self.add("combination", Atom("route-d", ()), [Atom("multi-unit-item", (_,))], c)
        self.add("combination", Atom("route-d", ()), [_sub(units=N), Test(N, ">=", 2)], c)
        self.add("combination", Atom("route-c", ()),
                 [_sub(items=N, activities=Var("NA")), Test(N, "=", 0), Test(Var("NA"), "=", 0),
                  Neg(Atom("route-d", ()))], c)
        self.add("combination", Atom("recommended-for-claimed", (A,)),
                 [Atom("claimed", (U,)), Atom("recommended", (U, A))], c)
        self.add("combination", Atom("own-learning", ()),
                 [Atom("followed", (A,)), Neg(Atom("recommended-for-claimed", (A,)))], c)
        self.add("combination", Atom("own-learning", ()), [_item(act=NO_ACTIVITY)], c)
        self.add("combination", Atom("route-b", ()),
                 [Atom("own-learning", ()), Neg(Atom("route-d", ())), Neg(Atom("route-c", ()))],
                 c)
        for letter, pred in (("D", "route-d"), ("C", "route-c"), ("B", "route-b")):
            self.add("combination", Atom("combination", (letter,)), [Atom(pred, ())], c)
        self.add("combination", Atom("combination", ("A",)),
                 [_sub(), Neg(Atom("route-d", ())), Neg(Atom("route-c", ())),
                  Neg(Atom("route-b", ()))], c)

    def law(self) -> None:
        """The regime in force on the date: of those in force, the one that started last."""
        c = self.cite("law-in-force", "the law regime in force on the submission date")
        r2, s2 = Var("R2"), Var("S2")
        self.add("law-in-force", Atom("in-force", (R, S)),
                 [Atom("regime", (R, S, E)), _sub(date=SD), Test(S, "<=", SD), Test(SD, "<=", E)],
                 c)
        self.add("law-in-force", Atom("superseded", (R,)),
                 [Atom("in-force", (R, S)), Atom("in-force", (r2, s2)), Test(s2, ">", S)], c)
        self.add("law-in-force", Atom("superseded", (R,)),
                 [Atom("in-force", (R, S)), Atom("in-force", (r2, S)), Test(r2, ">", R)], c)
        self.add("law-in-force", Atom("law", (R,)),
                 [Atom("in-force", (R, _)), Neg(Atom("superseded", (R,)))], c)
        self.add("no-regime-in-force", _finding("no-regime-in-force", "deny"),
                 [_sub(), Neg(Atom("law", (_,)))], self.cite("no-regime-in-force"))

    def scope(self) -> None:
        """Scope (§3.4): unit kinds per form and combinations per kind, per the regime."""
        self.add("scope", Atom("kind-used", (K,)),
                 [Atom("claimed", (U,)), Atom("unit", (U, K))],
                 self.cite("scope", "the unit kinds of the claimed units"))
        # A clause inherited through `extends` is one rule, for every regime that has it.
        permits: dict[ir.Permit, list[str]] = {}
        allows: dict[ir.Allow, list[str]] = {}
        for regime in self.rs.programme.regimes:
            for p in regime.permits:
                permits.setdefault(p, []).append(regime.name)
            for a in regime.allows:
                allows.setdefault(a, []).append(regime.name)
        for p, regimes in permits.items():
            cite = self.cite(p.cite.rule, p.cite.basis, str(p.cite.span))
            cond = self.condition(p.when, cite)
            self.add(p.cite.rule, Atom("permitted", (p.kind,)),
                     [Atom("law", (R,)), Test(R, "in", tuple(sorted(regimes))),
                      Atom("kind-used", (p.kind,)), _sub(form=F),
                      Test(F, "in", tuple(sorted(p.forms))), Atom(cond, ())], cite)
        for a, regimes in allows.items():
            cite = self.cite(a.cite.rule, a.cite.basis, str(a.cite.span))
            cond = self.condition(a.when, cite)
            self.add(a.cite.rule, Atom("allowed", (K,)),
                     [Atom("law", (R,)), Test(R, "in", tuple(sorted(regimes))),
                      Atom("kind-used", (K,)), Test(K, "in", tuple(sorted(a.kinds))),
                      Atom("combination", (X,)), Test(X, "in", tuple(sorted(a.combinations))),
                      Atom(cond, ())], cite)
        self.add("unit-kind-not-permitted", _finding("unit-kind-not-permitted", "deny", K, F),
                 [Atom("kind-used", (K,)), Atom("law", (R,)), _sub(form=F),
                  Neg(Atom("permitted", (K,)))],
                 self.cite("unit-kind-not-permitted", from_regime=True))
        self.add("combination-not-allowed", _finding("combination-not-allowed", "deny", X, K),
                 [Atom("kind-used", (K,)), Atom("law", (R,)), Atom("combination", (X,)),
                  Neg(Atom("allowed", (K,)))],
                 self.cite("combination-not-allowed", from_regime=True))

    def institution(self) -> None:
        """Institution rules (§3.5): the assessment assesses the units; the ruleset's rules."""
        self.add("assessment-covers-units", _finding("unit-not-assessed", "deny", U, A),
                 [Atom("claimed", (U,)), _sub(assessment=A), Neg(Atom("assess", (A, U)))],
                 self.cite("assessment-covers-units"))
        m = Var("M")
        self.add("assessment-max-units", _finding("too-many-units", "deny", A, N),
                 [_sub(assessment=A, units=N), Atom("max-units", (A, m)), Test(N, ">", m)],
                 self.cite("assessment-max-units"))
        if self.rs.exam and self.rs.exam.entry:
            exam_basis = self.rs.exam.basis or self.oer
            p = Var("P")
            self.add("entry-requirement", Atom("entry-missing", (U, p)),
                     [Atom("claimed", (U,)), Atom("entry", (U, p)),
                      Neg(Atom("completed", (p,)))],
                     self.cite("entry-requirement", exam_basis))
            for requirement in self.rs.exam.entry:
                cite = self.cite(f"entry {requirement.unit}", exam_basis,
                                 str(requirement.span))
                self.add(cite.rule,
                         _finding("entry-requirement-not-met", "deny", requirement.unit),
                         [Atom("entry-missing", (requirement.unit, _))], cite)
        for rule in self.rs.rules:
            cite = self.cite(rule.name, rule.cite.basis, str(rule.cite.span))
            cond = self.condition(rule.when, cite)
            self.add(rule.name, _finding(rule.name, rule.severity), [Atom(cond, ())], cite)

    def static(self) -> Iterator[Fact]:
        rs = self.rs
        for u in rs.units:
            yield "unit", (u.code, u.kind)
            yield "unitmin", (u.code, u.min_items)
            for o in u.outcomes:
                yield "outcome", (u.code, o.ref)
            for activity in u.recommended:
                yield "recommended", (u.code, activity)
        for a in rs.assessments:
            yield "assessment", (a.name, a.method, a.path_independent)
            if a.max_units:
                yield "max-units", (a.name, a.max_units)
            for code in a.units:
                yield "assess", (a.name, code)
        for requirement in rs.exam.entry if rs.exam else ():
            for before in requirement.after:
                yield "entry", (requirement.unit, before)
        for r in rs.programme.regimes:
            if not r.never:
                start = r.start.toordinal() if r.start else 0
                end = r.end.toordinal() if r.end else NO_END
                yield "regime", (r.name, start, end)


def compile_ruleset(ruleset: ir.Ruleset) -> Compiled:
    """Compile a checked ruleset into a program (pure: no engine is involved).

    Raises:
        StratificationError: never for rulesets that passed the checks; kept as a guard.
    """
    b = _Builder(ruleset)
    b.evidence()
    b.coverage()
    b.combination()
    b.law()
    b.scope()
    b.institution()
    static = sorted(set(b.static()), key=_fact_key)
    program = Program.build(b.rules, static, INPUTS)
    types = {t.name: t for t in ruleset.evidence_types}
    accepted = {
        unit.code: tuple(
            (name, effective_max_age(ruleset, unit, types.get(name)),
             bool(types[name].needs_verification) if name in types else False)
            for name in sorted(unit.accepts))
        for unit in ruleset.units
    }
    return Compiled(ruleset, program, b.conditions, accepted)


def _fact_key(fact: Fact) -> tuple[str, tuple[tuple[str, str], ...]]:
    return fact[0], tuple((type(v).__name__, str(v)) for v in fact[1])



"""From a checked workspace (surface AST) to the IR: names resolved, defaults
applied, programme-level conditions folded to constants, regimes flattened, and each law
clause and rule marked with why it can never fire for the programme, if it cannot.

Lowering decides nothing about names of its own: it takes the workspace's
:class:`~luk_rules.checks.resolve.Resolution` as it is, the same one the checks judged
(which declarations there are, each unit's kind, what a regime inherits through
``extends``, what the programme fixes), and only turns it into IR.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Literal

from luk_rules import ast, ir
from luk_rules.checks.resolve import Resolution, first_of, resolve
from luk_rules.i18n import Message, msg
from luk_rules.scoping import Scope
from luk_rules.sources import Workspace
from luk_rules.span import Span


class LoweringError(Exception):
    """The workspace cannot become a decidable ruleset (for example: no programme)."""

    def __init__(self, message: Message, span: Span) -> None:
        super().__init__(message)
        self.message = message
        self.span = span


def _age(age: ast.Age, basis: ast.Basis | None = None) -> ir.MaxAge:
    """A maximum age; its span is the clause's age, its basis the clause's own (if any)."""
    cited = basis.cited if basis is not None else ""
    if age.unit == "years":
        return ir.MaxAge(years=age.amount.value, basis=cited, span=age.span)
    return ir.MaxAge(months=age.amount.value, basis=cited, span=age.span)


def _first(clauses: Iterable[object], kind: type[object]) -> object | None:
    return next((c for c in clauses if isinstance(c, kind)), None)


def _names(names: Iterable[ast.Name]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(n.value for n in names))


class _Lowerer:
    def __init__(self, ws: Workspace, resolved: Resolution) -> None:
        self.ws = ws
        self.resolved = resolved
        table = resolved.table
        self.evidence = first_of(table.evidence)
        self.units = first_of(table.units)
        self.assessments = first_of(table.assessments)
        self.rules = first_of(table.rules)
        self.fields = first_of(table.fields)
        self.exam = table.exams[0] if table.exams else None
        self.scope = Scope.bare(resolved.names)
        self.file_of = {id(decl): file for file, decl in ws.declarations()}

    def fixed(self, c: ast.Condition) -> ir.Cond:
        """A condition about the programme alone, as the resolution decides it: a constant,
        or for ``opted in`` a test on the submission date."""
        facts = self.resolved.facts
        assert facts is not None
        value = facts.atom(c)
        if value is not None:
            return ir.Const(value, span=c.span)
        if isinstance(c, ast.OptedIn) and facts.opted_in is not None:
            return ir.DateFrom(facts.opted_in, span=c.span)
        raise LoweringError(  # pragma: no cover - the checks reported it (LUK021, LUK042)
            msg("`{condition}` cannot be decided for this programme", condition=str(c)), c.span)

    # -- conditions

    def cond(self, c: ast.Condition) -> ir.Cond:
        sp = c.span
        match c:
            case ast.Compare() | ast.IsTest() | ast.ItemsQuantified():
                return self.scope.atom(c)
            case ast.Or(items):
                return ir.AnyOf(tuple(self.cond(i) for i in items), span=sp)
            case ast.And(items):
                return ir.AllOf(tuple(self.cond(i) for i in items), span=sp)
            case ast.Not(item):
                return ir.Negation(self.cond(item), span=sp)
            case ast.UnitClaimed(unit):
                return ir.Claimed(unit.value, span=sp)
            case ast.AssessmentIs(name):
                return ir.RequestedAssessment((name.value,), span=sp)
            case ast.AssessmentPathIndependent() | ast.AssessmentPathDependent():
                wanted = isinstance(c, ast.AssessmentPathIndependent)
                names = tuple(sorted(
                    a.name.value for a in self.assessments
                    if any(isinstance(x, ast.PathClause) and x.independent == wanted
                           for x in a.clauses)))
                return ir.RequestedAssessment(names, span=sp) if names else ir.Const(False, span=sp)
            case ast.AssessmentMethod(method):
                names = tuple(sorted(
                    a.name.value for a in self.assessments
                    if any(isinstance(x, ast.Method) and x.method == method for x in a.clauses)))
                return ir.RequestedAssessment(names, span=sp) if names else ir.Const(False, span=sp)
            case ast.EvidenceQuantified(quantifier, types):
                return ir.EvidenceTypes(quantifier, _names(types), span=sp)
            case ast.CountUnits(op, value):
                return ir.Count("units", (), op, value.value, span=sp)
            case ast.CountEvidence(types, op, value):
                return ir.Count("evidence", _names(types), op, value.value, span=sp)
            case ast.CombinationIs(combinations):
                return ir.CombinationIn(_names(combinations), span=sp)
            case ast.FormIs(forms):
                return ir.FormIn(_names(forms), span=sp)
            case ast.ActivityFollowed(activity):
                return ir.Followed(activity.value, span=sp)
            case ast.Submitted(op, date):
                when = dt.date.fromisoformat(date.value)
                if op == "from":
                    return ir.DateFrom(when, span=sp)
                return ir.Negation(ir.DateFrom(when, span=sp), span=sp)
            case (ast.LevelIs() | ast.InstitutionParticipates() | ast.OptedIn()
                  | ast.RecommendedRoute() | ast.HasPracticeComponent()):
                return self.fixed(c)
        raise AssertionError(f"unknown condition {c!r}")  # pragma: no cover

    # -- declarations

    def regime(self, name: str) -> ir.Regime:
        """A regime with what it inherits through ``extends`` (the resolution's closure)."""
        decl = self.resolved.table.regimes[name][0]
        basis = _first(decl.clauses, ast.Basis)
        start, end = self.resolved.period(name)
        permits: list[ir.Permit] = []
        allows: list[ir.Allow] = []
        for source, permit in self.resolved.inherited(name, ast.Permit):
            self.scope = Scope.bare(self.resolved.names)
            cite = ir.Cite(f"{source}: permit {permit.kind.value}", permit.basis.cited,
                           permit.span, *self.resolved.clause_status(permit, source))
            when = self.cond(permit.when) if permit.when else ir.Const(True, span=permit.span)
            permits.append(ir.Permit(permit.kind.value, _names(permit.forms), when, cite,
                                     self.resolved.unreachable(permit, source)))
        for source, allow in self.resolved.inherited(name, ast.Allow):
            self.scope = Scope.bare(self.resolved.names)
            combos = ", ".join(n.value for n in allow.combinations)
            cite = ir.Cite(f"{source}: allow combination {combos}", allow.basis.cited,
                           allow.span, *self.resolved.clause_status(allow, source))
            when = self.cond(allow.when) if allow.when else ir.Const(True, span=allow.span)
            allows.append(ir.Allow(_names(allow.combinations), _names(allow.kinds), when, cite,
                                   self.resolved.unreachable(allow, source)))
        return ir.Regime(
            name=name,
            title=decl.title.value,
            start=start,
            end=end,
            never=not self.resolved.may_be_in_force(name),
            basis=basis.cited if isinstance(basis, ast.Basis) else "",
            permits=tuple(permits),
            allows=tuple(allows),
            span=decl.span,
            status=self.resolved.status(name)[0],
            reading=self.resolved.status(name)[1],
            shipped=self.file_of[id(decl)].shipped,
        )

    def ruleset(self) -> ir.Ruleset:
        facts = self.resolved.facts
        if facts is None:
            raise LoweringError(
                msg("{file} declares no programme: it can be checked and included, but not "
                    "used to decide", file=self.ws.root), Span(self.ws.root, 1, 1, 1, 1))
        prog = facts.programme
        clauses = prog.clauses
        regimes = tuple(self.regime(n) for n in dict.fromkeys(facts.under)
                        if n in self.resolved.table.regimes)
        institution = _first(clauses, ast.Institution)
        default_age = _first(clauses, ast.DefaultMaxAge)
        default_min = _first(clauses, ast.MinItems)
        replaces = _first(clauses, ast.Replaces)
        closing = _first(clauses, ast.Closing)
        predecessor = None
        if isinstance(replaces, ast.Replaces):
            target = self.ws.replaced_by(facts.file, replaces)
            if target is None:  # pragma: no cover - the reading stage reported it
                raise LoweringError(msg("`{path}` cannot be read", path=replaces.path.value),
                                    replaces.span)
            predecessor = ir.Predecessor(str(target),
                                         dt.date.fromisoformat(replaces.date.value),
                                         span=replaces.span)
        programme = ir.Programme(
            code=prog.code.value,
            title=prog.title.value,
            level=facts.level or "",
            forms=facts.forms,
            institution=institution.name.value if isinstance(institution, ast.Institution)
            else "",
            participates=facts.participates,
            opted_in=facts.opted_in,
            max_age=_age(default_age.age, default_age.basis)
            if isinstance(default_age, ast.DefaultMaxAge) else None,
            min_items=default_min.count.value if isinstance(default_min, ast.MinItems) else 1,
            regimes=regimes,
            replaces=predecessor,
            closing=tuple(p.value for p in closing.paragraphs)
            if isinstance(closing, ast.Closing) else (),
            span=prog.span,
        )
        evidence = tuple(self.evidence_type(e) for e in self.evidence)
        units = tuple(self.unit(u) for u in self.units)
        assessments = tuple(self.assessment(a) for a in self.assessments)
        rules = tuple(self.rule(r) for r in self.rules)
        exam = self.exam_programme(self.exam) if self.exam else None
        fields = tuple(ir.Field(f.name.value, f.title.value, f.type, span=f.span)
                       for f in self.fields)
        return ir.Ruleset(self.ws.root, programme, evidence, units, assessments, rules, exam,
                          fields)

    def rule(self, r: ast.Rule) -> ir.Rule:
        """A rule with its binders and ``where`` names, resolved by its :class:`Scope`."""
        self.scope = Scope.of_rule(r, self.resolved.names)
        when = self.cond(r.when)
        severities: dict[str, Literal["deny", "warning", "info"]] = {
            "deny": "deny", "warn": "warning", "info": "info"}
        rule = ir.Rule(
            name=r.name.value,
            message=r.message.value,
            severity=severities[r.severity],
            when=when,
            cite=ir.Cite(r.name.value, r.basis.cited, r.span),
            binders=tuple(self.scope.binders),
            definitions=tuple(self.scope.definitions.values()),
            translations=tuple((t.lang, t.text.value) for t in r.translations),
            unreachable=self.resolved.rule_unreachable(r),
            advice=r.advice.localized if r.advice is not None else "",
        )
        if self.scope.diagnostics:  # pragma: no cover - the checks reported them
            raise LoweringError(self.scope.diagnostics[0].message, self.scope.diagnostics[0].span)
        self.scope = Scope.bare(self.resolved.names)
        return rule

    def exam_programme(self, e: ast.ExamProgramme) -> ir.ExamProgramme:
        required = [c for c in e.clauses if isinstance(c, ast.Required)]
        diploma = _first(e.clauses, ast.Diploma)
        validity = _first(e.clauses, ast.Validity)
        grounds = [c for c in e.clauses if isinstance(c, ast.Grounds)]
        basis = _first(e.clauses, ast.Basis)
        limit = _first(e.clauses, ast.ExemptionLimit)
        electives: list[ir.ElectiveGroup] = []
        for c in e.clauses:
            if isinstance(c, ast.ChooseUnits):
                electives.append(
                    ir.ElectiveGroup(_names(c.units), c.count.value, None, span=c.span))
            elif isinstance(c, ast.ChooseCredits):
                electives.append(ir.ElectiveGroup(_names(c.units), None, c.credits.value,
                                                  span=c.span))
        return ir.ExamProgramme(
            title=e.title.value,
            required=_names(n for c in required for n in c.units),
            electives=tuple(electives),
            diploma_credits=diploma.credits.value if isinstance(diploma, ast.Diploma) else None,
            entry=tuple(ir.EntryRequirement(c.unit.value, _names(c.after), span=c.span)
                        for c in e.clauses if isinstance(c, ast.Entry)),
            validity=_age(validity.age, validity.basis)
            if isinstance(validity, ast.Validity) else None,
            grounds=_names(n for c in grounds for n in c.grounds),
            basis=basis.cited if isinstance(basis, ast.Basis) else "",
            span=e.span,
            validity_span=validity.span if isinstance(validity, ast.Validity) else e.span,
            required_span=required[0].span if required else e.span,
            diploma_span=diploma.span if isinstance(diploma, ast.Diploma) else e.span,
            grounds_span=grounds[0].span if grounds else e.span,
            grounds_basis=next((c.basis.cited for c in grounds if c.basis), ""),
            exemption_limit=ir.ExemptionLimit(
                limit.amount.value, limit.share,
                limit.basis.cited if limit.basis else "", span=limit.span)
            if isinstance(limit, ast.ExemptionLimit) else None,
        )

    def evidence_type(self, e: ast.EvidenceType) -> ir.EvidenceType:
        age = _first(e.clauses, ast.MaxAge)
        verification = _first(e.clauses, ast.NeedsVerification)
        return ir.EvidenceType(
            name=e.name.value,
            title=e.title.value,
            max_age=_age(age.age, age.basis) if isinstance(age, ast.MaxAge) else None,
            needs_verification=verification is not None,
            span=e.span,
            verification_basis=verification.basis.cited
            if isinstance(verification, ast.NeedsVerification) and verification.basis else "",
            verification_span=verification.span
            if isinstance(verification, ast.NeedsVerification) else e.span,
        )

    def minimum(self, clause: ast.MinItems | ast.OutcomeMinItems | None) -> ir.Minimum:
        """How many items an outcome needs, cited by the clause that says so."""
        if clause is None:
            return ir.Minimum(1)
        return ir.Minimum(clause.count.value,
                          clause.basis.cited if clause.basis is not None else "",
                          span=clause.span)

    def unit(self, u: ast.Unit) -> ir.Unit:
        code = u.name.value
        credits = _first(u.clauses, ast.Credits)
        age = _first(u.clauses, ast.MaxAge)
        minimum = self.resolved.minimum_of(u)
        accepts = [c for c in u.clauses if isinstance(c, ast.Accepts)]
        narrowed = {c.id.value: c for c in reversed(u.clauses)
                    if isinstance(c, ast.OutcomeAccepts)}
        raised = {c.id.value: c for c in reversed(u.clauses)
                  if isinstance(c, ast.OutcomeMinItems)}
        unit_minimum = self.minimum(minimum)
        outcomes = tuple(
            ir.Outcome(
                f"{code}.{c.id.value}", code, c.text.value, span=c.span,
                accepts=_names(narrowed[c.id.value].types) if c.id.value in narrowed else None,
                accepts_basis=(b.cited if c.id.value in narrowed
                               and (b := narrowed[c.id.value].basis) is not None else ""),
                accepts_span=narrowed[c.id.value].span if c.id.value in narrowed else c.span,
                minimum=self.minimum(raised[c.id.value]) if c.id.value in raised
                else unit_minimum)
            for c in u.clauses if isinstance(c, ast.Outcome)
        )
        return ir.Unit(
            code=code,
            title=u.title.value,
            credits=credits.credits.value if isinstance(credits, ast.Credits) else 0,
            kind=self.resolved.unit_kinds[code],
            outcomes=tuple({o.ref: o for o in outcomes}.values()),
            accepts=_names(n for c in accepts for n in c.types),
            recommended=_names(
                n for c in u.clauses if isinstance(c, ast.Recommended) for n in c.activities),
            max_age=_age(age.age, age.basis) if isinstance(age, ast.MaxAge) else None,
            min_items=minimum.count.value if minimum is not None else 1,
            span=u.span,
            accepts_span=accepts[0].span if accepts else u.span,
        )

    def assessment(self, a: ast.Assessment) -> ir.Assessment:
        method = _first(a.clauses, ast.Method)
        path = _first(a.clauses, ast.PathClause)
        most = _first(a.clauses, ast.MaxUnits)
        return ir.Assessment(
            name=a.name.value,
            title=a.title.value,
            method=method.method if isinstance(method, ast.Method) else "portfolio",
            path_independent=isinstance(path, ast.PathClause) and path.independent,
            units=_names(n for c in a.clauses if isinstance(c, ast.Assesses) for n in c.units),
            max_units=most.count.value if isinstance(most, ast.MaxUnits) else None,
            span=a.span,
        )


def lower(workspace: Workspace, resolved: Resolution | None = None) -> ir.Ruleset:
    """Turn a workspace that passed the checks into the IR.

    ``resolved`` is the workspace's resolution, the one the checks judged (the pipeline
    hands it over); it is made here when not given.

    Raises:
        LoweringError: when the workspace has no programme to decide for.
    """
    return _Lowerer(workspace, resolved if resolved is not None else resolve(workspace)).ruleset()

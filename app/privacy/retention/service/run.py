"""One retention run over every institution: each registered rule in its own tenant scope,
with the institution's settings and holds in force; returns what went, what was anonymised
and what was kept under which hold. A failing rule is logged and counted, and does not stop
the others."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.ext.asyncio import async_sessionmaker

from app.core.system_scope import institution_ids, institution_session
from app.db import RequestSession
from app.institutions.service.settings import institution_settings
from app.privacy.retention.service.rules import Holds, KindReport, RuleRun, registered_rules
from app.storage import ObjectStorage

log = logging.getLogger("seddel.retention")


@dataclass
class RetentionReport:
    kinds: dict[str, KindReport] = field(default_factory=dict)

    def kind(self, name: str) -> KindReport:
        return self.kinds.setdefault(name, KindReport())

    def add_counts(self, deleted: Mapping[str, int]) -> None:
        for name, count in deleted.items():
            self.kind(name).deleted += count

    def totals(self) -> dict[str, int]:
        return {name: report.deleted + report.anonymised for name, report in self.kinds.items()}

    def lines(self, *, dry_run: bool = False) -> list[str]:
        """The report as `seddel retention` prints it: the totals, one line per kind, then
        one per subject kept under a hold."""
        would = "would be " if dry_run else ""
        totals = ", ".join(f"{name} {count}" for name, count in self.totals().items())
        out = [("retention (dry run, nothing changed): " if dry_run else "retention: ") + totals]
        for name, report in self.kinds.items():
            line = f"{name}: {would}deleted {report.deleted}"
            if report.anonymised:
                line += f", {would}anonymised {report.anonymised}"
            if report.told:
                line += f", {'would tell' if dry_run else 'told'} {report.told}"
            if report.kept:
                line += f", kept under legal hold {len(report.kept)}"
            if report.failed:
                line += f", FAILED in {report.failed} institution(s) (see the log)"
            out.append(line)
            for kept in report.kept:
                out.append(
                    f"  kept {kept.subject} {kept.subject_id}: hold {kept.hold_id} ({kept.reason})"
                )
        return out


async def run_retention_rules(
    *,
    sessions: async_sessionmaker[RequestSession],
    storage: ObjectStorage,
    now: datetime,
    report: RetentionReport | None = None,
) -> RetentionReport:
    report = report if report is not None else RetentionReport()
    rules = registered_rules()
    for kind, _ in rules:
        report.kind(kind)
    async with sessions() as db:
        ids = await institution_ids(db)
    for institution_id in ids:
        for kind, rule in rules:
            try:
                async with institution_session(sessions, institution_id) as db:
                    async with db.begin():
                        settings = await institution_settings(db, institution_id)
                        holds = await Holds.in_force(db, institution_id)
                    done = await rule(
                        RuleRun(
                            db=db,
                            storage=storage,
                            institution_id=institution_id,
                            now=now,
                            settings=settings,
                            holds=holds,
                        )
                    )
                report.kind(kind).add(done)
            except Exception:
                log.exception("retention rule %s failed for institution %s", kind, institution_id)
                report.kind(kind).failed += 1
    return report

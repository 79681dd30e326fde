import { SECTORS } from '../organisations/store';
import { emptyCounts, type GroupCounts, MEASURES, type Measure, type RawFigures, STATUS_MEASURES } from './figures';
import { type ShownFigure, type SumConstraint, shown, shownPercent, suppress } from './suppression';

/**
 * The board's figures as a board member sees them: totals for the
 * partnership, each sector and each organisation, by staff group, with small
 * numbers suppressed across every table at once (a figure hidden in the
 * organisations table cannot be read off the sectors table).
 */

export interface FigureRow {
  label: string;
  onSystem: ShownFigure;
  compliant: ShownFigure;
  dueSoon: ShownFigure;
  overdue: ShownFigure;
  inInduction: ShownFigure;
  notStarted: ShownFigure;
  compliantPercent: number | null;
  dueSoonPercent: number | null;
  overduePercent: number | null;
  /** Declared headcount (staff and volunteers); null when nobody declared one. */
  declared: number | null;
  /** Compliant as a share of the declared headcount; null when hidden or not declared. */
  compliantOfDeclaredPercent: number | null;
  /** True when fewer people were declared than are on the system (the declaration is out of date). */
  declaredBelowSystem: boolean;
}

export interface EntityFigures {
  key: string;
  name: string;
  total: FigureRow;
  groups: FigureRow[];
}

export interface BoardView {
  asOf: string;
  periodStart: string;
  periodEnd: string;
  computedAt: string;
  threshold: number;
  groups: number[];
  partnership: EntityFigures;
  sectors: EntityFigures[];
  organisations: (EntityFigures & { sector: string; sectorName: string; inArea: boolean; declaredHeadcount: boolean })[];
  elearning: { completions: ShownFigure; byCourse: { title: string; completions: ShownFigure }[] };
  faceToFace: { sessionsRun: number; placesFilled: ShownFigure; agenciesRepresented: number };
  /** Organisations that have not declared a headcount for every group. */
  undeclared: string[];
}

const key = (entity: string, group: string, measure: Measure) => `${entity}|${group}|${measure}`;

export function sectorName(sector: string): string {
  return (SECTORS as Record<string, string>)[sector] ?? sector;
}

export function buildBoardView(raw: RawFigures, threshold: number): BoardView {
  const values = new Map<string, number>();
  const declared = new Map<string, number>();
  const declaredAny = new Set<string>();
  const constraints: SumConstraint[] = [];
  const groupKeys = raw.groups.map(String);
  const allGroups = [...groupKeys, 'all'];
  const sectors = [...new Set(raw.organisations.map((o) => o.sector))].sort((a, b) => sectorName(a).localeCompare(sectorName(b)));

  const add = (entity: string, group: string, counts: GroupCounts) => {
    for (const m of MEASURES) values.set(key(entity, group, m), (values.get(key(entity, group, m)) ?? 0) + counts[m]);
  };
  const addDeclared = (entity: string, group: string, n: number | undefined) => {
    if (n === undefined) return;
    declared.set(`${entity}|${group}`, (declared.get(`${entity}|${group}`) ?? 0) + n);
  };
  for (const org of raw.organisations) {
    const entity = `org:${org.slug}`;
    for (const g of groupKeys) {
      const counts = org.groups[g] ?? emptyCounts();
      // Sectors and the partnership count an organisation that has not declared a group (or
      // declared fewer than it has on the system) at its on-system headcount: the least it has.
      const d = org.declared[g];
      const effective = Math.max(d ?? 0, counts.onSystem);
      for (const target of [entity, `sector:${org.sector}`, 'all']) {
        add(target, g, counts);
        add(target, 'all', counts);
        const n = target === entity ? d : effective;
        addDeclared(target, g, n);
        if (target !== entity || groupKeys.every((k) => org.declared[k] !== undefined)) addDeclared(target, 'all', n);
        if (d !== undefined) declaredAny.add(target);
      }
    }
  }
  const entities = ['all', ...sectors.map((s) => `sector:${s}`), ...raw.organisations.map((o) => `org:${o.slug}`)];
  for (const e of entities) {
    for (const g of allGroups) constraints.push({ total: key(e, g, 'onSystem'), parts: STATUS_MEASURES.map((m) => key(e, g, m)) });
    for (const m of MEASURES) constraints.push({ total: key(e, 'all', m), parts: groupKeys.map((g) => key(e, g, m)) });
  }
  const orgsOfSector = new Map(sectors.map((s) => [s, raw.organisations.filter((o) => o.sector === s)]));
  for (const g of allGroups) {
    for (const m of MEASURES) {
      constraints.push({ total: key('all', g, m), parts: sectors.map((s) => key(`sector:${s}`, g, m)) });
      constraints.push({ total: key('all', g, m), parts: raw.organisations.map((o) => key(`org:${o.slug}`, g, m)) });
      for (const s of sectors) {
        constraints.push({ total: key(`sector:${s}`, g, m), parts: (orgsOfSector.get(s) ?? []).map((o) => key(`org:${o.slug}`, g, m)) });
      }
    }
  }
  // E-learning: each module's completions add up to the total.
  raw.elearning.byCourse.forEach((c, i) => {
    values.set(`elearning|${i}`, c.completions);
  });
  values.set('elearning|all', raw.elearning.completions);
  constraints.push({ total: 'elearning|all', parts: raw.elearning.byCourse.map((_c, i) => `elearning|${i}`) });
  values.set('f2f|places', raw.faceToFace.placesFilled);

  const result = suppress(values, constraints, threshold);
  const fig = (k: string) => shown(values, result, k);

  const row = (entity: string, group: string, label: string): FigureRow => {
    const f = Object.fromEntries(MEASURES.map((m) => [m, fig(key(entity, group, m))])) as Record<Measure, ShownFigure>;
    const d = declaredAny.has(entity) ? declared.get(`${entity}|${group}`) : undefined;
    const onSystemRaw = values.get(key(entity, group, 'onSystem')) ?? 0;
    const declaredBelowSystem = d !== undefined && d < onSystemRaw;
    return {
      label,
      ...f,
      compliantPercent: shownPercent(f.compliant, f.onSystem),
      dueSoonPercent: shownPercent(f.dueSoon, f.onSystem),
      overduePercent: shownPercent(f.overdue, f.onSystem),
      declared: d ?? null,
      compliantOfDeclaredPercent: d !== undefined && !declaredBelowSystem ? shownPercent(f.compliant, d) : null,
      declaredBelowSystem,
    };
  };
  const entity = (e: string, name: string): EntityFigures => ({
    key: e,
    name,
    total: row(e, 'all', 'All groups'),
    groups: groupKeys.map((g) => row(e, g, `Group ${g}`)),
  });

  return {
    asOf: raw.asOf,
    periodStart: raw.periodStart,
    periodEnd: raw.periodEnd,
    computedAt: raw.computedAt,
    threshold,
    groups: raw.groups,
    partnership: entity('all', 'Whole partnership'),
    sectors: sectors.map((s) => entity(`sector:${s}`, sectorName(s))),
    organisations: raw.organisations.map((o) => ({
      ...entity(`org:${o.slug}`, o.name),
      sector: o.sector,
      sectorName: sectorName(o.sector),
      inArea: o.inArea,
      declaredHeadcount: groupKeys.every((g) => o.declared[g] !== undefined),
    })),
    elearning: { completions: fig('elearning|all'), byCourse: raw.elearning.byCourse.map((c, i) => ({ title: c.title, completions: fig(`elearning|${i}`) })) },
    faceToFace: { sessionsRun: raw.faceToFace.sessionsRun, placesFilled: fig('f2f|places'), agenciesRepresented: raw.faceToFace.agenciesRepresented },
    undeclared: raw.organisations.filter((o) => !groupKeys.every((g) => o.declared[g] !== undefined)).map((o) => o.name),
  };
}

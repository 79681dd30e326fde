import { SECTORS } from '../organisations/api';
import { emptyCounts, MEASURES, type Measure, type RawFigures, STATUS_MEASURES } from './figures';
import { type Protected, protect, protectedTotal, type ShownFigure, type ShownPercent, shownPercent } from './suppression';

/**
 * The board's figures as a board member sees them: totals for the
 * partnership, each sector and each organisation, by staff group, every one
 * protected by the one method in suppression.ts (small counts withheld, every
 * other count rounded, totals the sums of the rounded counts). Nothing here
 * reads a true count except through protect().
 */

export interface FigureRow {
  label: string;
  onSystem: ShownFigure;
  compliant: ShownFigure;
  dueSoon: ShownFigure;
  overdue: ShownFigure;
  inInduction: ShownFigure;
  notStarted: ShownFigure;
  compliantPercent: ShownPercent;
  dueSoonPercent: ShownPercent;
  overduePercent: ShownPercent;
  /** Declared headcount (staff and volunteers); null when nobody declared one. */
  declared: ShownFigure | null;
  /** Compliant as a share of the declared headcount; null when not declared or out of date. */
  compliantOfDeclaredPercent: ShownPercent;
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
  /** Sessions run are training events, not people, so they are shown as they are. */
  faceToFace: { sessionsRun: number; placesFilled: ShownFigure; agenciesRepresented: ShownFigure };
  /** Organisations that have not declared a headcount for every group. */
  undeclared: string[];
}

export function sectorName(sector: string): string {
  return (SECTORS as Record<string, string>)[sector] ?? sector;
}

export function buildBoardView(raw: RawFigures, threshold: number): BoardView {
  const groupKeys = raw.groups.map(String);
  const sectors = [...new Set(raw.organisations.map((o) => o.sector))].sort((a, b) => sectorName(a).localeCompare(sectorName(b)));
  const total = (parts: Protected[]) => protectedTotal(parts, threshold);

  // The finest counts, protected once; every other figure is a total of them.
  const parts = new Map<string, Protected[]>();
  const addPart = (k: string, p: Protected) => {
    const list = parts.get(k);
    if (list) list.push(p);
    else parts.set(k, [p]);
  };
  const finest = new Map<string, Protected>();
  const declaredOf = new Map<string, Protected>();
  const declaredParts = new Map<string, Protected[]>();
  const declaredAny = new Set<string>();
  for (const org of raw.organisations) {
    const entity = `org:${org.slug}`;
    for (const g of groupKeys) {
      const counts = org.groups[g] ?? emptyCounts();
      for (const m of STATUS_MEASURES) {
        const p = protect(counts[m], threshold);
        finest.set(`${entity}|${g}|${m}`, p);
        for (const target of [entity, `sector:${org.sector}`, 'all']) {
          for (const group of [g, 'all']) {
            addPart(`${target}|${group}|${m}`, p);
            addPart(`${target}|${group}|onSystem`, p);
          }
        }
      }
      const d = org.declared[g];
      if (d !== undefined) {
        declaredOf.set(`${entity}|${g}`, protect(d, threshold));
        for (const target of [entity, `sector:${org.sector}`, 'all']) declaredAny.add(target);
      }
    }
  }
  const figure = new Map<string, Protected>();
  const fig = (k: string): Protected => {
    let f = finest.get(k) ?? figure.get(k);
    if (!f) {
      f = total(parts.get(k) ?? []);
      figure.set(k, f);
    }
    return f;
  };
  // Declared headcount: an organisation's own declaration per group (its total only when every
  // group is declared). Sectors and the partnership count each organisation and group at the larger
  // of its published declaration and its published count on the system (that count when not
  // declared), so these totals too are made only of published figures.
  for (const org of raw.organisations) {
    const entity = `org:${org.slug}`;
    const complete = groupKeys.every((g) => declaredOf.has(`${entity}|${g}`));
    for (const g of groupKeys) {
      const d = declaredOf.get(`${entity}|${g}`);
      const on = fig(`${entity}|${g}|onSystem`);
      const effective = d && d.rounded >= on.rounded ? d : on;
      for (const target of [`sector:${org.sector}`, 'all']) {
        for (const group of [g, 'all']) {
          const k = `${target}|${group}`;
          const list = declaredParts.get(k);
          if (list) list.push(effective);
          else declaredParts.set(k, [effective]);
        }
      }
      if (d && complete) {
        const list = declaredParts.get(`${entity}|all`);
        if (list) list.push(d);
        else declaredParts.set(`${entity}|all`, [d]);
      }
    }
  }
  const declaredFigure = (entity: string, group: string): Protected | undefined => {
    if (!declaredAny.has(entity)) return undefined;
    if (entity.startsWith('org:') && group !== 'all') return declaredOf.get(`${entity}|${group}`);
    const list = declaredParts.get(`${entity}|${group}`);
    return list ? total(list) : undefined;
  };

  const row = (entity: string, group: string, label: string): FigureRow => {
    const f = Object.fromEntries(MEASURES.map((m) => [m, fig(`${entity}|${group}|${m}`).shown])) as Record<Measure, ShownFigure>;
    const d = declaredFigure(entity, group);
    const declaredBelowSystem = d !== undefined && d.rounded < fig(`${entity}|${group}|onSystem`).rounded;
    return {
      label,
      ...f,
      compliantPercent: shownPercent(f.compliant, f.onSystem),
      dueSoonPercent: shownPercent(f.dueSoon, f.onSystem),
      overduePercent: shownPercent(f.overdue, f.onSystem),
      declared: d ? d.shown : null,
      compliantOfDeclaredPercent: d && !declaredBelowSystem ? shownPercent(f.compliant, d.shown) : null,
      declaredBelowSystem,
    };
  };
  const entity = (e: string, name: string): EntityFigures => ({
    key: e,
    name,
    total: row(e, 'all', 'All groups'),
    groups: groupKeys.map((g) => row(e, g, `Group ${g}`)),
  });

  const courses = raw.elearning.byCourse.map((c) => protect(c.completions, threshold));
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
    elearning: { completions: total(courses).shown, byCourse: raw.elearning.byCourse.map((c, i) => ({ title: c.title, completions: courses[i].shown })) },
    faceToFace: {
      sessionsRun: raw.faceToFace.sessionsRun,
      placesFilled: protect(raw.faceToFace.placesFilled, threshold).shown,
      agenciesRepresented: protect(raw.faceToFace.agenciesRepresented, threshold).shown,
    },
    undeclared: raw.organisations.filter((o) => !groupKeys.every((g) => o.declared[g] !== undefined)).map((o) => o.name),
  };
}

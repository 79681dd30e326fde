import loadHighs from 'highs';

/**
 * A board member turned attacker: from the coverage figures the board is
 * given for one day (API answer and CSV), build every linear constraint those
 * figures imply about the true counts, and ask a MIP solver (HiGHS) for the
 * smallest and largest true value of each withheld figure.
 *
 * The attacker knows the published method, whichever it is:
 * - exact counts with "fewer than N" (1 to N-1) and "hidden" (N or more), the
 *   suppression the board had before;
 * - counts rounded to a base with "[c]" (null in the API) for a small count,
 *   where every total is the sum of the rounded counts it is made of
 *   (disclosureControl in the API answer).
 * Unknowns are the true counts of each organisation, staff group and status
 * (the finest cells every other figure adds up from), plus what each withheld
 * cell was rounded to and each declared headcount. Constraints: every row,
 * column, sector and partnership total, the declared-headcount totals (an
 * organisation counted at the larger of its declaration and what is on the
 * system), and every percentage to its rounding.
 */

export const STATUSES = ['compliant', 'dueSoon', 'overdue', 'inInduction', 'notStarted'] as const;
const MEASURES = ['onSystem', ...STATUSES] as const;
type Measure = (typeof MEASURES)[number];

/** One published row: an entity ('all', 'sector:x', 'org:y') and a group ('1'.. or 'all'). */
export interface PublishedRow {
  entity: string;
  group: string;
  figures: Partial<Record<Measure, unknown>>;
  percents: { compliant?: number | null; dueSoon?: number | null; overdue?: number | null; compliantOfDeclared?: number | null };
  declared: unknown;
}

export interface PublishedDay {
  asOf: string;
  threshold: number;
  /** Set when figures are rounded to this base (totals are sums of rounded cells). */
  roundingBase: number | null;
  orgs: { slug: string; sector: string }[];
  groups: string[];
  rows: PublishedRow[];
}

type Kind = { kind: 'number'; n: number } | { kind: 'small'; below: number } | { kind: 'hidden' } | { kind: 'withheld' } | { kind: 'none' };

function read(v: unknown, withheld: boolean): Kind {
  if (withheld || v === '[c]') return { kind: 'withheld' };
  if (typeof v === 'number') return { kind: 'number', n: v };
  if (typeof v === 'string') {
    if (/^\d+$/.test(v)) return { kind: 'number', n: Number(v) };
    const m = /^fewer than (\d+)$/.exec(v);
    if (m) return { kind: 'small', below: Number(m[1]) };
    if (v === 'hidden') return { kind: 'hidden' };
  }
  return { kind: 'none' };
}

type ApiRow = Record<string, unknown> & { withheld?: string[] };
interface ApiEntity {
  total: ApiRow;
  groups: (ApiRow & { group: number })[];
}
interface ApiBody {
  asOf: string;
  disclosureControl?: { threshold: number; roundingBase: number };
  suppression?: { threshold: number };
  partnership: ApiEntity;
  sectors: (ApiEntity & { sector: string })[];
  organisations: (ApiEntity & { slug: string; sector: string })[];
}

const num = (v: unknown) => (typeof v === 'number' ? v : null);

/** Reads the coverage API answer for one day. */
export function fromApi(body: ApiBody): PublishedDay {
  const rows: PublishedRow[] = [];
  const base = body.disclosureControl?.roundingBase ?? null;
  const threshold = body.disclosureControl?.threshold ?? body.suppression?.threshold ?? 5;
  const push = (entity: string, group: string, r: ApiRow) => {
    const withheld = new Set<string>(r.withheld ?? []);
    const figures: PublishedRow['figures'] = {};
    for (const m of MEASURES) figures[m] = withheld.has(m) ? '[c]' : r[m];
    rows.push({
      entity,
      group,
      figures,
      percents: {
        compliant: num(r.compliantPercent),
        dueSoon: num(r.dueSoonPercent),
        overdue: num(r.overduePercent),
        compliantOfDeclared: num(r.compliantOfDeclaredPercent),
      },
      declared: withheld.has('declaredHeadcount') ? '[c]' : r.declaredHeadcount,
    });
  };
  const entity = (key: string, e: ApiEntity) => {
    push(key, 'all', e.total);
    for (const g of e.groups) push(key, String(g.group), g);
  };
  entity('all', body.partnership);
  for (const s of body.sectors) entity(`sector:${s.sector}`, s);
  for (const o of body.organisations) entity(`org:${o.slug}`, o);
  return {
    asOf: body.asOf,
    threshold,
    roundingBase: base,
    orgs: body.organisations.map((o) => ({ slug: o.slug, sector: o.sector })),
    groups: body.partnership.groups.map((g) => String(g.group)),
    rows,
  };
}

/** Adds the rows of the board report CSV (same day as `day`) to what the attacker knows. */
export function addCsv(day: PublishedDay, csv: string, names: { sector: Map<string, string>; org: Map<string, string> }): void {
  const lines = parseCsv(csv);
  const header = lines[0];
  const col = (name: string) => header.indexOf(name);
  for (const cells of lines.slice(1)) {
    const level = cells[0];
    const entity =
      level === 'partnership'
        ? 'all'
        : level === 'sector'
          ? `sector:${names.sector.get(cells[1])}`
          : level === 'organisation'
            ? `org:${names.org.get(cells[1])}`
            : null;
    if (!entity || entity.endsWith(':undefined')) continue;
    const cell = (name: string) => {
      const v = cells[col(name)];
      return v === '' ? null : /^\d+$/.test(v) ? Number(v) : v;
    };
    const pct = (name: string) => {
      const v = cell(name);
      return typeof v === 'number' ? v : null;
    };
    day.rows.push({
      entity,
      group: cells[2],
      figures: {
        onSystem: cell('on_system'),
        compliant: cell('compliant'),
        dueSoon: cell('due_soon'),
        overdue: cell('overdue'),
        inInduction: cell('in_induction'),
        notStarted: cell('not_started'),
      },
      percents: { compliant: pct('compliant_percent'), compliantOfDeclared: pct('compliant_of_declared_percent') },
      declared: cell('declared_headcount'),
    });
  }
}

function parseCsv(text: string): string[][] {
  const out: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(cell);
      cell = '';
    } else if (ch === '\n') {
      row.push(cell);
      out.push(row);
      row = [];
      cell = '';
    } else if (ch !== '\r') cell += ch;
  }
  if (cell !== '' || row.length) {
    row.push(cell);
    out.push(row);
  }
  return out;
}

/** Values of a withheld figure seen in solutions found (for a pinned figure, its only possible value). */
export interface WithheldRange {
  figure: string;
  min: number;
  max: number;
}

/**
 * For every withheld figure of the day, the smallest and largest true value
 * consistent with everything published. Figures pinned to one value are the leaks.
 */
export async function attack(day: PublishedDay): Promise<{ ranges: WithheldRange[]; pinned: WithheldRange[] }> {
  const highs = await loadHighs();
  const t = day.threshold;
  const b = day.roundingBase;
  const lines: string[] = [];
  const generals: string[] = [];
  const binaries: string[] = [];
  const bounds: string[] = [];
  let n = 0;
  const fresh = (prefix: string) => `${prefix}${n++}`;
  type Expr = Map<string, number>;
  const sum = (...es: Expr[]): Expr => {
    const out: Expr = new Map();
    for (const e of es) for (const [k, v] of e) out.set(k, (out.get(k) ?? 0) + v);
    return out;
  };
  const scale = (e: Expr, f: number): Expr => new Map([...e].map(([k, v]) => [k, v * f]));
  const text = (e: Expr) => {
    const terms = [...e].filter(([, v]) => v !== 0).map(([k, v]) => `${v >= 0 ? '+' : '-'} ${Math.abs(v)} ${k}`);
    const chunks: string[] = [];
    for (let i = 0; i < terms.length; i += 8) chunks.push(terms.slice(i, i + 8).join(' '));
    return chunks.length ? chunks.join('\n   ') : '0 zero';
  };
  const constrain = (e: Expr, op: '>=' | '<=' | '=', rhs: number) => {
    lines.push(` ${fresh('c')}: ${text(e)} ${op} ${rhs}`);
  };
  bounds.push(' zero = 0');

  // The finest cells: true count x and what it was published as p (p = x when nothing is rounded).
  const groups = day.groups;
  const orgsOf = (entity: string) =>
    entity === 'all'
      ? day.orgs
      : entity.startsWith('sector:')
        ? day.orgs.filter((o) => `sector:${o.sector}` === entity)
        : day.orgs.filter((o) => `org:${o.slug}` === entity);
  const cell = new Map<string, { x: string; p: Expr }>();
  for (const o of day.orgs) {
    for (const g of groups) {
      for (const s of STATUSES) {
        const x = fresh('x');
        generals.push(x);
        bounds.push(` 0 <= ${x} <= 100000`);
        let p: Expr = new Map([[x, 1]]);
        if (b) {
          const m = fresh('m');
          generals.push(m);
          bounds.push(` 0 <= ${m} <= 100000`);
          p = new Map([[m, b]]);
          // x rounds to p: within half the base of it.
          constrain(sum(new Map([[x, 1]]), scale(p, -1)), '<=', Math.floor(b / 2));
          constrain(sum(new Map([[x, 1]]), scale(p, -1)), '>=', -Math.floor(b / 2));
        }
        cell.set(`${o.slug}|${g}|${s}`, { x, p });
      }
    }
  }
  const cellsOf = (entity: string, group: string, measure: Measure) => {
    const out: { x: string; p: Expr }[] = [];
    for (const o of orgsOf(entity)) {
      for (const g of group === 'all' ? groups : [group]) {
        for (const s of measure === 'onSystem' ? STATUSES : [measure]) out.push(cell.get(`${o.slug}|${g}|${s}`)!);
      }
    }
    return out;
  };
  const published = (entity: string, group: string, measure: Measure) => sum(...cellsOf(entity, group, measure).map((c) => c.p));
  const truth = (entity: string, group: string, measure: Measure): Expr => sum(...cellsOf(entity, group, measure).map((c) => new Map([[c.x, 1]])));
  const isFinest = (entity: string, group: string, measure: Measure) => entity.startsWith('org:') && group !== 'all' && measure !== 'onSystem';

  const withheld: { figure: string; expr: Expr }[] = [];
  const seenWithheld = new Set<string>();
  for (const r of day.rows) {
    for (const m of MEASURES) {
      const v = read(r.figures[m], false);
      const p = published(r.entity, r.group, m);
      const x = truth(r.entity, r.group, m);
      const label = `${day.asOf} ${r.entity} group ${r.group} ${m}`;
      const hide = () => {
        if (!seenWithheld.has(label)) {
          seenWithheld.add(label);
          withheld.push({ figure: label, expr: x });
        }
      };
      if (v.kind === 'number') {
        constrain(p, '=', v.n);
        if (b && isFinest(r.entity, r.group, m)) constrain(x, '>=', v.n > 0 ? t : 0);
        if (b && v.n === 0) constrain(x, '<=', 0);
      } else if (v.kind === 'small') {
        constrain(p, '>=', 1);
        constrain(p, '<=', v.below - 1);
        hide();
      } else if (v.kind === 'hidden') {
        constrain(p, '>=', t);
        hide();
      } else if (v.kind === 'withheld') {
        if (isFinest(r.entity, r.group, m)) {
          constrain(x, '>=', 1);
          constrain(x, '<=', t - 1);
        } else {
          constrain(p, '<=', t - 1);
          constrain(x, '>=', 1);
        }
        hide();
      }
    }
    // Percentages, each to its rounding: 100 * part within (p +- 0.5) of the whole.
    const onSystem = published(r.entity, r.group, 'onSystem');
    for (const [key, measure] of [
      ['compliant', 'compliant'],
      ['dueSoon', 'dueSoon'],
      ['overdue', 'overdue'],
    ] as const) {
      const pc = r.percents[key];
      if (typeof pc !== 'number') continue;
      const part = scale(published(r.entity, r.group, measure), 100);
      constrain(sum(part, scale(onSystem, -(pc + 0.5))), '<=', 0);
      constrain(sum(part, scale(onSystem, -(pc - 0.5))), '>=', 0);
    }
  }

  // Declared headcount: an organisation's own figure per group; sectors and the partnership
  // add, for each organisation and group, the larger of its declaration and its count on the system.
  const declaredOf = new Map<string, Expr | null>();
  for (const r of day.rows) {
    if (!r.entity.startsWith('org:') || r.group === 'all') continue;
    const v = read(r.declared, false);
    if (v.kind === 'number') declaredOf.set(`${r.entity}|${r.group}`, constNum(v.n));
    else if (v.kind === 'withheld' || v.kind === 'small') {
      const d = fresh('d');
      generals.push(d);
      if (b) {
        const m = fresh('m');
        generals.push(m);
        bounds.push(` 0 <= ${m} <= 100000`);
        bounds.push(` 1 <= ${d} <= ${t - 1}`);
        constrain(sum(new Map([[d, 1]]), new Map([[m, -b]])), '<=', Math.floor(b / 2));
        constrain(sum(new Map([[d, 1]]), new Map([[m, -b]])), '>=', -Math.floor(b / 2));
        declaredOf.set(`${r.entity}|${r.group}`, new Map([[m, b]]));
      } else {
        bounds.push(` 1 <= ${d} <= ${t - 1}`);
        declaredOf.set(`${r.entity}|${r.group}`, new Map([[d, 1]]));
      }
    } else if (!declaredOf.has(`${r.entity}|${r.group}`)) declaredOf.set(`${r.entity}|${r.group}`, null);
  }
  function constNum(k: number): Expr {
    return new Map([['one', k]]);
  }
  bounds.push(' one = 1');
  const effective = new Map<string, Expr>();
  const effectiveOf = (slug: string, g: string): Expr => {
    const key = `org:${slug}|${g}`;
    const got = effective.get(key);
    if (got) return got;
    const on = published(`org:${slug}`, g, 'onSystem');
    const d = declaredOf.get(key);
    let e: Expr;
    if (!d) e = on;
    else {
      const v = fresh('e');
      const z = fresh('z');
      binaries.push(z);
      bounds.push(` 0 <= ${v} <= 100000`);
      const ev = new Map([[v, 1]]);
      const big = 20000;
      constrain(sum(ev, scale(d, -1)), '>=', 0);
      constrain(sum(ev, scale(on, -1)), '>=', 0);
      constrain(sum(ev, scale(d, -1), new Map([[z, -big]])), '<=', 0);
      constrain(sum(ev, scale(on, -1), new Map([[z, big]])), '<=', big);
      e = ev;
    }
    effective.set(key, e);
    return e;
  };
  for (const r of day.rows) {
    if (r.entity.startsWith('org:')) continue;
    const v = read(r.declared, false);
    if (v.kind !== 'number') continue;
    const parts: Expr[] = [];
    for (const o of orgsOf(r.entity)) for (const g of r.group === 'all' ? groups : [r.group]) parts.push(effectiveOf(o.slug, g));
    constrain(sum(...parts), '=', v.n);
    const pc = r.percents.compliantOfDeclared;
    if (typeof pc === 'number' && v.n > 0) {
      const part = scale(published(r.entity, r.group, 'compliant'), 100);
      constrain(part, '<=', (pc + 0.5) * v.n);
      constrain(part, '>=', (pc - 0.5) * v.n);
    }
  }

  const model = (sense: 'Minimize' | 'Maximize', objective: Expr) =>
    [
      sense,
      ` obj: ${text(objective)}`,
      'Subject To',
      ...lines,
      'Bounds',
      ...bounds,
      'Generals',
      ` ${generals.join(' ')}`,
      ...(binaries.length ? ['Binaries', ` ${binaries.join(' ')}`] : []),
      'End',
    ].join('\n');
  // One solution of the model gives every figure a value; a figure is pinned when no other
  // solution gives it a different one. Each solution found clears every figure it moves, so
  // only figures no solution has moved yet need their own maximum and minimum.
  const solve = (sense: 'Minimize' | 'Maximize', objective: Expr) => {
    const result = highs.solve(model(sense, objective), { output_flag: false, mip_rel_gap: 0 } as never);
    if (result.Status !== 'Optimal') throw new Error(`the attacker's model for ${day.asOf} is ${result.Status}: it does not describe the published figures`);
    const columns = result.Columns as Record<string, { Primal: number }>;
    return (e: Expr) => Math.round([...e].reduce((a, [k, v]) => a + v * (columns[k]?.Primal ?? 0), 0));
  };
  // The figures as published must be consistent with some true counts, or the model is wrong.
  const first = solve('Minimize', new Map([['zero', 1]]));
  const seen = withheld.map((w) => ({ ...w, min: first(w.expr), max: first(w.expr) }));
  const learn = (value: (e: Expr) => number) => {
    for (const w of seen) {
      const v = value(w.expr);
      w.min = Math.min(w.min, v);
      w.max = Math.max(w.max, v);
    }
  };
  const everything = sum(...withheld.map((w) => w.expr));
  learn(solve('Maximize', everything));
  learn(solve('Minimize', everything));
  for (const w of seen) {
    if (w.max > w.min) continue;
    learn(solve('Maximize', w.expr));
    if (w.max > w.min) continue;
    learn(solve('Minimize', w.expr));
  }
  const ranges = seen.map((w) => ({ figure: w.figure, min: w.min, max: w.max }));
  return { ranges, pinned: ranges.filter((r) => r.max === r.min) };
}

import { randomUUID } from 'node:crypto';
import type { Pool, PoolClient } from 'pg';
import { audit } from '../../server/auth/users';
import { HttpError } from '../../server/errors';
import type { FrameworkDocument } from './document';
import type { Competency, Framework, FrameworkStatus, StaffGroup } from './model';

type Queryable = Pool | PoolClient;

interface FrameworkRow {
  id: string;
  name: string;
  version: number;
  status: FrameworkStatus;
  based_on: string | null;
  published_at: Date | null;
  source_note?: string | null;
  introduction?: string;
}

/** Reads one framework version with everything in it (five queries, no N+1). */
export async function loadFramework(db: Queryable, frameworkId: string): Promise<Framework | undefined> {
  const { rows } = await db.query<FrameworkRow>(
    'select id, name, version, status, based_on, published_at, source_note, introduction from frameworks where id = $1',
    [frameworkId],
  );
  const f = rows[0];
  if (!f) return undefined;
  const [groups, competencies, examples, opportunities] = await Promise.all([
    db.query('select * from staff_groups where framework_id = $1 order by number', [f.id]),
    db.query('select * from competencies where framework_id = $1 order by group_number, number', [f.id]),
    db.query('select * from evidence_examples where framework_id = $1 order by group_number, position', [f.id]),
    db.query('select * from learning_opportunities where framework_id = $1 order by group_number, position', [f.id]),
  ]);
  const staffGroups: StaffGroup[] = groups.rows.map((g) => ({
    number: g.number,
    name: g.name,
    level: g.level,
    summary: g.summary,
    description: g.description,
    includesGroups: g.includes_groups,
    exampleRoles: g.example_roles,
    competencies: competencies.rows
      .filter((c) => c.group_number === g.number)
      .map((c): Competency => ({ id: c.id, groupNumber: c.group_number, number: c.number, text: c.text, lineage: c.lineage, retired: c.retired })),
    evidenceExamples: examples.rows.filter((e) => e.group_number === g.number).map((e) => ({ heading: e.heading, text: e.text })),
    learningOpportunities: opportunities.rows.filter((o) => o.group_number === g.number).map((o) => ({ kind: o.kind, text: o.text })),
  }));
  return {
    id: f.id,
    name: f.name,
    version: f.version,
    status: f.status,
    basedOn: f.based_on,
    publishedAt: f.published_at,
    sourceNote: f.source_note ?? null,
    introduction: f.introduction ?? '',
    groups: staffGroups,
  };
}

async function frameworkIdWithStatus(db: Queryable, status: FrameworkStatus): Promise<string | undefined> {
  const { rows } = await db.query<{ id: string }>('select id from frameworks where status = $1 order by version desc limit 1', [status]);
  return rows[0]?.id;
}

export async function publishedFramework(db: Queryable): Promise<Framework | undefined> {
  const id = await frameworkIdWithStatus(db, 'published');
  return id ? loadFramework(db, id) : undefined;
}

export async function draftFramework(db: Queryable): Promise<Framework | undefined> {
  const id = await frameworkIdWithStatus(db, 'draft');
  return id ? loadFramework(db, id) : undefined;
}

/** The published framework's groups, in order: for every list a group is chosen from and every form with a field per group. */
export async function publishedGroups(db: Queryable): Promise<{ number: number; name: string; level: string }[]> {
  const { rows } = await db.query<{ number: number; name: string; level: string }>(
    `select g.number, g.name, g.level from staff_groups g join frameworks f on f.id = g.framework_id where f.status = 'published' order by g.number`,
  );
  return rows;
}

export async function frameworkVersions(db: Queryable) {
  const { rows } = await db.query<FrameworkRow>('select id, name, version, status, based_on, published_at from frameworks order by version desc');
  return rows;
}

/** Current staff (not left) in each group, for "how many people this reaches". */
export async function currentStaffByGroup(db: Queryable): Promise<Record<number, number>> {
  const { rows } = await db.query<{ group_number: number; n: string }>(
    `select group_number, count(*) as n from staff_members
      where group_number is not null and (leaving_date is null or leaving_date > current_date)
      group by group_number`,
  );
  return Object.fromEntries(rows.map((r) => [r.group_number, Number(r.n)]));
}

/** The partnership's and organisations' job title mappings to each group, for what a version without that group changes. */
export async function jobTitleMappingsByGroup(db: Queryable): Promise<Record<number, number>> {
  const { rows } = await db.query<{ group_number: number; n: number }>('select group_number, count(*)::int as n from job_title_mappings group by group_number');
  return Object.fromEntries(rows.map((r) => [r.group_number, r.n]));
}

/** The groups of a person's current staff records, for "what my group requires of me". */
export async function groupsOfStaff(
  db: Queryable,
  staffIds: string[],
): Promise<{ organisationName: string; groupNumber: number | null; usesRcnIntercollegiate: boolean }[]> {
  if (staffIds.length === 0) return [];
  const { rows } = await db.query<{ name: string; group_number: number | null; uses_rcn_intercollegiate: boolean }>(
    `select o.name, s.group_number, o.uses_rcn_intercollegiate from staff_members s join member_organisations o on o.id = s.organisation_id
      where s.id = any($1::uuid[]) order by o.name`,
    [staffIds],
  );
  return rows.map((r) => ({ organisationName: r.name, groupNumber: r.group_number, usesRcnIntercollegiate: r.uses_rcn_intercollegiate }));
}

/**
 * Starts the next version as a draft copy of the published one. Every
 * competency keeps its lineage, so evidence recorded under the old version
 * still counts for the same competency under the new one.
 */
export async function createDraft(client: PoolClient, userId: string): Promise<string> {
  const existing = await frameworkIdWithStatus(client, 'draft');
  if (existing) return existing;
  const published = await frameworkIdWithStatus(client, 'published');
  if (!published) throw new HttpError(409, 'There is no published framework to copy.');
  const { rows } = await client.query<{ id: string }>(
    `insert into frameworks (name, version, status, based_on, source_note, introduction, created_by)
     select name, (select max(version) + 1 from frameworks), 'draft', id, source_note, introduction, $2 from frameworks where id = $1
     returning id`,
    [published, userId],
  );
  const draft = rows[0].id;
  await client.query(
    `insert into staff_groups (framework_id, number, name, level, summary, description, includes_groups, example_roles)
     select $2, number, name, level, summary, description, includes_groups, example_roles from staff_groups where framework_id = $1`,
    [published, draft],
  );
  // Retired competencies are not carried: a later version starts from what is in force.
  await client.query(
    `insert into competencies (framework_id, group_number, number, text, lineage)
     select $2, group_number, row_number() over (partition by group_number order by number), text, lineage
       from competencies where framework_id = $1 and not retired`,
    [published, draft],
  );
  await client.query(
    `insert into evidence_examples (framework_id, group_number, position, heading, text)
     select $2, group_number, position, heading, text from evidence_examples where framework_id = $1`,
    [published, draft],
  );
  await client.query(
    `insert into learning_opportunities (framework_id, group_number, position, kind, text)
     select $2, group_number, position, kind, text from learning_opportunities where framework_id = $1`,
    [published, draft],
  );
  await audit(client, { actorUserId: userId, action: 'framework.draft-created', subjectType: 'framework', subjectId: draft });
  return draft;
}

async function requireDraft(db: Queryable): Promise<string> {
  const id = await frameworkIdWithStatus(db, 'draft');
  if (!id) throw new HttpError(404, 'There is no draft framework. Start one from the framework page.');
  return id;
}

/** A draft competency by id; 404 when it is not in the draft (published rows are never edited). */
async function draftCompetency(db: Queryable, competencyId: string): Promise<Competency & { frameworkId: string }> {
  const draft = await requireDraft(db);
  if (!/^[0-9a-f-]{36}$/i.test(competencyId)) throw new HttpError(404, 'We could not find that competency in the draft.');
  const { rows } = await db.query('select * from competencies where id = $1 and framework_id = $2', [competencyId, draft]);
  const c = rows[0];
  if (!c) throw new HttpError(404, 'We could not find that competency in the draft.');
  return { id: c.id, frameworkId: c.framework_id, groupNumber: c.group_number, number: c.number, text: c.text, lineage: c.lineage, retired: c.retired };
}

export async function findDraftCompetency(db: Queryable, competencyId: string) {
  return draftCompetency(db, competencyId);
}

/** Numbers the group's competencies 1..n, in-force ones first in their order, retired ones after. */
async function renumber(client: PoolClient, frameworkId: string, groupNumber: number): Promise<void> {
  await client.query('update competencies set number = number + 1000 where framework_id = $1 and group_number = $2', [frameworkId, groupNumber]);
  await client.query(
    `update competencies c set number = o.n from (
       select id, row_number() over (order by retired, number) as n from competencies where framework_id = $1 and group_number = $2
     ) o where c.id = o.id`,
    [frameworkId, groupNumber],
  );
}

export async function addCompetency(client: PoolClient, groupNumber: number, text: string): Promise<void> {
  const draft = await requireDraft(client);
  const group = await client.query('select 1 from staff_groups where framework_id = $1 and number = $2', [draft, groupNumber]);
  if (!group.rowCount) throw new HttpError(404, 'We could not find that staff group in the draft.');
  const { rows } = await client.query<{ n: number }>(
    'select coalesce(max(number), 0) + 1001 as n from competencies where framework_id = $1 and group_number = $2',
    [draft, groupNumber],
  );
  // A new competency is a new lineage: evidence for other competencies never counts towards it.
  await client.query('insert into competencies (framework_id, group_number, number, text, lineage) values ($1, $2, $3, $4, $5)', [
    draft,
    groupNumber,
    rows[0].n,
    text,
    `g${groupNumber}-${randomUUID().slice(0, 8)}`,
  ]);
  await renumber(client, draft, groupNumber);
}

export async function rewordCompetency(client: PoolClient, competencyId: string, text: string): Promise<void> {
  const c = await draftCompetency(client, competencyId);
  await client.query('update competencies set text = $2 where id = $1', [c.id, text]);
}

export async function setCompetencyRetired(client: PoolClient, competencyId: string, retired: boolean): Promise<void> {
  const c = await draftCompetency(client, competencyId);
  // A restored competency goes to the end of the in-force list.
  await client.query('update competencies set retired = $2, number = number + $3 where id = $1', [c.id, retired, retired ? 0 : 500]);
  await renumber(client, c.frameworkId, c.groupNumber);
}

export async function moveCompetency(client: PoolClient, competencyId: string, direction: 'up' | 'down'): Promise<void> {
  const c = await draftCompetency(client, competencyId);
  if (c.retired) return;
  const { rows } = await client.query<{ id: string; number: number }>(
    `select id, number from competencies where framework_id = $1 and group_number = $2 and not retired and number ${direction === 'up' ? '<' : '>'} $3
      order by number ${direction === 'up' ? 'desc' : 'asc'} limit 1`,
    [c.frameworkId, c.groupNumber, c.number],
  );
  const other = rows[0];
  if (!other) return;
  await client.query('update competencies set number = number + 5000 where id = $1', [c.id]);
  await client.query('update competencies set number = $2 where id = $1', [other.id, c.number]);
  await client.query('update competencies set number = $2 where id = $1', [c.id, other.number]);
}

export interface GroupTexts {
  name: string;
  level: string;
  includesGroups: number[];
  summary: string;
  description: string;
  exampleRoles: string[];
  evidenceExamples: StaffGroup['evidenceExamples'];
  learningOpportunities: StaffGroup['learningOpportunities'];
}

export async function updateGroupTexts(client: PoolClient, groupNumber: number, texts: GroupTexts): Promise<void> {
  const draft = await requireDraft(client);
  const { rowCount } = await client.query(
    'update staff_groups set name = $3, level = $4, summary = $5, description = $6, example_roles = $7, includes_groups = $8 where framework_id = $1 and number = $2',
    [draft, groupNumber, texts.name, texts.level, texts.summary, texts.description, texts.exampleRoles, texts.includesGroups],
  );
  if (!rowCount) throw new HttpError(404, 'We could not find that staff group in the draft.');
  await client.query('delete from evidence_examples where framework_id = $1 and group_number = $2', [draft, groupNumber]);
  for (const [i, e] of texts.evidenceExamples.entries()) {
    await client.query('insert into evidence_examples (framework_id, group_number, position, heading, text) values ($1, $2, $3, $4, $5)', [
      draft,
      groupNumber,
      i + 1,
      e.heading,
      e.text,
    ]);
  }
  await client.query('delete from learning_opportunities where framework_id = $1 and group_number = $2', [draft, groupNumber]);
  for (const [i, o] of texts.learningOpportunities.entries()) {
    await client.query('insert into learning_opportunities (framework_id, group_number, position, kind, text) values ($1, $2, $3, $4, $5)', [
      draft,
      groupNumber,
      i + 1,
      o.kind,
      o.text,
    ]);
  }
}

export async function discardDraft(client: PoolClient, userId: string): Promise<void> {
  const draft = await requireDraft(client);
  await client.query("delete from frameworks where id = $1 and status = 'draft'", [draft]);
  await audit(client, { actorUserId: userId, action: 'framework.draft-discarded', subjectType: 'framework', subjectId: draft });
}

/**
 * The draft becomes the framework compliance is measured against; the old
 * version is kept, superseded, with the evidence recorded against it.
 */
export async function publishDraft(client: PoolClient, userId: string, detail: Record<string, unknown>): Promise<{ id: string; version: number }> {
  const draft = await requireDraft(client);
  const { rows: active } = await client.query<{ n: number }>('select count(*)::int as n from competencies where framework_id = $1 and not retired', [draft]);
  if (active[0].n === 0) throw new HttpError(400, 'The draft has no competencies in force.');
  const previous = await frameworkIdWithStatus(client, 'published');
  if (previous) await client.query("update frameworks set status = 'superseded' where id = $1", [previous]);
  const { rows } = await client.query<{ id: string; version: number }>(
    "update frameworks set status = 'published', published_at = now(), published_by = $2 where id = $1 returning id, version",
    [draft, userId],
  );
  await audit(client, {
    actorUserId: userId,
    action: 'framework.published',
    subjectType: 'framework',
    subjectId: draft,
    detail: { ...detail, version: rows[0].version, supersedes: previous ?? null },
  });
  return rows[0];
}

/**
 * Writes a checked framework document as a new version. A competency keeps
 * its lineage through its key; one without a key takes the lineage of the
 * competency with the same words in the same group of `previous` (so a
 * document written by hand from the published one still carries evidence),
 * and otherwise starts a new one.
 */
export async function insertFrameworkDocument(
  client: PoolClient,
  doc: FrameworkDocument,
  options: { status: 'draft' | 'published'; version: number; basedOn: string | null; userId: string | null; previous?: Pick<Framework, 'groups'> },
): Promise<string> {
  const { rows } = await client.query<{ id: string }>(
    `insert into frameworks (name, version, status, based_on, source_note, introduction, created_by, published_at)
     values ($1, $2, $3, $4, $5, $6, $7, case when $3 = 'published' then now() end) returning id`,
    [doc.name.trim(), options.version, options.status, options.basedOn, doc.sourceNote ?? null, doc.introduction ?? '', options.userId],
  );
  const frameworkId = rows[0].id;
  const spaced = (t: string) => t.replace(/\s+/g, ' ').trim();
  for (const group of doc.groups) {
    await client.query(
      `insert into staff_groups (framework_id, number, name, level, summary, description, includes_groups, example_roles)
       values ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [
        frameworkId,
        group.number,
        spaced(group.name),
        spaced(group.level),
        group.summary ?? '',
        group.description ?? '',
        [...(group.includesGroups ?? [])].sort((a, b) => a - b),
        (group.exampleRoles ?? []).map(spaced),
      ],
    );
    const before = options.previous?.groups.find((g) => g.number === group.number)?.competencies.filter((c) => !c.retired) ?? [];
    for (const c of group.competencies) {
      const lineage = c.key ?? before.find((b) => spaced(b.text) === spaced(c.text))?.lineage ?? `g${group.number}-${randomUUID().slice(0, 8)}`;
      await client.query('insert into competencies (framework_id, group_number, number, text, lineage) values ($1, $2, $3, $4, $5)', [
        frameworkId,
        group.number,
        c.number,
        spaced(c.text),
        lineage,
      ]);
    }
    for (const [i, e] of (group.evidenceExamples ?? []).entries()) {
      await client.query('insert into evidence_examples (framework_id, group_number, position, heading, text) values ($1, $2, $3, $4, $5)', [
        frameworkId,
        group.number,
        i + 1,
        e.heading ?? null,
        e.text,
      ]);
    }
    for (const [i, o] of (group.learningOpportunities ?? []).entries()) {
      await client.query('insert into learning_opportunities (framework_id, group_number, position, kind, text) values ($1, $2, $3, $4, $5)', [
        frameworkId,
        group.number,
        i + 1,
        o.kind,
        o.text,
      ]);
    }
  }
  return frameworkId;
}

/**
 * An imported document becomes the draft of the next version, to be checked
 * and published like an edited one. Refused while another draft exists, so
 * an import never overwrites edits in progress. `published` (read before the
 * transaction: a client runs one query at a time) gives the lineage of
 * competencies the document names without a key.
 */
export async function importDraft(
  client: PoolClient,
  userId: string,
  doc: FrameworkDocument,
  published: Framework | undefined,
): Promise<{ id: string; version: number }> {
  await client.query(`select pg_advisory_xact_lock(hashtext('framework: draft'))`);
  if (await frameworkIdWithStatus(client, 'draft')) throw new HttpError(409, 'There is already a draft. Publish or discard it before importing a framework.');
  const publishedId = await frameworkIdWithStatus(client, 'published');
  if (publishedId !== (published?.id ?? undefined)) throw new HttpError(409, 'Another version was published meanwhile. Import the file again.');
  const { rows } = await client.query<{ v: number }>('select coalesce(max(version), 0) + 1 as v from frameworks');
  const version = rows[0].v;
  const id = await insertFrameworkDocument(client, doc, { status: 'draft', version, basedOn: publishedId ?? null, userId, previous: published });
  await audit(client, {
    actorUserId: userId,
    action: 'framework.imported',
    subjectType: 'framework',
    subjectId: id,
    detail: { version, groups: doc.groups.length },
  });
  return { id, version };
}

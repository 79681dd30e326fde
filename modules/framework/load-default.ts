import type { PoolClient } from 'pg';
import type { Database } from '../../server/db';
import { SOMERSET_LDF, seedLineage } from './somerset-ldf';

/**
 * Loads the Somerset LDF as version 1, published, when the database has no
 * framework at all. A partnership that edits it publishes later versions.
 */
export async function loadDefaultFramework(database: Database): Promise<boolean> {
  return database.transaction(async (client) => {
    // Instances deployed together onto a new database all get here at once:
    // the first loads the framework, the others wait and then find it.
    await client.query(`select pg_advisory_xact_lock(hashtext('framework: load the default'))`);
    const existing = await client.query('select 1 from frameworks limit 1');
    if (existing.rowCount) return false;
    await insertSomersetFramework(client);
    return true;
  });
}

async function insertSomersetFramework(client: PoolClient): Promise<string> {
  const { rows } = await client.query<{ id: string }>(
    `insert into frameworks (name, version, status, source_note, published_at) values ($1, 1, 'published', $2, now()) returning id`,
    [SOMERSET_LDF.name, SOMERSET_LDF.sourceNote],
  );
  const frameworkId = rows[0].id;
  for (const group of SOMERSET_LDF.groups) {
    await client.query(
      `insert into staff_groups (framework_id, number, name, level, summary, description, includes_groups, example_roles)
       values ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [frameworkId, group.number, group.name, group.level, group.summary, group.description, group.includesGroups, group.exampleRoles],
    );
    for (const [i, text] of group.competencies.entries()) {
      await client.query('insert into competencies (framework_id, group_number, number, text, lineage) values ($1, $2, $3, $4, $5)', [
        frameworkId,
        group.number,
        i + 1,
        text,
        seedLineage(group.number, i + 1),
      ]);
    }
    for (const [i, example] of group.evidenceExamples.entries()) {
      await client.query('insert into evidence_examples (framework_id, group_number, position, heading, text) values ($1, $2, $3, $4, $5)', [
        frameworkId,
        group.number,
        i + 1,
        'heading' in example ? example.heading : null,
        example.text,
      ]);
    }
    for (const [i, opportunity] of group.learningOpportunities.entries()) {
      await client.query('insert into learning_opportunities (framework_id, group_number, position, kind, text) values ($1, $2, $3, $4, $5)', [
        frameworkId,
        group.number,
        i + 1,
        opportunity.kind,
        opportunity.text,
      ]);
    }
  }
  return frameworkId;
}

import type { Database } from '../../server/db';
import { somersetDocument } from './document';
import { insertFrameworkDocument } from './store';

/**
 * Loads the default framework (the Somerset LDF, shipped as a framework
 * document in public/somerset.framework.json) as version 1, published, when
 * the database has no framework at all. A partnership that edits it, or
 * imports its own, publishes later versions.
 */
export async function loadDefaultFramework(database: Database): Promise<boolean> {
  // Every start asks; only a new database needs the document read and checked.
  if ((await database.pool.query('select 1 from frameworks limit 1')).rowCount) return false;
  const document = somersetDocument();
  return database.transaction(async (client) => {
    // Instances deployed together onto a new database all get here at once:
    // the first loads the framework, the others wait and then find it.
    await client.query(`select pg_advisory_xact_lock(hashtext('framework: load the default'))`);
    const existing = await client.query('select 1 from frameworks limit 1');
    if (existing.rowCount) return false;
    await insertFrameworkDocument(client, document, { status: 'published', version: 1, basedOn: null, userId: null });
    return true;
  });
}

import { createJobs } from '../../server/jobs';
import type { TestServer } from './server';
import { waitFor } from './wait';

/**
 * Runs one module's scheduled job now on a test server, as its schedule would
 * (the module's own job definitions on a real queue), and stops the queue once
 * `done` holds: a test sees what the job changed without waiting for the hour.
 */
export async function runModuleJobNow(server: TestServer, moduleName: string, job: string, done: () => Promise<boolean>): Promise<void> {
  const jobs = await createJobs(server.product.database.pool, server.product.logger, 1);
  const mod = server.product.modules.find((m) => m.definition.name === moduleName);
  if (!mod) throw new Error(`no ${moduleName} module`);
  await mod.definition.jobs?.(server.product.contextFor(mod), jobs);
  await jobs.start();
  try {
    await jobs.now(job);
    await waitFor(done, `the ${job} job to run`, 30_000);
  } finally {
    await jobs.stop();
  }
}

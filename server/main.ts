// First: every module loaded after this reads its compiled code from the cache.
import './compile-cache';
import fs from 'node:fs';
import path from 'node:path';
import { type Config, ConfigError, loadConfig } from './config';
import { createLogger, type Logger } from './logger';
import { UNHANDLED_REJECTION } from './outage-log';
import { PROJECT_DIR } from './paths';
import { ensurePrivateDir, makeTreePrivate, usePrivateUmask } from './private-files';
import { startProduct } from './runtime';

async function main(): Promise<void> {
  // Before anything is written: the database files, session secret and socket are this user's alone.
  usePrivateUmask();
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(78); // EX_CONFIG
    }
    throw err;
  }
  const logger = createLogger(config);
  // A promise rejected with nobody to hear it is a bug to fix, not a reason to take the
  // service down for everyone: logged with what it was and where it came from, and the
  // process carries on. (Tests fail on this line.)
  process.on('unhandledRejection', (reason) => {
    const err =
      reason instanceof Error ? { message: reason.message, code: (reason as { code?: unknown }).code, stack: reason.stack } : { message: String(reason) };
    logger.error({ err }, UNHANDLED_REJECTION);
  });
  // An exception nobody caught leaves the process in a state nobody knows: say so in the log, then exit.
  process.on('uncaughtException', (err) => {
    logger.fatal({ err: { message: err.message, code: (err as { code?: unknown }).code, stack: err.stack } }, 'uncaught exception; exiting');
    process.exit(70); // EX_SOFTWARE
  });
  // Listened for before the start: a stop asked for while the server is still starting (by a
  // service manager, a container runtime or Ctrl-C) waits for the start to finish, then closes
  // the database as any stop does. Killed mid-start, the embedded database would have to
  // recover at its next start, replaying everything written since it opened.
  let product: Awaited<ReturnType<typeof startProduct>> | undefined;
  let stopSignal: NodeJS.Signals | undefined;
  const stop = (running: NonNullable<typeof product>, signal: NodeJS.Signals) => {
    logger.info({ signal }, 'shutting down');
    const hardStop = setTimeout(() => {
      logger.error('shutdown took longer than 10 seconds; exiting');
      process.exit(1);
    }, 10_000);
    hardStop.unref();
    running.stop().then(
      () => process.exit(0),
      (err) => {
        logger.error({ err }, 'error while shutting down');
        process.exit(1);
      },
    );
  };
  const onSignal = (signal: NodeJS.Signals) => {
    // Asked twice: the operator means now, as a second signal always did.
    if (stopSignal) process.exit(1);
    stopSignal = signal;
    if (product) stop(product, signal);
    else logger.info({ signal }, 'stopping as soon as the start has finished');
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);

  prepareContentDir(config, logger);
  try {
    product = await startProduct(config, { logger });
  } catch (err) {
    // By name, so that a server on PostgreSQL never loads the embedded database's code.
    if ((err as Error).name === 'EmbeddedDatabaseBusyError') {
      console.error((err as Error).message);
      process.exit(75); // EX_TEMPFAIL
    }
    throw err;
  }
  if (stopSignal) {
    stop(product, stopSignal);
    return;
  }

  const where = config.databaseUrl ? 'PostgreSQL (DATABASE_URL)' : `the embedded database in ${config.dataDir}`;
  logger.info({ url: config.publicUrl, database: product.database.kind }, 'server started');
  if (product.demoLogins) {
    console.log('\nDemo partnership loaded. Sign in as:');
    for (const login of product.demoLogins) console.log(`  ${login.role.padEnd(20)} ${login.email.padEnd(32)} password: ${login.password}`);
  }
  console.log(`\nDomestic abuse training is running at ${config.publicUrl} on ${where}.\n`);
}

/**
 * Imported e-learning lives in DATA_DIR/scorm unless SCORM_DIR puts it
 * elsewhere (then the folder is the operator's to protect), private like the
 * rest of the data directory. Earlier versions kept it in the project's
 * scorm-packages/ folder, beside the code: it is moved here once, so courses
 * keep their content after an upgrade.
 */
function prepareContentDir(config: Config, logger: Logger): void {
  if (path.dirname(config.scormDir) !== config.dataDir) return;
  ensurePrivateDir(config.scormDir);
  const old = path.join(PROJECT_DIR, 'scorm-packages');
  for (const part of ['content', 'cmi5', 'pending']) {
    const from = path.join(old, part);
    const to = path.join(config.scormDir, part);
    if (!fs.existsSync(from) || fs.existsSync(to)) continue;
    try {
      fs.renameSync(from, to);
      makeTreePrivate(to);
      logger.info({ from, to }, 'moved imported e-learning into the data directory');
    } catch (err) {
      logger.warn(
        { from, to, err: (err as Error).message },
        'imported e-learning from an earlier version could not be moved into the data directory: move the folder by hand, or set SCORM_DIR to the old folder',
      );
    }
  }
}

main().catch((err) => {
  console.error(`The server could not start: ${(err as Error).message}`);
  process.exit(1);
});

import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

/**
 * The embedded default: PGlite (real PostgreSQL compiled to WebAssembly) stored
 * under DATA_DIR and served on a loopback port, so the rest of the product talks
 * to it with the same `pg` driver, migrations and job queue as a real server.
 *
 * PGlite files can be open in one process only. Whoever opens them writes an
 * owner file (pid and port); a second process (a CLI command while the server
 * runs) connects through the owner's port instead of opening the files itself.
 */
export interface EmbeddedDatabase {
  /** Where to connect with `pg`. */
  port: number;
  /** True when this process opened the files; false when it borrows another process's. */
  owned: boolean;
  ownerPid: number;
  close(): Promise<void>;
}

interface OwnerFile {
  pid: number;
  port: number;
  role: string;
  startedAt: string;
}

export class EmbeddedDatabaseBusyError extends Error {
  constructor(
    readonly dataDir: string,
    readonly owner: OwnerFile,
  ) {
    super(
      `The embedded database in ${dataDir} is already open in another process (pid ${owner.pid}, ${owner.role}). ` +
        'Stop that process first, or set DATABASE_URL to use a PostgreSQL server that several processes can share.',
    );
    this.name = 'EmbeddedDatabaseBusyError';
  }
}

function ownerFilePath(dataDir: string): string {
  return path.join(dataDir, 'pglite.owner.json');
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function portAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** The live owner of the data directory, if any. A stale file from a crashed process is ignored. */
export async function findLiveOwner(dataDir: string): Promise<OwnerFile | undefined> {
  const file = ownerFilePath(dataDir);
  if (!fs.existsSync(file)) return undefined;
  let owner: OwnerFile;
  try {
    owner = JSON.parse(fs.readFileSync(file, 'utf8')) as OwnerFile;
  } catch {
    return undefined;
  }
  if (owner.pid === process.pid) return undefined;
  if (!processAlive(owner.pid)) return undefined;
  if (!(await portAnswers(owner.port))) return undefined;
  return owner;
}

export interface OpenEmbeddedOptions {
  dataDir: string;
  /** What this process is, written in the owner file for a clear "busy" message. */
  role: 'server' | 'cli' | 'test';
  /** Borrow a live owner's port instead of failing (CLI commands do; a second server does not). */
  borrowIfBusy: boolean;
  /** Keep everything in memory (tests): no files, no owner file. */
  inMemory?: boolean;
  port?: number;
}

export async function openEmbedded(options: OpenEmbeddedOptions): Promise<EmbeddedDatabase> {
  const { dataDir } = options;
  if (!options.inMemory) {
    fs.mkdirSync(dataDir, { recursive: true });
    const owner = await findLiveOwner(dataDir);
    if (owner) {
      if (!options.borrowIfBusy) throw new EmbeddedDatabaseBusyError(dataDir, owner);
      return { port: owner.port, owned: false, ownerPid: owner.pid, close: async () => {} };
    }
  }

  const pglite = options.inMemory ? new PGlite() : new PGlite(path.join(dataDir, 'pgdata'));
  await pglite.waitReady;
  const server = new PGLiteSocketServer({
    db: pglite,
    host: '127.0.0.1',
    port: options.port ?? 0,
    // The app's pool, the job queue, session store and a CLI command borrowing the port.
    maxConnections: 100,
  });
  await server.start();
  const port = Number(server.getServerConn().split(':').pop());

  const file = ownerFilePath(dataDir);
  if (!options.inMemory) {
    const owner: OwnerFile = { pid: process.pid, port, role: options.role, startedAt: new Date().toISOString() };
    fs.writeFileSync(file, JSON.stringify(owner));
  }

  let closed = false;
  return {
    port,
    owned: true,
    ownerPid: process.pid,
    async close() {
      if (closed) return;
      closed = true;
      await server.stop();
      await pglite.close();
      if (!options.inMemory) {
        try {
          const current = JSON.parse(fs.readFileSync(file, 'utf8')) as OwnerFile;
          if (current.pid === process.pid) fs.unlinkSync(file);
        } catch {
          // already gone
        }
      }
    },
  };
}

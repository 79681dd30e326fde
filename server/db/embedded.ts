import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import type { Logger } from '../logger';

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
  /** A copy of the whole database as a tarball (owned in-memory databases only; tests clone a seeded one). */
  dump?(): Promise<Blob>;
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

/**
 * PostgreSQL's shared buffers live in PGlite's WebAssembly heap, in this process,
 * and are all touched at start: the 128MB that initdb writes into postgresql.conf
 * made most of the embedded server's memory. 16MB (2,048 pages) holds the busy
 * pages of a partnership's database; a page not in them is read from the
 * operating system's file cache, as PGlite's files are ordinary files. The heap's
 * own starting size cannot be lowered: the WebAssembly module asks for 128MB.
 */
const MEMORY_SETTINGS = { startParams: [...PGlite.defaultStartParams, '-c', 'shared_buffers=16MB'] };

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
  /** Start an in-memory database from a dump() of another (tests start from a seeded copy). */
  loadDataDir?: Blob;
  port?: number;
  /** Where a failure of the socket server that serves the port is reported. */
  logger?: Logger;
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

  const pglite = options.inMemory
    ? new PGlite({ ...MEMORY_SETTINGS, ...(options.loadDataDir ? { loadDataDir: options.loadDataDir } : {}) })
    : new PGlite(path.join(dataDir, 'pgdata'), MEMORY_SETTINGS);
  await pglite.waitReady;
  const server = new PGLiteSocketServer({
    db: pglite,
    host: '127.0.0.1',
    port: options.port ?? 0,
    // The app's pool, the job queue, session store and a CLI command borrowing the port.
    maxConnections: 100,
  });
  keepProtocolSequencesTogether(server, pglite);
  // The socket server reports a failure of its listening socket as an 'error' event
  // (EventTarget: unheard, it would pass silently). Connections that break are each
  // the client's to notice; the server keeps serving the others.
  server.addEventListener('error', (event) => {
    const err = (event as CustomEvent<Error>).detail;
    options.logger?.error({ err: { message: err?.message, code: (err as { code?: string })?.code } }, 'embedded database port failed');
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
    dump: options.inMemory ? async () => (await pglite.dumpDataDir('none')) as Blob : undefined,
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

interface QueuedMessage {
  handlerId: number;
  message: Uint8Array;
  resolve(bytes: number): void;
  reject(err: unknown): void;
  onData(data: Uint8Array): void;
}

interface QueryQueueInternals {
  queue: QueuedMessage[];
  processing: boolean;
  lastHandlerId: number | null;
  processQueue(): Promise<void>;
  clearQueueForHandler(handlerId: number): void;
}

// Message types that end a protocol sequence: Sync, simple Query, Terminate; 0 is the startup packet.
const SEQUENCE_ENDS = new Set([0x53, 0x51, 0x58, 0x00]);

/**
 * pglite-socket runs one message at a time from whichever connection is next,
 * keeping a connection to itself only inside an explicit transaction. But one
 * pg query is several messages (Parse, Bind, Execute, Sync), and if another
 * connection's query lands between them it replaces the unnamed statement or
 * portal ("portal \"\" does not exist", or worse, the wrong result). Here a
 * connection keeps PGlite until its Sync, as it would with a real server
 * process of its own. The queue is internal to pglite-socket 0.2.x; if its
 * shape changes, this stops with a clear error rather than misbehaving.
 */
function keepProtocolSequencesTogether(server: PGLiteSocketServer, db: PGlite): void {
  const internals = (server as unknown as { queryQueue?: QueryQueueInternals }).queryQueue;
  if (!internals || !Array.isArray(internals.queue) || typeof internals.processQueue !== 'function') {
    throw new Error('This version of @electric-sql/pglite-socket has an unexpected query queue; install the version package.json names.');
  }
  const queue = internals;
  let midSequenceHandler: number | null = null;
  queue.processQueue = async function processQueue(this: QueryQueueInternals) {
    if (this.processing || this.queue.length === 0) return;
    this.processing = true;
    try {
      while (this.queue.length > 0) {
        const owner = db.isInTransaction() && this.lastHandlerId !== null ? this.lastHandlerId : midSequenceHandler;
        const index = owner === null ? 0 : this.queue.findIndex((m) => m.handlerId === owner);
        // The connection that holds PGlite has not sent its next message yet: wait for it.
        if (index === -1) break;
        const [item] = this.queue.splice(index, 1);
        let bytes = 0;
        try {
          await db.runExclusive(() =>
            db.execProtocolRawStream(item.message, {
              onRawData: (data: Uint8Array) => {
                bytes += data.length;
                item.onData(data);
              },
            }),
          );
        } catch (err) {
          midSequenceHandler = null;
          item.reject(err);
          continue;
        }
        this.lastHandlerId = item.handlerId;
        midSequenceHandler = SEQUENCE_ENDS.has(item.message[0]) ? null : item.handlerId;
        item.resolve(bytes);
      }
    } finally {
      this.processing = false;
    }
  };
  const clearQueueForHandler = queue.clearQueueForHandler.bind(queue);
  queue.clearQueueForHandler = (handlerId: number) => {
    clearQueueForHandler(handlerId);
    // A connection that dropped mid-query must not hold PGlite for ever.
    if (midSequenceHandler === handlerId) {
      midSequenceHandler = null;
      void queue.processQueue();
    }
  };
}

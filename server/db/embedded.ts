import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import type { Logger } from '../logger';
import { ensurePrivateDir, makeTreePrivate } from '../private-files';

/**
 * The embedded default: PGlite (real PostgreSQL compiled to WebAssembly) stored
 * under DATA_DIR and served on a unix socket in DATA_DIR, so the rest of the
 * product talks to it with the same `pg` driver, migrations and job queue as a
 * real server.
 *
 * PGlite accepts any user and password, so the socket is the lock: it lives in
 * the data directory (0700), which only the product's own operating-system user
 * can enter. No network port is opened, so no other local user or process
 * running as someone else can connect at all.
 *
 * PGlite files can be open in one process only. Whoever opens them writes an
 * owner file (pid and socket); a second process (a CLI command while the server
 * runs, as the same user) connects through the owner's socket instead of
 * opening the files itself.
 */
export interface EmbeddedDatabase {
  /** The folder holding the socket, as `pg` and libpq take it (the `host`). */
  socketDir: string;
  /** True when this process opened the files; false when it borrows another process's. */
  owned: boolean;
  ownerPid: number;
  /** A copy of the whole database as a tarball (owned in-memory databases only; tests clone a seeded one). */
  dump?(): Promise<Blob>;
  close(): Promise<void>;
}

interface OwnerFile {
  pid: number;
  /** The socket's folder (DATA_DIR): the file in it is SOCKET_NAME. */
  socketDir: string;
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
 * PostgreSQL's memory lives in PGlite's WebAssembly heap, in this process, and a
 * WebAssembly heap never shrinks: whatever PostgreSQL touches once stays part of
 * the server's memory until it stops. So each setting that decides how much it
 * touches is chosen here rather than left to initdb's defaults, which assume a
 * server of its own:
 *
 * - shared_buffers 16MB (initdb writes 128MB, all touched at start, which was most
 *   of the embedded server's memory): holds the busy pages of a partnership's
 *   database; a page outside them is read from the operating system's file cache,
 *   as PGlite's files are ordinary files. wal_buffers follows it (1/32).
 * - maintenance_work_mem 16MB (default 64MB): what one index build or VACUUM may
 *   take. A migration indexing a large table would otherwise grow the heap by the
 *   default for good; with less it sorts in more passes, a little slower, once.
 * - work_mem 4MB (PostgreSQL's default, stated so it is a decision): per sort or
 *   hash in a query, given back to the heap's allocator when the query ends, so it
 *   bounds the high-water mark; a larger sort spills to a temporary file.
 *
 * The heap's starting size cannot be lowered: the WebAssembly module asks for
 * 128MB. docs/benchmarks.md shows the memory these give, PGlite's share apart.
 */
const MEMORY_SETTINGS = {
  startParams: [...PGlite.defaultStartParams, '-c', 'shared_buffers=16MB', '-c', 'maintenance_work_mem=16MB', '-c', 'work_mem=4MB'],
};

/**
 * A new embedded database starts as a copy of this template, made by `npm run
 * build` (server/db/template.ts): a fresh cluster with every migration applied.
 * PGlite's initdb is most of a first start's work (PostgreSQL's bootstrap, in
 * WebAssembly) and makes the same files every time, so the build does it once
 * instead of every installation. Without a template (a run from the TypeScript
 * sources, or a build that could not make one) a new database is made as
 * before; from an older one, the start applies the migrations it lacks.
 */
export const EMBEDDED_TEMPLATE_DIR = path.join(__dirname, '..', '..', 'pgdata-template');

/** Copies the template into a new data directory's pgdata, whole or not at all. */
function startFromTemplate(pgdata: string, template: string): void {
  if (fs.existsSync(pgdata) || !fs.existsSync(path.join(template, 'PG_VERSION'))) return;
  const partial = `${pgdata}.partial`;
  try {
    fs.rmSync(partial, { recursive: true, force: true });
    fs.cpSync(template, partial, { recursive: true });
    makeTreePrivate(partial);
    fs.renameSync(partial, pgdata);
  } catch {
    // A template this user cannot read (a build made by another user): initdb makes the files instead.
    fs.rmSync(partial, { recursive: true, force: true });
  }
}

function ownerFilePath(dataDir: string): string {
  return path.join(dataDir, 'pglite.owner.json');
}

/**
 * libpq's and `pg`'s name for a server's socket in its folder (port 5432), so a
 * connection string needs only the folder: `?host=DATA_DIR`, as for PostgreSQL.
 */
export const SOCKET_NAME = '.s.PGSQL.5432';

/** What an operating system allows in a unix socket's path (macOS's 104 bytes, less the terminating zero). */
const MAX_SOCKET_PATH = 103;

function socketPathIn(dir: string): string {
  const file = path.join(dir, SOCKET_NAME);
  if (Buffer.byteLength(file) > MAX_SOCKET_PATH) {
    throw new Error(
      `DATA_DIR is too long a path for the embedded database's socket (${file} is over ${MAX_SOCKET_PATH} bytes). ` +
        'Choose a shorter DATA_DIR, or set DATABASE_URL to use PostgreSQL.',
    );
  }
  return file;
}

/** A `pg`/libpq connection string for the embedded database whose socket is in dir. */
export function embeddedUrl(socketDir: string): string {
  return `postgres://postgres@localhost/postgres?host=${encodeURIComponent(socketDir)}&sslmode=disable`;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function socketAnswers(socketDir: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ path: path.join(socketDir, SOCKET_NAME) });
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
  if (owner.pid === process.pid || typeof owner.socketDir !== 'string') return undefined;
  if (!processAlive(owner.pid)) return undefined;
  if (!(await socketAnswers(owner.socketDir))) return undefined;
  return owner;
}

export interface OpenEmbeddedOptions {
  dataDir: string;
  /** What this process is, written in the owner file for a clear "busy" message. */
  role: 'server' | 'cli' | 'test';
  /** Borrow a live owner's socket instead of failing (CLI commands do; a second server does not). */
  borrowIfBusy: boolean;
  /** Keep everything in memory (tests): no files but the socket, in a private temporary folder. */
  inMemory?: boolean;
  /** Start an in-memory database from a dump() of another (tests start from a seeded copy). */
  loadDataDir?: Blob;
  /** The template a new data directory starts from (tests give their own). */
  template?: string;
  /** Where a failure of the socket server is reported. */
  logger?: Logger;
}

export async function openEmbedded(options: OpenEmbeddedOptions): Promise<EmbeddedDatabase> {
  const { dataDir } = options;
  if (!options.inMemory) {
    ensurePrivateDir(dataDir);
    const owner = await findLiveOwner(dataDir);
    if (owner) {
      if (!options.borrowIfBusy) throw new EmbeddedDatabaseBusyError(dataDir, owner);
      return { socketDir: owner.socketDir, owned: false, ownerPid: owner.pid, close: async () => {} };
    }
  }
  const socketDir = options.inMemory ? fs.mkdtempSync(path.join(os.tmpdir(), 'lms-pglite-')) : dataDir;
  const socketPath = socketPathIn(socketDir);
  // Left by a process that was killed: nobody answers on it (findLiveOwner said so), and listen() would refuse the name.
  fs.rmSync(socketPath, { force: true });

  const pgdata = path.join(dataDir, 'pgdata');
  if (!options.inMemory) startFromTemplate(pgdata, options.template ?? EMBEDDED_TEMPLATE_DIR);
  const pglite = options.inMemory
    ? new PGlite({ ...MEMORY_SETTINGS, ...(options.loadDataDir ? { loadDataDir: options.loadDataDir } : {}) })
    : new PGlite(pgdata, MEMORY_SETTINGS);
  await pglite.waitReady;
  // PGlite writes its first files with the modes of its WebAssembly file system (0666), whatever
  // the process mask; later files follow the mask. Made private here, on every start, before anyone connects.
  if (!options.inMemory) makeTreePrivate(pgdata);
  const server = new PGLiteSocketServer({
    db: pglite,
    path: socketPath,
    // The app's pool, the job queue, session store and a CLI command borrowing the socket.
    maxConnections: 100,
  });
  keepProtocolSequencesTogether(server, pglite);
  // The socket server reports a failure of its listening socket as an 'error' event
  // (EventTarget: unheard, it would pass silently). Connections that break are each
  // the client's to notice; the server keeps serving the others.
  server.addEventListener('error', (event) => {
    const err = (event as CustomEvent<Error>).detail;
    options.logger?.error({ err: { message: err?.message, code: (err as { code?: string })?.code } }, 'embedded database socket failed');
  });
  await server.start();
  // The folder is what keeps others out; the socket itself is made owner-only too, whatever the process mask.
  fs.chmodSync(socketPath, 0o600);

  const file = ownerFilePath(dataDir);
  if (!options.inMemory) {
    const owner: OwnerFile = { pid: process.pid, socketDir, role: options.role, startedAt: new Date().toISOString() };
    fs.writeFileSync(file, JSON.stringify(owner), { mode: 0o600 });
  }

  let closed = false;
  return {
    socketDir,
    owned: true,
    ownerPid: process.pid,
    dump: options.inMemory ? async () => (await pglite.dumpDataDir('none')) as Blob : undefined,
    async close() {
      if (closed) return;
      closed = true;
      await server.stop();
      await pglite.close();
      if (options.inMemory) fs.rmSync(socketDir, { recursive: true, force: true });
      else {
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

/**
 * What keepProtocolSequencesTogether relies on, checked before it patches
 * anything (and by a test, so an upgrade fails there first, naming the change).
 * Only the shape can be checked here; the test also runs a queued message through.
 */
export function patchedInternalsProblems(server: PGLiteSocketServer, db: Pick<PGlite, 'isInTransaction' | 'runExclusive' | 'execProtocolRawStream'>): string[] {
  const problems: string[] = [];
  const internals = (server as unknown as { queryQueue?: Partial<QueryQueueInternals> }).queryQueue;
  if (!internals || typeof internals !== 'object') return ['the socket server has no queryQueue'];
  if (!Array.isArray(internals.queue)) problems.push('queryQueue.queue is not an array');
  if (typeof internals.processing !== 'boolean') problems.push('queryQueue.processing is not a boolean');
  if (!('lastHandlerId' in internals)) problems.push('queryQueue.lastHandlerId is missing');
  if (typeof internals.processQueue !== 'function') problems.push('queryQueue.processQueue() is missing');
  if (typeof internals.clearQueueForHandler !== 'function') problems.push('queryQueue.clearQueueForHandler() is missing');
  for (const method of ['isInTransaction', 'runExclusive', 'execProtocolRawStream'] as const) {
    if (typeof db[method] !== 'function') problems.push(`PGlite.${method}() is missing`);
  }
  return problems;
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
  const problems = patchedInternalsProblems(server, db);
  if (problems.length) {
    throw new Error(
      `This version of @electric-sql/pglite-socket or @electric-sql/pglite has changed what server/db/embedded.ts patches (${problems.join('; ')}); install the versions package.json names.`,
    );
  }
  const internals = (server as unknown as { queryQueue: QueryQueueInternals }).queryQueue;
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
              // PGlite's sync after each message copies an in-browser file system to its store; on
              // Node's file system (and in memory) it does nothing but cost a lock and a promise per message.
              syncToFs: false,
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

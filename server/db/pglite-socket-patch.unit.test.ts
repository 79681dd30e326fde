import fs from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { expect } from 'chai';
import { patchedInternalsProblems } from './embedded';

const ROOT = path.resolve(__dirname, '..', '..');
const PATCHED = ['@electric-sql/pglite', '@electric-sql/pglite-socket'];

function installedVersion(name: string): string {
  return (JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
}

/**
 * server/db/embedded.ts replaces pglite-socket's internal query queue so that
 * one connection's Parse/Bind/Execute/Sync never interleave with another's.
 * Those internals are not a public interface: an upgrade that changes them
 * must fail here, by name, and not as wrong query results in production.
 */
describe("pglite-socket's patched internals", () => {
  it('are pinned to exact versions, and the installed ones are those', () => {
    const declared = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> }).dependencies;
    for (const name of PATCHED) {
      expect(declared[name], `${name} must be pinned to one exact version in package.json (no ^ or ~): its internals are patched`).to.match(/^\d+\.\d+\.\d+$/);
      expect(installedVersion(name), `node_modules holds another ${name} than package.json names: run npm ci`).to.equal(declared[name]);
    }
  });

  it('still have the shape the patch relies on', () => {
    const server = new PGLiteSocketServer({ db: PGlite.prototype as PGlite, path: '/nonexistent/socket' });
    const problems = patchedInternalsProblems(server, PGlite.prototype);
    expect(
      problems,
      `pglite-socket ${installedVersion('@electric-sql/pglite-socket')} changed what keepProtocolSequencesTogether in server/db/embedded.ts patches; review it before upgrading`,
    ).to.deep.equal([]);
  });

  it('queue each message as the patch reads it (handler, bytes, callbacks)', async () => {
    const server = new PGLiteSocketServer({ db: PGlite.prototype as PGlite, path: '/nonexistent/socket' });
    const queue = (
      server as unknown as {
        queryQueue: {
          queue: Record<string, unknown>[];
          processing: boolean;
          enqueue(id: number, m: Uint8Array, onData: () => void): Promise<number>;
          clearQueueForHandler(id: number): void;
        };
      }
    ).queryQueue;
    // Held as if another message were running, so this one stays queued to be looked at.
    queue.processing = true;
    const message = new Uint8Array([0x53, 0, 0, 0, 4]);
    const settled = queue.enqueue(7, message, () => {}).catch((err: Error) => err);
    const item = queue.queue[0];
    expect(item?.handlerId, 'queued messages no longer carry handlerId').to.equal(7);
    expect(item?.message, 'queued messages no longer carry the raw message').to.equal(message);
    for (const callback of ['resolve', 'reject', 'onData'])
      expect(typeof item?.[callback], `queued messages no longer carry ${callback}()`).to.equal('function');
    queue.clearQueueForHandler(7);
    expect(queue.queue, "clearQueueForHandler() no longer removes a handler's messages").to.deep.equal([]);
    expect(await settled).to.be.instanceOf(Error);
  });
});

import fs from 'node:fs';
import Busboy from 'busboy';
import type { Request } from 'express';
import { HttpError } from '../../server/errors';

export interface ReceivedUpload {
  fields: Record<string, string>;
  gotFile: boolean;
  /** The file was cut off at `maxBytes`. */
  tooLarge: boolean;
}

/**
 * Streams a package upload (multipart, one file) to `tempFile` with busboy,
 * never holding it in memory, and stops counting at `maxBytes`.
 * `missing` is the message for a request that is not a multipart upload.
 */
export function receiveUpload(req: Request, tempFile: string, maxBytes: number, missing: string): Promise<ReceivedUpload> {
  return new Promise((resolve, reject) => {
    const fields: Record<string, string> = {};
    let gotFile = false;
    let tooLarge = false;
    let writing: Promise<void> = Promise.resolve();
    let bb: ReturnType<typeof Busboy>;
    try {
      bb = Busboy({ headers: req.headers, limits: { files: 1, fileSize: maxBytes, fields: 10 } });
    } catch {
      return reject(new HttpError(400, missing));
    }
    bb.on('field', (name, value) => {
      fields[name] = value;
    });
    bb.on('file', (_name, stream, info) => {
      if (!info.filename) {
        stream.resume();
        return;
      }
      gotFile = true;
      const out = fs.createWriteStream(tempFile);
      stream.on('limit', () => {
        tooLarge = true;
      });
      writing = new Promise((done, failWrite) => {
        out.on('finish', () => done());
        out.on('error', failWrite);
      });
      stream.pipe(out);
    });
    bb.on('error', reject);
    bb.on('close', () => writing.then(() => resolve({ fields, gotFile, tooLarge }), reject));
    req.pipe(bb);
  });
}

import busboy from 'busboy';
import type { Request } from 'express';
import { HttpError } from './errors';

export interface OneFileUpload {
  fields: Record<string, string>;
  file?: { name: string; bytes: Buffer };
  /** The file was larger than allowed: what was read of it is not kept. */
  tooLarge: boolean;
}

/**
 * Reads an upload form (multipart) with one file and a few fields. A request
 * busboy cannot read is refused with `unreadable`, in the form's own words.
 */
export function readOneFileUpload(req: Request, options: { maxBytes: number; maxFields?: number; unreadable: string }): Promise<OneFileUpload> {
  return new Promise((resolve, reject) => {
    let bb: busboy.Busboy;
    try {
      bb = busboy({ headers: req.headers, limits: { fileSize: options.maxBytes, files: 1, fields: options.maxFields ?? 20 } });
    } catch {
      reject(new HttpError(400, options.unreadable));
      return;
    }
    const fields: Record<string, string> = {};
    let file: OneFileUpload['file'];
    let tooLarge = false;
    bb.on('field', (name, value) => {
      fields[name] = value;
    });
    bb.on('file', (_name, stream, info) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('limit', () => {
        tooLarge = true;
      });
      stream.on('end', () => {
        if (info.filename) file = { name: info.filename, bytes: tooLarge ? Buffer.alloc(0) : Buffer.concat(chunks) };
      });
    });
    bb.on('error', () => reject(new HttpError(400, options.unreadable)));
    bb.on('close', () => resolve({ fields, file, tooLarge }));
    req.pipe(bb);
  });
}

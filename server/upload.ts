import busboy from 'busboy';
import type { Request } from 'express';

export interface OneFileUpload {
  /** The form's text fields (the CSRF token among them: check it with `checkUploadToken` before acting). */
  fields: Record<string, string>;
  /** The file, when one was chosen, it was not empty and it was within the limit. */
  file?: { name: string; bytes: Buffer };
  /** The file or a field was larger than its limit: what was read of the file is not kept, and it must be refused. */
  tooLarge: boolean;
  /** The request was not a multipart form, or broke off: nothing can be taken from it. */
  unreadable: boolean;
}

/**
 * Reads an upload form (multipart) with one file and a few fields, stopping at
 * the size limit. Never rejects: each route turns each case into its own
 * message, in the form's own words.
 */
export function readOneFileUpload(req: Request, options: { maxBytes: number; maxFields?: number; maxFieldBytes?: number }): Promise<OneFileUpload> {
  return new Promise((resolve) => {
    let bb: busboy.Busboy;
    try {
      bb = busboy({
        headers: req.headers,
        limits: { files: 1, fileSize: options.maxBytes, fields: options.maxFields ?? 20, fieldSize: options.maxFieldBytes ?? 64 * 1024 },
      });
    } catch {
      resolve({ fields: {}, tooLarge: false, unreadable: true });
      return;
    }
    const fields: Record<string, string> = {};
    let file: OneFileUpload['file'];
    let tooLarge = false;
    bb.on('field', (name, value, info) => {
      // A field cut at the limit (pasted text, say) is refused like a file that is too large.
      if (info.valueTruncated) tooLarge = true;
      fields[name] = value;
    });
    bb.on('file', (_name, stream, info) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('limit', () => {
        tooLarge = true;
      });
      stream.on('close', () => {
        if (info.filename && chunks.length && !tooLarge) file = { name: info.filename, bytes: Buffer.concat(chunks) };
      });
    });
    bb.on('error', () => resolve({ fields, tooLarge, unreadable: true }));
    bb.on('close', () => resolve({ fields, file, tooLarge, unreadable: false }));
    req.pipe(bb);
  });
}

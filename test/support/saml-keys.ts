import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/** A test IdP's signing key and self-signed certificate, as PEM. */
export interface KeyPair {
  key: string;
  cert: string;
}

/** A fresh RSA key and a two-day certificate from openssl, written under `dir` and read back. */
export function makeKeyPair(dir: string, name: string): KeyPair {
  const key = path.join(dir, `${name}.key`);
  const cert = path.join(dir, `${name}.crt`);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', `/CN=${name}`], {
    stdio: 'ignore',
  });
  return { key: fs.readFileSync(key, 'utf8'), cert: fs.readFileSync(cert, 'utf8') };
}

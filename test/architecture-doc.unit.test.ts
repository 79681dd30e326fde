import fs from 'node:fs';
import { expect } from 'chai';
import { ARCHITECTURE_FILE, architectureMarkdown } from '../scripts/architecture';

describe('docs/architecture.md', () => {
  it('is what the module declarations and api.ts files say now', () => {
    const committed = fs.existsSync(ARCHITECTURE_FILE) ? fs.readFileSync(ARCHITECTURE_FILE, 'utf8') : '';
    expect(committed === architectureMarkdown(), 'docs/architecture.md is out of date: run npm run docs:architecture and commit it').to.equal(true);
  });
});

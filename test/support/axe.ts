import { expect } from 'chai';
import fs from 'node:fs';
import type { Page } from 'playwright-core';

const AXE_SOURCE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/**
 * Runs axe-core on the page at WCAG 2.2 AA. Evaluated through the DevTools
 * protocol, so the page's strict Content-Security-Policy stays in force.
 */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  await page.evaluate(AXE_SOURCE);
  return page.evaluate(async () => {
    // biome-ignore lint/suspicious/noExplicitAny: axe is injected at run time
    const axe = (window as any).axe;
    // Only violations are read, so axe need not collect the details of every passing check.
    const result = await axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] },
      resultTypes: ['violations'],
    });
    return result.violations.map((v: AxeViolation) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target })) }));
  });
}

export function describeViolations(violations: AxeViolation[]): string {
  return violations.map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`).join('\n');
}

/** Collects the page's Content-Security-Policy violations, as Chromium reports them to the console, into `into`. */
export function recordCspViolations(page: Page, into: string[]): void {
  page.on('console', (msg) => {
    if (/Content Security Policy/i.test(msg.text())) into.push(msg.text());
  });
}

/** The page as it stands has no WCAG 2.2 AA violations, and nothing has broken the Content-Security-Policy so far. */
export async function expectAccessiblePage(page: Page, cspViolations: string[]): Promise<void> {
  const violations = await axeViolations(page);
  expect(violations, describeViolations(violations)).to.deep.equal([]);
  expect(cspViolations).to.deep.equal([]);
}

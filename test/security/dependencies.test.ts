import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';

const ROOT = path.resolve(__dirname, '../..');

/** "5.1.0" ≥ "5.0.1"? Plain numeric comparison of release versions. */
function atLeast(version: string, minimum: string): boolean {
  const a = version.split(/[.-]/).map(Number);
  const b = minimum.split(/[.-]/).map(Number);
  for (let i = 0; i < 3; i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0);
  return true;
}

/** The folder a package is installed in, as Node would find it from `from` (also for packages whose exports hide package.json). */
function packageDir(pkg: string, from = ROOT): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', pkg);
    if (fs.existsSync(path.join(candidate, 'package.json'))) return candidate;
    if (path.dirname(dir) === dir) throw new Error(`${pkg} is not installed`);
  }
}

function installedVersion(pkg: string, from = ROOT): string {
  return JSON.parse(fs.readFileSync(path.join(packageDir(pkg, from), 'package.json'), 'utf8')).version;
}

describe('dependencies', () => {
  it('signs people in with SAML libraries that have the 2025 signature-bypass fixes', () => {
    // CVE-2025-29774 and CVE-2025-29775 (xml-crypto 6.0.1, node-saml 5.0.1), CVE-2025-54419 (node-saml 5.1.0),
    // and the further xml-crypto fixes of 2025 (6.1.0, 6.1.2).
    const passportSaml = installedVersion('@node-saml/passport-saml');
    const passportSamlDir = path.dirname(require.resolve('@node-saml/passport-saml/package.json', { paths: [ROOT] }));
    const nodeSaml = installedVersion('@node-saml/node-saml', passportSamlDir);
    const nodeSamlDir = path.dirname(require.resolve('@node-saml/node-saml/package.json', { paths: [passportSamlDir] }));
    const xmlCrypto = installedVersion('xml-crypto', nodeSamlDir);
    expect(atLeast(passportSaml, '5.1.0'), `@node-saml/passport-saml ${passportSaml}`).to.equal(true);
    expect(atLeast(nodeSaml, '5.1.0'), `@node-saml/node-saml ${nodeSaml}`).to.equal(true);
    expect(atLeast(xmlCrypto, '6.1.2'), `xml-crypto ${xmlCrypto} (used by node-saml)`).to.equal(true);
  });

  it('checks uploaded Open Badges credentials with libraries that enforce expiry and bound canonicalisation work', () => {
    // @digitalbazaar/vc 7.0.0 reads the VC 2.0 validFrom and validUntil (before it, an expired 2.0 credential passed);
    // rdf-canonize 4.0.0 limits the work a crafted ("poison") graph can ask of the canonicalisation that every
    // signature check runs on an uploaded file, which /verify accepts from anyone.
    const vc = installedVersion('@digitalbazaar/vc');
    const rdfCanonize = installedVersion('rdf-canonize', packageDir('jsonld', packageDir('@digitalbazaar/vc')));
    const suiteCanonize = installedVersion('rdf-canonize', packageDir('@digitalbazaar/eddsa-rdfc-2022-cryptosuite'));
    expect(atLeast(vc, '7.0.0'), `@digitalbazaar/vc ${vc}`).to.equal(true);
    expect(atLeast(rdfCanonize, '4.0.0'), `rdf-canonize ${rdfCanonize} (used by jsonld)`).to.equal(true);
    expect(atLeast(suiteCanonize, '4.0.0'), `rdf-canonize ${suiteCanonize} (used by the eddsa-rdfc-2022 cryptosuite)`).to.equal(true);
  });

  it('has no high or critical advisory against what production installs (npm audit)', async function () {
    this.timeout(60_000);
    const { stdout, failed } = await new Promise<{ stdout: string; failed: boolean }>((resolve) => {
      execFile('npm', ['audit', '--omit=dev', '--audit-level=high', '--json'], { cwd: ROOT, timeout: 45_000, maxBuffer: 20 * 1024 * 1024 }, (err, out) =>
        resolve({ stdout: out, failed: !!err }),
      );
    });
    let report: { vulnerabilities?: Record<string, { severity: string; via: unknown[] }>; error?: unknown; statusCode?: number; message?: string };
    try {
      report = JSON.parse(stdout);
    } catch {
      report = {};
    }
    if (!report.vulnerabilities) {
      // The advisory database could not be reached (no network, or a registry mirror without the audit endpoint): skipped, with the reason.
      console.log(
        `      npm audit could not reach the advisory database (${String(report.message ?? report.statusCode ?? 'no answer')
          .replace(/https?:\/\/\S+/g, 'the registry')
          .slice(0, 120)}): skipped`,
      );
      this.skip();
    }
    const serious = Object.entries(report.vulnerabilities ?? {})
      .filter(([, v]) => v.severity === 'high' || v.severity === 'critical')
      .map(([name, v]) => `${name} (${v.severity})`);
    expect(serious, 'run npm audit --omit=dev and update these').to.deep.equal([]);
    expect(failed && !serious.length ? 'npm audit failed without a high advisory' : '').to.equal('');
  });
});

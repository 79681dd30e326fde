import path from 'node:path';
import { zipShippedPackages } from '../modules/scorm/package-zip';

/**
 * Zips each e-learning module in scorm-packages/ (a folder with an
 * imsmanifest.xml or cmi5.xml) into OUT_DIR/<name>.zip, the same bytes every
 * time; `npm run build` does the same into dist/scorm-packages/.
 * Usage: npx tsx scripts/build-scorm-packages.ts [OUT_DIR]   (default: dist/scorm-packages, where the built product reads them)
 */
const ROOT = path.resolve(__dirname, '..');
const out = path.resolve(process.argv[2] ?? path.join(ROOT, 'dist', 'scorm-packages'));
for (const zip of zipShippedPackages(path.join(ROOT, 'scorm-packages'), out)) console.log(`Built ${zip}`);

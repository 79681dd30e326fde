import { rawZip } from './zip';

/** One SCO of a test package; `hidden` and `prerequisites` go into its manifest item. */
export interface TestSco {
  id: string;
  title: string;
  hidden?: boolean;
  /** SCORM 1.2 adlcp:prerequisites (AICC script). */
  prerequisites?: string;
  /** The SCO calls LMSFinish/Terminate only as its page unloads, as many authoring tools' SCOs do. */
  finishOnUnload?: boolean;
  /** SCORM 2004: the item's imsss:sequencing element, written as it goes in the manifest. */
  sequencing?: string;
}

/** A section heading of the organisation: an item with no content of its own. */
export interface TestSection {
  heading: string;
  children: TestSco[];
}

const xml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;');

/**
 * A SCO that does the least a SCO can: finds the API the way SCORM says
 * (window, then each parent), initialises it and leaves the rest to the test,
 * which drives `window.api` in the content frame as a module would.
 */
function scoHtml(title: string, version: '1.2' | '2004', finishOnUnload = false): string {
  const name = version === '1.2' ? 'API' : 'API_1484_11';
  const init = version === '1.2' ? 'LMSInitialize' : 'Initialize';
  const finish = version === '1.2' ? 'LMSFinish' : 'Terminate';
  const onUnload = finishOnUnload ? `\n  window.addEventListener('unload', function () { if (api) api.${finish}(''); });` : '';
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${xml(title)}</title>
<script>
  var api = (function (w) { for (var n = 0; w && n < 10; n++) { if (w.${name}) return w.${name}; if (w.parent === w) break; w = w.parent; } return null; })(window);
  window.api = api;
  window.initialised = api ? api.${init}('') : 'no API';${onUnload}
</script></head><body><h1>${xml(title)}</h1><p><a href="missing-page.html" id="missing">A page the package forgot</a></p></body></html>`;
}

function itemXml(sco: TestSco, version: '1.2' | '2004'): string {
  const prerequisites = sco.prerequisites && version === '1.2' ? `<adlcp:prerequisites type="aicc_script">${xml(sco.prerequisites)}</adlcp:prerequisites>` : '';
  return `<item identifier="${sco.id}" identifierref="res-${sco.id}"${sco.hidden ? ' isvisible="false"' : ''}><title>${xml(sco.title)}</title>${prerequisites}${version === '2004' ? (sco.sequencing ?? '') : ''}</item>`;
}

/**
 * A SCORM 1.2 or 2004 zip built for a test: the organisation's items (SCOs
 * and section headings), one HTML file per SCO. Returns the zip's path.
 */
export function buildScormPackage(
  dir: string,
  options: {
    identifier: string;
    title: string;
    version: '1.2' | '2004';
    items: (TestSco | TestSection)[] /** SCORM 2004: the organisation's imsss:sequencing (the course's rollup). */;
    sequencing?: string;
  },
): string {
  const { version } = options;
  const scos: TestSco[] = [];
  const items = options.items
    .map((i) => {
      if ('heading' in i) {
        scos.push(...i.children);
        return `<item identifier="section-${scos.length}"><title>${xml(i.heading)}</title>${i.children.map((c) => itemXml(c, version)).join('')}</item>`;
      }
      scos.push(i);
      return itemXml(i, version);
    })
    .join('\n');
  const scormType = version === '1.2' ? 'adlcp:scormtype' : 'adlcp:scormType';
  const resources = scos
    .map((s) => `<resource identifier="res-${s.id}" type="webcontent" ${scormType}="sco" href="${s.id}.html"><file href="${s.id}.html"/></resource>`)
    .join('\n');
  const head =
    version === '1.2'
      ? `<manifest identifier="${xml(options.identifier)}" version="1" xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2" xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_rootv1p2">
  <metadata><schema>ADL SCORM</schema><schemaversion>1.2</schemaversion></metadata>`
      : `<manifest identifier="${xml(options.identifier)}" version="1" xmlns="http://www.imsglobal.org/xsd/imscp_v1p1" xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_v1p3" xmlns:imsss="http://www.imsglobal.org/xsd/imsss" xmlns:adlseq="http://www.adlnet.org/xsd/adlseq_v1p3">
  <metadata><schema>ADL SCORM</schema><schemaversion>2004 3rd Edition</schemaversion></metadata>`;
  const manifest = `<?xml version="1.0" encoding="UTF-8"?>
${head}
  <organizations default="org"><organization identifier="org"><title>${xml(options.title)}</title>
${items}
${version === '2004' ? (options.sequencing ?? '') : ''}
  </organization></organizations>
  <resources>
${resources}
  </resources>
</manifest>`;
  return rawZip(dir, [
    { name: 'imsmanifest.xml', content: manifest },
    ...scos.map((s) => ({ name: `${s.id}.html`, content: scoHtml(s.title, version, s.finishOnUnload) })),
  ]);
}

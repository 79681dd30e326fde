import fs from 'node:fs';
import path from 'node:path';
import express, { type Express } from 'express';

/**
 * GOV.UK Frontend's stylesheet as a service outside GOV.UK must use it.
 *
 * The GDS Transport typeface, the crown and the GOV.UK favicon are for GOV.UK
 * services only. GOV.UK Frontend's Sass setting `$govuk-font-family: arial,
 * sans-serif` turns the typeface off; the package ships only the stylesheet
 * built with it on, so this makes the same change to that file once at
 * start: no @font-face (browsers then never ask for the font files, and text
 * such as error-summary links shows at once in Arial) and Arial wherever the
 * stylesheet names GDS Transport.
 */
export function govukStylesheetWithoutTransport(css: string): string {
  return css
    .replace(/@font-face\{[^}]*\}/g, '')
    .replace(/font-family:GDS Transport,/g, 'font-family:')
    .replace(/font-family:GDS Transport([;}])/g, 'font-family:arial,sans-serif$1')
    .replace(/\/\*# sourceMappingURL=[^*]*\*\/\s*$/, '');
}

/** `dist`: govuk-frontend's dist/govuk folder, wherever npm put the package. */
export function installGovukAssets(app: Express, dist: string, staticOptions: { maxAge: string | number; index: boolean }): void {
  const css = govukStylesheetWithoutTransport(fs.readFileSync(path.join(dist, 'govuk-frontend.min.css'), 'utf8'));
  const maxAgeSeconds = typeof staticOptions.maxAge === 'number' ? staticOptions.maxAge / 1000 : 86400;
  app.get('/assets/govuk-frontend.min.css', (_req, res) => {
    res.type('text/css').set('cache-control', `public, max-age=${maxAgeSeconds}`).send(css);
  });
  // The service's own icon: the GOV.UK one is the crown.
  app.get('/favicon.ico', (_req, res) => res.redirect(301, '/public/favicon.svg'));
  app.use('/assets', express.static(dist, staticOptions));
}

// What the certificates module offers other modules: issuing and reissuing certificates, their PDFs, and a person's own certificates.
export { groupEvidencedInFull, issueFrameworkCertificateIfDue, reissueCertificate } from './issue';
export { renderCertificatePdf } from './pdf';
export { todayInLondon } from './rules';
export { type Certificate, getOwn, renameCertificatesOf } from './store';

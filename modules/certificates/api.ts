// What the certificates module offers other modules: issuing and reissuing certificates, their PDFs and the product's PDF layout, and a person's own certificates.
export { renameCertificatesOf } from './store';

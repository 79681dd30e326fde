// What the credentials module offers other modules: a certificate as a signed Open Badges credential.
export { signedCredential } from './service';

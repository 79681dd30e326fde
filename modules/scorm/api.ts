// What the SCORM module offers other modules: safe package import, the content origin and its policies, uploads (to cmi5); a person's saved e-learning, shown or forgotten (to data protection).
export {
  capabilities,
  type CapabilitySigner,
  contentOriginFor,
  isContentRequest,
  packageCsp,
  playerCsp,
  segments as packageFileSegments,
} from './content-site';
export { extractPackage, normalise, readPackageZip, unsafePathReason } from './importer';
export { PackageRefused } from './manifest';
export { forgetScormState, scormStateOf } from './store';
export { receiveUpload } from './upload';

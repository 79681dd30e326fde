// What the SCORM module offers other e-learning modules (cmi5): safe package import, the content origin and its policies, uploads.
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

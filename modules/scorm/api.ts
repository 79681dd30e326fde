// What the SCORM module offers other e-learning modules (cmi5): safe package import, the content origin and its policies, uploads.
export { capabilities, type CapabilitySigner, contentOriginFor, isContentRequest, packageCsp, segments as packageFileSegments, playerCsp } from './content-site';
export { extractPackage, normalise, readPackageZip, unsafePathReason } from './importer';
export { PackageRefused } from './manifest';
export { receiveUpload } from './upload';

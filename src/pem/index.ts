/**
 * Pure PEM and X.509 helpers: split PEM text, read certificates, check key and names, and
 * build the HAProxy bundle. No I/O; node:crypto only computes.
 */
export { splitPemBlocks, type PemBlock } from './_split';
export { certificateLabel, keyTypeOf, parseCertificate, parseChain, type CertificateInfo } from './_certificate';
export { assertKeyMatchesCertificate, buildHaproxyBundle, missingNames, type BundleParts } from './_bundle';
export { ariCertId, ariCertIdHasSerial } from './_ari';
export { CERTIFICATE_KEY_TYPES, type CertificateKeyType } from './_keyTypes';

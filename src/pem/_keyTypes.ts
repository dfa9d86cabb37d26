/**
 * Certificate key types haproxy-acme generates and orders, in the names the CLI, the configuration
 * and the stored metadata use: ECDSA P-256 and P-384, RSA 2048, 3072 and 4096 bits.
 */
export const CERTIFICATE_KEY_TYPES = Object.freeze(['ec256', 'ec384', 'rsa2048', 'rsa3072', 'rsa4096'] as const);

/** One of CERTIFICATE_KEY_TYPES. */
export type CertificateKeyType = (typeof CERTIFICATE_KEY_TYPES)[number];

/**
 * acme/: the ACME adapter (RFC 8555, RFC 9773 ARI, RFC 8738 IP identifiers, ACME profiles) over
 * acme-client 5.4.0's low-level API. The issuance use case orchestrates it; nothing else in src/
 * talks to acme-client.
 */
export { AcmeService, describeNames } from './_service';
export type { AcmeServiceOptions, ChallengeType, Order, PendingChallenge } from './_service';
export type { DirectoryMeta } from './_directory';
export { isIpIdentifier, toIdentifier } from './_identifiers';
export type { Identifier, IdentifierType } from './_identifiers';
export type { NewOrderOptions, PlacedOrder } from './_order';
export type { RenewalInfo } from './_renewalInfo';
export type { AcmeCallOptions, PollWaitInfo, WaitOptions } from './_wait';
export { DEFAULT_POLL_POLICY, nextPollStep, parseRetryAfter } from './_poll';
export type { PollPolicy, PollState, PollStep } from './_poll';
export { toAcmeError } from './_problem';
export type { AcmeErrorContext, CapturedProblem, CapturedSubproblem } from './_problem';
export { AcmeHttpError } from './_http';
export type { HttpFailure } from './_http';
export { CERTIFICATE_KEY_TYPES, createAccountKey, createCertificateKey, createCsr } from './_keys';
export type { CertificateKeyType } from './_keys';
export { accountKeyThumbprint } from './_lifecycle';
export type { RevokeOptions } from './_lifecycle';

/**
 * HAProxy runtime API client (no SDK exists): endpoint parsing, payload sanitising, reply
 * classification and parsing, the transactional certificate swap, and master-CLI reloads.
 * Captured replies: test/fixtures/haproxy/.
 */
export { formatRuntimeEndpoint, type RuntimeEndpoint } from './_endpoint';
export {
  parseReloadReply,
  parseShowInfo,
  parseShowProc,
  parseShowSslCert,
  parseShowSslCertList,
  parseShowSslCrtList,
  parseShowSslCrtLists,
  type CrtListEntry,
  type MasterProcess,
  type ShowInfo,
  type ShowProc,
  type SslCertInfo,
  type SslCertList,
} from './_parse';
export {
  DEFAULT_BUFFER_SIZE,
  checkPayloadSize,
  commandLine,
  crtListLine,
  escapeArgument,
  sanitiseCertificatePayload,
  type CheckPayloadSizeOptions,
} from './_payload';
export {
  classifyReply,
  describeCommand,
  stripSeverity,
  type ClassifiedReply,
  type ClassifyReplyOptions,
  type ReplyOutcome,
} from './_reply';
export { MasterClient, type MasterClientOptions, type ReloadResult } from './MasterClient';
export { reloadUntilRuntimeReady, type RuntimeReadyOptions } from './reloadUntilRuntimeReady';
export {
  DEFAULT_RUNTIME_TIMEOUT_MS,
  RuntimeClient,
  type CommandOptions,
  type CrtListLine,
  type RuntimeClientOptions,
} from './RuntimeClient';
export {
  ABORT_AFTER_CANCEL_TIMEOUT_MS,
  Mutex,
  addCertificate,
  sslTransactionMutex,
  swapCertificate,
  type AddCertificateInput,
  type SwapCertificateInput,
  type SwapCertificateOptions,
  type SwapResult,
} from './swapCertificate';
export { removeCertificate, type RemoveCertificateInput, type RemoveCertificateResult } from './removeCertificate';
export { HaproxyInstance, type HaproxyInstanceOptions, type InstanceDelivery } from './HaproxyInstance';
export {
  CommandReloadFallback,
  MasterReloadFallback,
  RELOAD_COMMAND_TIMEOUT_MS,
  type CommandReloadFallbackOptions,
  type ReloadCommandResult,
} from './reloadFallback';

/**
 * HTTP-01 (RFC 8555 §8.3) and TLS-ALPN-01 (RFC 8737): the token registry, the local responders,
 * and the preflight checks.
 */
export { MemoryChallengeTokenRegistry, type ChallengeTokenRegistry } from './ChallengeTokenRegistry';
export {
  DEFAULT_MAX_CONNECTIONS,
  HttpChallengeServer,
  UNIX_SOCKET_MODE,
  type HttpChallengeServerOptions,
} from './HttpChallengeServer';
export {
  ACME_TLS_ALPN_PROTOCOL,
  TlsAlpnChallengeServer,
  type TlsAlpnChallengeServerOptions,
} from './TlsAlpnChallengeServer';
export {
  ChallengeResponder,
  type ChallengeIdentifier,
  type ChallengeResponderOptions,
  type ResponderChallengeType,
} from './ChallengeResponder';
export { preflightChallenge, type PreflightOptions, type PreflightTarget } from './preflightChallenge';
export { preflightTlsAlpn, type TlsAlpnPreflightTarget } from './preflightTlsAlpn';
export { formatListenAddress, type ListenAddress } from './listenAddress';

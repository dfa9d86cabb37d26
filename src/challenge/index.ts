/**
 * HTTP-01 (RFC 8555 §8.3) and TLS-ALPN-01 (RFC 8737): the token registry, the local responders,
 * the responder of each `--http01-mode` (responderFor()), the HAProxy lines of stateless HTTP-01,
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
export { responderFor, type Http01Responder, type Http01ResponderMode, type ResponderForOptions } from './responderFor';
export { isAccountThumbprint, statelessHttp01Lines, THUMBPRINT_PATTERN } from './statelessHttp01';
export { preflightChallenge, type PreflightOptions, type PreflightTarget } from './preflightChallenge';
export { preflightTlsAlpn, type TlsAlpnPreflightTarget } from './preflightTlsAlpn';
export { formatListenAddress, type ListenAddress } from './listenAddress';

/** HTTP-01 (RFC 8555 §8.3): the token registry, the local responder, and the preflight check. */
export { MemoryChallengeTokenRegistry, type ChallengeTokenRegistry } from './ChallengeTokenRegistry';
export { DEFAULT_MAX_CONNECTIONS, HttpChallengeServer, UNIX_SOCKET_MODE, type HttpChallengeServerOptions } from './HttpChallengeServer';
export { ChallengeResponder, type ChallengeResponderOptions } from './ChallengeResponder';
export { preflightChallenge, type PreflightOptions, type PreflightTarget } from './preflightChallenge';
export { formatListenAddress, type ListenAddress } from './listenAddress';

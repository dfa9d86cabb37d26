/**
 * newOrder with the fields acme-client 5.4.0 does not know: RFC 9773 §5 `replaces` and the ACME
 * profiles draft's `profile`. acme-client's createOrder() POSTs its argument as given
 * (api.js createOrder → apiResourceRequest('newOrder', data)), so only its TS type is too narrow.
 */
import type * as acme from 'acme-client';
import type { OrderCreateRequest } from 'acme-client/types/rfc8555';
import type { Logger } from '../log';
import { problemOf } from './_http';
import { sanitizeDetail, type CapturedProblem } from './_problem';
import type { Identifier } from './_identifiers';
import { typed, type OperationContext } from './_transport';
import type { AcmeCallOptions } from './_wait';

/** Options of AcmeService.newOrder(). */
export interface NewOrderOptions extends AcmeCallOptions {
  /** RFC 9773 §5: the ARI CertID of the certificate this order replaces. Default: none. */
  replaces?: string;
  /** ACME profile name, checked against the directory's `meta.profiles`. Default: none (the CA's default profile). */
  profile?: string;
}

/** An order as the CA created it, plus whether it accepted `replaces`. */
export type PlacedOrder = acme.Order & {
  /**
   * `true`: the CA accepted the order with `replaces`. `false`: it refused `replaces`, and the
   * order was created again without it. Absent when no `replaces` was asked for.
   */
  replacesAccepted?: boolean;
};

/** The newOrder payload with the fields acme-client's type lacks (TS2353 on a literal otherwise). */
type NewOrderPayload = OrderCreateRequest & { replaces?: string; profile?: string };

const ERR = 'urn:ietf:params:acme:error:';

/**
 * Whether `problem` is a CA refusing the `replaces` field, after which the order may be placed
 * without it: RFC 9773 §7.4 `alreadyReplaced`; Boulder's `conflict` / HTTP 409 ("which already
 * has a replacement order", community.letsencrypt.org/t/223504); `malformed` naming `replaces`
 * (a CA that does not know the certificate or the field); or `serverInternal` (HTTP 500) on an
 * order that carried `replaces`. Pebble 2.7 answers the last for a CertID whose serial starts
 * with the zero byte DER puts before a serial whose first byte is 0x80 or more (RFC 9773 §4.1
 * takes the DER bytes; pebble looks the certificate up by the hex of the bytes as sent, not of the
 * integer): without the retry, one certificate in 256 would fail the same way at every renewal
 * until it expires. During a real outage the retry fails too, at the cost of one request.
 */
export function isReplacesRejection(problem: CapturedProblem | undefined): boolean {
  if (problem === undefined) return false;
  if (problem.type === `${ERR}alreadyReplaced` || problem.type === `${ERR}conflict` || problem.status === 409)
    return true;
  if (problem.type === `${ERR}serverInternal` && problem.status === 500) return true;
  return problem.type === `${ERR}malformed` && /\breplaces\b/i.test(problem.detail ?? '');
}

/** What placeOrder() sends. */
export interface OrderRequest {
  identifiers: Identifier[];
  replaces?: string;
  profile?: string;
}

/**
 * POSTs newOrder; when the CA refuses `replaces`, logs a warning and POSTs once more without it
 * (same identifiers and profile). MUST run inside runOperation().
 */
export async function placeOrder(
  client: acme.Client,
  context: OperationContext,
  request: OrderRequest,
  logger: Logger,
): Promise<PlacedOrder> {
  const { identifiers, replaces, profile } = request;
  const withoutReplaces: NewOrderPayload = { identifiers, ...(profile === undefined ? {} : { profile }) };
  if (replaces === undefined) return client.createOrder(withoutReplaces);
  const withReplaces: NewOrderPayload = { ...withoutReplaces, replaces };
  try {
    return { ...(await client.createOrder(withReplaces)), replacesAccepted: true };
  } catch (error) {
    const typedError = typed(error, context);
    const problem = problemOf(typedError);
    if (!isReplacesRejection(problem)) throw typedError;
    logger.warn('The CA refused "replaces"; creating the order again without it', {
      replaces,
      problemType: problem?.type,
      detail: sanitizeDetail(problem?.detail ?? ''),
    });
  }
  return { ...(await client.createOrder(withoutReplaces)), replacesAccepted: false };
}

/** The HTTP-01 token rule of this folder: the pure one every store shares (see ../acmeToken). */
export { assertValidToken, isValidToken, TOKEN_PATTERN } from '../acmeToken';

// ES module entry: the same API as the CommonJS one.
import cjs from './index.js';

export const {
  Client, version, CheckoutError, NullArgumentError, ClientClosedError, InvalidUtf8Error, InvalidJsonError, InvalidRequestError,
  ConfigError, UnsupportedError, AuthenticationError, NotFoundError, ConflictError, RateLimitedError,
  ProviderError, NetworkError, TimeoutError, SignatureError, InternalError,
} = cjs;
export default cjs;

/**
 * One error taxonomy for the whole relay. Every error is classified once, where it is created:
 * `retryable` says whether trying again can help; `retryAfterMs` carries a server's Retry-After.
 */
export type ErrorCode =
  | 'GENESYS_RELAY_ERR_AUTH'
  | 'GENESYS_RELAY_ERR_API'
  | 'GENESYS_RELAY_ERR_RATE_LIMITED'
  | 'GENESYS_RELAY_ERR_NETWORK'
  | 'GENESYS_RELAY_ERR_CHANNEL'
  | 'GENESYS_RELAY_ERR_TOPICS'
  | 'GENESYS_RELAY_ERR_PROTOCOL'
  | 'GENESYS_RELAY_ERR_TIMEOUT'
  | 'GENESYS_RELAY_ERR_CONFIG'
  | 'GENESYS_RELAY_ERR_SINK'
  | 'GENESYS_RELAY_ERR_OUTBOX'
  | 'GENESYS_RELAY_ERR_CLOSED'
  | 'GENESYS_RELAY_ERR_ILLEGAL_STATE';

export interface RelayErrorOptions {
  cause?: unknown;
  retryable?: boolean;
  retryAfterMs?: number;
}

export class RelayError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly retryAfterMs: number | undefined;

  constructor(code: ErrorCode, message: string, options: RelayErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retryable = options.retryable ?? false;
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** Credentials rejected or token unobtainable. `retryable` is false for invalid_client (fatal). */
export class AuthError extends RelayError {
  constructor(message: string, options: RelayErrorOptions = {}) {
    super('GENESYS_RELAY_ERR_AUTH', message, options);
  }
}

/** A Genesys REST call failed with an ErrorBody. */
export class ApiError extends RelayError {
  readonly status: number;
  readonly apiCode: string | undefined;
  constructor(status: number, message: string, apiCode: string | undefined, options: RelayErrorOptions = {}) {
    super(status === 429 ? 'GENESYS_RELAY_ERR_RATE_LIMITED' : 'GENESYS_RELAY_ERR_API', message, options);
    this.status = status;
    this.apiCode = apiCode;
  }
}

export class NetworkError extends RelayError {
  constructor(message: string, options: RelayErrorOptions = {}) {
    super('GENESYS_RELAY_ERR_NETWORK', message, { retryable: true, ...options });
  }
}

export class ConfigError extends RelayError {
  /** Dotted path of the offending field, e.g. `sinks[0].url`. */
  readonly field: string;
  constructor(field: string, message: string, options: RelayErrorOptions = {}) {
    super('GENESYS_RELAY_ERR_CONFIG', `${field}: ${message}`, options);
    this.field = field;
  }
}

export class TopicError extends RelayError {
  constructor(message: string, options: RelayErrorOptions = {}) {
    super('GENESYS_RELAY_ERR_TOPICS', message, options);
  }
}

export class TimeoutError extends RelayError {
  constructor(message: string, options: RelayErrorOptions = {}) {
    super('GENESYS_RELAY_ERR_TIMEOUT', message, { retryable: true, ...options });
  }
}

export class ClosedError extends RelayError {
  constructor(message = 'closed', options: RelayErrorOptions = {}) {
    super('GENESYS_RELAY_ERR_CLOSED', message, options);
  }
}

export function isRelayError(err: unknown): err is RelayError {
  return err instanceof RelayError;
}

/** For exhaustive switches over discriminated unions. */
export function assertNever(value: never, what = 'value'): never {
  throw new Error(`unexpected ${what}: ${JSON.stringify(value)}`);
}

/** A short message for any thrown value. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

import type { Pool } from 'undici';
import type { AccessToken, TokenProvider } from '../../auth/token-provider.ts';
import { classifyHttpResponse, classifyRequestError } from '../http/classify.ts';
import { createHttpPool, sendHttp, type HttpCall, type HttpResult } from '../http/http-request.ts';
import type { DeliveryOutcome } from '../sink.ts';
import { ServiceNowOAuthTokenProvider } from './oauth-token-provider.ts';
import type { ResolvedServiceNowOptions } from './options.ts';

export type ServiceNowRequest = Omit<HttpCall, 'timeoutMs' | 'headers'> & { headers?: Record<string, string> };

/** A response, or the outcome to report when no usable response came (network error, token rejected). */
export type ServiceNowReply = { ok: true; res: HttpResult } | { ok: false; outcome: DeliveryOutcome };

/**
 * Authenticated requests to one instance. With OAuth, a 401 invalidates the token and the request is sent once
 * more with a fresh one (the token may have been revoked or the instance restarted); a second 401 is final.
 */
export class ServiceNowClient {
  private readonly pool: Pool;
  private readonly tokens: TokenProvider | undefined;
  private readonly basicHeader: string | undefined;

  constructor(private readonly options: ResolvedServiceNowOptions) {
    this.pool = createHttpPool(options.instanceUrl.origin, options.timeoutMs);
    const { auth } = options;
    if (auth.kind === 'basic') {
      this.basicHeader = `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`;
    } else {
      this.tokens = new ServiceNowOAuthTokenProvider({
        auth,
        dispatcher: this.pool,
        timeoutMs: options.timeoutMs,
        refreshSkewMs: options.tokenRefreshSkewMs,
        clock: options.clock,
      });
    }
  }

  /** Sends `req`; `what` names it in outcomes (e.g. `ServiceNow POST /api/now/import/x/insertMultiple`). */
  async send(req: ServiceNowRequest, what: string): Promise<ServiceNowReply> {
    try {
      let token = await this.tokens?.getToken(req.signal);
      let res = await this.sendOnce(req, token);
      if (res.status === 401 && token && this.tokens) {
        this.tokens.invalidate(token);
        token = await this.tokens.getToken(req.signal);
        res = await this.sendOnce(req, token);
      }
      return { ok: true, res };
    } catch (err) {
      return { ok: false, outcome: classifyRequestError(err, what) };
    }
  }

  /** Classifies a reply with the shared HTTP table. */
  classify(reply: ServiceNowReply, what: string): DeliveryOutcome {
    if (!reply.ok) return reply.outcome;
    const hint =
      this.options.auth.kind === 'basic'
        ? 'check servicenow.auth username and password, and that the user has the rest_service role'
        : 'the OAuth token was refused even after a refresh; check the user behind servicenow.auth';
    return classifyHttpResponse(reply.res, { what, nowMs: this.options.clock.now(), unauthorizedHint: hint });
  }

  async close(): Promise<void> {
    await this.pool.close();
  }

  private sendOnce(req: ServiceNowRequest, token: AccessToken | undefined): Promise<HttpResult> {
    const authorization = token ? `Bearer ${token.value}` : (this.basicHeader ?? '');
    return sendHttp(this.pool, {
      ...req,
      headers: {
        accept: 'application/json',
        ...(req.body === undefined ? {} : { 'content-type': 'application/json' }),
        ...req.headers,
        authorization,
      },
      timeoutMs: this.options.timeoutMs,
    });
  }
}

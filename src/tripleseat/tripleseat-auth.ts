import { HttpService } from '@nestjs/axios';
import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { Clock } from '../common/clock';
import { CORRELATION_HEADER } from '../common/correlation/correlation-id';
import { classifyHttpFailure, htmlAnswerError, isHtmlAnswer } from '../common/http/resilient-http';
import { UpstreamError } from '../common/upstream.error';
import { tripleseatConfig } from '../config/configuration';

interface CachedToken {
  value: string;
  /** Epoch ms after which the token is no longer handed out. */
  refreshAt: number;
}

/** Refresh this long before expiry so a token never expires between signing and arrival. */
const REFRESH_MARGIN_MS = 60_000;
const CREDENTIAL_STATUSES = new Set([400, 401, 403]);

/** What an HTML answer from the token endpoint most likely means (upstream-facts §1.1). */
const TOKEN_HTML_HINT =
  'the token URL or the client credentials are wrong (TRIPLESEAT_OAUTH_TOKEN_URL must be the ' +
  'OAuth 2.0 endpoint …/oauth2/token; /oauth/token answers a login page)';

/**
 * The Authorization header of every TripleSeat API request: an OAuth 2.0 client-credentials bearer
 * token (upstream-facts §1.1; OAuth 1.0 was shut down by TripleSeat on 2026-07-01). The token is
 * cached until shortly before it expires, shared by concurrent callers, and dropped when the API
 * refuses it, so that the client's one retry after a 401 runs with a fresh one.
 */
@Injectable()
export class TripleSeatAuth {
  private readonly logger = new Logger(TripleSeatAuth.name);
  private token?: CachedToken;
  private inflight?: Promise<CachedToken>;
  private tokenCalls = 0;

  constructor(
    private readonly http: HttpService,
    @Inject(tripleseatConfig.KEY) private readonly config: ConfigType<typeof tripleseatConfig>,
    @Optional() private readonly clock: Clock = new Clock(),
  ) {}

  /** Token endpoint calls made so far (benchmarks add them to the API calls). */
  get tokenRequests(): number {
    return this.tokenCalls;
  }

  /** The header value for one API request: `Bearer <token>`, minting a token when needed. */
  async authorizationFor(correlationId?: string): Promise<string> {
    const token = await this.bearerToken(correlationId);
    return `Bearer ${token}`;
  }

  /**
   * Forgets the cached token after the API refused it. Given the refused header, only that token
   * is dropped: when several requests fail with the same old token, the first caller's fresh
   * token survives the others' calls.
   */
  invalidate(refusedAuthorization?: string): void {
    if (!this.token) return;
    if (
      refusedAuthorization !== undefined &&
      refusedAuthorization !== `Bearer ${this.token.value}`
    ) {
      return;
    }
    this.token = undefined;
  }

  private async bearerToken(correlationId?: string): Promise<string> {
    const cached = this.token;
    if (cached && this.clock.now().getTime() < cached.refreshAt) return cached.value;
    // Concurrent callers share one request rather than each minting a token.
    this.inflight ??= this.fetchToken(correlationId).finally(() => {
      this.inflight = undefined;
    });
    return (await this.inflight).value;
  }

  private async fetchToken(correlationId?: string): Promise<CachedToken> {
    this.tokenCalls += 1;
    const form = new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: this.config.clientId,
      client_secret: this.config.clientSecret,
    });
    const headers: Record<string, string> = {
      'Content-Type': 'application/x-www-form-urlencoded',
      Accept: 'application/json',
    };
    if (correlationId) headers[CORRELATION_HEADER] = correlationId;

    let data: unknown;
    try {
      const response = await this.http.axiosRef.post<unknown>(
        this.config.tokenUrl,
        form.toString(),
        {
          headers,
          timeout: this.config.timeoutMs,
        },
      );
      data = response.data;
      if (isHtmlAnswer(response.headers, data)) {
        throw this.htmlAnswer(response.status);
      }
    } catch (error) {
      // The AxiosError holds the form body with the secret: only the classification leaves here.
      const failure = classifyHttpFailure('tripleseat', error);
      if (failure.code === 'AUTH_HTML') {
        // Re-made with the token endpoint's own hint (the URL is the likelier culprit here).
        const html = this.htmlAnswer(failure.answeredStatus);
        this.logger.error(html.message);
        throw html;
      }
      if (failure.status !== undefined && CREDENTIAL_STATUSES.has(failure.status)) {
        this.logger.error(
          `TripleSeat token endpoint refused the client credentials (${failure.status})`,
        );
        throw new UpstreamError(
          'tripleseat',
          `TripleSeat token endpoint refused the client credentials (${failure.status})`,
          failure.status,
          false,
          undefined,
          'AUTH_REJECTED',
        );
      }
      throw failure;
    }

    const body = data && typeof data === 'object' ? (data as Record<string, unknown>) : undefined;
    const accessToken = body?.access_token;
    const expiresIn = Number(body?.expires_in);
    if (typeof accessToken !== 'string' || accessToken === '' || !(expiresIn > 0)) {
      throw new UpstreamError(
        'tripleseat',
        'TripleSeat token endpoint answered without access_token/expires_in',
        undefined,
        false,
        undefined,
        'BAD_RESPONSE',
      );
    }
    // Expiry is counted from our own clock, not the server's created_at, so clock skew between
    // the hosts cannot make us use an expired token. A token shorter-lived than twice the margin
    // is kept for half its life instead of never.
    const lifetimeMs = expiresIn * 1000;
    const margin = Math.min(REFRESH_MARGIN_MS, lifetimeMs / 2);
    const token = {
      value: accessToken,
      refreshAt: this.clock.now().getTime() + lifetimeMs - margin,
    };
    this.token = token;
    this.logger.debug(`TripleSeat token obtained, valid ${expiresIn}s`);
    return token;
  }

  private htmlAnswer(status: number | undefined): UpstreamError {
    return htmlAnswerError('tripleseat', 'POST', this.config.tokenUrl, status, TOKEN_HTML_HINT);
  }
}

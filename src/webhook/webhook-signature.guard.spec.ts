import {
  type ExecutionContext,
  Logger,
  ServiceUnavailableException,
  UnauthorizedException,
} from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import type { Request } from 'express';
import type { tripleseatConfig } from '../config/configuration';
import type { LedgerRepository } from '../database/ledger.repository';
import { MetricsService } from '../metrics/metrics.service';
import { type SignatureFormat, signTripleSeatWebhook } from '../tripleseat/webhook-signature';
import { deliveryKeyOf, verifiedWebhook, WebhookSignatureGuard } from './webhook-signature.guard';

const KEY = 'whsec-current-0123456789';
const PREVIOUS = 'whsec-previous-9876543210';
const TOLERANCE = 300;
const BODY = Buffer.from(
  '{"webhook_trigger_type":"STATUS_CHANGE_EVENT","event":{"id":55521609,"status":"DEFINITE"}}',
);
const FORMATS: [SignatureFormat, string][] = [
  ['v1', 't_v1'],
  ['bare', 'hex'],
  ['base64', 'base64'],
  ['sha256-hex', 'sha256_hex'],
  ['sha256-base64', 'sha256_base64'],
];

type Config = ConfigType<typeof tripleseatConfig>;

function request(body: Buffer, signatures: string[]): Request {
  const rawHeaders = ['content-type', 'application/json'];
  for (const s of signatures) rawHeaders.push('X-Signature', s);
  const header = signatures.length > 1 ? signatures.join(', ') : signatures[0];
  return {
    body,
    headers: header === undefined ? {} : { 'x-signature': header },
    rawHeaders,
  } as unknown as Request;
}

const contextOf = (req: Request) =>
  ({ switchToHttp: () => ({ getRequest: () => req }) }) as unknown as ExecutionContext;

const now = () => Math.floor(Date.now() / 1000);

describe(WebhookSignatureGuard.name, () => {
  let metrics: MetricsService;
  let recorded: Set<string>;
  let ledgerReads: number;
  let ledgerDown: boolean;

  const ledger = {
    hasDelivery: (key: string) => {
      ledgerReads += 1;
      if (ledgerDown) return Promise.reject(new Error('database is down'));
      return Promise.resolve(recorded.has(key));
    },
  } as unknown as LedgerRepository;

  const guard = (previous?: string) =>
    new WebhookSignatureGuard(
      {
        webhookSigningKey: KEY,
        webhookPreviousSigningKey: previous,
        webhookToleranceSeconds: TOLERANCE,
      } as Config,
      ledger,
      metrics,
    );

  async function outcome(g: WebhookSignatureGuard, req: Request): Promise<unknown> {
    try {
      return await g.canActivate(contextOf(req));
    } catch (error) {
      return error;
    }
  }

  const sign = (format: SignatureFormat, key = KEY, t = now()) =>
    signTripleSeatWebhook(BODY, key, format, t);

  beforeAll(() => {
    // Rejections log a warning by design; not test output.
    Logger.overrideLogger(false);
  });

  beforeEach(() => {
    metrics = new MetricsService();
    recorded = new Set();
    ledgerReads = 0;
    ledgerDown = false;
  });

  afterEach(() => {
    metrics.onModuleDestroy();
  });

  it.each(FORMATS)(
    'should let a %s signature through, name its form and count it',
    async (format, form) => {
      const req = request(BODY, [sign(format)]);

      await expect(guard().canActivate(contextOf(req))).resolves.toBe(true);

      expect(verifiedWebhook(req)).toMatchObject({ form, key: 'current', agedDuplicate: false });
      expect(await metrics.render()).toContain(
        `tripleseat_webhook_signature_form_total{form="${form}",key="current"} 1`,
      );
      expect(ledgerReads).toBe(0);
    },
  );

  it.each(FORMATS)('should refuse a %s signature made with a wrong key', async (format) => {
    const req = request(BODY, [sign(format, 'whsec-someone-else')]);

    const error = await outcome(guard(PREVIOUS), req);

    expect(error).toBeInstanceOf(UnauthorizedException);
    expect((error as UnauthorizedException).getResponse()).toMatchObject({
      reason: 'SIGNATURE_MISMATCH',
    });
    expect(verifiedWebhook(req)).toBeUndefined();
  });

  it.each(FORMATS)(
    'should accept a %s signature made with the previous key during a rotation',
    async (format, form) => {
      const req = request(BODY, [sign(format, PREVIOUS)]);

      await expect(guard(PREVIOUS).canActivate(contextOf(req))).resolves.toBe(true);
      expect(verifiedWebhook(req)).toMatchObject({ form, key: 'previous' });
      // Without the rotation configured, the old key is just a wrong key.
      expect(await outcome(guard(), request(BODY, [sign(format, PREVIOUS)]))).toBeInstanceOf(
        UnauthorizedException,
      );
    },
  );

  it('should let an aged but authentic delivery through as a duplicate when its bytes were recorded', async () => {
    recorded.add(deliveryKeyOf(BODY));
    const signedAt = now() - 3600;
    const req = request(BODY, [sign('v1', KEY, signedAt)]);

    await expect(guard().canActivate(contextOf(req))).resolves.toBe(true);

    expect(verifiedWebhook(req)).toEqual({
      form: 't_v1',
      key: 'current',
      timestamp: signedAt,
      agedDuplicate: true,
    });
    expect(ledgerReads).toBe(1);
  });

  it('should do the same for an aged delivery signed with the previous key', async () => {
    recorded.add(deliveryKeyOf(BODY));
    const req = request(BODY, [sign('v1', PREVIOUS, now() - 3600)]);

    await expect(guard(PREVIOUS).canActivate(contextOf(req))).resolves.toBe(true);
    expect(verifiedWebhook(req)).toMatchObject({ key: 'previous', agedDuplicate: true });
  });

  it('should refuse an aged authentic delivery whose bytes were never recorded', async () => {
    recorded.add(deliveryKeyOf(Buffer.from('{"something":"else"}')));
    const req = request(BODY, [sign('v1', KEY, now() - 3600)]);

    const error = await outcome(guard(), req);

    expect(error).toBeInstanceOf(UnauthorizedException);
    expect((error as UnauthorizedException).getResponse()).toMatchObject({
      reason: 'STALE_TIMESTAMP',
    });
    expect(verifiedWebhook(req)).toBeUndefined();
  });

  it('should refuse an aged forgery of recorded bytes without reading the ledger', async () => {
    recorded.add(deliveryKeyOf(BODY));
    const req = request(BODY, [sign('v1', 'whsec-forger', now() - 3600)]);

    expect(await outcome(guard(), req)).toBeInstanceOf(UnauthorizedException);
    expect(ledgerReads).toBe(0);
  });

  it('should answer 503 when the ledger cannot say whether an aged delivery was recorded', async () => {
    ledgerDown = true;
    const req = request(BODY, [sign('v1', KEY, now() - 3600)]);

    expect(await outcome(guard(), req)).toBeInstanceOf(ServiceUnavailableException);
  });

  it('should refuse a repeated X-Signature header even when every copy is valid', async () => {
    const req = request(BODY, [sign('bare'), sign('bare')]);

    const error = await outcome(guard(), req);

    expect(error).toBeInstanceOf(UnauthorizedException);
    expect((error as UnauthorizedException).getResponse()).toMatchObject({
      reason: 'MALFORMED_SIGNATURE',
    });
  });

  it('should refuse a missing signature', async () => {
    const error = await outcome(guard(), request(BODY, []));
    expect((error as UnauthorizedException).getResponse()).toMatchObject({
      reason: 'MISSING_SIGNATURE',
    });
  });

  it('should say in words why a signature was refused (the 401 body has a message)', async () => {
    const missing = await outcome(guard(), request(BODY, []));
    const wrong = await outcome(guard(), request(BODY, [sign('bare', 'whsec-someone-else')]));
    expect((missing as UnauthorizedException).getResponse()).toEqual({
      error: 'Unauthorized',
      message: 'the X-Signature header is missing',
      reason: 'MISSING_SIGNATURE',
    });
    expect((wrong as UnauthorizedException).getResponse()).toMatchObject({
      message: expect.stringContaining('does not match') as string,
      reason: 'SIGNATURE_MISMATCH',
    });
  });
});

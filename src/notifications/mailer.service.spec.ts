import { createServer, AddressInfo } from 'node:net';
import { LoggerService } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { Test, TestingModule } from '@nestjs/testing';
import { SmtpCapture } from '../../test/support/smtp-capture';
import { ManualClock } from '../common/clock';
import { mailConfig } from '../config/configuration';
import { MAIL_DIGEST_CLOCK, MAIL_DIGEST_WINDOW_MS, MailerService } from './mailer.service';
import { EventFailedNotice, OrderInjectedNotice } from './notification.types';

const USER = 'sync-bot';
// Characters that need percent-encoding in a URL, so both spellings are checked in the logs.
const PASSWORD = 'S3cret/p@ss:word';
/**
 * The digest window, measured on a ManualClock: only `clock.advance` ends it, however slow the
 * machine. (Real time only paces how often the service looks at the clock.)
 */
const WINDOW_MS = 200;

interface LogLine {
  level: string;
  message: string;
}

/** Collects what the service logs, through the same Logger the app uses. */
class CaptureLogger implements LoggerService {
  readonly lines: LogLine[] = [];
  log(message: unknown): void {
    this.add('log', message);
  }
  error(message: unknown, ...rest: unknown[]): void {
    this.add('error', [message, ...rest].map(String).join(' '));
  }
  warn(message: unknown): void {
    this.add('warn', message);
  }
  debug(message: unknown): void {
    this.add('debug', message);
  }
  verbose(message: unknown): void {
    this.add('verbose', message);
  }
  private add(level: string, message: unknown): void {
    this.lines.push({ level, message: String(message) });
  }
  text(): string {
    return this.lines.map((l) => `${l.level} ${l.message}`).join('\n');
  }
}

const order: OrderInjectedNotice = {
  eventId: '12345',
  eventName: 'Spring Gala',
  eventDate: '2025-05-01',
  locationName: 'Pinkbox Tropicana',
  establishmentId: '4',
  revelOrderId: '98765',
  items: [
    { name: 'TRIPLE OG', quantity: 2, unitPrice: '54.40' },
    { name: 'Donut Tower', quantity: 1, unitPrice: '20.00' },
  ],
  unmatched: [{ name: 'Mystery Cake', quantity: 3 }],
  subtotal: '128.80',
  discount: '20.00',
  surcharge: '0.00',
  finalTotal: '108.80',
  adjustments: [
    { label: 'Mystery Cake (no Revel product)', amount: '15.00' },
    { label: 'Invoice discounts', amount: '-35.00' },
  ],
  correlationId: 'worker-abc123',
};

function failure(eventId: string, reason = 'UPSTREAM_UNAVAILABLE'): EventFailedNotice {
  return {
    eventId,
    eventName: `Event ${eventId}`,
    reason,
    detail: `Revel answered 503 for event ${eventId}`,
    attempts: 5,
    correlationId: `worker-${eventId}`,
  };
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe(MailerService.name, () => {
  let smtp: SmtpCapture;
  let smtpUrl: string;
  let logger: CaptureLogger;
  let moduleRef: TestingModule | undefined;
  let clock: ManualClock;

  /** `overrides` may set smtpUrl to undefined: SMTP not configured. */
  async function createMailer(
    overrides: Partial<ConfigType<typeof mailConfig>> = {},
  ): Promise<MailerService> {
    const cfg: ConfigType<typeof mailConfig> = {
      smtpUrl,
      from: 'sync@example.test',
      to: ['ops@example.test', 'kitchen@example.test'],
      ...overrides,
    };
    moduleRef = await Test.createTestingModule({
      providers: [
        MailerService,
        { provide: mailConfig.KEY, useValue: cfg },
        { provide: MAIL_DIGEST_WINDOW_MS, useValue: WINDOW_MS },
        { provide: MAIL_DIGEST_CLOCK, useValue: clock },
      ],
    })
      .setLogger(logger)
      .compile();
    await moduleRef.init();
    return moduleRef.get(MailerService);
  }

  beforeEach(async () => {
    clock = new ManualClock(new Date('2026-05-01T17:00:00Z'));
    logger = new CaptureLogger();
    smtp = new SmtpCapture({ auth: { user: USER, pass: PASSWORD } });
    smtpUrl = (await smtp.start()).url;
  });

  afterEach(async () => {
    await moduleRef?.close();
    moduleRef = undefined;
    await smtp.close();
    // Whatever a test did, the SMTP password must never reach the log.
    const logged = logger.text();
    expect(logged).not.toContain(PASSWORD);
    expect(logged).not.toContain(encodeURIComponent(PASSWORD));
  });

  it('should e-mail an injected order with its items, unmatched items, totals and order id', async () => {
    const mailer = await createMailer();

    await expect(mailer.orderInjected(order)).resolves.toBe(true);

    const mail = await smtp.waitFor((m) => m.subject.includes('98765'), 2000);
    expect(mail.subject).toBe(
      'Revel order 98765 created for TripleSeat event #12345 WITHOUT 1 line: add by hand',
    );
    expect(mail.envelopeFrom).toBe('sync@example.test');
    expect(mail.envelopeTo).toEqual(['ops@example.test', 'kitchen@example.test']);
    expect(mail.user).toBe(USER);
    expect(mail.text).toContain('#12345');
    expect(mail.text).toContain('Spring Gala');
    expect(mail.text).toContain('2025-05-01');
    expect(mail.text).toContain('Pinkbox Tropicana (Revel establishment 4)');
    expect(mail.text).toContain('2 x TRIPLE OG @ 54.40');
    expect(mail.text).toContain('1 x Donut Tower @ 20.00');
    expect(mail.text).toMatch(/UNMATCHED ITEMS \(1\)[^\n]*NOT on the order/);
    expect(mail.text).toContain('3 x Mystery Cake');
    expect(mail.text).toContain('Subtotal:    128.80');
    expect(mail.text).toContain('Discount:    20.00');
    expect(mail.text).toContain('Surcharge:   0.00');
    expect(mail.text).toContain('Final total: 108.80');
    expect(mail.text).toMatch(
      /made of:\n\s+15\.00 {2}Mystery Cake \(no Revel product\)\n\s+-35\.00 {2}Invoice discounts/,
    );
    expect(mail.text).toContain('Revel order id:   98765');
    expect(mail.text).toContain('worker-abc123');
    expect(mail.raw).not.toContain(PASSWORD);
  });

  it('should mark a dry-run order as not written to Revel', async () => {
    const mailer = await createMailer();

    await expect(mailer.orderInjected({ ...order, dryRun: true })).resolves.toBe(true);

    const mail = await smtp.waitFor((m) => m.subject.includes('DRY RUN'), 2000);
    expect(mail.subject).toBe('[DRY RUN] Revel order not written for TripleSeat event #12345');
    expect(mail.text).toContain('NOT written to Revel');
  });

  it('should send the first failure at once', async () => {
    const mailer = await createMailer();

    await expect(mailer.eventFailed(failure('501'))).resolves.toBe(true);

    // Already delivered when the call resolves: no waiting for the digest window.
    expect(smtp.messages).toHaveLength(1);
    const [mail] = smtp.messages;
    expect(mail.subject).toBe('TripleSeat event #501 failed to sync (UPSTREAM_UNAVAILABLE)');
    expect(mail.text).toContain('Revel answered 503 for event 501');
    expect(mail.text).toContain('State:          FAILED');
    expect(mail.text).toContain('Attempts:       5');
    expect(mail.text).toContain('worker-501');
  });

  it('should call a SKIPPED event skipped, never a failure, with its reason', async () => {
    const mailer = await createMailer();

    await mailer.eventFailed({
      ...failure('510', 'NO_ITEMS_MATCHED'),
      detail: 'unmatched: Kale Smoothie',
      attempts: 0,
    });

    const [mail] = smtp.messages;
    expect(mail.subject).toBe(
      'TripleSeat event #510 skipped, no Revel order written (NO_ITEMS_MATCHED)',
    );
    expect(mail.subject).not.toMatch(/fail/i);
    expect(mail.text).toContain('was skipped: no Revel order was written');
    expect(mail.text).toContain('State:          SKIPPED');
    expect(mail.text).toContain('Reason:         NO_ITEMS_MATCHED');
    expect(mail.text).toContain('POST /api/sync/tripleseat?event_id=510');
    expect(mail.text).not.toMatch(/could not be synced|Attempts:/);
  });

  it('should take the state from the notice when the caller gives it', async () => {
    const mailer = await createMailer();

    // A partly written order whose event is no longer eligible: FAILED with an eligibility reason.
    await mailer.eventFailed({ ...failure('520', 'STATUS_NOT_ELIGIBLE'), state: 'FAILED' });

    expect(smtp.messages[0].subject).toBe(
      'TripleSeat event #520 failed to sync (STATUS_NOT_ELIGIBLE)',
    );
  });

  it('should count FAILED and SKIPPED apart in a mixed digest', async () => {
    const mailer = await createMailer();
    await mailer.eventFailed(failure('530'));
    await mailer.eventFailed(failure('531'));
    await mailer.eventFailed(failure('532', 'NO_ITEMS_MATCHED'));
    await mailer.eventFailed(failure('533', 'NO_ITEMS_MATCHED'));

    clock.advance(WINDOW_MS);
    const digest = await smtp.waitFor((m) => m.subject.includes('need attention'));
    expect(digest.subject).toBe('3 TripleSeat events need attention (1 failed to sync, 2 skipped)');
    expect(digest.text).toContain('- Event #531: FAILED UPSTREAM_UNAVAILABLE');
    expect(digest.text).toContain('- Event #532: SKIPPED NO_ITEMS_MATCHED');
  });

  it('should gather every further failure within the window, to its last millisecond, into exactly one digest', async () => {
    const mailer = await createMailer();
    await mailer.eventFailed(failure('600'));

    const gathered = await Promise.all(
      ['601', '602', '603', '604', '605'].map((id, i) =>
        mailer.eventFailed(failure(id, i % 2 === 0 ? 'UPSTREAM_UNAVAILABLE' : 'VALIDATION_FAILED')),
      ),
    );
    expect(gathered).toEqual([false, false, false, false, false]);
    // Just before the window's end, a sixth is gathered too.
    clock.advance(WINDOW_MS - 1);
    await expect(mailer.eventFailed(failure('606'))).resolves.toBe(false);
    await smtp.waitFor((m) => m.subject.includes('#600'));
    expect(smtp.messages).toHaveLength(1);

    clock.advance(1);
    const digest = await smtp.waitFor((m) => m.subject.includes('events failed'));
    expect(digest.subject).toBe('6 TripleSeat events failed to sync');
    for (const [i, id] of ['601', '602', '603', '604', '605'].entries()) {
      const reason = i % 2 === 0 ? 'UPSTREAM_UNAVAILABLE' : 'VALIDATION_FAILED';
      expect(digest.text).toContain(`- Event #${id}: FAILED ${reason}`);
      expect(digest.text).toContain(`Revel answered 503 for event ${id}`);
    }
    expect(digest.text).not.toContain('#600');

    // The window the digest opened closes empty: nothing is pending, and the next failure after
    // it is sent at once, as the third and last e-mail.
    clock.advance(WINDOW_MS);
    await expect(mailer.flush()).resolves.toBe(false);
    await expect(mailer.eventFailed(failure('607'))).resolves.toBe(true);
    expect(smtp.messages.map((m) => m.subject)).toEqual([
      'TripleSeat event #600 failed to sync (UPSTREAM_UNAVAILABLE)',
      '6 TripleSeat events failed to sync',
      'TripleSeat event #607 failed to sync (UPSTREAM_UNAVAILABLE)',
    ]);
  });

  it('should send a failure at once again after a quiet period', async () => {
    const mailer = await createMailer();
    await mailer.eventFailed(failure('700'));
    clock.advance(WINDOW_MS);

    await expect(mailer.eventFailed(failure('701'))).resolves.toBe(true);

    expect(smtp.messages.map((m) => m.subject)).toEqual([
      'TripleSeat event #700 failed to sync (UPSTREAM_UNAVAILABLE)',
      'TripleSeat event #701 failed to sync (UPSTREAM_UNAVAILABLE)',
    ]);
  });

  it('should send the pending digest on shutdown', async () => {
    const mailer = await createMailer();
    await mailer.eventFailed(failure('800'));
    await mailer.eventFailed(failure('801'));
    await mailer.eventFailed(failure('802'));

    await moduleRef?.close();
    moduleRef = undefined;

    expect(smtp.messages.map((m) => m.subject)).toEqual([
      'TripleSeat event #800 failed to sync (UPSTREAM_UNAVAILABLE)',
      '2 TripleSeat events failed to sync',
    ]);
  });

  it('should send nothing and say so once when SMTP is not configured', async () => {
    const mailer = await createMailer({ smtpUrl: undefined });

    await expect(mailer.orderInjected(order)).resolves.toBe(false);
    await expect(mailer.eventFailed(failure('900'))).resolves.toBe(false);
    await expect(mailer.eventFailed(failure('901'))).resolves.toBe(false);
    await expect(mailer.flush()).resolves.toBe(false);

    expect(smtp.messages).toHaveLength(0);
    const off = logger.lines.filter((l) =>
      l.message.includes('e-mail notifications are off (SMTP_URL not set)'),
    );
    expect(off).toEqual([
      { level: 'log', message: 'e-mail notifications are off (SMTP_URL not set)' },
    ]);
    expect(logger.lines.filter((l) => l.level === 'error')).toHaveLength(0);
  });

  it('should resolve false without throwing when the SMTP server is unreachable', async () => {
    const port = await closedPort();
    const mailer = await createMailer({
      smtpUrl: `smtp://${USER}:${encodeURIComponent(PASSWORD)}@127.0.0.1:${port}`,
    });

    await expect(mailer.orderInjected(order)).resolves.toBe(false);
    await expect(mailer.eventFailed(failure('950'))).resolves.toBe(false);

    const errors = logger.lines.filter((l) => l.level === 'error');
    expect(errors).toHaveLength(2);
    expect(errors[0].message).toMatch(/^order e-mail not sent: .*ECONNREFUSED/);
  });

  it('should never log the SMTP password, even when the server rejects it', async () => {
    const wrong = 'Wr0ng-Pa55/w@rd';
    const mailer = await createMailer({
      smtpUrl: `smtp://${USER}:${encodeURIComponent(wrong)}@127.0.0.1:${new URL(smtpUrl).port}`,
    });

    await expect(mailer.orderInjected(order)).resolves.toBe(false);

    expect(smtp.messages).toHaveLength(0);
    const logged = logger.text();
    expect(logged).toMatch(/order e-mail not sent: .*(auth|login|Invalid)/i);
    expect(logged).toContain('smtp://127.0.0.1:');
    expect(logged).not.toContain(wrong);
    expect(logged).not.toContain(encodeURIComponent(wrong));
  });
});

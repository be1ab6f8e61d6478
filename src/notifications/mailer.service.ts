import {
  Inject,
  Injectable,
  Logger,
  OnApplicationShutdown,
  OnModuleInit,
  Optional,
} from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import type { Transporter } from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport';
import { Clock } from '../common/clock';
import { currentCorrelationId } from '../common/correlation/correlation-id';
import { mailConfig } from '../config/configuration';
import {
  AttentionState,
  EventFailedNotice,
  OrderDriftedNotice,
  OrderInjectedNotice,
  UnmatchedItemsNotice,
} from './notification.types';

/**
 * How long failures are gathered into one digest after a failure mail went out. Optional provider:
 * production uses the default; tests provide a short window instead of waiting a minute.
 */
export const MAIL_DIGEST_WINDOW_MS = Symbol('MAIL_DIGEST_WINDOW_MS');

export const DEFAULT_DIGEST_WINDOW_MS = 60_000;

/**
 * The clock the digest window is measured on. Optional provider: wall-clock time by default (a mail
 * storm is about real minutes, whatever business time the app's Clock says); a unit test provides a
 * ManualClock to end the window exactly when it chooses.
 */
export const MAIL_DIGEST_CLOCK = Symbol('MAIL_DIGEST_CLOCK');

/**
 * A digest lists at most this many events; an outage touching thousands of events still yields a
 * readable e-mail, and memory stays bounded however long the outage lasts.
 */
const MAX_DIGEST_ENTRIES = 200;

/**
 * Nodemailer's own timeouts (two minutes to connect, ten for a socket) would let a dead mail server
 * hold a shutdown flush for minutes. Added only where SMTP_URL does not choose its own value.
 */
const TRANSPORT_DEFAULTS: Readonly<Record<string, string>> = {
  pool: 'true',
  maxConnections: '2',
  connectionTimeout: '10000',
  greetingTimeout: '10000',
  socketTimeout: '30000',
};

/** A notice with the ledger state it is about. */
type StampedNotice = EventFailedNotice & { state: AttentionState };

/**
 * Tells operators what the sync did: one e-mail per Revel order written, and events that need
 * attention (FAILED, or SKIPPED for a reason someone must fix), the first one at once and the rest
 * of a burst as one digest, so an outage produces a digest rather than a storm. Every subject and
 * body says the ledger's state and reason: a SKIPPED event is never called a failure.
 * Mail is best effort: every method resolves (true when an e-mail was sent) and never rejects, because
 * a mail outage must not fail a sync.
 */
@Injectable()
export class MailerService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(MailerService.name);
  private readonly digestWindowMs: number;
  private readonly from?: string;
  private readonly to: string[];
  /** Printed instead of the SMTP URL, which may carry a password. */
  private readonly server?: string;
  /** Redacted from any error text before it is logged. */
  private readonly secrets: string[] = [];
  private transport?: Transporter<SMTPTransport.SentMessageInfo>;
  private offReason?: string;

  /**
   * Set while a digest window is open: failures are then gathered rather than sent. The window is
   * measured on MAIL_DIGEST_CLOCK (a test moves it by hand); the timer only wakes the service to
   * look.
   */
  private windowEndsAt?: number;
  private windowTimer?: NodeJS.Timeout;
  private pending: StampedNotice[] = [];
  /** Notices beyond MAX_DIGEST_ENTRIES in the current window, counted by state but not listed. */
  private overflow: Record<AttentionState, number> = { FAILED: 0, SKIPPED: 0 };
  private readonly inFlight = new Set<Promise<boolean>>();

  constructor(
    @Inject(mailConfig.KEY) cfg: ConfigType<typeof mailConfig>,
    @Optional() @Inject(MAIL_DIGEST_WINDOW_MS) digestWindowMs?: number,
    @Optional() @Inject(MAIL_DIGEST_CLOCK) private readonly clock: Clock = new Clock(),
  ) {
    this.digestWindowMs = digestWindowMs ?? DEFAULT_DIGEST_WINDOW_MS;
    this.from = cfg.from;
    this.to = cfg.to;
    if (!cfg.smtpUrl) {
      this.offReason = 'SMTP_URL not set';
      return;
    }
    // Configuration validation requires both when SMTP_URL is set; checked again so that a
    // hand-built config cannot make every send fail at the SMTP server instead.
    if (!cfg.from || cfg.to.length === 0) {
      this.offReason = 'NOTIFY_EMAIL_FROM or NOTIFY_EMAIL_TO not set';
      return;
    }
    let url: URL;
    try {
      url = new URL(cfg.smtpUrl);
    } catch {
      this.offReason = 'SMTP_URL is not a valid URL';
      return;
    }
    for (const value of [url.password, safeDecode(url.password), cfg.smtpUrl]) {
      if (value) this.secrets.push(value);
    }
    this.server = `${url.protocol}//${url.hostname}${url.port ? `:${url.port}` : ''}`;
    for (const [key, value] of Object.entries(TRANSPORT_DEFAULTS)) {
      if (!url.searchParams.has(key)) url.searchParams.set(key, value);
    }
    // No connection is made here: the pool connects on the first send. nodemailer is loaded only
    // when e-mail is on: with notifications off it would cost memory for nothing.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { createTransport } = require('nodemailer') as typeof import('nodemailer');
    this.transport = createTransport(url.toString());
  }

  onModuleInit(): void {
    if (this.offReason) {
      const level = this.offReason === 'SMTP_URL not set' ? 'log' : 'warn';
      this.logger[level](`e-mail notifications are off (${this.offReason})`);
    } else {
      this.logger.log(
        `e-mail notifications on via ${this.server} to ${this.to.length} recipient(s)`,
      );
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.flush();
    await Promise.allSettled([...this.inFlight]);
    const transport = this.transport;
    this.transport = undefined;
    transport?.close();
  }

  /** One e-mail per order written to Revel (or computed, in a dry run). */
  orderInjected(notice: OrderInjectedNotice): Promise<boolean> {
    const correlationId = notice.correlationId ?? currentCorrelationId();
    const leftOut =
      notice.unmatched.length > 0
        ? ` WITHOUT ${plural(notice.unmatched.length, 'line')}: add by hand`
        : '';
    const subject = notice.dryRun
      ? `[DRY RUN] Revel order not written for TripleSeat event #${oneLine(notice.eventId)}`
      : `Revel order ${oneLine(notice.revelOrderId)} created for TripleSeat event #${oneLine(notice.eventId)}${leftOut}`;
    return this.send('order', subject, renderOrder(notice, correlationId));
  }

  /**
   * One e-mail per event and per set of unmatched lines (the caller decides when a set is new),
   * while there is still time to add the products to Revel and map them.
   */
  unmatchedItems(notice: UnmatchedItemsNotice): Promise<boolean> {
    const correlationId = notice.correlationId ?? currentCorrelationId();
    const subject = `TripleSeat event #${oneLine(notice.eventId)}: ${plural(notice.unmatched.length, 'line')} with no Revel product`;
    return this.send('unmatched', subject, renderUnmatched(notice, correlationId));
  }

  /**
   * One e-mail when a TripleSeat event no longer matches the Revel order we wrote for it. The
   * caller sends it only when the set of changes is new, so repeated checks do not repeat it.
   */
  orderDrifted(notice: OrderDriftedNotice): Promise<boolean> {
    const correlationId = notice.correlationId ?? currentCorrelationId();
    const subject = `TripleSeat event #${oneLine(notice.eventId)} changed after Revel order ${oneLine(notice.revelOrderId)} was written`;
    return this.send('drift', subject, renderDrift(notice, correlationId));
  }

  /**
   * An event that needs attention. The first notice after a quiet period is sent at once and opens
   * a digest window; notices during the window are sent together when it closes. Resolves false for
   * a notice that was gathered into the digest, since no e-mail was sent for it yet.
   */
  eventFailed(notice: EventFailedNotice): Promise<boolean> {
    if (!this.transport) return Promise.resolve(false);
    // Stamped now: the digest is sent later, outside the work that failed.
    const stamped: StampedNotice = {
      ...notice,
      state: stateOf(notice),
      correlationId: notice.correlationId ?? currentCorrelationId(),
    };
    // A window whose time is up closes now, even if its timer has not fired yet.
    if (this.windowEndsAt !== undefined && this.clock.now().getTime() >= this.windowEndsAt) {
      this.closeWindow();
    }
    if (this.windowEndsAt !== undefined) {
      if (this.pending.length < MAX_DIGEST_ENTRIES) this.pending.push(stamped);
      else this.overflow[stamped.state] += 1;
      return Promise.resolve(false);
    }
    this.openWindow();
    const event = `TripleSeat event #${oneLine(notice.eventId)}`;
    const reason = oneLine(notice.reason);
    const subject =
      stamped.state === 'SKIPPED'
        ? `${event} skipped, no Revel order written (${reason})`
        : `${event} failed to sync (${reason})`;
    return this.send(
      stamped.state === 'SKIPPED' ? 'skip' : 'failure',
      subject,
      renderFailure(stamped),
    );
  }

  /** Sends the gathered failures now rather than when the window closes (shutdown). */
  flush(): Promise<boolean> {
    clearTimeout(this.windowTimer);
    this.windowTimer = undefined;
    this.windowEndsAt = undefined;
    return this.sendDigest();
  }

  private openWindow(): void {
    this.windowEndsAt = this.clock.now().getTime() + this.digestWindowMs;
    this.wakeIn(this.digestWindowMs);
  }

  private wakeIn(ms: number): void {
    clearTimeout(this.windowTimer);
    this.windowTimer = setTimeout(() => this.onWake(), Math.max(1, ms));
    // A pending digest must not keep the process alive; shutdown flushes it instead.
    this.windowTimer.unref();
  }

  /** The timer fired: close the window if its time is up on the Clock, else look again later. */
  private onWake(): void {
    this.windowTimer = undefined;
    if (this.windowEndsAt === undefined) return;
    const left = this.windowEndsAt - this.clock.now().getTime();
    if (left > 0) this.wakeIn(Math.min(left, this.digestWindowMs));
    else this.closeWindow();
  }

  private closeWindow(): void {
    clearTimeout(this.windowTimer);
    this.windowTimer = undefined;
    this.windowEndsAt = undefined;
    if (this.pending.length === 0) return;
    // A new window opens at once so that a lasting outage yields one digest per window, not a
    // burst of single mails after each digest.
    this.openWindow();
    void this.sendDigest();
  }

  private sendDigest(): Promise<boolean> {
    if (this.pending.length === 0) return Promise.resolve(false);
    const batch = this.pending;
    const overflow = this.overflow;
    this.pending = [];
    this.overflow = { FAILED: 0, SKIPPED: 0 };
    const counts = countByState(batch, overflow);
    return this.send('digest', digestSubject(counts), renderDigest(batch, counts));
  }

  private send(kind: string, subject: string, text: string): Promise<boolean> {
    const transport = this.transport;
    if (!transport) return Promise.resolve(false);
    const attempt = transport
      .sendMail({ from: this.from, to: this.to, subject, text })
      .then((info) => {
        this.logger.debug(`${kind} e-mail sent (${info.messageId})`);
        return true;
      })
      .catch((error: unknown) => {
        this.logger.error(`${kind} e-mail not sent: ${this.describe(error)}`);
        return false;
      })
      .finally(() => this.inFlight.delete(attempt));
    this.inFlight.add(attempt);
    return attempt;
  }

  /** Error text for the log: nodemailer echoes server replies, which must not carry the password. */
  private describe(error: unknown): string {
    let text = error instanceof Error ? error.message : String(error);
    const code = (error as { code?: unknown } | null)?.code;
    if (typeof code === 'string' && !text.includes(code)) text = `${code}: ${text}`;
    for (const secret of this.secrets) text = text.split(secret).join('***');
    return text;
  }
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** Header values come partly from TripleSeat; a line break must not start a new header. */
function oneLine(value: string): string {
  return value.replace(/[\r\n\t]+/g, ' ').trim();
}

function eventLine(n: {
  eventName?: string;
  eventDate?: string;
  locationName?: string;
}): string | undefined {
  const parts = [n.eventName, n.eventDate, n.locationName].filter((p): p is string => !!p);
  return parts.length > 0 ? parts.map(oneLine).join(' | ') : undefined;
}

/** The order e-mail's body (exported for its spec). */
export function renderOrder(n: OrderInjectedNotice, correlationId: string | undefined): string {
  const lines = [
    n.dryRun
      ? 'DRY RUN: this order was computed but NOT written to Revel.'
      : `A Revel order was created for TripleSeat event #${n.eventId}.`,
    '',
    `TripleSeat event: #${n.eventId}`,
    `Name:             ${n.eventName ?? '(none)'}`,
    `Date:             ${n.eventDate ?? '(none)'}`,
    `Location:         ${n.locationName} (Revel establishment ${n.establishmentId})`,
    `Revel order id:   ${n.dryRun ? '(none, dry run)' : n.revelOrderId}`,
    '',
    'Items:',
    ...(n.items.length > 0
      ? n.items.map((i) => `  ${i.quantity} x ${i.name} @ ${i.unitPrice}`)
      : ['  (none)']),
  ];
  if (n.unmatched.length > 0) {
    lines.push(
      '',
      `UNMATCHED ITEMS (${n.unmatched.length}): no Revel product was found, so these are NOT on the order.`,
      'Add them in Revel by hand or map them in the locations file:',
      ...n.unmatched.map(unmatchedLine),
    );
  }
  const credits = (n.adjustments ?? []).filter((a) => a.kind === 'credit');
  if (credits.length > 0) {
    lines.push(
      '',
      `CREDITS (${credits.length}): money off the invoice, already in the total below. Nothing to add in Revel:`,
      ...credits.map((c) => `  ${c.amount.padStart(10)}  ${c.label}`),
    );
  }
  lines.push(
    '',
    `Subtotal:    ${n.subtotal}`,
    `Discount:    ${n.discount}`,
    `Surcharge:   ${n.surcharge}`,
    `Final total: ${n.finalTotal}`,
  );
  const adjustments = n.adjustments ?? [];
  if (adjustments.length > 0) {
    lines.push(
      '',
      'The difference between the items and the invoice total is made of:',
      ...adjustments.map((a) => `  ${a.amount.padStart(10)}  ${a.label}`),
    );
  }
  lines.push('', `Correlation id: ${correlationId ?? '(none)'}`);
  return lines.join('\n') + '\n';
}

function unmatchedLine(u: { name: string; quantity: number; amount?: string }): string {
  return `  ${u.quantity} x ${u.name}${u.amount !== undefined ? `  (${u.amount})` : ''}`;
}

function renderUnmatched(n: UnmatchedItemsNotice, correlationId: string | undefined): string {
  const context = eventLine(n);
  return (
    [
      `TripleSeat event #${n.eventId} has ${plural(n.unmatched.length, 'line')} that match no Revel product at ${n.locationName}:`,
      '',
      ...n.unmatched.map(unmatchedLine),
      '',
      `Event: #${n.eventId}${context ? ` (${context})` : ''}`,
      n.held === 'early'
        ? 'Its day has not come yet: there is time to add the products in Revel and map the lines.'
        : 'It is held: no Revel order is written until the lines are mapped.',
      `Map them (console: the event's page, or PUT /api/mappings) before ${n.deadline} and the order is written with them.`,
      'After that it is written with what matches, and the kitchen must add these lines by hand.',
      `To write it now without them: POST /api/sync/tripleseat?event_id=${n.eventId}&allow_unmatched=true`,
      '',
      `Correlation id: ${correlationId ?? '(none)'}`,
    ].join('\n') + '\n'
  );
}

function renderDrift(n: OrderDriftedNotice, correlationId: string | undefined): string {
  const context = eventLine(n);
  return (
    [
      `TripleSeat event #${n.eventId} changed after its Revel order was written.`,
      'The Revel order has NOT been changed.',
      '',
      `Event:          #${n.eventId}${context ? ` (${context})` : ''}`,
      `Revel order id: ${n.revelOrderId}`,
      '',
      'What changed:',
      ...n.changes.map((change) => `  - ${oneLine(change)}`),
      '',
      'Adjust the order at the POS, or, while it is still open in Revel, rewrite it to match with',
      `POST /api/sync/events/${n.eventId}/resync.`,
      '',
      `Correlation id: ${correlationId ?? '(none)'}`,
    ].join('\n') + '\n'
  );
}

/** The notice's ledger state; see EventFailedNotice.state. */
function stateOf(n: EventFailedNotice): AttentionState {
  return n.state ?? (n.reason === 'NO_ITEMS_MATCHED' ? 'SKIPPED' : 'FAILED');
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

function countByState(
  batch: StampedNotice[],
  overflow: Record<AttentionState, number>,
): Record<AttentionState, number> {
  const counts = { ...overflow };
  for (const n of batch) counts[n.state] += 1;
  return counts;
}

function digestSubject(counts: Record<AttentionState, number>): string {
  const total = counts.FAILED + counts.SKIPPED;
  const events = plural(total, 'TripleSeat event');
  if (counts.SKIPPED === 0) return `${events} failed to sync`;
  if (counts.FAILED === 0) return `${events} skipped, no Revel order written`;
  return `${events} need attention (${counts.FAILED} failed to sync, ${counts.SKIPPED} skipped)`;
}

function renderFailure(n: StampedNotice): string {
  const context = eventLine(n);
  const skipped = n.state === 'SKIPPED';
  const lines = [
    skipped
      ? `TripleSeat event #${n.eventId} was skipped: no Revel order was written for it.`
      : `TripleSeat event #${n.eventId} could not be synced to Revel and needs attention.`,
    '',
    `Event:          #${n.eventId}${context ? ` (${context})` : ''}`,
    `State:          ${n.state}`,
    `Reason:         ${n.reason}`,
    `Detail:         ${n.detail}`,
  ];
  if (!skipped) lines.push(`Attempts:       ${n.attempts}`);
  lines.push(`Correlation id: ${n.correlationId ?? '(none)'}`, '');
  if (skipped) {
    lines.push(
      n.reason === 'NO_ITEMS_MATCHED'
        ? 'Map its items to Revel products (the locations file or PUT /api/mappings), then sync it again:'
        : 'If it should have an order, fix the cause, then sync it again:',
      `POST /api/sync/tripleseat?event_id=${n.eventId}`,
      '',
    );
  }
  lines.push('Notices that follow soon after this one are gathered into one digest e-mail.');
  return lines.join('\n') + '\n';
}

function renderDigest(batch: StampedNotice[], counts: Record<AttentionState, number>): string {
  const total = counts.FAILED + counts.SKIPPED;
  const listed = batch.length;
  const lines = [
    counts.SKIPPED === 0
      ? `${plural(total, 'TripleSeat event')} could not be synced to Revel:`
      : counts.FAILED === 0
        ? `${plural(total, 'TripleSeat event')} skipped, no Revel order written:`
        : `${plural(total, 'TripleSeat event')} need attention: ${counts.FAILED} FAILED, ${counts.SKIPPED} SKIPPED:`,
    '',
  ];
  for (const n of batch) {
    const context = eventLine(n);
    lines.push(
      `- Event #${n.eventId}: ${n.state} ${n.reason}${context ? ` (${context})` : ''}`,
      `    ${oneLine(n.detail)}`,
      n.state === 'SKIPPED'
        ? `    correlation id: ${n.correlationId ?? '(none)'}`
        : `    attempts: ${n.attempts}, correlation id: ${n.correlationId ?? '(none)'}`,
    );
  }
  if (total > listed) lines.push('', `... and ${total - listed} more, not listed; see the ledger.`);
  return lines.join('\n') + '\n';
}

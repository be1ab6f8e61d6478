import type { NextFunction, Request, RequestHandler, Response } from 'express';

type FaultKind = 'status' | 'hang' | 'drop' | 'rate-limit' | 'late-commit';

/**
 * The longest a late commit may take. The service's default settle window
 * (REVEL_WRITE_SETTLE_SECONDS, 300 s) is longer, as the service assumes of a real slow Revel.
 */
export const MAX_LATE_COMMIT_MS = 240_000;

/** What can go wrong on a route. Rates are fractions of requests (0..1), drawn independently. */
export interface FaultSpec {
  /** Added before every answer. */
  latencyMs?: number;
  /** Fraction answered with `errorStatus` (default 500). */
  errorRate?: number;
  errorStatus?: number;
  /** Fraction answered 429 with a Retry-After of `retryAfterSeconds` (default 1). */
  rateLimitRate?: number;
  retryAfterSeconds?: number;
  /** Fraction never answered: the request hangs until the client gives up. */
  hangRate?: number;
  /** Fraction whose connection is destroyed without an answer. */
  dropRate?: number;
  /** A real limit: more than this many requests in one second are answered 429. */
  perSecondLimit?: number;
  /**
   * Fraction committed late, as a slow Revel backend does: the request is held without an answer
   * (the client times out, or with `lateCommitDrop` the connection is dropped at once) and is
   * processed, its record written, `lateCommitMs` later (default 30 s, at most
   * MAX_LATE_COMMIT_MS). The answer of that late processing goes nowhere.
   */
  lateCommitRate?: number;
  lateCommitMs?: number;
  lateCommitDrop?: boolean;
  /**
   * Deterministic faults: the next `count` matching requests fail this way, then the rule is
   * spent. `after` lets that many matching requests through first (e.g. fail the 3rd call).
   */
  next?: {
    count: number;
    kind: FaultKind;
    status?: number;
    after?: number;
  };
}

export interface FaultRule extends FaultSpec {
  /** HTTP method to match; any when absent. */
  method?: string;
  /** Path prefix (string) or pattern to match against the path (no query); any when absent. */
  path?: string | RegExp;
}

export interface FaultStats {
  latency: number;
  error: number;
  rateLimited: number;
  hung: number;
  dropped: number;
  lateCommitted: number;
}

/**
 * Express middleware that injects faults by rule. Rules are matched in order; every matching rule
 * applies, so a global latency rule combines with a route-specific error rule.
 */
export class FaultInjector {
  private rules: FaultRule[] = [];
  private readonly windows = new Map<FaultRule, { second: number; count: number }>();
  private readonly hanging = new Set<Response>();
  private readonly lateTimers = new Set<NodeJS.Timeout>();
  readonly stats: FaultStats = {
    latency: 0,
    error: 0,
    rateLimited: 0,
    hung: 0,
    dropped: 0,
    lateCommitted: 0,
  };

  constructor(private readonly random: () => number = Math.random) {}

  add(rule: FaultRule): this {
    this.rules.push({ ...rule, next: rule.next ? { ...rule.next } : undefined });
    return this;
  }

  set(rules: FaultRule[]): this {
    this.rules = [];
    rules.forEach((r) => this.add(r));
    return this;
  }

  clear(): this {
    this.rules = [];
    this.windows.clear();
    return this;
  }

  list(): FaultRule[] {
    return this.rules.map((r) => ({ ...r }));
  }

  /** Late commits held and not yet processed. */
  get lateCommitsPending(): number {
    return this.lateTimers.size;
  }

  /** Ends every hanging request and forgets the late commits still to come (for shutdown). */
  releaseHanging(): void {
    for (const res of this.hanging) res.socket?.destroy();
    this.hanging.clear();
    for (const timer of this.lateTimers) clearTimeout(timer);
    this.lateTimers.clear();
  }

  middleware(): RequestHandler {
    return (req: Request, res: Response, next: NextFunction) => {
      void this.apply(req, res, next);
    };
  }

  private matches(rule: FaultRule, req: Request): boolean {
    if (rule.method && rule.method.toUpperCase() !== req.method) return false;
    if (rule.path === undefined) return true;
    return typeof rule.path === 'string'
      ? req.path.startsWith(rule.path)
      : rule.path.test(req.path);
  }

  private async apply(req: Request, res: Response, next: NextFunction): Promise<void> {
    const rules = this.rules.filter((r) => this.matches(r, req));
    const latency = rules.reduce((sum, r) => sum + (r.latencyMs ?? 0), 0);
    if (latency > 0) {
      this.stats.latency += 1;
      await new Promise((resolve) => setTimeout(resolve, latency));
    }
    for (const rule of rules) {
      const outcome = this.decide(rule);
      if (outcome === 'late-commit') {
        this.commitLate(rule, res, next);
        return;
      }
      if (outcome) {
        this.inflict(outcome, rule, res);
        return;
      }
    }
    next();
  }

  private decide(rule: FaultRule): FaultKind | undefined {
    if (rule.next && rule.next.count > 0) {
      if ((rule.next.after ?? 0) > 0) {
        rule.next.after = (rule.next.after ?? 0) - 1;
      } else {
        rule.next.count -= 1;
        return rule.next.kind;
      }
    }
    if (rule.perSecondLimit !== undefined) {
      const second = Math.floor(Date.now() / 1000);
      const window = this.windows.get(rule);
      if (!window || window.second !== second) this.windows.set(rule, { second, count: 1 });
      else if (++window.count > rule.perSecondLimit) return 'rate-limit';
    }
    if (rule.lateCommitRate && this.random() < rule.lateCommitRate) return 'late-commit';
    if (rule.dropRate && this.random() < rule.dropRate) return 'drop';
    if (rule.hangRate && this.random() < rule.hangRate) return 'hang';
    if (rule.rateLimitRate && this.random() < rule.rateLimitRate) return 'rate-limit';
    if (rule.errorRate && this.random() < rule.errorRate) return 'status';
    return undefined;
  }

  /**
   * Withholds the answer and processes the request later: the record lands after the client gave
   * up, as when a slow Revel commits a write past the caller's timeout.
   */
  private commitLate(rule: FaultRule, res: Response, next: NextFunction): void {
    this.stats.lateCommitted += 1;
    const delay = Math.min(Math.max(0, rule.lateCommitMs ?? 30_000), MAX_LATE_COMMIT_MS);
    if (rule.lateCommitDrop) res.socket?.destroy();
    else {
      this.hanging.add(res);
      res.on('close', () => this.hanging.delete(res));
    }
    const timer = setTimeout(() => {
      this.lateTimers.delete(timer);
      next();
    }, delay);
    this.lateTimers.add(timer);
  }

  private inflict(kind: Exclude<FaultKind, 'late-commit'>, rule: FaultRule, res: Response): void {
    switch (kind) {
      case 'drop':
        this.stats.dropped += 1;
        res.socket?.destroy();
        return;
      case 'hang':
        this.stats.hung += 1;
        this.hanging.add(res);
        res.on('close', () => this.hanging.delete(res));
        return;
      case 'rate-limit':
        this.stats.rateLimited += 1;
        res
          .status(429)
          .set('Retry-After', String(rule.retryAfterSeconds ?? 1))
          .json({ error: 'rate limit exceeded' });
        return;
      case 'status': {
        this.stats.error += 1;
        const status = rule.next?.status ?? rule.errorStatus ?? 500;
        res.status(status).json({ error: `injected fault ${status}` });
        return;
      }
    }
  }
}

/** Rules sent over HTTP carry a path as a string; `re:` marks a regular expression. */
export function ruleFromJson(input: Record<string, unknown>): FaultRule {
  const rule = { ...input } as FaultRule & { path?: unknown };
  if (typeof rule.path === 'string' && rule.path.startsWith('re:')) {
    rule.path = new RegExp(rule.path.slice(3));
  }
  return rule;
}

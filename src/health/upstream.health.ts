import { Injectable } from '@nestjs/common';
import { HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import type { UpstreamName } from '../common/upstream.error';
import { MetricsService } from '../metrics/metrics.service';

/**
 * Up while the latest request this process sent to the upstream got an HTTP answer below 500 (a
 * 4xx is an answer: the API is reachable). Down after a 5xx or a failure without an answer
 * (timeout, refused, reset). It reads the traffic the service sends anyway and sends none itself,
 * so a monitor probing often spends none of the upstream's rate limit.
 */
@Injectable()
export class UpstreamHealthIndicator {
  constructor(
    private readonly metrics: MetricsService,
    private readonly health: HealthIndicatorService,
  ) {}

  isHealthy(upstream: UpstreamName): HealthIndicatorResult {
    const indicator = this.health.check(upstream);
    const last = this.metrics.lastUpstreamAnswer(upstream);
    if (!last) return indicator.up({ lastAnswer: null, message: 'not called yet' });
    const data = {
      lastAnswer: last.status,
      route: last.route,
      at: new Date(last.at).toISOString(),
    };
    const status = Number(last.status);
    return Number.isInteger(status) && status < 500
      ? indicator.up(data)
      : indicator.down({ ...data, message: `${upstream} did not answer (${last.status})` });
  }
}

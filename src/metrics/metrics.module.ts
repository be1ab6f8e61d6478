import { Global, Module } from '@nestjs/common';
import { LedgerMetricsBinding } from './ledger-metrics.binding';
import { MetricsTokenGuard } from './metrics-token.guard';
import { MetricsController } from './metrics.controller';
import { MetricsService } from './metrics.service';

/** Prometheus metrics: global, so any provider can count into MetricsService. */
@Global()
@Module({
  controllers: [MetricsController],
  providers: [MetricsService, LedgerMetricsBinding, MetricsTokenGuard],
  exports: [MetricsService],
})
export class MetricsModule {}

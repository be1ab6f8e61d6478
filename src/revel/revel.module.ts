import { HttpModule } from '@nestjs/axios';
import { Module } from '@nestjs/common';
import { ConfigModule, ConfigType } from '@nestjs/config';
import { Clock } from '../common/clock';
import { revelConfig } from '../config/configuration';
import { RevelOrderReadBack } from './order-read-back';
import { RevelOrderRewriter } from './order-rewriter.service';
import { RevelOrderWriter } from './order-writer.service';
import { RevelRecordBodies } from './record-bodies';
import { RevelProductCatalog } from './product-catalog';
import { REVEL_HTTP_TUNING, RevelClient, RevelHttpTuning } from './revel.client';

/**
 * Everything that talks to Revel. It has its own axios instance (registerAsync, never the shared
 * global one), so the Revel credentials interceptor cannot reach any other upstream.
 */
@Module({
  imports: [
    ConfigModule.forFeature(revelConfig),
    HttpModule.registerAsync({
      imports: [ConfigModule.forFeature(revelConfig)],
      inject: [revelConfig.KEY],
      useFactory: (config: ConfigType<typeof revelConfig>) => ({
        baseURL: config.apiBaseUrl,
        headers: { Accept: 'application/json', 'Content-Type': 'application/json' },
        // A redirect from an API would be a misconfigured base URL, not something to follow.
        maxRedirects: 0,
      }),
    }),
  ],
  providers: [
    RevelClient,
    RevelProductCatalog,
    RevelOrderWriter,
    RevelOrderRewriter,
    RevelOrderReadBack,
    RevelRecordBodies,
    Clock,
    { provide: REVEL_HTTP_TUNING, useValue: {} satisfies RevelHttpTuning },
  ],
  exports: [
    RevelClient,
    RevelProductCatalog,
    RevelOrderWriter,
    RevelOrderRewriter,
    RevelOrderReadBack,
  ],
})
export class RevelModule {}

import { DynamicModule, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { ScheduleModule } from '@nestjs/schedule';
import { ClsModule } from 'nestjs-cls';
import { LoggerModule } from 'nestjs-pino';
import type { DestinationStream } from 'pino';
import { CommonModule } from './common/common.module';
import { ConsoleModule } from './console/console.module';
import { loggerParams } from './common/logging';
import { throttlerModule, ThrottlingModule } from './common/throttling';
import { allConfigNamespaces, validateConfiguration } from './config/configuration';
import { ENV_FILE_READ, EnvFileReport, loadEnvFile } from './config/env-file';
import { validateEnvironment } from './config/environment';
import { DatabaseModule } from './database/database.module';
import { DoctorModule } from './doctor/doctor.module';
import { HealthModule } from './health/health.module';
import { MappingsModule } from './mappings/mappings.module';
import { MetricsModule } from './metrics/metrics.module';
import { NotificationsModule } from './notifications/notifications.module';
import { RevelModule } from './revel/revel.module';
import { SwitchesModule } from './switches/switches.module';
import { SyncModule } from './sync/sync.module';
import { TripleSeatModule } from './tripleseat/tripleseat.module';
import { WebhookModule } from './webhook/webhook.module';

export interface AppOptions {
  /** Where log lines go (tests capture them); stdout when absent. */
  logStream?: DestinationStream;
}

@Module({})
export class AppModule {
  /**
   * Built at call time rather than at import time so that the environment is validated when
   * the app starts (main.ts prints a failure as one message) and tests can set it first.
   */
  static forRoot(options: AppOptions = {}): DynamicModule {
    // `.env` first, so that it is part of what is validated (the real environment wins over it).
    const envFile = loadEnvFile();
    // ConfigModule validates asynchronously; validating here first makes a bad configuration fail
    // at once, with the one message that names every problem (variables and location map).
    validateConfiguration(process.env);
    const config = ConfigModule.forRoot({
      isGlobal: true,
      // Read above, once, with the environment winning; ConfigModule must not read it again.
      ignoreEnvFile: true,
      validate: validateConfiguration,
      load: allConfigNamespaces,
      cache: true,
    });
    const logLevel = validateEnvironment(process.env).LOG_LEVEL;
    return {
      module: AppModule,
      providers: [{ provide: ENV_FILE_READ, useValue: envFile }, EnvFileReport],
      imports: [
        // The CLS context is opened by the ClsMiddleware in configureApp, before anything else.
        ClsModule.forRoot({ global: true, middleware: { mount: false } }),
        config,
        LoggerModule.forRoot(loggerParams(logLevel, options.logStream)),
        ScheduleModule.forRoot(),
        throttlerModule,
        ThrottlingModule,
        CommonModule,
        MetricsModule,
        DatabaseModule,
        TripleSeatModule,
        RevelModule,
        NotificationsModule,
        MappingsModule,
        SwitchesModule,
        SyncModule,
        WebhookModule,
        HealthModule,
        DoctorModule,
        ConsoleModule,
      ],
    };
  }
}

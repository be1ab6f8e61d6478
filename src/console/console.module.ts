import { Module } from '@nestjs/common';
import { DoctorModule } from '../doctor/doctor.module';
import { MappingsModule } from '../mappings/mappings.module';
import { RevelModule } from '../revel/revel.module';
import { SwitchesModule } from '../switches/switches.module';
import { SyncModule } from '../sync/sync.module';
import { ConsoleAuthService } from './console-auth.service';
import { ConsoleBoardRepository } from './console-board.repository';
import { ConsoleExceptionFilter } from './console-exception.filter';
import { ConsoleSessionRepository } from './console-session.repository';
import { ConsoleAuthController } from './console-auth.controller';
import { ConsoleBoardController } from './console-board.controller';
import { ConsoleEventsController } from './console-events.controller';
import { ConsoleSettingsController } from './console-settings.controller';
import { ConsoleGuard } from './console.guard';
import { ConsoleViews } from './console.views';
import { FaviconController } from './favicon.controller';

/** The operator console at /console (CONSOLE_ENABLED=false answers 404 on every route). */
@Module({
  imports: [SyncModule, MappingsModule, RevelModule, SwitchesModule, DoctorModule],
  controllers: [
    ConsoleAuthController,
    ConsoleBoardController,
    ConsoleEventsController,
    ConsoleSettingsController,
    FaviconController,
  ],
  providers: [
    ConsoleViews,
    ConsoleAuthService,
    ConsoleSessionRepository,
    ConsoleBoardRepository,
    ConsoleGuard,
    ConsoleExceptionFilter,
  ],
})
export class ConsoleModule {}

import { Global, Module } from '@nestjs/common';
import { DatabaseService } from './database.service';
import { LedgerRepository } from './ledger.repository';
import { RetentionService } from './retention.service';

@Global()
@Module({
  providers: [DatabaseService, LedgerRepository, RetentionService],
  exports: [DatabaseService, LedgerRepository, RetentionService],
})
export class DatabaseModule {}

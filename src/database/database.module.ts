import { Global, Module } from '@nestjs/common';
import { DatabaseService } from './database.service';
import { LedgerRepository } from './ledger.repository';

@Global()
@Module({
  providers: [DatabaseService, LedgerRepository],
  exports: [DatabaseService, LedgerRepository],
})
export class DatabaseModule {}
